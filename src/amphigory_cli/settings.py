"""Every setting of every command, declared once: option, `AMPHIGORY_*` variable, default and help.

Precedence: command-line option > environment variable > config file (amphigory_cli.config_file:
`~/.config/amphigory/amphigory.toml`, its `[command]` table over its top level) > default. Without `--data-dir`
the data folder is the per-user one (platformdirs: `$XDG_DATA_HOME/amphigory` on Linux), never the current folder.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amphigory.option_values import (
    COVERART_URL,
    DEFAULT_PORT,
    MUSICBRAINZ_URL,
    ON_INSERT_MODES,
    THEDISCDB_URL,
    TMDB_URL,
    TRANSCODE_MODES,
    MetadataSettings,
    OnInsert,
    TranscodeMode,
)
from amphigory_cli import config_file

if TYPE_CHECKING:  # each built only by its own command: `identify` never pays for the webapp's, daemon's or worker's
    from amphigory.config import WebappSettings
    from amphigory_daemon.config import DaemonSettings
    from amphigory_worker.settings import WorkerSettings


@dataclass(frozen=True)
class Option:
    name: str  # dest name; option is --name-with-dashes, variable AMPHIGORY_NAME
    help: str
    default: Any = None
    kind: Callable[[str], Any] = str  # converts the option text (int, flag, ...)
    repeatable: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "AMPHIGORY_" + self.name.upper()


def flag(text: str) -> bool:
    """A yes/no setting: 1/0, true/false, yes/no, on/off."""
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a yes/no value: {text!r}")


def transcode_mode(text: str) -> TranscodeMode:
    """One of `TRANSCODE_MODES`."""
    value = text.strip().lower()
    if value not in TRANSCODE_MODES:
        raise ValueError(f"not a transcode mode (none, handbrake, ffmpeg): {text!r}")
    return value


def on_insert_mode(text: str) -> OnInsert:
    """One of `ON_INSERT_MODES`."""
    value = text.strip().lower()
    if value not in ON_INSERT_MODES:
        raise ValueError(f"not an on-insert rule (manual, rip): {text!r}")
    return value


def non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError(f"not a number of seconds >= 0: {text!r}")
    return value


def worker_count(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 64:
        raise ValueError(f"not a number of workers from 0 to 64: {text!r}")
    return value


def queue_url(text: str) -> str:
    """`sqlite` (a file in the data folder) or `redis://host:port/db`."""
    value = text.strip()
    if value != "sqlite" and not value.startswith(("sqlite:///", "redis://", "rediss://", "unix://")):
        raise ValueError(f"not a queue (sqlite, sqlite:///path or redis://host:port/db): {text!r}")
    return value


def languages(text: str) -> tuple[str, ...]:
    """ISO 639-2 codes separated by commas or spaces (`eng,fre`); empty: every language."""
    codes = tuple(c for c in text.replace(",", " ").lower().split() if c)
    bad = [c for c in codes if not (c.isascii() and c.isalpha() and 2 <= len(c) <= 3)]
    if bad:
        raise ValueError(f"not ISO 639 language codes: {bad}")
    return codes


def positive_seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(f"not a number of seconds > 0: {text!r}")
    return value


def preset_name(text: str) -> str:
    """`auto` (by source), a HandBrake preset name, or an exported JSON preset's name or file name."""
    value = text.strip()
    if not value or len(value) > 200 or any(c in value for c in "/\\\0"):
        raise ValueError(f"not a preset name: {text!r}")
    return value


def http_url(text: str) -> str:
    """An http:// or https:// base URL (a media server)."""
    value = text.strip().rstrip("/")
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest or any(c.isspace() for c in value):
        raise ValueError(f"not an http:// or https:// URL: {text!r}")
    return value


def apprise_url(text: str) -> str:
    """An Apprise notification URL (`scheme://...`, such as json://host/path or ntfy://topic)."""
    value = text.strip()
    scheme, sep, rest = value.partition("://")
    if not sep or not scheme.isalnum() or not rest or any(c.isspace() for c in value):
        raise ValueError("not a notification URL (scheme://..., such as json://host/path or ntfy://topic)")
    return value


def drive_rule(text: str) -> tuple[str, OnInsert]:
    """`DRIVE_ID=manual|rip`: one drive's own on-insert rule (drive ids hold ':' and '@', never '=' last)."""
    drive, sep, mode = text.strip().rpartition("=")
    if not sep or not drive.strip():
        raise ValueError(f"not DRIVE_ID=manual|rip: {text!r}")
    return drive.strip(), on_insert_mode(mode)


def section_id(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(f"not a Plex library section id (1 or more): {text!r}")
    return value


def folder(text: str) -> str:
    value = text.strip()
    if not value.startswith("/"):
        raise ValueError(f"not an absolute folder path: {text!r}")
    return value


HOST = Option("host", "address to listen on", "127.0.0.1")
PORT = Option("port", "port of the webapp", DEFAULT_PORT, int)
DATA_DIR = Option("data_dir", "data folder: amphigory.db, ripped/, library/ (default: the per-user data folder, "
                  "~/.local/share/amphigory on Linux)")
TOKEN = Option("token", "shared secret daemons present to the webapp (Authorization: Bearer)")
WEBAPP_URL = Option("webapp_url", "WebSocket URL of the webapp", f"ws://127.0.0.1:{DEFAULT_PORT}/ws")
IMAGE_DRIVE = Option(
    "image_drive", "a folder that acts as a drive: put one disc image in it to insert (repeatable; "
    "AMPHIGORY_IMAGE_DRIVE takes a os.pathsep-separated list)", (), str, repeatable=True,
)
DAEMON_ID = Option("daemon_id", "this daemon's id (default user@host)")
BACKEND = Option("backend", "drive backend: auto, image, linux or macos", "auto")
OUTPUT_DIR = Option("output_dir", "where rips are written (default <data-dir>/ripped)")
CONFIG = Option("config", "config file (TOML; default ~/.config/amphigory/amphigory.toml)", None)

AUTO_SCAN = Option("auto_scan", "scan a disc as soon as it goes in, unless it is known (1 or 0)", True, flag)
TRANSCODE = Option("transcode", "file rips into the library as they are (none) or transcoded by handbrake "
                   "(HandBrakeCLI; ffmpeg where it is absent) or ffmpeg", "none", transcode_mode)
KEEP_RIPPED = Option("keep_ripped", "keep a rip in ripped/ once it is safely in the library (1 or 0; 0 removes it, "
                     "so rips do not fill the disk twice)", False, flag)

# Identification (DESIGN.md "Knowing what a disc is").
TMDB_TOKEN = Option("tmdb_token", "TMDB API read access token (sent as Authorization: Bearer; a secret)")
TMDB_URL_OPT = Option("tmdb_url", "TMDB v3 API base URL", TMDB_URL)
THEDISCDB_URL_OPT = Option("thediscdb_url", "TheDiscDB GraphQL endpoint", THEDISCDB_URL)
MUSICBRAINZ_URL_OPT = Option("musicbrainz_url", "MusicBrainz web service base URL", MUSICBRAINZ_URL)
COVERART_URL_OPT = Option("coverart_url", "Cover Art Archive base URL", COVERART_URL)
OFFLINE = Option("offline", "no metadata look-ups at all (1 or 0)", False, flag)
METADATA_OPTIONS = (TMDB_TOKEN, TMDB_URL_OPT, THEDISCDB_URL_OPT, MUSICBRAINZ_URL_OPT, COVERART_URL_OPT, OFFLINE)

# Hands-free mode (DESIGN.md "Hands-free mode").
ON_INSERT = Option("on_insert", "what a disc going in starts: manual (wait for a person) or rip (hands-free)",
                   "manual", on_insert_mode)
AUTO_RIP_DELAY = Option("auto_rip_delay", "seconds of cancellable countdown before a hands-free rip", 20.0,
                        non_negative)
EJECT_WHEN_DONE = Option("eject_when_done", "eject a disc once its hands-free rips are done (1 or 0)", True, flag)
NOTIFY = Option("notify", "Apprise URL told when a disc is done, needs review or failed (repeatable; "
                "AMPHIGORY_NOTIFY takes several separated by spaces; a secret)", (), apprise_url, repeatable=True)
DRIVE_ON_INSERT = Option("drive_on_insert", "one drive's own on-insert rule, DRIVE_ID=manual|rip (repeatable)", (),
                         drive_rule, repeatable=True)
PLEX_URL = Option("plex_url", "Plex server told to rescan a folder after filing (http://host:32400)", None, http_url)
PLEX_TOKEN = Option("plex_token", "Plex token (X-Plex-Token; a secret)")
PLEX_SECTION = Option("plex_section", "Plex library section id to refresh", None, section_id)
JELLYFIN_URL = Option("jellyfin_url", "Jellyfin server told about new folders after filing (http://host:8096)",
                      None, http_url)
JELLYFIN_API_KEY = Option("jellyfin_api_key", "Jellyfin API key (a secret)")
LIBRARY = Option("library", "the library folder (default <data-dir>/library)", None, folder)
HANDSFREE_OPTIONS = (ON_INSERT, AUTO_RIP_DELAY, EJECT_WHEN_DONE, NOTIFY, DRIVE_ON_INSERT, PLEX_URL, PLEX_TOKEN,
                     PLEX_SECTION, JELLYFIN_URL, JELLYFIN_API_KEY)

# The job queue and its workers (DESIGN.md "Transcode workers and the queue").
QUEUE = Option("queue", "job queue: sqlite (in the data folder) or redis://host:port/db", "sqlite", queue_url)
WORKERS = Option("workers", "local workers running filing and transcoding jobs (0 for none)", 1, worker_count)
TRANSCODE_PRESET = Option(
    "transcode_preset", "auto (by source: DVD, Blu-ray, UHD with HDR kept), a HandBrake preset name, or the name of "
    "a JSON preset exported from HandBrake into <data-dir>/presets/", "auto", preset_name)
TRANSCODE_LANGUAGES = Option("transcode_languages", "audio and subtitle languages a transcode keeps (ISO 639-2, "
                             "e.g. eng,fre; empty: all)", "", languages)
WORKER_TIMEOUT = Option("worker_timeout", "seconds without a report after which a worker's job runs again elsewhere",
                        30.0, positive_seconds)
QUEUE_WORKER = Option("queue", "job queue: sqlite (in --data-dir), sqlite:///path/queue.db or redis://host:port/db",
                      "sqlite", queue_url)
WORKER_WEBAPP_URL = Option("webapp_url", "the webapp: http://host:port (its ws://host:port/ws form is accepted)",
                           f"http://127.0.0.1:{DEFAULT_PORT}")
WORKER_DATA_DIR = Option("data_dir", "data folder: the SQLite queue (queue.db, when --queue sqlite), the token "
                         "(daemon-token, when there is no --token) and worker-jobs/ (rips fetched, transcodes being "
                         "made) (default: the per-user data folder, as serve's)")
CONCURRENCY = Option("concurrency", "jobs this worker runs at once", 1, worker_count)

SERVE_OPTIONS = (HOST, PORT, DATA_DIR, TOKEN, AUTO_SCAN, TRANSCODE, TRANSCODE_PRESET, TRANSCODE_LANGUAGES, LIBRARY,
                 KEEP_RIPPED, *METADATA_OPTIONS, *HANDSFREE_OPTIONS, QUEUE, WORKERS, WORKER_TIMEOUT, CONFIG)
WORKER_OPTIONS = (QUEUE_WORKER, WORKER_WEBAPP_URL, TOKEN, WORKER_DATA_DIR, CONCURRENCY, CONFIG)
DAEMON_OPTIONS = (WEBAPP_URL, TOKEN, IMAGE_DRIVE, DAEMON_ID, BACKEND, DATA_DIR, OUTPUT_DIR, CONFIG)
# The daemon's view of things doctor checks: its data folder, and the webapp it would connect to with its token.
DOCTOR_OPTIONS = (WEBAPP_URL, TOKEN, DATA_DIR, CONFIG)
IDENTIFY_OPTIONS = (*METADATA_OPTIONS, CONFIG)
# What the config file may set, by the table (command) that sets it. `worker` names the settings DESIGN.md gives it
# (its command comes with the job queue, which declares its options here).
FILE_OPTIONS: dict[str, tuple[str, ...]] = {
    command: tuple(o.name for o in options if o is not CONFIG)
    for command, options in (("serve", SERVE_OPTIONS), ("daemon", DAEMON_OPTIONS), ("identify", IDENTIFY_OPTIONS),
                             ("worker", WORKER_OPTIONS))
}


def add_options(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    for opt in options:
        help_text = f"{opt.help} [env {opt.env}]"
        if opt.default not in (None, ()):
            help_text += f" (default: {opt.default})"
        if opt.repeatable:
            parser.add_argument(opt.flag, dest=opt.name, action="append", type=opt.kind, default=None,
                                help=help_text)
        elif opt.kind is flag:  # `--offline` alone means yes; `--offline 0` still says no
            parser.add_argument(opt.flag, dest=opt.name, type=flag, nargs="?", const=True, default=None,
                                help=help_text)
        else:
            parser.add_argument(opt.flag, dest=opt.name, type=opt.kind, default=None, help=help_text)


def resolve(
    args: argparse.Namespace, options: Sequence[Option], env: Mapping[str, str], file: Mapping[str, Any]
) -> dict[str, Any]:
    """Each option's value by precedence: command line, environment, config file, default."""
    out: dict[str, Any] = {}
    for opt in options:
        value = getattr(args, opt.name, None)
        if value is None and opt.env in env:
            raw = env[opt.env]
            # URLs and drive ids hold ':'; they are separated by spaces
            separator = None if opt in (NOTIFY, DRIVE_ON_INSERT) else os.pathsep
            value = [opt.kind(p) for p in raw.split(separator) if p] if opt.repeatable else opt.kind(raw)
        if value is None and opt.name in file:
            value = file_value(opt, file[opt.name])
        out[opt.name] = opt.default if value is None else value
    return out


def file_value(opt: Option, value: Any) -> Any:
    """A config file's value (a TOML string, number, boolean or list) as the option's own type."""
    try:
        if opt.repeatable:
            items = value if isinstance(value, list) else [value]
            return [opt.kind(str(item)) for item in items]
        return opt.kind(str(value))
    except ValueError as exc:
        raise config_file.ConfigError(f"config file: {opt.name} = {value!r}: {exc}") from exc


def file_settings(command: str, args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, Any]:
    """What the config file gives `command` (`--config`/`AMPHIGORY_CONFIG`, else the default files)."""
    explicit = getattr(args, "config", None) or env.get(CONFIG.env)
    return config_file.load(command, explicit, env, FILE_OPTIONS)  # config_paths says which files


def config_paths(command: str, args: argparse.Namespace, env: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The config files `command` reads (doctor shows them)."""
    explicit = getattr(args, "config", None) or env.get(CONFIG.env)
    return tuple(str(p) for p in config_file.config_files(command, explicit, env))


def default_data_dir() -> Path:
    """The per-user data folder: `$XDG_DATA_HOME/amphigory` (~/.local/share/amphigory) on Linux,
    ~/Library/Application Support/amphigory on macOS."""
    import platformdirs

    return platformdirs.user_data_path("amphigory", appauthor=False)


def data_dir(values: Mapping[str, Any]) -> Path:
    return Path(values["data_dir"]).expanduser() if values["data_dir"] else default_data_dir()


def webapp_settings(args: argparse.Namespace, env: Mapping[str, str] = os.environ) -> WebappSettings:
    from amphigory.config import WebappSettings

    v = resolve(args, SERVE_OPTIONS, env, file_settings("serve", args, env))
    return WebappSettings(host=v["host"], port=int(v["port"]), data_dir=data_dir(v), token=v["token"],
                          auto_scan=bool(v["auto_scan"]), transcode=transcode_mode(str(v["transcode"])),
                          keep_ripped=bool(v["keep_ripped"]),
                          metadata=metadata_settings(v), identify=True,
                          on_insert=on_insert_mode(str(v["on_insert"])),
                          auto_rip_delay=float(v["auto_rip_delay"]), eject_when_done=bool(v["eject_when_done"]),
                          notify=tuple(v["notify"]), queue=queue_url(str(v["queue"])), workers=int(v["workers"]),
                          transcode_languages=_languages(v["transcode_languages"]),
                          worker_timeout=float(v["worker_timeout"]), **handsfree_settings(v))


def handsfree_settings(v: Mapping[str, Any]) -> dict[str, Any]:
    """WebappSettings fields of the per-drive rules, media servers, library folder and preset."""
    return {
        "drive_on_insert": tuple(drive_rule(r) if isinstance(r, str) else tuple(r) for r in v["drive_on_insert"]),
        "plex_url": v["plex_url"], "plex_token": v["plex_token"] or None, "plex_section": v["plex_section"],
        "jellyfin_url": v["jellyfin_url"], "jellyfin_api_key": v["jellyfin_api_key"] or None,
        "library": Path(v["library"]) if v["library"] else None,
        "transcode_preset": preset_name(str(v["transcode_preset"] or "auto")),
    }


def _languages(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple) else languages(str(value))


def worker_settings(args: argparse.Namespace, env: Mapping[str, str] = os.environ) -> WorkerSettings:
    """`amphigory worker`'s settings; `ValueError` without a token (a worker must present one)."""
    from amphigory_cli.token_file import read_token
    from amphigory_worker.settings import WorkerSettings

    v = resolve(args, WORKER_OPTIONS, env, file_settings("worker", args, env))
    folder = data_dir(v)
    token = v["token"] or read_token(folder)
    if not token:
        raise ValueError("a worker needs the webapp's token (--token, AMPHIGORY_TOKEN, or daemon-token in its "
                         "--data-dir)")
    return WorkerSettings(queue=queue_url(str(v["queue"])), webapp_url=str(v["webapp_url"]), token=str(token),
                          data_dir=folder, concurrency=max(1, int(v["concurrency"])))


def metadata_settings(values: Mapping[str, Any]) -> MetadataSettings:
    """The identification settings out of resolved option values (serve, identify)."""
    return MetadataSettings(
        tmdb_token=values["tmdb_token"] or None, tmdb_url=values["tmdb_url"], thediscdb_url=values["thediscdb_url"],
        musicbrainz_url=values["musicbrainz_url"], coverart_url=values["coverart_url"],
        offline=bool(values["offline"]),
    )


def identify_settings(args: argparse.Namespace, env: Mapping[str, str] = os.environ) -> MetadataSettings:
    """`amphigory identify`'s look-up settings: the same options, variables and config keys as `serve`'s."""
    return metadata_settings(resolve(args, IDENTIFY_OPTIONS, env, file_settings("identify", args, env)))


def daemon_settings(args: argparse.Namespace, env: Mapping[str, str] = os.environ) -> DaemonSettings:
    from amphigory_daemon.config import DaemonSettings, default_daemon_id

    v = resolve(args, DAEMON_OPTIONS, env, file_settings("daemon", args, env))
    return DaemonSettings(
        webapp_url=v["webapp_url"],
        token=v["token"],
        daemon_id=v["daemon_id"] or default_daemon_id(),
        image_drives=tuple(Path(p) for p in v["image_drive"]),
        backend=v["backend"],
        data_dir=data_dir(v),
        output_dir=Path(v["output_dir"]).expanduser() if v["output_dir"] else None,
    )

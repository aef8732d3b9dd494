"""The settings a person can see and change on the settings page, declared once on top of the command's `Option`s.

Each `Editable` wraps the `Option` that declares the flag, its `AMPHIGORY_*` variable, help text and validation, and
adds what the page needs: a label, a group, the kind of field, whether it is a secret (masked in every answer) and
whether a change applies at once or at the next start. Pure: values in, values or `SettingError` out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from amphigory.config import WebappSettings
from amphigory_cli import settings as cli
from amphigory_cli.settings import Option

Kind = Literal["choice", "number", "flag", "text", "secret", "lines", "secret_lines"]
MASK = "••••"
MAX_TEXT = 2000
MAX_ITEMS = 50


class SettingError(ValueError):
    """Values refused, by setting name: what is wrong with each, in words."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class Editable:
    option: Option
    label: str
    group: str
    kind: Kind = "text"
    choices: tuple[str, ...] = ()
    live: bool = True  # applies without a restart
    editable: bool = True  # False: shown, set only by its flag (the server's address, its data folder...)
    field: str = ""  # the WebappSettings field ("metadata.tmdb_token"); default the option's name

    @property
    def name(self) -> str:
        return self.option.name

    @property
    def secret(self) -> bool:
        return self.kind in ("secret", "secret_lines")

    @property
    def path(self) -> tuple[str, ...]:
        return tuple((self.field or self.name).split("."))


SETTINGS: tuple[Editable, ...] = (
    Editable(cli.ON_INSERT, "When a disc goes in", "Hands-free", "choice", ("manual", "rip")),
    Editable(cli.AUTO_RIP_DELAY, "Countdown before ripping (seconds)", "Hands-free", "number"),
    Editable(cli.EJECT_WHEN_DONE, "Eject when done", "Hands-free", "flag"),
    Editable(cli.DRIVE_ON_INSERT, "Rules for single drives (DRIVE_ID=manual or rip, one a line)", "Hands-free",
             "lines"),
    Editable(cli.NOTIFY, "Notification URLs (one a line)", "Notifications", "secret_lines"),
    Editable(cli.PLEX_URL, "Plex server", "Media servers"),
    Editable(cli.PLEX_TOKEN, "Plex token", "Media servers", "secret"),
    Editable(cli.PLEX_SECTION, "Plex library section", "Media servers", "number"),
    Editable(cli.JELLYFIN_URL, "Jellyfin server", "Media servers"),
    Editable(cli.JELLYFIN_API_KEY, "Jellyfin API key", "Media servers", "secret"),
    Editable(cli.TMDB_TOKEN, "TMDB token", "Identification", "secret", field="metadata.tmdb_token"),
    Editable(cli.OFFLINE, "Offline (no look-ups)", "Identification", "flag", field="metadata.offline"),
    Editable(cli.TMDB_URL_OPT, "TMDB API", "Identification", field="metadata.tmdb_url"),
    Editable(cli.THEDISCDB_URL_OPT, "TheDiscDB", "Identification", field="metadata.thediscdb_url"),
    Editable(cli.MUSICBRAINZ_URL_OPT, "MusicBrainz", "Identification", field="metadata.musicbrainz_url"),
    Editable(cli.COVERART_URL_OPT, "Cover Art Archive", "Identification", field="metadata.coverart_url"),
    Editable(cli.AUTO_SCAN, "Scan new discs at once", "Ripping and filing", "flag"),
    Editable(cli.TRANSCODE, "Transcode", "Ripping and filing", "choice", ("none", "handbrake", "ffmpeg")),
    Editable(cli.TRANSCODE_PRESET, "Transcode preset", "Ripping and filing"),
    Editable(cli.TRANSCODE_LANGUAGES, "Audio and subtitle languages kept", "Ripping and filing"),
    Editable(cli.WORKER_TIMEOUT, "Seconds before a silent worker's job runs again", "Server", "number",
             editable=False),
    Editable(cli.KEEP_RIPPED, "Keep rips in ripped/ once filed", "Ripping and filing", "flag", live=False),
    Editable(cli.LIBRARY, "Library folder", "Ripping and filing", live=False),
    Editable(cli.OUTPUT_DIR, "Rip folder (a daemon's: amphigory daemon --output-dir)", "Ripping and filing",
             editable=False),
    Editable(cli.CONFIG, "Config file (TOML)", "Server", editable=False),
    Editable(cli.HOST, "Address", "Server", editable=False),
    Editable(cli.PORT, "Port", "Server", "number", editable=False),
    Editable(cli.DATA_DIR, "Data folder", "Server", editable=False),
    Editable(cli.TOKEN, "Daemon token", "Server", "secret", editable=False),
    Editable(cli.QUEUE, "Job queue", "Server", editable=False),
    Editable(cli.WORKERS, "Local workers", "Server", "number", editable=False),
)
BY_NAME = {s.name: s for s in SETTINGS}


def mask(value: str) -> str:
    """A secret as an answer may show it: its scheme (for a URL) and its last characters, never the rest."""
    scheme, sep, _ = value.partition("://")
    head = f"{scheme}://" if sep and scheme.isalnum() else ""
    tail = value[-3:] if len(value) >= 16 else ""
    return f"{head}{MASK}{tail}"


def current(setting: Editable, settings: WebappSettings) -> Any:
    """The setting's value in `settings`, as JSON (paths as text, per-drive rules as lines)."""
    value: Any = settings
    for part in setting.path:
        value = getattr(value, part, None)
    if setting.name == "drive_on_insert":
        return [f"{drive}={mode}" for drive, mode in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def shown(setting: Editable, value: Any) -> Any:
    """A value as the API and the page show it: secrets masked."""
    if not setting.secret or value in (None, "", []):
        return value
    if isinstance(value, list):
        return [mask(str(v)) for v in value]
    return mask(str(value))


def parse(setting: Editable, raw: Any, before: Any) -> Any:
    """A value sent by a person, validated by the option's own converter; `ValueError` says what is wrong.

    None or "" clears an optional setting; a masked secret sent back unchanged keeps the secret it stands for."""
    if not setting.editable:
        raise ValueError("set by its command-line flag; not editable here")
    if isinstance(raw, dict) or (isinstance(raw, str) and len(raw) > MAX_TEXT):
        raise ValueError(f"not a value (text of at most {MAX_TEXT} characters)")
    if setting.option.repeatable:
        items = raw.splitlines() if isinstance(raw, str) else list(raw or [])
        if len(items) > MAX_ITEMS or any(len(str(i)) > MAX_TEXT for i in items):
            raise ValueError(f"at most {MAX_ITEMS} lines of at most {MAX_TEXT} characters")
        kept = {mask(str(v)): v for v in before or []} if setting.secret else {}
        return [kept[i] if i in kept else _one(setting, i) for i in (str(x).strip() for x in items) if i]
    if setting.secret and isinstance(raw, str) and before and raw == mask(str(before)):
        return before
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if setting.option.default is not None:
            raise ValueError("needs a value")
        return None
    if setting.kind == "flag" and isinstance(raw, bool):
        return raw
    if setting.kind == "number" and isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)
    if setting.kind == "choice" and str(raw) not in setting.choices:
        raise ValueError(f"one of {', '.join(setting.choices)}")
    return _one(setting, str(raw))


def _one(setting: Editable, text: str) -> Any:
    value = setting.option.kind(text)
    if setting.name == "drive_on_insert":
        drive, mode = value
        return f"{drive}={mode}"
    return value


def parse_all(changes: Mapping[str, Any], settings: WebappSettings) -> dict[str, Any]:
    """Every change validated (`SettingError` naming each bad one); unknown names are errors too."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in changes.items():
        setting = BY_NAME.get(name)
        if setting is None:
            errors[name] = "no such setting"
            continue
        try:
            values[name] = parse(setting, raw, current(setting, settings))
        except (ValueError, TypeError) as exc:
            errors[name] = str(exc) or "not a valid value"
    if errors:
        raise SettingError(errors)
    return values


def apply(base: WebappSettings, saved: Mapping[str, Any]) -> WebappSettings:
    """`base` (flags and environment) with the saved values on top; a saved value that no longer parses is ignored."""
    top: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for name, value in saved.items():
        setting = BY_NAME.get(name)
        if setting is None or not setting.editable:
            continue
        try:
            typed = _typed(setting, value)
        except (ValueError, TypeError):
            continue
        if setting.path[0] == "metadata":
            metadata[setting.path[1]] = typed
        else:
            top[setting.path[0]] = typed
    if metadata:
        top["metadata"] = dataclasses.replace(base.metadata, **metadata)
    return dataclasses.replace(base, **top)


def _typed(setting: Editable, value: Any) -> Any:
    """A saved JSON value as the WebappSettings field holds it."""
    if setting.name == "drive_on_insert":
        return tuple(cli.drive_rule(str(v)) for v in value)
    if setting.option.repeatable:
        return tuple(setting.option.kind(str(v)) for v in value)
    if value is None:
        return None
    if setting.name == "library":
        return Path(str(value))
    if setting.kind == "flag":
        return bool(value)
    if setting.kind == "number":
        return setting.option.kind(str(value))
    return setting.option.kind(str(value))


def described(settings: WebappSettings, base: WebappSettings, saved: Iterable[str]) -> list[dict[str, Any]]:
    """Every setting for the API and the page: its value (secrets masked), its default, whether it is saved."""
    saved_names = set(saved)
    return [{
        "name": s.name, "label": s.label, "group": s.group, "kind": s.kind, "choices": list(s.choices),
        "help": s.option.help, "flag": s.option.flag, "env": s.option.env, "secret": s.secret, "live": s.live,
        "editable": s.editable, "saved": s.name in saved_names,
        "value": shown(s, current(s, settings)), "default": shown(s, current(s, base)),
    } for s in SETTINGS]

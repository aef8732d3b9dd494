"""Every setting of every command, declared once: option, `AMPHIGORY_*` variable, default and help.

Precedence: command-line option > environment variable > daemon.toml (daemon settings only) > default.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amphigory.config import DEFAULT_PORT, TRANSCODE_MODES, TranscodeMode, WebappSettings
from amphigory_daemon.config import DaemonSettings, default_daemon_id


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


HOST = Option("host", "address to listen on", "127.0.0.1")
PORT = Option("port", "port of the webapp", DEFAULT_PORT, int)
DATA_DIR = Option("data_dir", "data folder: amphigory.db, ripped/, library/", "data")
TOKEN = Option("token", "shared secret daemons present to the webapp (Authorization: Bearer)")
WEBAPP_URL = Option("webapp_url", "WebSocket URL of the webapp", f"ws://127.0.0.1:{DEFAULT_PORT}/ws")
IMAGE_DRIVE = Option(
    "image_drive", "a folder that acts as a drive: put one disc image in it to insert (repeatable; "
    "AMPHIGORY_IMAGE_DRIVE takes a os.pathsep-separated list)", (), str, repeatable=True,
)
DAEMON_ID = Option("daemon_id", "this daemon's id (default user@host)")
BACKEND = Option("backend", "drive backend: auto, image, linux or macos", "auto")
OUTPUT_DIR = Option("output_dir", "where rips are written (default <data-dir>/ripped)")
CONFIG = Option("config", "daemon config file (TOML)", None)

AUTO_SCAN = Option("auto_scan", "scan a disc as soon as it goes in, unless it is known (1 or 0)", True, flag)
TRANSCODE = Option("transcode", "file rips into the library as they are (none) or transcoded by handbrake "
                   "(HandBrakeCLI; ffmpeg where it is absent) or ffmpeg", "none", transcode_mode)

SERVE_OPTIONS = (HOST, PORT, DATA_DIR, TOKEN, AUTO_SCAN, TRANSCODE)
DAEMON_OPTIONS = (WEBAPP_URL, TOKEN, IMAGE_DRIVE, DAEMON_ID, BACKEND, DATA_DIR, OUTPUT_DIR, CONFIG)


def add_options(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    for opt in options:
        help_text = f"{opt.help} [env {opt.env}]"
        if opt.default not in (None, ()):
            help_text += f" (default: {opt.default})"
        if opt.repeatable:
            parser.add_argument(opt.flag, dest=opt.name, action="append", default=None, help=help_text)
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
            value = [p for p in raw.split(os.pathsep) if p] if opt.repeatable else opt.kind(raw)
        if value is None and opt.name in file:
            value = file[opt.name]
        out[opt.name] = opt.default if value is None else value
    return out


def webapp_settings(args: argparse.Namespace, env: Mapping[str, str] = os.environ) -> WebappSettings:
    v = resolve(args, SERVE_OPTIONS, env, {})
    return WebappSettings(host=v["host"], port=int(v["port"]), data_dir=Path(v["data_dir"]), token=v["token"],
                          auto_scan=bool(v["auto_scan"]), transcode=transcode_mode(str(v["transcode"])))


def default_config_path(env: Mapping[str, str] = os.environ) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "amphigory" / "daemon.toml"


def daemon_settings(args: argparse.Namespace, env: Mapping[str, str] = os.environ) -> DaemonSettings:
    config_path = Path(getattr(args, "config", None) or env.get(CONFIG.env) or default_config_path(env))
    file: dict[str, Any] = {}
    if config_path.is_file():
        with config_path.open("rb") as fh:
            file = {k.replace("-", "_"): val for k, val in tomllib.load(fh).items()}
    v = resolve(args, DAEMON_OPTIONS, env, file)
    return DaemonSettings(
        webapp_url=v["webapp_url"],
        token=v["token"],
        daemon_id=v["daemon_id"] or default_daemon_id(),
        image_drives=tuple(Path(p) for p in v["image_drive"]),
        backend=v["backend"],
        data_dir=Path(v["data_dir"]),
        output_dir=Path(v["output_dir"]) if v["output_dir"] else None,
    )

"""The config file every command reads: `~/.config/amphigory/amphigory.toml` (or `$XDG_CONFIG_HOME/amphigory/`).

Top-level keys apply to every command that has that option; a table named after a command (`[serve]`,
`[daemon]`, ...) applies to that command only and wins over the top level. Keys are the options' names
(`data_dir` or `data-dir`). The daemon also reads the older `daemon.toml` beside it (flat keys; amphigory.toml wins).
`--config FILE` / `AMPHIGORY_CONFIG` reads that one file instead, which must exist. Options and `AMPHIGORY_*`
variables override the file (amphigory_cli.settings).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

CONFIG_NAME = "amphigory.toml"
LEGACY_DAEMON_NAME = "daemon.toml"


class ConfigError(ValueError):
    """A config file that cannot be read or names something that is not an option."""


def config_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "amphigory"


def config_files(command: str, explicit: str | None, env: Mapping[str, str]) -> list[Path]:
    """The files `command` reads, the weakest first."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return [path]
    folder = config_dir(env)
    names = (LEGACY_DAEMON_NAME, CONFIG_NAME) if command == "daemon" else (CONFIG_NAME,)
    return [folder / name for name in names if (folder / name).is_file()]


def read_table(path: Path) -> dict[str, Any]:
    import tomllib  # here, not at the top: main imports ConfigError on every start

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc


def command_values(
    table: Mapping[str, Any], command: str, options: Mapping[str, Collection[str]], source: Path
) -> dict[str, Any]:
    """The values `table` gives `command`: its top level, then its `[command]` table. `options` maps every command
    to its option names; a key that is no option of any command, or of the command its table names, is an error."""
    every = {name for names in options.values() for name in names}
    out: dict[str, Any] = {}
    section: Mapping[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if isinstance(value, dict):
            if key not in options:
                raise ConfigError(f"{source}: [{raw_key}] is not a command ({', '.join(sorted(options))})")
            if key == command:
                section = value
        elif key not in every:
            raise ConfigError(f"{source}: {raw_key!r} is not a setting")
        elif key in options[command]:
            out[key] = value
    for raw_key, value in section.items():
        key = raw_key.replace("-", "_")
        if key not in options[command]:
            raise ConfigError(f"{source}: [{command}] {raw_key!r} is not a setting of {command}")
        out[key] = value
    return out


def load(command: str, explicit: str | None, env: Mapping[str, str],
         options: Mapping[str, Collection[str]]) -> dict[str, Any]:
    """Everything the config files give `command`, later files winning."""
    values: dict[str, Any] = {}
    for path in config_files(command, explicit, env):
        values.update(command_values(read_table(path), command, options, path))
    return values

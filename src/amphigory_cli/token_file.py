"""The daemon token kept in the data folder, so a webapp and a daemon on one machine need no configuration.

`amphigory serve` without `--token` uses `<data-dir>/daemon-token`, creating it (random, readable only by its
owner) the first time; `amphigory daemon` without `--token` reads the same file from its `--data-dir`. A daemon
on another machine is given the token explicitly (`--token`, `AMPHIGORY_TOKEN` or daemon.toml).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_NAME = "daemon-token"


def new_token() -> str:
    """A random token (192 bits) in hex: a person pastes it after `--token`, and a URL-safe token starting with
    "-" (one in 64) would be taken by the command line for an option."""
    return secrets.token_hex(24)


def token_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def read_token(data_dir: Path) -> str | None:
    """The stored token, or None when there is none (or it cannot be read)."""
    try:
        text = token_path(data_dir).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def ensure_token(data_dir: Path) -> str:
    """The stored token, made now if there is none yet."""
    existing = read_token(data_dir)
    if existing is not None:
        return existing
    data_dir.mkdir(parents=True, exist_ok=True)
    token = new_token()
    fd = os.open(token_path(data_dir), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    return token

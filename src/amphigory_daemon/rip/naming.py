"""Output names: titles made safe as file names, and paths that never leave the output root.

A rip writes ``<root>/<disc folder>/<name><ext>``, first as ``.<name>.<random>.partial<ext>`` in the same folder,
so a partial file is hidden, never looks finished, and is renamed on the same file system when complete.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from amphigory_daemon.rip.errors import RipError
from amphigory_protocol.naming import MAX_NAME_BYTES, safe_name

__all__ = [
    "MAX_NAME_BYTES",
    "disc_folder",
    "ensure_inside",
    "final_name",
    "numbered",
    "output_ext",
    "output_folder",
    "output_path",
    "partial_prefix",
    "safe_name",
    "writer_tag",
]


def disc_folder(root: Path, disc_title: str) -> Path:
    """The disc's folder under ``root``, by name only (pure: no file system access, symlinks not resolved)."""
    return root / safe_name(disc_title, "disc")


def output_ext(disc_type: str) -> str:
    """The extension of a rip of a ``disc_type`` disc: ``.flac`` for a CD track, else ``.mkv``."""
    return ".flac" if disc_type == "cd" else ".mkv"


def output_path(root: Path, disc_title: str, output_name: str, disc_type: str) -> Path:
    """The path a rip aims at, ``<root>/<disc folder>/<name><ext>``, by name only (pure: no file system access;
    the ripper checks it stays inside ``root`` and may add " (2)" when the name is taken)."""
    return disc_folder(root, disc_title) / final_name(output_name, output_ext(disc_type))


def output_folder(root: Path, disc_title: str) -> Path:
    """The disc's folder under ``root``; `RipError` ``invalid_job`` if it would resolve outside ``root``."""
    folder = disc_folder(root, disc_title)
    ensure_inside(root, folder)
    return folder


def ensure_inside(root: Path, path: Path) -> None:
    """Raise `RipError` ``invalid_job`` unless ``path`` (symlinks resolved) lies strictly inside ``root``."""
    real_root = root.resolve()
    real = path.resolve()
    if real == real_root or not real.is_relative_to(real_root):
        raise RipError("invalid_job", f"output path {path} is outside the output root {root}")


def final_name(output_name: str, ext: str) -> str:
    """The finished file's name: the safe name plus ``ext`` (a trailing ``ext`` in ``output_name`` is dropped)."""
    stem = output_name[: -len(ext)] if output_name.lower().endswith(ext) else output_name
    return safe_name(stem, "title") + ext


def numbered(name: str, ext: str, n: int) -> str:
    """``name`` with `` (n)`` before its extension (n >= 2), for the ``rename`` policy."""
    return f"{name[: -len(ext)]} ({n}){ext}"


def partial_prefix(name: str) -> str:
    """The hidden prefix of a partial file for ``name`` (a random part and ``.partial<ext>`` follow). It names the
    host and process that write it, so a daemon that starts again can tell its own dead leftovers from another
    daemon's rip in progress on shared storage (`amphigory_daemon.rip.output.sweep_stale_partials`)."""
    return f".{name.rsplit('.', 1)[0]}.{writer_tag()}."


def writer_tag(host: str | None = None, pid: int | None = None) -> str:
    """``@<host>-<pid>@``: who writes a partial file."""
    return f"@{host or socket.gethostname()}-{pid if pid is not None else os.getpid()}@"

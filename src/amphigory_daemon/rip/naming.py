"""Output names: titles made safe as file names, and paths that never leave the output root.

A rip writes ``<root>/<disc folder>/<name><ext>``, first as ``.<name>.<random>.partial<ext>`` in the same folder,
so a partial file is hidden, never looks finished, and is renamed on the same file system when complete.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from amphigory_daemon.rip.errors import RipError

# Bytes, not characters: file systems limit names to 255 bytes, and the partial name adds a prefix and suffix.
MAX_NAME_BYTES = 180
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')
_SPACES = re.compile(r"\s+")
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)


def _truncate(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def safe_name(text: str, fallback: str = "untitled") -> str:
    """``text`` as one path component: no separators, control or reserved characters, no leading dots, no
    Windows device names, at most `MAX_NAME_BYTES` of UTF-8; ``fallback`` when nothing is left."""
    name = unicodedata.normalize("NFC", text)
    name = _UNSAFE.sub("_", name)
    name = _SPACES.sub(" ", name).strip(" .")
    name = _truncate(name, MAX_NAME_BYTES).strip(" .")
    if name.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        name = f"_{name}"
    if not name or set(name) <= {"_", "."}:
        return fallback
    return name


def output_folder(root: Path, disc_title: str) -> Path:
    """The disc's folder under ``root``; `RipError` ``invalid_job`` if it would resolve outside ``root``."""
    folder = root / safe_name(disc_title, "disc")
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
    """The hidden prefix of a partial file for ``name`` (a random part and ``.partial<ext>`` follow)."""
    return f".{name.rsplit('.', 1)[0]}."

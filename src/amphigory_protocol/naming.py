"""File names made safe: one function both the daemon (rip output) and the webapp (library paths) use.

Pure: text in, one harmless path component out. It lives in the shared package because neither side may import
the other.
"""

from __future__ import annotations

import re
import unicodedata

# Bytes, not characters: file systems limit names to 255 bytes, and partial names add a prefix and suffix.
MAX_NAME_BYTES = 180
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')
_SPACES = re.compile(r"\s+")
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)


def truncate_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def safe_name(text: str, fallback: str = "untitled", max_bytes: int = MAX_NAME_BYTES) -> str:
    """``text`` as one path component: no separators, control or reserved characters, no leading dots, no
    Windows device names, at most ``max_bytes`` of UTF-8; ``fallback`` when nothing is left."""
    name = unicodedata.normalize("NFC", text)
    name = _UNSAFE.sub("_", name)
    name = _SPACES.sub(" ", name).strip(" .")
    name = truncate_bytes(name, max_bytes).strip(" .")
    if name.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        name = f"_{name}"
    if not name or set(name) <= {"_", "."}:
        return fallback
    return name

"""Pure readers of what the tools say about themselves: ffmpeg's version, demuxers and protocols, the first line
of a `--version`, and MakeMKV's messages about its key (an evaluation period, an expired beta key)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_MAKEMKV_MSG = re.compile(r'^MSG:(\d+),\d+,\d+,"((?:[^"\\]|\\.)*)"')
_MAKEMKV_STARTED = re.compile(r"MakeMKV v(\S+)")
# MSG codes MakeMKV uses for its registration: 5050 "Evaluation version, N day(s) out of M remaining", 5021/5095
# "This application version is too old" / "evaluation period has expired" (a beta key past its date).
_KEY_WORDS = ("evaluation", "expired", "too old", "registration", "beta key")


def first_line(text: str) -> str | None:
    """The first non-empty line (a tool's `--version`), without HandBrake's log prefixes."""
    return next((line.strip() for line in text.splitlines() if line.strip() and not line.startswith("[")), None)


def ffmpeg_version(text: str) -> str | None:
    """`7.1.1` out of `ffmpeg version 7.1.1-1 Copyright ...` (or `n9.0.2-17-g2a5...`)."""
    match = re.match(r"ffmpeg version n?(\d+(?:\.\d+)*)", text.strip())
    return match.group(1) if match else None


def ffmpeg_has_demuxer(demuxers: str, name: str) -> bool:
    """Whether `ffmpeg -demuxers` lists `name` (rows: ` D   dvdvideo   DVD-Video`)."""
    for line in demuxers.splitlines():
        fields = line.split()
        if len(fields) >= 2 and "D" in fields[0] and name in fields[1].split(","):
            return True
    return False


def ffmpeg_has_input_protocol(protocols: str, name: str) -> bool:
    """Whether `ffmpeg -protocols` lists `name` under `Input:`."""
    section = ""
    for line in protocols.splitlines():
        stripped = line.strip()
        if stripped.endswith(":"):
            section = stripped
        elif section == "Input:" and stripped == name:
            return True
    return False


def makemkv_version(lines: Iterable[str]) -> str | None:
    for line in lines:
        match = _MAKEMKV_STARTED.search(line)
        if match:
            return match.group(1)
    return None


def makemkv_key_notes(lines: Iterable[str]) -> list[tuple[int, str]]:
    """MakeMKV's messages about its key or evaluation period, as (code, text)."""
    notes = []
    for line in lines:
        match = _MAKEMKV_MSG.match(line.strip())
        if match and any(word in match.group(2).lower() for word in _KEY_WORDS):
            notes.append((int(match.group(1)), match.group(2).replace('\\"', '"')))
    return notes


def makemkv_key_expired(notes: Iterable[tuple[int, str]]) -> bool:
    return any("expired" in text.lower() or "too old" in text.lower() for _, text in notes)

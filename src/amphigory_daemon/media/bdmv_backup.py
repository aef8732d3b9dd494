"""Blu-ray navigation files read as players read them: a missing, unreadable or damaged file under `BDMV/` (index,
MovieObject, a playlist, a clip's info) is read from its copy under `BDMV/BACKUP/`, as a DVD's IFO is read from its
BUP. Only when the copy does not help either does the primary's error stand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from amphigory_daemon.formats.errors import FormatError
from amphigory_daemon.media.base import DiscMedia, DiscType, MediaError, bluray_type

T = TypeVar("T")

_UNREADABLE = (FormatError, MediaError, OSError)


def backup_of(relpath: str) -> str | None:
    """`BDMV/PLAYLIST/00800.mpls` → `BDMV/BACKUP/PLAYLIST/00800.mpls`; None for what has no backup copy."""
    top, _, rest = relpath.partition("/")
    if top.upper() != "BDMV" or not rest or rest.upper().startswith(("BACKUP/", "STREAM/")):
        return None
    return f"{top}/BACKUP/{rest}"


def parse_with_backup(media: DiscMedia, relpath: str, parse: Callable[[bytes], T]) -> T:
    """`parse` of the file at `relpath`, or of its `BDMV/BACKUP` copy when the file is missing, unreadable or
    damaged; raises the file's own error when the copy is no better."""
    try:
        return parse(media.read(relpath))
    except _UNREADABLE as first:
        backup = backup_of(relpath)
        try:
            if backup is None or not media.exists(backup):
                raise first from None
            parsed = parse(media.read(backup))
        except _UNREADABLE:
            raise first from None
        import logging  # here: only a damaged disc logs, and importing logging was ~4 ms of every scan's start-up

        logging.getLogger(__name__).warning("%s: %s is damaged or missing (%s): read its copy in BDMV/BACKUP",
                                            media.source, relpath, first)
        return parsed


def names_with_backup(media: DiscMedia, folder: str, suffix: str) -> list[str]:
    """The file names ending in `suffix` in `BDMV/<folder>` and in its backup copy (a file lost from the first
    can still be read from the second), in order."""
    names: dict[str, str] = {}
    for where in (f"BDMV/BACKUP/{folder}", f"BDMV/{folder}"):
        try:
            listed = media.listdir(where) if media.exists(where) else []
        except _UNREADABLE:
            listed = []
        names.update({n.upper(): n for n in listed if n.lower().endswith(suffix)})
    return sorted(names.values(), key=str.upper)


def bluray_type_with_backup(head: Callable[[str], bytes | None]) -> DiscType:
    """`uhd` or `bluray` from the first intact header among index.bdmv, MovieObject.bdmv and their backups;
    `head(relpath)` is a file's first bytes, None when it is missing. When none is intact and one could not be
    read at all, that read's error stands (the disc is unreadable, not merely damaged)."""
    failure: Exception | None = None
    for relpath in ("BDMV/index.bdmv", "BDMV/BACKUP/index.bdmv", "BDMV/MovieObject.bdmv",
                    "BDMV/BACKUP/MovieObject.bdmv"):
        try:
            data = head(relpath)
        except _UNREADABLE as exc:
            failure = failure or exc
            continue
        if data is not None and len(data) >= 8 and data[:4] in (b"INDX", b"MOBJ"):
            return bluray_type(data)
    if failure is not None:
        raise failure
    return "bluray"

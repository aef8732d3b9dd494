"""Keeping the library in step with the person's names, and `ripped/` from filling the disk twice.

- `refile_renamed`: after a disc or a title is renamed, every filed track of the disc is moved (a rename inside the
  library: no copy, no transcode, no need for the ripped file) to the path its new name gives, so the disc stays in
  ONE folder; folders left empty are removed, up to (never including, never beyond) the library root. A move never
  overwrites: a taken name gets ` (2)`.
- `release_ripped`: once a filing is complete and its library file verified (a hard link to the rip, a copy of the
  same size and checksum, or a transcode that finished), the ripped file is removed unless the person keeps rips
  (`--keep-ripped 1`).
- `filing_source`: what to file from: the ripped file, or, once it is gone, the track's library copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from amphigory.api.disc_repository import DiscRepository, StoredDisc, StoredTrack
from amphigory.library.naming import is_safe_relative, numbered
from amphigory.tasks import TaskProblem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Move:
    """One library file moved to its new name (or why it stayed)."""

    number: int
    old: str
    new: str | None
    note: str | None = None


def inside(path: Path, root: Path) -> bool:
    """True when `path` (symlinks resolved) lies strictly inside `root`."""
    real_root = root.resolve()
    real = path.resolve()
    return real != real_root and real.is_relative_to(real_root)


def prune_empty(folder: Path, root: Path) -> None:
    """Remove `folder` and its parents while they are empty, stopping at `root` (never removed, never left)."""
    real_root = root.resolve()
    current = folder.resolve()
    while current != real_root and current.is_relative_to(real_root):
        try:
            current.rmdir()  # only an empty folder
        except OSError:
            return
        current = current.parent


def at_name(current: Path, target: Path) -> bool:
    """True when `current` is `target` or one of its numbered variants (`Name (2).mkv`: the name was taken)."""
    if current.parent != target.parent or current.suffix != target.suffix:
        return False
    if current == target:
        return True
    prefix, stem = f"{target.stem} (", current.stem
    return stem.startswith(prefix) and stem.endswith(")") and stem[len(prefix):-1].isdigit()


def move_no_replace(old: Path, target: Path) -> Path:
    """Move `old` to `target`, or `target (2)`, `(3)`... (never replacing a file); returns where it went."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        candidate = Path(numbered(PurePosixPath(target), n))
        try:
            os.link(old, candidate)
        except FileExistsError:
            continue
        except OSError:  # no hard links here: check, then rename (a small race, on odd file systems)
            if os.path.lexists(candidate):
                continue
            os.rename(old, candidate)
            return candidate
        old.unlink()
        return candidate
    raise FileExistsError(f"{target} and 998 numbered variants already exist")


async def refile_renamed(discs: DiscRepository, library_dir: Path, fingerprint: str) -> list[Move]:
    """Move every filed track of the disc to the path its current names give (see the module docstring)."""
    from amphigory.library.filing import relative_path  # filing imports this module
    from amphigory.library.tags import album_artist

    disc = await discs.get(fingerprint)
    if disc is None:
        return []
    scan = await discs.scan_result(fingerprint)
    artist = album_artist(disc, scan.artist if scan else None)
    names = {t.number: t.name for t in scan.titles if t.name} if scan else {}
    moves: list[Move] = []
    for track in disc.tracks:
        if not track.library_path:
            continue
        current = Path(track.library_path)
        relative = relative_path(disc, track, current.suffix, artist, names)
        target = library_dir / relative
        if at_name(current, target) or not is_safe_relative(relative) or not inside(target, library_dir):
            continue  # (a folder on the way that is a link out of the library is never followed)
        moves.append(await _move_track(discs, disc, track, current, target, library_dir))
    return moves


async def _move_track(discs: DiscRepository, disc: StoredDisc, track: StoredTrack, current: Path, target: Path,
                      library_dir: Path) -> Move:
    if not current.is_file() or not inside(current, library_dir):
        note = f"{current} is not a file in the library any more: not moved"
        return Move(track.number, str(current), None, note)
    try:
        moved = await asyncio.to_thread(move_no_replace, current, target)
    except OSError as exc:
        note = f"could not move {current} to {target}: {exc.strerror or exc}"
        log.warning("re-filing track %d of %s: %s", track.number, disc.fingerprint, note)
        await discs.record_library_note(disc.fingerprint, track.number, note)
        return Move(track.number, str(current), None, note)
    await asyncio.to_thread(prune_empty, current.parent, library_dir)
    await discs.record_library(disc.fingerprint, track.number, library_path=str(moved),
                               transcoded_path=str(moved) if track.transcoded_path else None,
                               note=track.library_note)
    log.info("re-filed track %d of %s: %s -> %s", track.number, disc.fingerprint, current, moved)
    return Move(track.number, str(current), str(moved))


def filing_source(track: StoredTrack, library_dir: Path) -> Path:
    """The file to file a track from: its ripped file, or (once that was removed after filing) its library copy."""
    from amphigory.library.filing import reachable_source

    try:
        return reachable_source(track)
    except TaskProblem as problem:
        copy = Path(track.library_path) if track.library_path else None
        ripped_gone = track.ripped_path is not None and not Path(track.ripped_path).exists()
        if problem.code == "not_reachable" and ripped_gone and copy is not None and copy.is_file() \
                and inside(copy, library_dir):
            return copy
        raise


def _same_content(source: Path, copy: Path, sha256: str | None) -> bool:
    """True when `copy` is the rip `source`: the same file (a hard link), or the same size and checksum."""
    if os.path.samefile(source, copy):
        return True
    if source.stat().st_size != copy.stat().st_size:
        return False
    if sha256 is None:
        return False
    digest = hashlib.sha256()
    with copy.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def _remove_rip(source: Path, library_copy: Path, transcoded: bool, sha256: str | None) -> str | None:
    """Remove the rip when its library copy is verified; the reason it stays otherwise (None: removed)."""
    if not library_copy.is_file() or library_copy.stat().st_size == 0:
        return "its library file is missing or empty"
    if not transcoded and not _same_content(source, library_copy, sha256):
        return "its library copy could not be verified against it"
    source.unlink()
    with contextlib.suppress(OSError):
        source.parent.rmdir()  # the disc's folder in ripped/, once its last rip is gone
    return None


async def release_ripped(discs: DiscRepository, fingerprint: str, number: int, source: Path, library_copy: Path,
                         transcoded: bool, library_dir: Path) -> str | None:
    """After a filing: remove the ripped file `source` once `library_copy` is verified (see the module docstring).
    Returns why the rip was kept, or None when it was removed (or was not a rip, but the library copy itself)."""
    if not source.is_file() or inside(source, library_dir):
        return None
    disc = await discs.get(fingerprint)
    track = disc.track(number) if disc is not None else None
    if track is None or track.ripped_path is None or Path(track.ripped_path) != source:
        return "the track's rip changed while it was filed"
    try:
        reason = await asyncio.to_thread(_remove_rip, source, library_copy, transcoded, track.rip_sha256)
    except OSError as exc:
        reason = f"could not remove it: {exc.strerror or exc}"
    if reason is not None:
        log.warning("keeping %s: %s", source, reason)
    else:
        log.info("removed %s: it is safely in the library as %s", source, library_copy)
    return reason


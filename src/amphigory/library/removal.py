"""Deleting a disc's rips: its ripped files, its library files (and the folders they leave empty), then the disc.

Only files the webapp recorded for the disc's tracks are removed: library files only inside the library root
(folders pruned up to it, never beyond), ripped files only when they are media files (and their disc folder only
when it is left empty). A file that is already gone is simply not there; one that cannot be removed is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from amphigory.api.disc_repository import DiscRepository, StoredDisc
from amphigory.library.naming import MEDIA_EXTENSIONS
from amphigory.library.refile import inside, prune_empty


@dataclass
class Removal:
    """What deleting a disc's rips did."""

    removed: list[str] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)


def _remove_files(disc: StoredDisc, library_dir: Path) -> Removal:
    out = Removal()
    for track in disc.tracks:
        library = {p for p in (track.library_path, track.transcoded_path) if p}
        for name in sorted(library):
            path = Path(name)
            if not path.exists():
                continue
            if not inside(path, library_dir):
                out.kept.append({"path": name, "reason": "outside the library folder"})
                continue
            _unlink(path, out)
            prune_empty(path.parent, library_dir)
        if track.ripped_path and track.ripped_path not in library:
            path = Path(track.ripped_path)
            if not path.exists():
                continue
            if not path.is_file() or path.suffix.lower() not in MEDIA_EXTENSIONS or inside(path, library_dir):
                out.kept.append({"path": str(path), "reason": "not a ripped media file"})
                continue
            _unlink(path, out)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # the disc's folder in ripped/, when this was its last file
    return out


def _unlink(path: Path, out: Removal) -> None:
    try:
        path.unlink()
        out.removed.append(str(path))
    except OSError as exc:
        out.kept.append({"path": str(path), "reason": exc.strerror or str(exc)})


async def delete_disc_rips(discs: DiscRepository, library_dir: Path, fingerprint: str) -> Removal | None:
    """Remove the disc's files and forget the disc; None when it is not stored."""
    disc = await discs.get(fingerprint)
    if disc is None:
        return None
    removal = await asyncio.to_thread(_remove_files, disc, library_dir)
    await discs.delete(fingerprint)
    return removal

"""Tags of a CD's FLACs as they are filed: album artist, artist, album, title, track number, date, MusicBrainz
release id and the front cover, from the disc's naming and the identification it came from (mutagen).

`flac_tags` is pure (disc and track in, Vorbis comments out); `tag_flac` writes them into one file;
`tag_for_library` is the filing hook: it tags a staged FLAC of a CD, first giving it a file of its own when it is a
hard link to the rip (tags must never change the ripped file, whose size and hash are its record). A cover that
cannot be had, or a file mutagen cannot read, leaves the file as it was: tagging never fails a filing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

from mutagen.flac import FLAC, Picture

from amphigory.api.disc_models import StoredDisc, StoredTrack
from amphigory.identify.applying import applied

log = logging.getLogger(__name__)

CoverSource = Callable[[StoredDisc], Awaitable[bytes | None]]
_FRONT_COVER = 3  # the ID3/FLAC picture type of a front cover


def album_artist(disc: StoredDisc, scan_artist: str | None = None) -> str | None:
    """The album's artist: the person's (the review page's album form), else the applied identification's, else
    what the disc says (CD-TEXT)."""
    if disc.artist:
        return disc.artist
    answer = applied(disc)
    return (answer.artist if answer is not None and answer.artist else None) or scan_artist


def flac_tags(disc: StoredDisc, track: StoredTrack, scan_artist: str | None = None) -> dict[str, str]:
    """The Vorbis comments of a CD track (only those that are known)."""
    answer = applied(disc)
    info = answer.title_info(track.number) if answer is not None else None
    albumartist = album_artist(disc, scan_artist)
    tags = {
        "ALBUMARTIST": albumartist,
        "ARTIST": (info.artist if info is not None and info.artist else None) or albumartist,
        "ALBUM": disc.title if disc.named_by else None,
        "TITLE": track.name,
        "TRACKNUMBER": str(track.number),
        "DATE": str(disc.year) if disc.year else None,
        "MUSICBRAINZ_ALBUMID": answer.musicbrainz_release_id if answer is not None else None,
    }
    return {key: value for key, value in tags.items() if value}


def _picture(cover: bytes) -> Picture:
    picture = Picture()
    picture.type = _FRONT_COVER
    picture.mime = "image/png" if cover.startswith(b"\x89PNG") else "image/jpeg"
    picture.desc = "Front cover"
    picture.data = cover
    return picture


def tag_flac(path: Path, disc: StoredDisc, track: StoredTrack, cover_bytes: bytes | None,
             scan_artist: str | None = None) -> None:
    """Write the track's tags (replacing those names) and the front cover into the FLAC at `path`."""
    audio = FLAC(path)
    for key, value in flac_tags(disc, track, scan_artist).items():
        audio[key] = value
    if cover_bytes:
        audio.clear_pictures()
        audio.add_picture(_picture(cover_bytes))
    audio.save()


def _own_copy(path: Path) -> None:
    """Replace a hard link by a copy of its own, so writing into it leaves the other name's file untouched."""
    if path.stat().st_nlink <= 1:
        return
    copy = path.with_name(path.name + ".tagging")
    shutil.copyfile(path, copy)
    os.replace(copy, path)


async def tag_for_library(path: Path, disc: StoredDisc, track: StoredTrack, covers: CoverSource | None,
                          scan_artist: str | None = None) -> None:
    """The filing hook: tag `path` (a staged file) when it is a FLAC of a CD; never raises for a bad file."""
    if disc.disc_type != "cd" or path.suffix.lower() != ".flac":
        return
    cover = None
    if covers is not None and applied(disc) is not None:
        try:
            cover = await covers(disc)
        except Exception:  # a cover is a nicety
            log.info("no cover for %s", disc.fingerprint, exc_info=True)
    try:
        await asyncio.to_thread(_own_copy, path)
        await asyncio.to_thread(tag_flac, path, disc, track, cover, scan_artist)
    except Exception as exc:  # mutagen's errors for a file it cannot read; the file is filed untagged
        log.warning("could not tag %s: %s", path, exc)

"""The file name each title will get, shown before ripping: a stored disc with every present track's
`planned_library_path` (library-relative) filled in from its current names, by the same rules filing uses."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from amphigory.api.disc_repository import DiscRepository, DiscUpdate, StoredDisc
from amphigory.library.filing import disc_episodes, relative_path
from amphigory.library.naming import MEDIA_EXTENSIONS
from amphigory.library.tags import album_artist
from amphigory_protocol.disc import ScanResult


def planned(disc: StoredDisc, scan: ScanResult | None, numbers: Collection[int] | None = None) -> StoredDisc:
    """`disc` with each present track's `planned_library_path` (pure: no file system); with `numbers`, only those
    tracks get one (a review page shows a decoy-laden Blu-ray's few titles: naming its hundreds of folded duplicates
    was most of the page's time on the server)."""
    artist = album_artist(disc, scan.artist if scan else None)
    names = {t.number: t.name for t in scan.titles if t.name} if scan else {}
    default_ext = ".flac" if disc.disc_type == "cd" else ".mkv"
    episodes = disc_episodes(disc, names)  # once: a decoy-laden Blu-ray has hundreds of tracks
    tracks = []
    for track in disc.tracks:
        if not track.present or (numbers is not None and track.number not in numbers):
            tracks.append(track)
            continue
        ripped_ext = Path(track.ripped_path).suffix.lower() if track.ripped_path else ""
        ext = ripped_ext if ripped_ext in MEDIA_EXTENSIONS else default_ext
        path = relative_path(disc, track, ext, artist, names, episodes).as_posix()
        tracks.append(track.model_copy(update={"planned_library_path": path}))
    return disc.model_copy(update={"tracks": tracks})


async def with_planned_paths(discs: DiscRepository, disc: StoredDisc) -> StoredDisc:
    """`planned` with the disc's stored scan (for a CD's artist and CD-TEXT names)."""
    return planned(disc, await discs.scan_result(disc.fingerprint))


def with_changes(disc: StoredDisc, changes: DiscUpdate) -> StoredDisc:
    """`disc` as it would be with the person's unsaved `changes` (pure; tracks it lacks are left out), so the page
    can show the file names before anything is saved."""
    values: dict[str, object] = {}
    if changes.title is not None:
        values["title"] = changes.title
    if "year" in changes.model_fields_set:
        values["year"] = changes.year
    if "artist" in changes.model_fields_set:
        values["artist"] = (changes.artist or "").strip() or None
    by_number = {t.number: t for t in changes.tracks}
    tracks = []
    for track in disc.tracks:
        change = by_number.get(track.number)
        update: dict[str, object] = {}
        if change is not None and "name" in change.model_fields_set:
            update["name"] = change.name
        if change is not None and "type" in change.model_fields_set:
            update["track_type"] = change.type
        tracks.append(track.model_copy(update=update) if update else track)
    return disc.model_copy(update={**values, "tracks": tracks})

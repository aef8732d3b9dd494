"""Discs and their tracks, stored by fingerprint (spec Task 12): the webapp's memory of every disc it has seen.

A scan result is saved under its fingerprint; saving a re-scan refreshes what the scan says about each track but
keeps what the person chose (selection, names, types) and what became of it (rips, files). Tracks a re-scan no
longer lists are kept, marked `present = false`, so their history is not lost. `DiscRepository` puts each
operation in one unit of work on the `Database` and caches reads; the SQL is in `disc_sql`, the models in
`disc_models` (re-exported here, where the spec and the rest of the webapp look for them).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from amphigory.api.disc_models import DiscSummary, DiscUpdate, StoredDisc, StoredTrack, TrackUpdate, UnknownTrack
from amphigory.api.disc_sql import (
    default_title,
    delete_disc,
    mark_rip_failed,
    select_disc_id,
    select_discs,
    select_scan_data,
    select_summaries,
    select_track_numbers,
    update_disc,
    update_track_choice,
    update_track_columns,
    upsert_disc,
    upsert_tracks,
)
from amphigory.database import Database, now
from amphigory_protocol.checksum import Checksum
from amphigory_protocol.disc import ScanResult

__all__ = [
    "DiscRepository", "DiscSummary", "DiscUpdate", "StoredDisc", "StoredTrack", "TrackUpdate", "UnknownTrack",
    "default_title",
]


class DiscRepository:
    """Stored discs by fingerprint, on the webapp's `Database`.

    Reads are cached (the last `CACHE_SIZE` fingerprints looked up, unknown ones included), since every
    `GET /api/drives` looks up the disc in each drive; the repository is the only writer of discs and tracks, and
    each of its writes drops what it changed from the cache. Returned discs are shared: treat them as read-only.
    """

    CACHE_SIZE = 2048

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: OrderedDict[str, StoredDisc | None] = OrderedDict()

    async def get(self, fingerprint: str) -> StoredDisc | None:
        """The stored disc with this fingerprint, with its tracks; None when unknown."""
        return (await self.get_many([fingerprint])).get(fingerprint)

    async def get_many(self, fingerprints: Iterable[str]) -> dict[str, StoredDisc]:
        """The stored discs among `fingerprints`, by fingerprint (at most two queries however many)."""
        found: dict[str, StoredDisc] = {}
        missing: list[str] = []
        for fingerprint in set(fingerprints):
            if fingerprint in self._cache:
                self._cache.move_to_end(fingerprint)
                cached = self._cache[fingerprint]
                if cached is not None:
                    found[fingerprint] = cached
            else:
                missing.append(fingerprint)
        if missing:
            async with self.db.connection() as conn:  # filled while held: no write can slip in between
                loaded = await select_discs(conn, sorted(missing))
                for fingerprint in missing:
                    self._remember(fingerprint, loaded.get(fingerprint))
            found.update(loaded)
        return found

    def _remember(self, fingerprint: str, disc: StoredDisc | None) -> None:
        self._cache[fingerprint] = disc
        self._cache.move_to_end(fingerprint)
        while len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)

    def _forget(self, fingerprint: str) -> None:
        self._cache.pop(fingerprint, None)

    def forget(self, fingerprint: str) -> None:
        """Drop the cached disc: for the one writer outside this class (identification, `amphigory.identify`)."""
        self._forget(fingerprint)

    async def scan_result(self, fingerprint: str) -> ScanResult | None:
        """The last scan result stored for the disc, as the daemon sent it."""
        async with self.db.connection() as conn:
            data = await select_scan_data(conn, fingerprint)
        if data is None:
            return None
        try:
            return ScanResult.model_validate_json(data)
        except ValidationError:  # stored by an older version in another shape: as good as no scan (scan again)
            return None

    async def save_scan(self, result: ScanResult, fingerprint: str | None = None) -> StoredDisc:
        """Store a scan result under `fingerprint` (default: the result's own): a new disc, or a re-scan."""
        fingerprint = fingerprint or result.fingerprint
        if result.fingerprint != fingerprint:
            result = result.model_copy(update={"fingerprint": fingerprint})
        async with self.db.connection() as conn:
            disc_id = await upsert_disc(conn, fingerprint, result)
            await upsert_tracks(conn, disc_id, result)
            self._forget(fingerprint)
            return (await select_discs(conn, [fingerprint]))[fingerprint]

    async def update(self, fingerprint: str, changes: DiscUpdate) -> StoredDisc | None:
        """Apply the person's changes; None when the disc is unknown, `UnknownTrack` for a track it lacks."""
        async with self.db.connection() as conn:
            disc_id = await select_disc_id(conn, fingerprint)
            if disc_id is None:
                return None
            numbers = await select_track_numbers(conn, disc_id)
            missing = [t.number for t in changes.tracks if t.number not in numbers]
            if missing:
                raise UnknownTrack(fingerprint, missing, sorted(numbers))
            await update_disc(conn, disc_id, changes)
            for track in changes.tracks:
                await update_track_choice(conn, disc_id, track)
            self._forget(fingerprint)
            return (await select_discs(conn, [fingerprint]))[fingerprint]

    async def delete(self, fingerprint: str) -> bool:
        """Forget the disc and its tracks (its files are the caller's: `amphigory.library.removal`)."""
        async with self.db.connection() as conn:
            deleted = await delete_disc(conn, fingerprint)
            self._forget(fingerprint)
            return deleted

    async def list_discs(self, query: str | None = None, limit: int = 100, offset: int = 0) -> list[DiscSummary]:
        """Stored discs, most recently updated first; `query` matches title, volume name or fingerprint."""
        async with self.db.connection() as conn:
            return await select_summaries(conn, query, limit, offset)

    async def record_rip_queued(self, fingerprint: str, number: int) -> None:
        await self._set_track(fingerprint, number, status="queued", rip_error=None)

    async def record_rip_started(self, fingerprint: str, number: int, path: str | None) -> None:
        # `path` is where the daemon plans to write; `ripped_path` only ever names a finished, verified file
        # (a re-rip must not make an earlier good rip look lost).
        await self._set_track(fingerprint, number, status="ripping", rip_started_at=now(), rip_error=None)

    async def record_rip_completed(
        self, fingerprint: str, number: int, path: str | None, size_bytes: int | None,
        checksum: Checksum | str | None,
    ) -> None:
        """A finished rip; ``checksum`` as `Checksum`, or a bare SHA-256 hex (how callers recorded it before)."""
        if isinstance(checksum, str):
            checksum = Checksum("sha256", checksum)
        await self._set_track(fingerprint, number, status="ripped", ripped_path=path, rip_size_bytes=size_bytes,
                              rip_sha256=None if checksum is None else checksum.sha256,
                              rip_checksum=None if checksum is None else str(checksum), ripped_at=now(),
                              rip_error=None)

    async def record_rip_failed(self, fingerprint: str, number: int, error: str | None) -> None:
        """A failed attempt (`error` None: a cancelled one, not a failure); a track that was ripped before stays
        `ripped` (its file is still there)."""
        async with self.db.connection() as conn:
            await mark_rip_failed(conn, fingerprint, number, error)
            self._forget(fingerprint)

    async def record_library(
        self, fingerprint: str, number: int, *, library_path: str | None, transcoded_path: str | None,
        note: str | None,
    ) -> None:
        """Where the track was filed (and transcoded), or with both None and a `note`, why it was not."""
        await self._set_track(fingerprint, number, library_path=library_path, transcoded_path=transcoded_path,
                              library_note=note)

    async def record_library_note(self, fingerprint: str, number: int, note: str | None) -> None:
        """Why the track is not filed (a file it had stays recorded)."""
        await self._set_track(fingerprint, number, library_note=note)

    async def _set_track(self, fingerprint: str, number: int, **values: Any) -> None:
        async with self.db.connection() as conn:
            await update_track_columns(conn, fingerprint, number, values)
            self._forget(fingerprint)

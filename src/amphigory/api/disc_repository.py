"""Discs and their tracks, stored by fingerprint (spec Task 12): the webapp's memory of every disc it has seen.

A scan result is saved under its fingerprint; saving a re-scan refreshes what the scan says about each track but
keeps what the person chose (selection, names, types) and what became of it (rips, files). Tracks a re-scan no
longer lists are kept, marked `present = false`, so their history is not lost. SQL is in the plain functions at
the bottom; `DiscRepository` puts each operation in one unit of work on the `Database`.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite
from pydantic import BaseModel, ConfigDict, Field

from amphigory.database import Database, now
from amphigory_protocol.disc import AudioStream, PublicIds, ScanResult, SubtitleStream, Title, TitleType, VideoInfo

_PUBLIC_ID_COLUMNS = tuple(PublicIds.model_fields)
# Track statuses: pending (never ripped) -> queued -> ripping -> ripped | failed.
_SELECTED_BY_DEFAULT = ("main_feature", "episode")


class UnknownTrack(LookupError):
    """A track number the stored disc does not have."""

    def __init__(self, fingerprint: str, numbers: Sequence[int], available: Sequence[int]) -> None:
        listed = ", ".join(str(n) for n in available) or "none"
        missing = ", ".join(str(n) for n in numbers)
        super().__init__(f"disc {fingerprint} has no track {missing} (its tracks: {listed})")
        self.numbers = list(numbers)


class StoredTrack(BaseModel):
    """One title/track of a stored disc: what the last scan said, what the person chose, what became of it."""

    model_config = ConfigDict(frozen=True)

    number: int
    duration_seconds: float | None = None
    size_bytes: int | None = None
    chapters: int = 0
    video: VideoInfo | None = None
    audio: list[AudioStream] = Field(default_factory=list)
    subtitles: list[SubtitleStream] = Field(default_factory=list)
    source: dict[str, Any] = Field(default_factory=dict)
    segment_map: list[str] = Field(default_factory=list)
    makemkv_title_index: int | None = None
    classification: str = "other"
    confidence: float = 0.0
    duplicate_of: int | None = None
    present: bool = True
    selected: bool = False
    name: str | None = None
    track_type: str | None = None
    status: str = "pending"
    ripped_path: str | None = None
    rip_size_bytes: int | None = None
    rip_sha256: str | None = None
    rip_error: str | None = None
    rip_started_at: str | None = None
    ripped_at: str | None = None
    transcoded_path: str | None = None
    library_path: str | None = None
    library_note: str | None = None  # why the track is not (or not quite) in the library


class DiscSummary(BaseModel):
    """A stored disc in a list: no tracks, only their counts."""

    fingerprint: str
    title: str
    year: int | None = None
    disc_type: str | None = None
    volume_name: str | None = None
    scanned_at: str | None = None
    updated_at: str | None = None
    track_count: int = 0
    selected_count: int = 0
    ripped_count: int = 0


class StoredDisc(BaseModel):
    """A stored disc with its tracks."""

    model_config = ConfigDict(frozen=True)

    fingerprint: str
    title: str
    year: int | None = None
    disc_type: str | None = None
    volume_name: str | None = None
    public_ids: PublicIds = Field(default_factory=PublicIds)
    imdb_id: str | None = None
    edition_notes: str | None = None
    notes: str | None = None
    processed_at: str | None = None
    scanned_at: str | None = None
    updated_at: str | None = None
    tracks: list[StoredTrack] = Field(default_factory=list)

    def track(self, number: int) -> StoredTrack | None:
        return next((t for t in self.tracks if t.number == number), None)


class TrackUpdate(BaseModel):
    """The person's choices for one track; fields left out stay as they are."""

    number: int
    selected: bool | None = None
    name: str | None = Field(default=None, max_length=300)
    type: TitleType | None = None


class DiscUpdate(BaseModel):
    """The person's changes to a disc; fields left out stay as they are."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    year: int | None = Field(default=None, ge=1870, le=2200)
    tracks: list[TrackUpdate] = Field(default_factory=list)


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

    async def scan_result(self, fingerprint: str) -> ScanResult | None:
        """The last scan result stored for the disc, as the daemon sent it."""
        async with self.db.connection() as conn:
            cur = await conn.execute("SELECT scan_data FROM discs WHERE fingerprint = ?", (fingerprint,))
            row = await cur.fetchone()
        if row is None or not row["scan_data"]:
            return None
        return ScanResult.model_validate_json(row["scan_data"])

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
        self, fingerprint: str, number: int, path: str | None, size_bytes: int | None, sha256: str | None
    ) -> None:
        await self._set_track(fingerprint, number, status="ripped", ripped_path=path, rip_size_bytes=size_bytes,
                              rip_sha256=sha256, ripped_at=now(), rip_error=None)

    async def record_rip_failed(self, fingerprint: str, number: int, error: str) -> None:
        """A failed attempt; a track that was ripped before stays `ripped` (its file is still there)."""
        async with self.db.connection() as conn:
            await conn.execute(
                "UPDATE tracks SET status = CASE WHEN ripped_at IS NOT NULL THEN 'ripped' ELSE 'failed' END, "
                "rip_error = ? WHERE track_number = ? AND disc_id = (SELECT id FROM discs WHERE fingerprint = ?)",
                (error, number, fingerprint),
            )
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


# -- SQL ---------------------------------------------------------------------------------------------------------

_TRACK_SCAN_COLUMNS = (
    "duration_seconds", "size_bytes", "chapters", "video", "audio", "subtitles", "source", "segment_map",
    "makemkv_title_index", "classification", "confidence", "duplicate_of",
)
_TRACK_RIP_COLUMNS = frozenset({
    "status", "ripped_path", "rip_size_bytes", "rip_sha256", "rip_error", "rip_started_at", "ripped_at",
    "transcoded_path", "library_path", "library_note",
})
_JSON_TRACK_COLUMNS = ("audio", "subtitles", "source", "segment_map")
_TRACK_FIELDS = frozenset(StoredTrack.model_fields)


async def select_disc_id(conn: aiosqlite.Connection, fingerprint: str) -> int | None:
    cur = await conn.execute("SELECT id FROM discs WHERE fingerprint = ?", (fingerprint,))
    row = await cur.fetchone()
    return int(row["id"]) if row is not None else None


async def select_track_numbers(conn: aiosqlite.Connection, disc_id: int) -> set[int]:
    cur = await conn.execute("SELECT track_number FROM tracks WHERE disc_id = ?", (disc_id,))
    return {int(r["track_number"]) for r in await cur.fetchall()}


async def select_discs(conn: aiosqlite.Connection, fingerprints: Sequence[str]) -> dict[str, StoredDisc]:
    marks = ",".join("?" * len(fingerprints))
    cur = await conn.execute(
        "SELECT id, fingerprint, title, year, disc_type, volume_name, imdb_id, edition_notes, notes, processed_at, "
        f"scanned_at, updated_at, {', '.join(_PUBLIC_ID_COLUMNS)} FROM discs WHERE fingerprint IN ({marks})",
        tuple(fingerprints),
    )
    discs: dict[int, StoredDisc] = {}
    for row in await cur.fetchall():
        discs[int(row["id"])] = StoredDisc(
            fingerprint=row["fingerprint"],
            title=row["title"],
            year=row["year"],
            disc_type=row["disc_type"],
            volume_name=row["volume_name"],
            public_ids=PublicIds(**{c: row[c] for c in _PUBLIC_ID_COLUMNS}),
            imdb_id=row["imdb_id"],
            edition_notes=row["edition_notes"],
            notes=row["notes"],
            processed_at=_text(row["processed_at"]),
            scanned_at=_text(row["scanned_at"]),
            updated_at=_text(row["updated_at"]),
        )
    if discs:
        marks = ",".join("?" * len(discs))
        cur = await conn.execute(
            f"SELECT * FROM tracks WHERE disc_id IN ({marks}) ORDER BY disc_id, track_number", tuple(discs)
        )
        names = [d[0] for d in cur.description]
        for row in await cur.fetchall():
            values = dict(zip(names, row, strict=True))
            discs[int(values["disc_id"])].tracks.append(_track(values))
    return {d.fingerprint: d for d in discs.values()}


async def upsert_disc(conn: aiosqlite.Connection, fingerprint: str, result: ScanResult) -> int:
    """Insert the disc or refresh what the scan says about it (never the person's title or year)."""
    stamp = now()
    ids = result.public_ids.model_dump()
    cols = ", ".join(_PUBLIC_ID_COLUMNS)
    sets = ", ".join(f"{c} = excluded.{c}" for c in _PUBLIC_ID_COLUMNS)
    cur = await conn.execute(
        f"INSERT INTO discs (fingerprint, title, disc_type, volume_name, scan_data, scanned_at, processed_at, "
        f"updated_at, {cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, {', '.join('?' * len(_PUBLIC_ID_COLUMNS))}) "
        "ON CONFLICT(fingerprint) DO UPDATE SET disc_type = excluded.disc_type, "
        "volume_name = excluded.volume_name, scan_data = excluded.scan_data, scanned_at = excluded.scanned_at, "
        f"updated_at = excluded.updated_at, {sets} RETURNING id",
        (
            fingerprint, default_title(result), result.disc_type, result.volume_name, result.model_dump_json(),
            stamp, stamp, stamp, *(ids[c] for c in _PUBLIC_ID_COLUMNS),
        ),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


async def upsert_tracks(conn: aiosqlite.Connection, disc_id: int, result: ScanResult) -> None:
    """Refresh every scanned track, keeping the person's choices; mark tracks the scan no longer lists absent."""
    cols = ", ".join(_TRACK_SCAN_COLUMNS)
    sets = ", ".join(f"{c} = excluded.{c}" for c in _TRACK_SCAN_COLUMNS)
    await conn.executemany(
        f"INSERT INTO tracks (disc_id, track_number, {cols}, present, selected, status) "
        f"VALUES (?, ?, {', '.join('?' * len(_TRACK_SCAN_COLUMNS))}, 1, ?, 'pending') "
        f"ON CONFLICT(disc_id, track_number) DO UPDATE SET {sets}, present = 1",
        [(disc_id, t.number, *_scan_values(t), int(_selected_by_default(result, t))) for t in result.titles],
    )
    numbers = [t.number for t in result.titles]
    await conn.execute(
        f"UPDATE tracks SET present = 0 WHERE disc_id = ? AND track_number NOT IN ({','.join('?' * len(numbers))})",
        (disc_id, *numbers),
    )


async def update_disc(conn: aiosqlite.Connection, disc_id: int, changes: DiscUpdate) -> None:
    values: dict[str, Any] = {"updated_at": now()}
    if changes.title is not None:
        values["title"] = changes.title
    if "year" in changes.model_fields_set:  # null clears the year
        values["year"] = changes.year
    await conn.execute(
        f"UPDATE discs SET {', '.join(f'{c} = ?' for c in values)} WHERE id = ?", (*values.values(), disc_id)
    )


async def update_track_choice(conn: aiosqlite.Connection, disc_id: int, track: TrackUpdate) -> None:
    values: dict[str, Any] = {}
    if track.selected is not None:
        values["selected"] = int(track.selected)
    if "name" in track.model_fields_set:  # null clears the name
        values["name"] = track.name
    if "type" in track.model_fields_set:  # null goes back to the classification
        values["track_type"] = track.type
    if values:
        await conn.execute(
            f"UPDATE tracks SET {', '.join(f'{c} = ?' for c in values)} WHERE disc_id = ? AND track_number = ?",
            (*values.values(), disc_id, track.number),
        )


async def update_track_columns(
    conn: aiosqlite.Connection, fingerprint: str, number: int, values: dict[str, Any]
) -> None:
    bad = set(values) - _TRACK_RIP_COLUMNS
    if bad:
        raise ValueError(f"not a rip column of tracks: {sorted(bad)}")
    await conn.execute(
        f"UPDATE tracks SET {', '.join(f'{c} = ?' for c in values)} "
        "WHERE track_number = ? AND disc_id = (SELECT id FROM discs WHERE fingerprint = ?)",
        (*values.values(), number, fingerprint),
    )


async def select_summaries(
    conn: aiosqlite.Connection, query: str | None, limit: int, offset: int
) -> list[DiscSummary]:
    where, params = "", []
    if query:
        like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = ("WHERE d.title LIKE ? ESCAPE '\\' OR d.volume_name LIKE ? ESCAPE '\\' "
                 "OR d.fingerprint = ?")
        params = [like, like, query]
    cur = await conn.execute(
        "SELECT d.fingerprint, d.title, d.year, d.disc_type, d.volume_name, d.scanned_at, d.updated_at, "
        "(SELECT count(*) FROM tracks t WHERE t.disc_id = d.id AND t.present) AS track_count, "
        "(SELECT count(*) FROM tracks t WHERE t.disc_id = d.id AND t.present AND t.selected) AS selected_count, "
        "(SELECT count(*) FROM tracks t WHERE t.disc_id = d.id AND t.status = 'ripped') AS ripped_count "
        f"FROM discs d {where} ORDER BY coalesce(d.updated_at, d.processed_at) DESC, d.id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [
        DiscSummary(**{k: (_text(row[k]) if k.endswith("_at") else row[k]) for k in row.keys()})  # noqa: SIM118
        for row in await cur.fetchall()
    ]


# -- helpers -----------------------------------------------------------------------------------------------------


def default_title(result: ScanResult) -> str:
    """A new disc's title before the person names it: the disc's own, its volume name tidied, or the fingerprint."""
    if result.title:
        return result.title
    if result.volume_name and result.volume_name.strip():
        return " ".join(w.capitalize() for w in result.volume_name.replace("_", " ").split())
    return result.fingerprint


def _selected_by_default(result: ScanResult, title: Title) -> bool:
    return result.disc_type == "cd" or title.classification.type in _SELECTED_BY_DEFAULT


def _scan_values(title: Title) -> tuple[Any, ...]:
    return (
        title.duration_seconds,
        title.size_bytes,
        title.chapters,
        title.video.model_dump_json() if title.video else None,
        json.dumps([a.model_dump() for a in title.audio]),
        json.dumps([s.model_dump() for s in title.subtitles]),
        json.dumps(title.source),
        json.dumps(title.segment_map),
        title.makemkv_title_index,
        title.classification.type,
        title.classification.confidence,
        title.classification.duplicate_of,
    )


def _track(values: dict[str, Any]) -> StoredTrack:
    """A track from its row (as a dict of column values)."""
    out = {k: v for k, v in values.items() if k in _TRACK_FIELDS}
    for column in _JSON_TRACK_COLUMNS:
        out[column] = json.loads(values[column]) if values[column] else None
    out["video"] = json.loads(values["video"]) if values["video"] else None
    out["number"] = values["track_number"]
    out["present"] = bool(values["present"])
    out["selected"] = bool(values["selected"])
    for column in ("rip_started_at", "ripped_at"):
        out[column] = _text(values[column])
    return StoredTrack.model_validate(out)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)

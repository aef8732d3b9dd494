"""The `discs` and `tracks` tables as plain functions of a connection, and the conversions between rows and models.

Saving a scan refreshes what the scan says about each track but keeps what the person chose (selection, names,
types) and what became of it (rips, files); tracks a re-scan no longer lists are marked `present = 0`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aiosqlite

from amphigory.api.disc_models import DiscSummary, DiscUpdate, StoredDisc, StoredTrack, TrackUpdate
from amphigory.database import now
from amphigory_protocol.disc import PublicIds, ScanResult, Title

_PUBLIC_ID_COLUMNS = tuple(PublicIds.model_fields)
# Track statuses: pending (never ripped) -> queued -> ripping -> ripped | failed.
_SELECTED_BY_DEFAULT = ("main_feature", "episode")
_TRACK_SCAN_COLUMNS = (
    "duration_seconds", "size_bytes", "chapters", "video", "audio", "subtitles", "source", "segment_map",
    "makemkv_title_index", "classification", "confidence", "duplicate_of",
)
_TRACK_RIP_COLUMNS = frozenset({
    "status", "ripped_path", "rip_size_bytes", "rip_sha256", "rip_checksum", "rip_error", "rip_started_at", "ripped_at",
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
    """The stored discs among `fingerprints`, with their tracks, by fingerprint (two queries)."""
    discs = await _select_disc_rows(conn, fingerprints)
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


async def _select_disc_rows(conn: aiosqlite.Connection, fingerprints: Sequence[str]) -> dict[int, StoredDisc]:
    """The discs among `fingerprints` without their tracks yet, by row id."""
    marks = ",".join("?" * len(fingerprints))
    cur = await conn.execute(
        "SELECT id, fingerprint, title, year, disc_type, volume_name, imdb_id, edition_notes, notes, processed_at, "
        "scanned_at, updated_at, identification, named_by, version, artist, "
        f"{', '.join(_PUBLIC_ID_COLUMNS)} FROM discs WHERE fingerprint IN ({marks})",
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
            identification=json.loads(row["identification"]) if row["identification"] else None,
            named_by=row["named_by"],
            artist=row["artist"],
            version=row["version"],
        )
    return discs


async def select_scan_data(conn: aiosqlite.Connection, fingerprint: str) -> str | bytes | None:
    """The disc's last scan result as stored (JSON), None when the disc is unknown or was never scanned."""
    cur = await conn.execute("SELECT scan_data FROM discs WHERE fingerprint = ?", (fingerprint,))
    row = await cur.fetchone()
    if row is None or not row["scan_data"]:
        return None
    data: str | bytes = row["scan_data"]
    return data


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
        f"INSERT INTO tracks (disc_id, track_number, {cols}, present, selected, status, name) "
        f"VALUES (?, ?, {', '.join('?' * len(_TRACK_SCAN_COLUMNS))}, 1, ?, 'pending', ?) "
        f"ON CONFLICT(disc_id, track_number) DO UPDATE SET {sets}, present = 1",
        [(disc_id, t.number, *_scan_values(t), int(_selected_by_default(result, t)), _first_name(result, t))
         for t in result.titles],
    )
    numbers = [t.number for t in result.titles]
    await conn.execute(
        f"UPDATE tracks SET present = 0 WHERE disc_id = ? AND track_number NOT IN ({','.join('?' * len(numbers))})",
        (disc_id, *numbers),
    )


def _first_name(result: ScanResult, title: Title) -> str | None:
    """The name a new track starts with: a CD's CD-TEXT track title (names on DVDs and Blu-rays, where a disc has
    any, repeat the disc's name and would only collide); the person's choice replaces it and survives re-scans."""
    return title.name if result.disc_type == "cd" and title.name else None


async def update_disc(conn: aiosqlite.Connection, disc_id: int, changes: DiscUpdate) -> None:
    values: dict[str, Any] = {"updated_at": now()}
    # A title or year that differs from the stored one is the person naming the disc: final (`named_by`).
    differs: list[tuple[str, Any]] = []
    if changes.title is not None:
        values["title"] = changes.title
        differs.append(("title", changes.title))
    if "year" in changes.model_fields_set:  # null clears the year
        values["year"] = changes.year
        differs.append(("year", changes.year))
    if "artist" in changes.model_fields_set:  # null (or blank) goes back to the identification's or scan's artist
        values["artist"] = (changes.artist or "").strip() or None
        differs.append(("artist", values["artist"]))
    named = ""
    if differs:  # SET expressions see the row as it was before the update
        named = (", named_by = CASE WHEN " + " OR ".join(f"{c} IS NOT ?" for c, _ in differs)
                 + " THEN 'person' ELSE named_by END")
    await conn.execute(
        f"UPDATE discs SET {', '.join(f'{c} = ?' for c in values)}{named} WHERE id = ?",
        (*values.values(), *(v for _, v in differs), disc_id),
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


async def mark_rip_failed(conn: aiosqlite.Connection, fingerprint: str, number: int, error: str | None) -> None:
    """A failed rip of the track (`error` None: cancelled, which is no failure: the track is back to what it was,
    `pending`); one that was ripped before stays `ripped` (its file is still there)."""
    otherwise = "'failed'" if error is not None else "'pending'"
    await conn.execute(
        f"UPDATE tracks SET status = CASE WHEN ripped_at IS NOT NULL THEN 'ripped' ELSE {otherwise} END, "
        "rip_error = ? WHERE track_number = ? AND disc_id = (SELECT id FROM discs WHERE fingerprint = ?)",
        (error, number, fingerprint),
    )


async def select_summaries(
    conn: aiosqlite.Connection, query: str | None, limit: int, offset: int
) -> list[DiscSummary]:
    # a disc without a fingerprint (the version-1 schema allowed one) cannot be addressed: it is not listed
    where, params = "WHERE d.fingerprint IS NOT NULL", []
    if query:
        like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where += (" AND (d.title LIKE ? ESCAPE '\\' OR d.volume_name LIKE ? ESCAPE '\\' "
                  "OR d.fingerprint = ?)")
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


async def delete_disc(conn: aiosqlite.Connection, fingerprint: str) -> bool:
    """Forget the disc and its tracks; False when it was not stored."""
    disc_id = await select_disc_id(conn, fingerprint)
    if disc_id is None:
        return False
    await conn.execute("DELETE FROM tracks WHERE disc_id = ?", (disc_id,))
    await conn.execute("DELETE FROM discs WHERE id = ?", (disc_id,))
    return True

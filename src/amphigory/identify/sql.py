"""Identification's reads and writes of the `discs` and `tracks` tables, as plain functions of a connection."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from amphigory.database import now
from amphigory.identify.applying import DiscNaming


async def write_identification(conn: aiosqlite.Connection, fingerprint: str, answer: dict[str, Any]) -> None:
    """Store the answer with the disc (it changes nothing else)."""
    await conn.execute("UPDATE discs SET identification = ? WHERE fingerprint = ?", (json.dumps(answer), fingerprint))


async def write_naming(conn: aiosqlite.Connection, fingerprint: str, naming: DiscNaming) -> None:
    """Apply `naming` to the disc and its tracks (one save: `version` goes up)."""
    values: dict[str, Any] = {"named_by": naming.named_by, "updated_at": now()}
    if naming.title:
        values["title"] = naming.title
    if naming.year is not None:
        values["year"] = naming.year
    if naming.imdb_id:
        values["imdb_id"] = naming.imdb_id
    await conn.execute(
        f"UPDATE discs SET {', '.join(f'{c} = ?' for c in values)}, version = version + 1 WHERE fingerprint = ?",
        (*values.values(), fingerprint),
    )
    for track in naming.tracks:
        columns: dict[str, Any] = {"season": track.season, "episode": track.episode, "episode_end": track.episode_end}
        if track.name is not None:
            columns["name"] = track.name
        if track.classification is not None:
            columns["classification"] = track.classification
            columns["confidence"] = 1.0
        if track.selected is not None:
            columns["selected"] = int(track.selected)
        await conn.execute(
            f"UPDATE tracks SET {', '.join(f'{c} = ?' for c in columns)} "
            "WHERE track_number = ? AND disc_id = (SELECT id FROM discs WHERE fingerprint = ?)",
            (*columns.values(), track.number, fingerprint),
        )


async def select_to_identify(conn: aiosqlite.Connection) -> list[str]:
    """Scanned discs never looked up, or whose last look-up could not reach a service (`retry`)."""
    cur = await conn.execute(
        "SELECT fingerprint FROM discs WHERE fingerprint IS NOT NULL AND scan_data IS NOT NULL AND "
        "(identification IS NULL OR json_extract(identification, '$.retry') = 1) ORDER BY scanned_at"
    )
    return [str(row["fingerprint"]) for row in await cur.fetchall()]


async def select_filed_episodes(conn: aiosqlite.Connection, fingerprint: str) -> dict[tuple[int, int], int]:
    """(show's TMDB id, season) -> the last episode other discs of that series hold (so disc 2 continues)."""
    cur = await conn.execute(
        "SELECT json_extract(d.identification, '$.tmdb_id') AS show, t.season AS season, "
        "max(coalesce(t.episode_end, t.episode)) AS last FROM discs d JOIN tracks t ON t.disc_id = d.id "
        "WHERE d.fingerprint != ? AND d.named_by IS NOT NULL AND json_extract(d.identification, '$.kind') = 'series' "
        "AND json_extract(d.identification, '$.tmdb_id') IS NOT NULL AND t.season IS NOT NULL "
        "AND t.episode IS NOT NULL GROUP BY show, t.season",
        (fingerprint,),
    )
    return {(int(row["show"]), int(row["season"])): int(row["last"]) for row in await cur.fetchall()}

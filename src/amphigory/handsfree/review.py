"""The dashboard's "needs review" list: discs with rips that nobody has named (their rips are held)."""

from __future__ import annotations

from typing import Any

from amphigory.database import Database

_NEEDS_REVIEW = """
    SELECT d.fingerprint, d.title, d.year, d.volume_name, d.disc_type,
           SUM(CASE WHEN t.status = 'ripped' AND t.library_path IS NULL THEN 1 ELSE 0 END) AS held
    FROM discs d JOIN tracks t ON t.disc_id = d.id
    WHERE d.named_by IS NULL
    GROUP BY d.id
    HAVING held > 0
    ORDER BY MAX(t.ripped_at) DESC
    LIMIT ?
"""


async def needs_review(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    async with db.connection() as conn:
        cur = await conn.execute(_NEEDS_REVIEW, (limit,))
        rows = await cur.fetchall()
    return [{k: row[k] for k in ("fingerprint", "title", "year", "volume_name", "disc_type", "held")} for row in rows]

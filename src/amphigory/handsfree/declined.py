"""Countdowns a person cancelled, kept in the database by drive.

A person's "cancel" means "this disc waits for me". Kept only in memory, it was forgotten by a webapp restart, and
the daemon reconnecting to the new webapp started the countdown (and the rips) again. The mark goes when the disc
leaves the drive, or when another disc is found in it.
"""

from __future__ import annotations

from amphigory.database import Database, now


async def remember(db: Database, drive_id: str, fingerprint: str) -> None:
    async with db.connection() as conn:
        await conn.execute(
            "INSERT INTO handsfree_declined (drive_id, fingerprint, declined_at) VALUES (?, ?, ?) "
            "ON CONFLICT (drive_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
            "declined_at = excluded.declined_at", (drive_id, fingerprint, now()))


async def forget(db: Database, drive_id: str) -> None:
    async with db.connection() as conn:
        await conn.execute("DELETE FROM handsfree_declined WHERE drive_id = ?", (drive_id,))


async def is_declined(db: Database, drive_id: str, fingerprint: str) -> bool:
    """Whether a person cancelled this disc's countdown in this drive (and it has not left the drive since)."""
    async with db.connection() as conn:
        cur = await conn.execute("SELECT fingerprint FROM handsfree_declined WHERE drive_id = ?", (drive_id,))
        row = await cur.fetchone()
    return row is not None and row[0] == fingerprint

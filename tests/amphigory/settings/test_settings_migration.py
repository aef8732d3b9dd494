"""The settings migration: a `settings` table, and discs from before `named_by` that a person saved or that were
filed count as named (so upgrading never holds a library's known discs back); untouched ones stay unnamed."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from amphigory.database import _V_SETTINGS, MIGRATIONS, Database


async def test_filed_or_edited_discs_count_as_named_after_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "amphigory.db"
    database = Database(path)
    await database.initialize()
    await database.close()
    before = next(n for n, statements in MIGRATIONS.items() if statements is _V_SETTINGS)
    later = [s for n, statements in MIGRATIONS.items() if n > before for s in statements]
    with sqlite3.connect(path) as conn:  # back to the version before this migration, with three discs
        conn.execute("DROP TABLE settings")
        made_later = re.findall(r"CREATE TABLE (\w+)", "\n".join(later))
        assert "jobs" in made_later
        for table in made_later:  # what later migrations made, made again by the upgrade
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE schema_version SET version = ?", (before,))
        for disc_id, fingerprint, updated in ((1, "filed", "t1"), (2, "edited", "t2"), (3, "untouched", "t1")):
            conn.execute("INSERT INTO discs (id, fingerprint, title, scanned_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                         (disc_id, fingerprint, fingerprint.title(), "t1", updated))
            conn.execute("INSERT INTO tracks (disc_id, track_number, library_path) VALUES (?, 1, ?)",
                         (disc_id, "/library/Movies/Filed/Filed.mkv" if fingerprint == "filed" else None))
    database = Database(path)
    await database.initialize()
    await database.close()
    with sqlite3.connect(path) as conn:
        named = dict(conn.execute("SELECT fingerprint, named_by FROM discs").fetchall())
        assert named == {"filed": "person", "edited": "person", "untouched": None}
        assert conn.execute("SELECT COUNT(*) FROM settings").fetchone() == (0,)

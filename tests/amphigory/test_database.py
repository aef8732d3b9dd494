"""Database: file set-up (WAL, foreign keys), versioned migrations, and the unit-of-work connection."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from amphigory.database import MIGRATIONS, SCHEMA_VERSION, Database
from helpers_old_database import V1_SCHEMA


def make_v1(path: Path, versioned: bool = True) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    if versioned:
        conn.executescript(
            "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);"
        )
    conn.execute(
        "INSERT INTO discs (id, title, fingerprint, disc_type, year) VALUES (7, 'Old Movie', 'dvd-old', 'dvd', 1999)"
    )
    conn.execute("INSERT INTO tracks (disc_id, track_number, duration_seconds, status, output_path) "
                 "VALUES (7, 1, 5400.0, 'complete', '/ripped/Old Movie.mkv')")
    conn.execute("INSERT INTO tracks (disc_id, track_number, duration_seconds) VALUES (7, 2, 60.0)")
    conn.commit()
    conn.close()


@pytest.fixture
async def db(tmp_path: Path):
    database = Database(tmp_path / "data" / "amphigory.db")
    await database.initialize()
    yield database
    await database.close()


async def columns(db: Database, table: str) -> set[str]:
    async with db.connection() as conn:
        cur = await conn.execute(f"PRAGMA table_info({table})")
        return {row["name"] for row in await cur.fetchall()}


async def test_new_database_is_at_the_current_version_with_wal_and_foreign_keys(db: Database) -> None:
    async with db.connection() as conn:
        version = await (await conn.execute("SELECT version FROM schema_version")).fetchone()
        journal = await (await conn.execute("PRAGMA journal_mode")).fetchone()
        fks = await (await conn.execute("PRAGMA foreign_keys")).fetchone()
    assert version["version"] == SCHEMA_VERSION
    assert journal[0] == "wal"
    assert fks[0] == 1
    assert db.path.is_file()  # its folder was created


async def test_tables_have_the_columns_the_issue_lists(db: Database) -> None:
    assert {"fingerprint", "title", "year", "disc_type", "volume_name", "scan_data", "dvd_disc_id",
            "thediscdb_content_hash", "aacs_disc_hash", "musicbrainz_disc_id",
            "freedb_id"} <= await columns(db, "discs")
    assert {"track_number", "duration_seconds", "size_bytes", "chapters", "audio", "subtitles", "source",
            "segment_map", "classification", "confidence", "selected", "name", "status", "ripped_path",
            "transcoded_path", "library_path"} <= await columns(db, "tracks")
    assert {"type", "drive_id", "fingerprint", "track_number", "status", "progress", "created_at", "started_at",
            "finished_at", "result", "error"} <= await columns(db, "tasks")


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.connection() as conn:
            await conn.execute("INSERT INTO tracks (disc_id, track_number) VALUES (?, ?)", (12345, 1))


@pytest.mark.parametrize("versioned", [True, False], ids=["v1", "unversioned-seed"])
async def test_a_version_1_database_upgrades_in_place_keeping_its_data(tmp_path: Path, versioned: bool) -> None:
    path = tmp_path / "amphigory.db"
    make_v1(path, versioned)
    database = Database(path)
    await database.initialize()
    try:
        async with database.connection() as conn:
            version = await (await conn.execute("SELECT version FROM schema_version")).fetchone()
            disc = await (await conn.execute("SELECT * FROM discs WHERE fingerprint = ?", ("dvd-old",))).fetchone()
            cur = await conn.execute("SELECT * FROM tracks WHERE disc_id = ? ORDER BY track_number", (disc["id"],))
            tracks = await cur.fetchall()
        assert version["version"] == SCHEMA_VERSION
        assert (disc["title"], disc["year"], disc["volume_name"]) == ("Old Movie", 1999, None)
        assert tracks[0]["ripped_path"] == "/ripped/Old Movie.mkv"
        assert tracks[0]["status"] == "ripped"
        assert tracks[1]["status"] == "pending"
        assert tracks[1]["audio"] == "[]"
        assert "tasks" in {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    finally:
        await database.close()
    # Opening it again is a no-op.
    again = Database(path)
    await again.initialize()
    await again.close()


async def test_a_database_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "amphigory.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        f"CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES ({SCHEMA_VERSION + 1});"
    )
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        await Database(path).initialize()


async def test_a_unit_of_work_commits_on_exit_and_rolls_back_on_error(db: Database) -> None:
    async with db.connection() as conn:
        await conn.execute("INSERT INTO discs (title, fingerprint) VALUES (?, ?)", ("Kept", "fp-kept"))
    with pytest.raises(ZeroDivisionError):
        async with db.connection() as conn:
            await conn.execute("INSERT INTO discs (title, fingerprint) VALUES (?, ?)", ("Lost", "fp-lost"))
            1 / 0  # noqa: B018
    async with db.connection() as conn:
        rows = await (await conn.execute("SELECT fingerprint FROM discs ORDER BY fingerprint")).fetchall()
    assert [r["fingerprint"] for r in rows] == ["fp-kept"]


async def test_concurrent_units_of_work_do_not_see_each_others_rollback(db: Database) -> None:
    started = asyncio.Event()

    async def failing() -> None:
        async with db.connection() as conn:
            await conn.execute("INSERT INTO discs (title, fingerprint) VALUES (?, ?)", ("Bad", "fp-bad"))
            started.set()
            await asyncio.sleep(0.02)
            raise ValueError("boom")

    async def succeeding() -> None:
        await started.wait()
        async with db.connection() as conn:
            await conn.execute("INSERT INTO discs (title, fingerprint) VALUES (?, ?)", ("Good", "fp-good"))

    results = await asyncio.gather(failing(), succeeding(), return_exceptions=True)
    assert isinstance(results[0], ValueError)
    async with db.connection() as conn:
        rows = await (await conn.execute("SELECT fingerprint FROM discs")).fetchall()
    assert [r["fingerprint"] for r in rows] == ["fp-good"]


async def test_the_task_holding_the_connection_may_reenter(db: Database) -> None:
    async with db.connection() as outer, db.connection() as inner:
        assert inner is outer


async def test_using_it_before_initialize_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="initialize"):
        async with Database(tmp_path / "x.db").connection():
            pass


async def test_old_sha256_rips_get_a_checksum_record_naming_sha256(tmp_path: Path) -> None:
    path = tmp_path / "amphigory.db"
    make_v1(path)
    conn = sqlite3.connect(path)
    for version in range(1, 4):  # the database as version 4 left it, with a rip an old daemon checksummed
        for statement in MIGRATIONS[version]:
            conn.execute(statement)
    conn.executescript("DELETE FROM schema_version;"
                       "INSERT INTO schema_version VALUES (4);")
    conn.execute("UPDATE tracks SET rip_sha256 = ? WHERE track_number = 1", ("ab" * 32,))
    conn.commit()
    conn.close()
    database = Database(path)
    try:
        await database.initialize()
        async with database.connection() as db_conn:
            rows = await (await db_conn.execute(
                "SELECT track_number, rip_sha256, rip_checksum FROM tracks ORDER BY track_number")).fetchall()
        assert [tuple(r) for r in rows] == [(1, "ab" * 32, "sha256:" + "ab" * 32), (2, None, None)]
    finally:
        await database.close()

"""A database made by the previous release (tests/fixtures/amphigory-v3.db, schema 3) opens in the webapp and
migrates, with its discs, tracks and tasks intact and a copy of the old file kept first."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import httpx

from amphigory.config import WebappSettings
from amphigory.database import SCHEMA_VERSION, Database, backup_path
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "amphigory-v3.db"
DVD = "dvd-05e8a1cc19e8c347918b3f23ee9626b2a4e3ed57cec0d19cd224feeef29c1018"
CD = "cd-985c7196f74ded0d74a920c5595f03386135889e2972611f688bf54c9da58282"


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT version FROM schema_version").fetchone()[0])
    finally:
        conn.close()


def _counts(path: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(path)
    try:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[return-value]
                     for t in ("discs", "tracks", "tasks"))
    finally:
        conn.close()


async def test_the_previous_releases_database_migrates_with_everything_in_it(tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "amphigory.db")
    app = create_app(WebappSettings(data_dir=tmp_path), ConnectionManager())
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        health = (await http.get("/health")).json()
        assert (health["status"], health["schema_version"]) == ("ok", SCHEMA_VERSION)
        discs = (await http.get("/api/discs")).json()["discs"]
        assert {d["title"] for d in discs} == {"Sample Film", "Amphigory Sample CD", "Amphigory Sample Bd"}
        film = (await http.get(f"/api/discs/{DVD}")).json()
        assert (film["title"], film["year"], film["disc_type"]) == ("Sample Film", 2024, "dvd")
        tracks = {t["number"]: t for t in film["tracks"]}
        assert (tracks[1]["classification"], tracks[1]["chapters"], tracks[1]["duration_seconds"]) == (
            "main_feature", 4, 48.0)
        assert tracks[2]["status"] == "ripped"
        assert tracks[2]["library_path"].endswith("Movies/Sample Film (2024)/Other/Extra 02.mkv")
        cd = (await http.get(f"/api/discs/{CD}")).json()
        assert len(cd["tracks"]) == 3
        assert cd["tracks"][0]["ripped_path"].endswith("Tone A (440 Hz).flac")
        tasks = (await http.get("/api/tasks")).json()["tasks"]
        assert sorted((t["type"], t["status"]) for t in tasks) == [
            ("file", "complete"), ("file", "complete"), ("rip", "complete"), ("rip", "complete"),
            ("scan", "complete"), ("scan", "complete"), ("scan", "complete")]
    assert _version(tmp_path / "amphigory.db") == SCHEMA_VERSION
    copy = tmp_path / "amphigory.db.bak-v3"
    assert _version(copy) == 3
    assert _counts(copy) == _counts(tmp_path / "amphigory.db") == (3, 10, 7)


async def test_a_current_or_new_database_gets_no_copy(tmp_path: Path) -> None:
    for _ in range(2):  # made new, then opened again at the current version
        db = Database(tmp_path / "amphigory.db")
        await db.initialize()
        await db.close()
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak" in p.name) == []


async def test_an_existing_copy_is_never_overwritten(tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "amphigory.db")
    (tmp_path / "amphigory.db.bak-v3").write_bytes(b"an older copy")
    assert backup_path(tmp_path / "amphigory.db", 3) == tmp_path / "amphigory.db.bak-v3-2"
    db = Database(tmp_path / "amphigory.db")
    await db.initialize()
    await db.close()
    assert (tmp_path / "amphigory.db.bak-v3").read_bytes() == b"an older copy"
    assert _version(tmp_path / "amphigory.db.bak-v3-2") == 3

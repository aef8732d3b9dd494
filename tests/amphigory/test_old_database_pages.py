"""A data dir holding a database from an older run: the version-1 schema let a disc have no fingerprint (and
scan data that is not JSON); the webapp starts on it and its lists and pages still answer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager
from helpers_old_database import V1_SCHEMA


def make_old(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.execute("INSERT INTO discs (id, title, fingerprint, disc_type) VALUES (1, 'Old Movie', 'dvd-old', 'dvd')")
    conn.execute("INSERT INTO discs (id, title, fingerprint) VALUES (2, 'Never identified', NULL)")
    conn.execute("INSERT INTO discs (id, title, fingerprint, scan_data) VALUES (3, 'Garbled', 'cd-bad', 'not json')")
    conn.execute("INSERT INTO tracks (disc_id, track_number, status, output_path) "
                 "VALUES (1, 1, 'complete', '/ripped/Old Movie.mkv')")
    conn.execute("INSERT INTO tracks (disc_id, track_number) VALUES (2, 1)")
    conn.commit()
    conn.close()


async def test_lists_and_pages_answer_over_a_version_1_database_with_a_disc_without_fingerprint(
    tmp_path: Path,
) -> None:
    make_old(tmp_path / "amphigory.db")
    app = create_app(WebappSettings(data_dir=tmp_path), ConnectionManager())
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        listed = await http.get("/api/discs")
        assert listed.status_code == 200, listed.text
        assert {d["fingerprint"] for d in listed.json()["discs"]} == {"dvd-old", "cd-bad"}
        for page in ("/", "/queue", "/library", "/discs/dvd-old", "/discs/cd-bad"):
            response = await http.get(page)
            assert response.status_code == 200, (page, response.text[:500])
        assert (await http.get("/api/discs/cd-bad")).status_code == 200


async def test_scan_data_an_older_run_stored_in_another_shape_counts_as_not_scanned(tmp_path: Path) -> None:
    """Ripping such a disc must be refused with `not_scanned` (scan it again), not crash with a 500."""
    make_old(tmp_path / "amphigory.db")
    conn = sqlite3.connect(tmp_path / "amphigory.db")
    conn.execute("UPDATE discs SET scan_data = '{\"titles\": []}' WHERE fingerprint = 'dvd-old'")
    conn.commit()
    conn.close()
    app = create_app(WebappSettings(data_dir=tmp_path), ConnectionManager())
    async with app.router.lifespan_context(app):
        discs = app.state.discs
        assert await discs.scan_result("dvd-old") is None
        assert await discs.scan_result("cd-bad") is None
        assert await discs.scan_result("dvd-none") is None

"""The database file locked by another process: a save waits the busy timeout, then is refused with 503
`database_busy` (not a crash, nothing half-written); once the lock goes, the same save works (real app and
SQLite file, a second process holding an exclusive lock)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager
from amphigory_protocol.disc import ScanResult
from helpers_patience import PATIENCE


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    settings = WebappSettings(data_dir=tmp_path)
    app = create_app(settings, ConnectionManager())
    async with app.router.lifespan_context(app):
        await app.state.discs.save_scan(ScanResult.model_validate({
            "fingerprint": "dvd-lock", "disc_type": "dvd", "volume_name": "LOCK",
            "titles": [{"number": 1, "duration_seconds": 60}]}))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=PATIENCE) as http:
            yield http, settings.database_path


def hold_lock(database: Path) -> subprocess.Popen[str]:
    """Another process with an exclusive lock on the database until its stdin closes."""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, sys
        conn = sqlite3.connect({str(database)!r}, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        sys.stdin.read()
        conn.execute("ROLLBACK")
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    return holder


async def test_locked_database_refuses_a_save_with_503_then_takes_it(
        client: tuple[httpx.AsyncClient, Path]) -> None:
    http, database = client
    holder = hold_lock(database)
    try:
        refused = await http.patch("/api/discs/dvd-lock", json={"title": "While locked"})
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "database_busy" and refused.headers["retry-after"]
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(PATIENCE)
    assert (await http.get("/api/discs/dvd-lock")).json()["title"] != "While locked"
    saved = await http.patch("/api/discs/dvd-lock", json={"title": "After"})
    assert saved.status_code == 200 and saved.json()["title"] == "After"
    assert (await http.get("/health")).json()["database"] == "ok"

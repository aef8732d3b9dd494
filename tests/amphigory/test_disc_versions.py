"""Two tabs editing one disc: a save carries the version it was made on; a stale one is refused (409) and every
save is announced on the browser feed (real app, real SQLite file)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets

from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager
from amphigory_protocol.disc import ScanResult
from helpers_uvicorn import LiveServer


def scan() -> ScanResult:
    return ScanResult.model_validate({"fingerprint": "dvd-v", "disc_type": "dvd", "volume_name": "V",
                                      "titles": [{"number": 1, "duration_seconds": 5400}]})


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    app = create_app(WebappSettings(data_dir=tmp_path), ConnectionManager())
    async with LiveServer(app) as live:
        await app.state.discs.save_scan(scan())
        yield live


async def test_stale_save_is_refused_and_the_fresh_one_kept(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        opened = (await http.get("/api/discs/dvd-v"))
        version = opened.json()["version"]
        assert opened.headers["etag"] == f'"{version}"'
        first = await http.patch("/api/discs/dvd-v", json={"title": "Tab one", "version": version})
        assert first.status_code == 200 and first.json()["version"] == version + 1
        second = await http.patch("/api/discs/dvd-v", json={"title": "Tab two", "version": version})
        assert second.status_code == 409 and "saved elsewhere" in second.json()["detail"]
        assert second.headers["etag"] == f'"{version + 1}"'
        assert (await http.get("/api/discs/dvd-v")).json()["title"] == "Tab one"


async def test_if_match_header_works_like_the_version_field(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        etag = (await http.get("/api/discs/dvd-v")).headers["etag"]
        fresh = await http.patch("/api/discs/dvd-v", json={"title": "A"}, headers={"If-Match": etag})
        assert fresh.status_code == 200
        stale = await http.patch("/api/discs/dvd-v", json={"title": "B"}, headers={"If-Match": etag})
        assert stale.status_code == 409
        assert (await http.patch("/api/discs/dvd-v", json={"title": "B"},
                                 headers={"If-Match": "nonsense"})).status_code == 409


async def test_a_save_without_a_version_still_applies(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.patch("/api/discs/dvd-v", json={"title": "A"})).status_code == 200
        assert (await http.patch("/api/discs/dvd-v", json={"title": "B"})).json()["title"] == "B"


async def test_a_save_is_announced_on_the_browser_feed(server: LiveServer) -> None:
    async with websockets.connect(server.ws_url("/ws/browser")) as feed:
        assert json.loads(await feed.recv())["type"] == "snapshot"
        async with httpx.AsyncClient(base_url=server.url) as http:
            saved = (await http.patch("/api/discs/dvd-v", json={"title": "Other tab"})).json()
        async with asyncio.timeout(30):
            while (message := json.loads(await feed.recv()))["type"] != "disc":
                pass
    assert message == {"type": "disc", "fingerprint": "dvd-v", "version": saved["version"]}

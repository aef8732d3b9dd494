"""doctor's webapp check against a real webapp on loopback: /health over HTTP, then the daemon socket with the
daemon's token (accepted, or refused in the handshake), and nothing listening at all."""

from __future__ import annotations

import asyncio
from pathlib import Path

from amphigory.config import WebappSettings
from amphigory.database import SCHEMA_VERSION
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager
from amphigory_cli.doctor.probes import data_folder
from amphigory_cli.doctor.webapp import check_webapp, http_base
from helpers_uvicorn import LiveServer, free_port


async def test_token_accepted_refused_or_missing(tmp_path: Path) -> None:
    manager = ConnectionManager()
    app = create_app(WebappSettings(data_dir=tmp_path, token="right-token"), manager)
    async with LiveServer(app) as server:
        good = await asyncio.to_thread(check_webapp, server.ws_url("/ws"), "right-token")
        bad = await asyncio.to_thread(check_webapp, server.ws_url("/ws"), "wrong-token")
        none = await asyncio.to_thread(check_webapp, server.ws_url("/ws"), None)
    assert (good.reachable, good.token, good.url) == (True, "accepted", server.url)
    assert f"database schema {SCHEMA_VERSION}" in good.detail
    assert bad.token == "refused"
    assert none.token == "none"
    assert manager.daemons() == []  # the check never said hello: no daemon appeared


def test_nothing_listening_is_unreachable() -> None:
    check = check_webapp(f"ws://127.0.0.1:{free_port()}/ws", "t")
    assert (check.reachable, check.token) == (False, "unchecked")
    assert "not reachable" in check.detail


def test_http_base_of_the_daemons_url() -> None:
    assert http_base("ws://host:6199/ws") == "http://host:6199"
    assert http_base("wss://h.example/ws") == "https://h.example"


def test_data_folder_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    found = data_folder(tmp_path / "file" / "data")
    assert (found.writable, found.free_bytes) == (False, None)
    ok = data_folder(tmp_path / "new" / "data")
    assert ok.writable and ok.free_bytes is not None and (tmp_path / "new" / "data").is_dir()

"""Two daemons started with the same daemon_id (a copied config, `demo` beside `daemon`): the webapp keeps only the
newest connection (4000 to the older one). The replaced daemon must not reconnect at once every time, or the two
take turns several times a second forever (each turn fails the other's tasks as disconnected): after being
replaced it backs off more each time, and says why in the log."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import AsyncMock

import pytest

from amphigory.websocket import ConnectionManager
from amphigory_daemon.websocket import WebAppClient
from helpers_patience import PATIENCE
from helpers_uvicorn import LiveServer, wire_app

TOKEN = "secret"


@pytest.fixture
async def server() -> AsyncIterator[LiveServer]:
    async with LiveServer(wire_app(TOKEN, ConnectionManager(request_timeout=3.0))) as live:
        yield live


def client(server: LiveServer, **kwargs: Any) -> WebAppClient:
    c = WebAppClient(server.ws_url(), TOKEN, daemon_id="same", backoff_initial=0.02, backoff_max=1.0,
                     heartbeat_interval=5.0, heartbeat_timeout=5.0, **kwargs)
    c.on_request("get_drives", AsyncMock(return_value={"drives": []}))
    return c


async def test_two_daemons_with_one_id_do_not_replace_each_other_in_a_tight_loop(
    server: LiveServer, caplog: pytest.LogCaptureFixture,
) -> None:
    first, second = client(server), client(server)
    caplog.set_level(logging.INFO, logger="amphigory_daemon.websocket")
    jobs = [asyncio.create_task(first.run())]
    await asyncio.sleep(0.2)
    jobs.append(asyncio.create_task(second.run()))
    def warned() -> bool:
        return any("same" in r.getMessage() and "daemon-id" in r.getMessage() and r.levelno >= logging.WARNING
                   for r in caplog.records)

    started = time.monotonic()
    try:
        deadline = started + PATIENCE
        while not warned() and time.monotonic() < deadline:  # the first replacement (slow on a busy machine)
            await asyncio.sleep(0.02)
        await asyncio.sleep(max(0.0, 2.5 - (time.monotonic() - started)))  # then the window the bound is about
    finally:
        for c in (first, second):
            await c.stop()
        await asyncio.wait_for(asyncio.gather(*jobs), 5)
    assert first.connections + second.connections <= 8, (first.connections, second.connections)
    assert warned(), [r.getMessage() for r in caplog.records]

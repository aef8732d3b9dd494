"""Refusals both ways: a handler's RequestError keeps its code; an oversize frame is refused and the daemon says why."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from unittest.mock import AsyncMock

import pytest

from amphigory.websocket import ConnectionManager, DaemonNotConnected
from amphigory_daemon.websocket import WebAppClient
from amphigory_protocol import RequestError
from amphigory_protocol.messages import MAX_FRAME_BYTES
from helpers_uvicorn import LiveServer, wire_app
from helpers_wire import PATIENCE


async def until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_refusal_keeps_its_code() -> None:
    client = WebAppClient("ws://127.0.0.1:1/ws")
    client._websocket = AsyncMock()
    client._connected = True

    async def scan(params: dict[str, Any]) -> dict[str, Any]:
        raise RequestError("unknown_drive", f"no drive {params['drive_id']}")

    client.on_request("scan", scan)
    await client._handle_message({"type": "request", "request_id": "r1", "method": "scan", "params": {"drive_id": "x"}})
    sent = json.loads(client._websocket.send.call_args[0][0])
    assert sent == {"type": "response", "request_id": "r1", "error": {"code": "unknown_drive", "message": "no drive x"}}


async def test_unexpected_exception_is_handler_error() -> None:
    client = WebAppClient("ws://127.0.0.1:1/ws")
    client._websocket = AsyncMock()
    client._connected = True

    async def boom(params: dict[str, Any]) -> None:
        raise KeyError("drive_id")

    client.on_request("scan", boom)
    await client._handle_message({"type": "request", "request_id": "r2", "method": "scan", "params": {}})
    sent = json.loads(client._websocket.send.call_args[0][0])
    assert sent["error"]["code"] == "handler_error"


async def test_oversize_answer_closes_with_1009_which_the_daemon_logs_with_the_reason(
        caplog: pytest.LogCaptureFixture) -> None:
    """DESIGN: an oversized frame closes the connection with 1009; the daemon logs why, then reconnects."""
    manager = ConnectionManager(request_timeout=30.0)
    async with LiveServer(wire_app("secret", manager)) as server:
        client = WebAppClient(server.ws_url(), "secret", daemon_id="big", backoff_initial=0.01, backoff_max=0.05)
        client.on_request("get_drives", AsyncMock(return_value={"drives": []}))
        client.on_request("huge", AsyncMock(return_value={"blob": "x" * (MAX_FRAME_BYTES + 10)}))
        runner = asyncio.create_task(client.run())
        try:
            with caplog.at_level(logging.INFO, logger="amphigory_daemon.websocket"):
                await until(lambda: manager.is_connected("big"))
                with pytest.raises(DaemonNotConnected):
                    await manager.request("big", "huge")
                await until(lambda: client.connections >= 2 and manager.is_connected("big"))
            logged = [r for r in caplog.records if r.levelno == logging.ERROR and "1009" in r.getMessage()]
            assert logged and "too big" in logged[0].getMessage()
            assert f"over {MAX_FRAME_BYTES} bytes" in logged[0].getMessage()  # the webapp's reason
        finally:
            await client.stop()
            await asyncio.wait_for(runner, 30)


async def test_event_over_the_frame_limit_is_logged_and_not_queued(caplog: pytest.LogCaptureFixture) -> None:
    client = WebAppClient("ws://127.0.0.1:1/ws", daemon_id="d")
    with caplog.at_level(logging.ERROR):
        assert await client.emit("scan_completed", "d:sr0", {"result": "x" * (MAX_FRAME_BYTES + 1)}) == 0
    assert client.outbox_len == 0 and "frame limit" in caplog.text
    assert await client.emit("scan_started", "d:sr0", {}) == 1

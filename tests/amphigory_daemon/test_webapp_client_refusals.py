"""A handler that refuses a request with RequestError answers with its own code, not `handler_error`."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import AsyncMock

from amphigory_daemon.websocket import WebAppClient
from amphigory_protocol import RequestError


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

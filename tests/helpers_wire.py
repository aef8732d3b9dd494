"""Talking to the webapp's daemon socket by hand in tests: raw frames, a hand-driven daemon, patient waits.

Every wait here is for the thing itself, with a timeout generous enough for a loaded 2-core CI machine.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from helpers_patience import PATIENCE
from helpers_uvicorn import LiveServer

__all__ = ["PATIENCE"]

TOKEN = "secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def drive(drive_id: str, state: str = "empty", **extra: Any) -> dict[str, Any]:
    return {"drive_id": drive_id, "state": state, "fingerprint": None, **extra}


def hello(daemon_id: str, instance: str = "i1", drives: list[dict[str, Any]] | None = None,
          last_seq: int = 0) -> str:
    return json.dumps({"type": "hello", "daemon_id": daemon_id, "version": "1.0", "instance_id": instance,
                       "drives": drives or [], "last_seq": last_seq})


def event(daemon_id: str, seq: int, name: str = "drive_state_changed", **data: Any) -> str:
    return json.dumps({"type": "event", "event": name, "daemon_id": daemon_id, "drive_id": None, "seq": seq,
                       "data": data})


async def recv_json(ws: ClientConnection, timeout: float = PATIENCE) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


async def recv_until(ws: ClientConnection, kind: str, timeout: float = PATIENCE) -> dict[str, Any]:
    """Skip other traffic (the get_drives re-sync, acks) until a message of type `kind`."""
    deadline = time.monotonic() + timeout
    while True:
        message = await recv_json(ws, max(0.01, deadline - time.monotonic()))
        if message["type"] == kind:
            return message


async def eventually(check: Any, timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def connect_daemon(server: LiveServer, daemon_id: str, instance: str = "i1",
                         drives: list[dict[str, Any]] | None = None, last_seq: int = 0) -> ClientConnection:
    ws = await websockets.connect(server.ws_url(), additional_headers=AUTH, proxy=None)
    await ws.send(hello(daemon_id, instance, drives, last_seq))
    return ws


async def answer_get_drives(ws: ClientConnection, drives: list[dict[str, Any]]) -> None:
    request = await recv_until(ws, "request")
    assert request["method"] == "get_drives"
    await ws.send(json.dumps({"type": "response", "request_id": request["request_id"], "result": {"drives": drives}}))



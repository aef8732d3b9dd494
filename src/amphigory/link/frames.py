"""Frames on an accepted WebSocket: read the next one (closing on an oversize frame, pacing a flood by the
connection's `FrameBudget`), parse it (a big one on a thread, so the event loop keeps its turns), close quietly.

The close codes the webapp uses live here too, so both sockets (`/ws`, `/ws/browser`) speak the same language.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import WebSocket

from amphigory.link.budget import FrameBudget
from amphigory_protocol.messages import MAX_FRAME_BYTES, AnyMessage, ProtocolError, error_response, parse_message

log = logging.getLogger(__name__)

PARSE_ON_THREAD_BYTES = 64 * 1024  # a frame this big is parsed on a thread: a scan result of a big Blu-ray

CLOSE_GOING_AWAY = 1001  # webapp shutdown
CLOSE_POLICY = 1008  # no hello in time
CLOSE_TOO_BIG = 1009
CLOSE_SLOW_CONSUMER = 1013
CLOSE_REPLACED = 4000  # a newer connection claimed this daemon_id


def too_large(raw: str | bytes) -> bool:
    """Whether a frame is over `MAX_FRAME_BYTES` (text measured as UTF-8, encoded only when it could be)."""
    if len(raw) > MAX_FRAME_BYTES:
        return True
    return isinstance(raw, str) and len(raw) * 4 > MAX_FRAME_BYTES and len(raw.encode()) > MAX_FRAME_BYTES


async def next_frame(websocket: WebSocket, budget: FrameBudget | None = None) -> str | bytes | None:
    """The next frame, or None once the peer is gone or the frame was oversize (then closed with 1009). With a
    `budget`, a frame over it is returned only once the budget allows (the peer is read no faster)."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    raw: str | bytes | None = message.get("text")
    if raw is None:
        raw = message.get("bytes") or b""
    if too_large(raw):
        await close_quietly(websocket, CLOSE_TOO_BIG, f"frame over {MAX_FRAME_BYTES} bytes")
        return None
    if budget is not None:
        throttled = budget.throttled
        await budget.spend(len(raw))
        if budget.throttled == 1 and throttled == 0:
            log.warning("%s sends more than its budget of frames or bytes a second: reading it more slowly",
                        websocket.client)
    return raw


async def parse_or_refuse(raw: str | bytes, send: Callable[[str], Awaitable[Any]]) -> AnyMessage | None:
    """The message in a frame, or None after answering a malformed one with its protocol error through `send`."""
    try:
        if len(raw) >= PARSE_ON_THREAD_BYTES:
            return await asyncio.to_thread(parse_message, raw)
        return parse_message(raw)
    except ProtocolError as exc:
        await send(json.dumps(error_response(exc.request_id, exc.code, exc.message)))
        return None


async def close_quietly(websocket: WebSocket, code: int, reason: str = "") -> None:
    """Close the socket; one that is already closed or gone is fine."""
    try:
        await websocket.close(code=code, reason=reason)
    except Exception:  # already closed or gone
        pass

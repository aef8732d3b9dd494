"""The conversation with one daemon: wait for its hello, read its frames, answer its requests, re-sync its drives.

Events (and the answer to the re-sync) go to the link's inbox, so `EventDelivery` applies them in wire order;
responses complete the requests waiting for them; requests run as tasks of the link, so a slow handler never
holds up the reading.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from fastapi import WebSocket

from amphigory.link.budget import FrameBudget
from amphigory.link.daemon_link import DaemonLink, now
from amphigory.link.errors import DaemonRequestError
from amphigory.link.frames import CLOSE_POLICY, close_quietly, next_frame, parse_or_refuse
from amphigory_protocol.messages import Ack, Event, Hello, Request, Response, error_response

log = logging.getLogger(__name__)

DaemonRequestHandler = Callable[[str, dict[str, Any]], Awaitable[Any]]
# The drives among those given that another daemon has (`DriveMirror.foreign`).
ForeignDrives = Callable[[str, Iterable[str | None]], list[str]]


async def await_hello(websocket: WebSocket, timeout: float) -> Hello | None:
    """The daemon's hello; anything else first is refused (`hello_required`); None (closed 1008) after `timeout`."""
    try:
        async with asyncio.timeout(timeout):
            while (raw := await next_frame(websocket)) is not None:
                message = await parse_or_refuse(raw, websocket.send_text)
                if message is None:
                    continue
                if isinstance(message, Hello):
                    return message
                await websocket.send_text(json.dumps(error_response(
                    getattr(message, "request_id", None), "hello_required", "say hello first")))
    except TimeoutError:
        await close_quietly(websocket, CLOSE_POLICY, "no hello")
    return None


async def receive(link: DaemonLink, handlers: Mapping[str, DaemonRequestHandler], foreign: ForeignDrives) -> None:
    """Read the daemon's frames until it goes away, sending each message where it belongs; an event of another
    daemon, or about another daemon's drive, is refused (error reply, logged) and never applied."""
    budget = FrameBudget()
    while (raw := await next_frame(link.websocket, budget)) is not None:
        link.info.last_seen = now()
        message = await parse_or_refuse(raw, link.send_text)
        if message is None:
            continue
        if isinstance(message, Event):
            refusal = refuse_event(link.info.daemon_id, message, foreign)
            if refusal is not None:
                log.warning("daemon %s: refused %s event (seq %d): %s", link.info.daemon_id, message.event.value,
                            message.seq, refusal)
                await link.send_text(json.dumps(error_response(None, "invalid_message", refusal)))
                continue
            await link.inbox.put(message)
        elif isinstance(message, Response):
            await _take_response(link, message)
        elif isinstance(message, Request):
            link.spawn(answer(link, message, handlers))
        else:
            kind = "hello" if isinstance(message, Hello) else "ack" if isinstance(message, Ack) else "message"
            await link.send_text(json.dumps(error_response(None, "invalid_message", f"unexpected {kind}")))


def refuse_event(daemon_id: str, event: Event, foreign: ForeignDrives) -> str | None:
    """Why `daemon_id` may not send `event` (None: it may): it names another daemon, or a drive another daemon
    has, or two different drives."""
    if event.daemon_id != daemon_id:
        return f"event of daemon {event.daemon_id} on {daemon_id}'s connection"
    drive = event.data.get("drive")
    carried = drive.get("drive_id") if isinstance(drive, dict) else None
    if carried is not None and not isinstance(carried, str):
        return "the event's drive has no drive_id string"
    if event.drive_id is not None and carried is not None and carried != event.drive_id:
        return f"event for drive {event.drive_id} carries drive {carried}"
    others = foreign(daemon_id, [event.drive_id, carried])
    if others:
        return f"drive {others[0]} belongs to another daemon: a daemon speaks only of its own drives"
    return None


async def _take_response(link: DaemonLink, response: Response) -> None:
    if response.request_id is not None and response.request_id == link.resync_id:
        await link.inbox.put(response)
    if not link.pending.resolve(response) and response.error is not None:
        log.warning("daemon %s reported an error: %s: %s", link.info.daemon_id, response.error.code,
                    response.error.message)


async def answer(link: DaemonLink, request: Request, handlers: Mapping[str, DaemonRequestHandler]) -> None:
    """Answer one request of the daemon with its handler's result, `unknown_method` or `handler_error`."""
    handler = handlers.get(request.method)
    if handler is None:
        reply = error_response(request.request_id, "unknown_method", f"Unknown method: {request.method}")
    else:
        try:
            result = await handler(link.info.daemon_id, request.params)
            reply = {"type": "response", "request_id": request.request_id, "result": result}
            await link.send_text(json.dumps(reply))
            return
        except Exception as exc:
            log.exception("handler of %s from daemon %s failed", request.method, link.info.daemon_id)
            reply = error_response(request.request_id, "handler_error", str(exc) or type(exc).__name__)
    await link.send_text(json.dumps(reply))


async def resync(link: DaemonLink, timeout: float) -> None:
    """Ask a (re)connected daemon for its full drive state. The answer goes through the inbox, so it replaces
    the mirror exactly where it came on the wire among the events."""
    daemon_id = link.info.daemon_id
    request_id, future = link.pending.open()
    link.resync_id = request_id
    try:
        if not await link.send_text(Request(request_id=request_id, method="get_drives").model_dump_json()):
            return
        response = await asyncio.wait_for(future, timeout)
    except (TimeoutError, DaemonRequestError) as exc:
        log.warning("could not re-sync the drives of daemon %s: %s", daemon_id,
                    exc if str(exc) else f"no answer to get_drives within {timeout:g} s")
        return
    finally:
        link.pending.discard(request_id)
    if response.error is not None:
        log.warning("daemon %s refused get_drives: %s", daemon_id, response.error.message)

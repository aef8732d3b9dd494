"""`ConnectionManager`: the registry of connected daemons, and the one object the rest of the webapp talks to.

A daemon's connection is served by `serve_daemon`: hello, then a `get_drives` re-sync, events applied by one task
per connection (`EventDelivery`, so a slow listener never holds up responses), acks, and requests both ways. The
manager also answers for the drive mirror and runs the browser feed. A newer connection with the same daemon_id
replaces the older one (closed with 4000).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable
from typing import Any

from fastapi import WebSocket

from amphigory.link import daemon_session
from amphigory.link.browser_feed import BrowserFeed
from amphigory.link.daemon_link import DaemonInfo, DaemonLink, now
from amphigory.link.daemon_session import DaemonRequestHandler
from amphigory.link.delivery import ConnectionListener, EventDelivery, EventListener
from amphigory.link.drive_mirror import DriveMirror, public
from amphigory.link.errors import DaemonNotConnected
from amphigory.link.frames import CLOSE_GOING_AWAY, CLOSE_REPLACED, close_quietly
from amphigory_protocol.messages import Hello, Response, error_response

log = logging.getLogger(__name__)


class ConnectionManager:
    """Registry of connected daemons, request/response correlation, event delivery, drive mirror, browser feed."""

    def __init__(self, request_timeout: float = 10.0, hello_timeout: float = 10.0, browser_queue: int = 1000,
                 drain_timeout: float = 10.0) -> None:
        self.request_timeout = request_timeout
        self.hello_timeout = hello_timeout
        self.browser_queue = browser_queue
        self.drain_timeout = drain_timeout
        self._links: dict[str, DaemonLink] = {}
        self._feed = BrowserFeed()
        self._mirror = DriveMirror(self._feed.publish)
        self._delivery = EventDelivery(self._mirror, self._feed.publish)
        self._handlers: dict[str, DaemonRequestHandler] = {}
        self._background: set[asyncio.Task[Any]] = set()

    # -- registry and mirror -----------------------------------------------------------------------------------

    def daemons(self) -> list[DaemonInfo]:
        return [dataclasses.replace(self._links[d].info) for d in sorted(self._links)]

    def is_connected(self, daemon_id: str) -> bool:
        return daemon_id in self._links

    def drives(self) -> list[dict[str, Any]]:
        return self._mirror.drives()

    def drive(self, drive_id: str) -> dict[str, Any] | None:
        return self._mirror.drive(drive_id)

    def daemon_of(self, drive_id: str) -> str | None:
        return self._mirror.daemon_of(drive_id)

    # -- listeners ---------------------------------------------------------------------------------------------

    def add_listener(self, callback: EventListener) -> None:
        """`async callback(daemon_id, event)` for every event, applied once each, in order per daemon."""
        self._delivery.listeners.append(callback)

    def remove_listener(self, callback: EventListener) -> None:
        if callback in self._delivery.listeners:
            self._delivery.listeners.remove(callback)

    def add_connection_listener(self, callback: ConnectionListener) -> None:
        """`async callback(daemon_id, connected)`; a connection replacing a live one is reported as connected."""
        self._delivery.connection_listeners.append(callback)

    def remove_connection_listener(self, callback: ConnectionListener) -> None:
        if callback in self._delivery.connection_listeners:
            self._delivery.connection_listeners.remove(callback)

    def on_request(self, method: str, handler: DaemonRequestHandler) -> None:
        """Answer daemons' requests named `method` with `async handler(daemon_id, params) -> result`."""
        self._handlers[method] = handler

    # -- talking to daemons ------------------------------------------------------------------------------------

    async def request(self, daemon_id: str, method: str, params: dict[str, Any] | None = None,
                      timeout: float | None = None) -> Any:
        """Send a request and wait for its result; raises `DaemonNotConnected`, `DaemonTimeout`, `DaemonError`."""
        link = self._links.get(daemon_id)
        if link is None:
            raise DaemonNotConnected(daemon_id)
        return await link.request(method, params or {}, self.request_timeout if timeout is None else timeout)

    async def send_to_daemon(self, daemon_id: str, message: dict[str, Any]) -> bool:
        """Send one message as is (spec Task 8); False when the daemon is not connected. Never raises."""
        link = self._links.get(daemon_id)
        if link is None:
            return False
        try:
            text = json.dumps(message)
        except (TypeError, ValueError):
            log.exception("message to daemon %s is not JSON", daemon_id)
            return False
        return await link.send_text(text)

    # -- browsers ----------------------------------------------------------------------------------------------

    async def broadcast_browser(self, message: dict[str, Any]) -> None:
        """Queue `message` for every browser on /ws/browser; never waits for a slow browser."""
        self._feed.send_all(json.dumps(message, default=str))

    def snapshot(self) -> dict[str, Any]:
        """What a browser gets first: every connected daemon and every drive."""
        return {"type": "snapshot", "daemons": [i.to_dict() for i in self.daemons()],
                "drives": [public(d) for d in self.drives()]}

    async def serve_browser(self, websocket: WebSocket) -> None:
        """Run one accepted browser feed: snapshot, then changes; anything it sends is answered `read_only`."""
        await self._feed.serve(websocket, self.snapshot(), self.browser_queue)

    # -- one daemon connection ---------------------------------------------------------------------------------

    async def serve_daemon(self, websocket: WebSocket) -> None:
        """Run one accepted daemon connection until it closes: hello, then requests, responses and events."""
        hello = await daemon_session.await_hello(websocket, self.hello_timeout)
        if hello is None:
            return
        link = self._register(websocket, hello)
        link.spawn(link.write_acks())
        applier = asyncio.create_task(self._delivery.run(link, self._apply_resync))
        link.spawn(daemon_session.resync(link, self.request_timeout))
        try:
            await daemon_session.receive(link, self._handlers, self._mirror.foreign)
        finally:
            await self._unregister(link, applier)

    async def close(self) -> None:
        """Close every daemon and browser connection (webapp shutdown)."""
        for link in list(self._links.values()):
            await close_quietly(link.websocket, CLOSE_GOING_AWAY, "webapp shutting down")
        await self._feed.close_all(CLOSE_GOING_AWAY, "webapp shutting down")

    def _register(self, websocket: WebSocket, hello: Hello) -> DaemonLink:
        stamp = now()
        daemon_id = hello.daemon_id
        info = DaemonInfo(daemon_id, hello.version, hello.instance_id, stamp, stamp, hello.dropped)
        link = DaemonLink(websocket, info)
        old = self._links.get(daemon_id)
        self._links[daemon_id] = link
        if old is not None:
            log.warning("daemon %s connected again: replacing its previous connection", daemon_id)
            old.retire("was replaced by a newer connection")
            self._spawn(close_quietly(old.websocket, CLOSE_REPLACED, "replaced by a newer connection"))
        self._delivery.welcome(hello)
        if hello.dropped:
            log.warning("daemon %s dropped %d event(s): its outbox was full", daemon_id, hello.dropped)
        log.info("daemon %s connected (version %s, %d drive(s))", daemon_id, hello.version, len(hello.drives))
        self._feed.publish({"type": "daemon", "connected": True, "daemon": info.to_dict()})
        self._refuse_foreign(link, self._mirror.replace(daemon_id, hello.drives))
        return link

    async def _unregister(self, link: DaemonLink, applier: asyncio.Task[None]) -> None:
        daemon_id = link.info.daemon_id
        link.retire("disconnected")
        try:
            link.inbox.put_nowait(None)  # let the events already received be applied, then stop
            await asyncio.wait_for(applier, self.drain_timeout)
        except (asyncio.QueueFull, TimeoutError):
            applier.cancel()
            log.warning("daemon %s: events still being applied at disconnect were abandoned", daemon_id)
        for task in list(link.tasks):
            task.cancel()
        await asyncio.gather(*link.tasks, return_exceptions=True)
        if self._links.get(daemon_id) is not link:
            return  # replaced: the new connection owns the registry entry and the drives
        del self._links[daemon_id]
        log.info("daemon %s disconnected", daemon_id)
        self._mirror.forget(daemon_id)
        self._feed.publish({"type": "daemon", "connected": False, "daemon": link.info.to_dict()})
        await self._delivery.notify_connection(daemon_id, False)

    def _apply_resync(self, link: DaemonLink, response: Response) -> None:
        """The daemon's answer to `get_drives` replaces its drives, unless a newer connection took its place."""
        result = response.result
        drives = result.get("drives") if isinstance(result, dict) else None
        if isinstance(drives, list) and self._links.get(link.info.daemon_id) is link:
            self._refuse_foreign(link, self._mirror.replace(link.info.daemon_id, drives))

    def _refuse_foreign(self, link: DaemonLink, refused: list[str]) -> None:
        """Tell a daemon which drives it listed were refused as another daemon's (the mirror logged them)."""
        if refused:
            message = f"drive(s) {', '.join(refused)} belong to another daemon: a daemon speaks only of its own drives"
            link.spawn(link.send_text(json.dumps(error_response(None, "invalid_message", message))))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

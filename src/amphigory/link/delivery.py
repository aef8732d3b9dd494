"""Daemon events applied once each, in order: dedup by (daemon_id, instance_id, seq), then mirror, feed, listeners.

Dedup state is the last seq applied per daemon instance, in memory; a daemon that comes back as a new instance
(no instance_id, or a counter that went back) starts afresh. Every applied or replayed event is acked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from amphigory.link.daemon_link import DaemonLink
from amphigory.link.drive_mirror import DriveMirror, Publish
from amphigory_protocol.messages import Event, Hello, Response

log = logging.getLogger(__name__)

EventListener = Callable[[str, Event], Awaitable[None]]
ConnectionListener = Callable[[str, bool], Awaitable[None]]
ResyncHandler = Callable[[DaemonLink, Response], None]


class EventDelivery:
    """Applies every daemon's events to the drive mirror, the browser feed and the listeners, once each."""

    MEMORY = 4096  # daemon instances whose last seq is remembered

    def __init__(self, mirror: DriveMirror, publish: Publish) -> None:
        self._mirror = mirror
        self._publish = publish
        self.listeners: list[EventListener] = []
        self.connection_listeners: list[ConnectionListener] = []
        self._applied: dict[tuple[str, str], int] = {}  # (daemon_id, instance_id) -> last applied seq
        self._locks: dict[str, asyncio.Lock] = {}

    def welcome(self, hello: Hello) -> None:
        """A daemon said hello: a new instance of it (no identity, or a counter that went back) starts afresh."""
        key = (hello.daemon_id, hello.instance_id)
        if not hello.instance_id or self._applied.get(key, 0) > hello.last_seq:
            self._applied.pop(key, None)

    async def run(self, link: DaemonLink, on_resync: ResyncHandler) -> None:
        """Apply the link's inbox in order until its end marker; the re-sync answer goes to `on_resync`."""
        daemon_id = link.info.daemon_id
        await self.notify_connection(daemon_id, True)
        lock = self._locks.setdefault(daemon_id, asyncio.Lock())
        while (item := await link.inbox.get()) is not None:
            if isinstance(item, Response):
                on_resync(link, item)
                continue
            async with lock:
                await self.apply(link, item)

    async def apply(self, link: DaemonLink, event: Event) -> None:
        """Apply one event unless it was applied already; ack it either way."""
        key = (link.info.daemon_id, link.info.instance_id)
        last = self._applied.get(key, 0)
        if event.seq <= last:
            link.ack(last)  # a replay of something already applied
            return
        if last and event.seq > last + 1:
            log.warning("daemon %s: events %d..%d never arrived (dropped by the daemon)", key[0], last + 1,
                        event.seq - 1)
        self._remember(key, event.seq)
        self._mirror.apply(link.info.daemon_id, event)
        self._publish({"type": "event", "event": event.model_dump(mode="json")})
        for listener in list(self.listeners):
            try:
                await listener(link.info.daemon_id, event)
            except Exception:
                log.exception("event listener failed on %s from %s", event.event.value, key[0])
        link.ack(event.seq)

    async def notify_connection(self, daemon_id: str, connected: bool) -> None:
        for listener in list(self.connection_listeners):
            try:
                await listener(daemon_id, connected)
            except Exception:
                log.exception("connection listener failed for daemon %s", daemon_id)

    def _remember(self, key: tuple[str, str], seq: int) -> None:
        self._applied.pop(key, None)  # re-inserted last: the dict runs from least to most recently applied
        self._applied[key] = seq
        if len(self._applied) > self.MEMORY:  # forget the daemon instance heard from least recently
            del self._applied[next(iter(self._applied))]

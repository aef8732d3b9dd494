"""One accepted daemon connection: who it is (`DaemonInfo`), sending to it, its requests and its acks."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import WebSocket

from amphigory.link.errors import DaemonError, DaemonNotConnected, DaemonTimeout
from amphigory_protocol.messages import Ack, Event, PendingRequests, Request, Response


@dataclass
class DaemonInfo:
    """A connected daemon as the API and the browser feed show it."""

    daemon_id: str
    version: str
    instance_id: str
    connected_since: datetime
    last_seen: datetime
    dropped_events: int = 0  # events the daemon reported dropping (its outbox was full)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["connected_since"] = self.connected_since.isoformat()
        out["last_seen"] = self.last_seen.isoformat()
        return out


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class DaemonLink:
    """One accepted daemon connection: sends are serialised, requests correlated, applied events acked."""

    websocket: WebSocket
    info: DaemonInfo
    pending: PendingRequests = field(default_factory=PendingRequests)
    # Events, and the answer to the re-sync, applied in the order they came off the wire.
    inbox: asyncio.Queue[Event | Response | None] = field(default_factory=lambda: asyncio.Queue(maxsize=10_000))
    resync_id: str | None = None
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    ack_wanted: asyncio.Event = field(default_factory=asyncio.Event)
    ack_seq: int = 0
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    closed: bool = False

    async def send_text(self, text: str) -> bool:
        """Send one frame; False (and the link counts as closed) when it could not be sent."""
        if self.closed:
            return False
        try:
            async with self.send_lock:
                await self.websocket.send_text(text)
        except Exception:
            self.closed = True
            return False
        return True

    async def request(self, method: str, params: dict[str, Any], timeout: float) -> Any:
        """Send a request and wait for its result; raises `DaemonNotConnected`, `DaemonTimeout`, `DaemonError`."""
        daemon_id = self.info.daemon_id
        request_id, future = self.pending.open()
        try:
            text = Request(request_id=request_id, method=method, params=params).model_dump_json()
            if not await self.send_text(text):
                raise DaemonNotConnected(daemon_id, "disconnected")
            response = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise DaemonTimeout(daemon_id, method, timeout) from None
        finally:
            self.pending.discard(request_id)
        if response.error is not None:
            raise DaemonError(response.error.code, response.error.message)
        return response.result

    def retire(self, why: str) -> None:
        """Stop sending on this link and fail its waiting requests with `DaemonNotConnected(why)`."""
        self.closed = True
        self.pending.fail_all(lambda: DaemonNotConnected(self.info.daemon_id, why))

    def ack(self, seq: int) -> None:
        """Ask for a cumulative ack up to `seq` (sent by `write_acks`)."""
        self.ack_seq = max(self.ack_seq, seq)
        self.ack_wanted.set()

    async def write_acks(self) -> None:
        """One cumulative ack for whatever was applied since the last one (coalesced under load)."""
        sent = 0
        while True:
            await self.ack_wanted.wait()
            self.ack_wanted.clear()
            if self.ack_seq > sent:
                sent = self.ack_seq
                if not await self.send_text(Ack(seq=sent).model_dump_json()):
                    return

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run `coro` for the life of this link (cancelled when it closes)."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

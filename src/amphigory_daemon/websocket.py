"""WebAppClient: the daemon's one connection to the webapp, kept up forever.

On every connection the daemon sends `hello` first, then replays every event the webapp has not acknowledged, in
`seq` order, then streams new ones. Requests from the webapp run concurrently (a slow `scan` handler never holds
up `cancel` or the events). The outbox is bounded: past the bound the oldest events are dropped, counted, logged
and reported in the next `hello`. A heartbeat (WebSocket ping/pong) notices a dead link within seconds.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import random
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from amphigory_daemon.config import daemon_version, default_daemon_id
from amphigory_protocol.messages import (
    MAX_FRAME_BYTES,
    Ack,
    AnyMessage,
    Event,
    EventName,
    Hello,
    PendingRequests,
    ProtocolError,
    Request,
    RequestError,
    Response,
    error_response,
    parse_message,
    validate_message,
)

CLOSE_REPLACED = 4000  # the webapp's close code: a newer connection claimed this daemon_id
CLOSE_TOO_BIG = 1009  # the webapp's close code for a frame over MAX_FRAME_BYTES

log = logging.getLogger(__name__)

# Progress reports: in a full outbox these go first (a later report supersedes an earlier one).
_PROGRESS = frozenset({EventName.RIP_PROGRESS, EventName.SCAN_PROGRESS})

RequestHandler = Callable[[dict[str, Any]], Awaitable[Any]]


class WebAppError(Exception):
    """A request this daemon sent to the webapp failed: `code` is the webapp's error code, or `not_connected` /
    `timeout`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class WebAppClient:
    """Connects to the webapp's `/ws`, answers its requests and delivers this daemon's events exactly once."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        daemon_id: str = "",
        hello: Callable[[], Hello] | None = None,
        *,
        version: str | None = None,
        outbox_size: int = 10_000,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        heartbeat_interval: float = 5.0,
        heartbeat_timeout: float = 5.0,
        open_timeout: float = 10.0,
        request_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.token = token
        self.daemon_id = daemon_id
        self.version = version or daemon_version()
        # Random per client: `seq` restarts at 1 with a new instance, and the webapp keys its dedup state on both.
        self.instance_id = uuid.uuid4().hex
        self.outbox_size = outbox_size
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.open_timeout = open_timeout
        self.request_timeout = request_timeout
        self.connections = 0  # connections that got as far as sending hello
        self._hello = hello
        self._request_handlers: dict[str, RequestHandler] = {}
        self._websocket: ClientConnection | None = None
        self._connected = False
        self._seq = 0
        self._dropped = 0
        self._outbox: deque[tuple[int, str, bool]] = deque()  # (seq, JSON text, is a progress report)
        self._outbox_changed = asyncio.Event()
        self._pending = PendingRequests()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()

    # -- public API --------------------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def dropped(self) -> int:
        """Events dropped unsent because the outbox was full."""
        return self._dropped

    @property
    def outbox_len(self) -> int:
        """Events not yet acknowledged by the webapp."""
        return len(self._outbox)

    def on_request(self, method: str, handler: RequestHandler) -> None:
        """Register `async handler(params) -> result` for the webapp's requests named `method`."""
        self._request_handlers[method] = handler

    async def emit(self, event: EventName | str, drive_id: str | None, data: dict[str, Any]) -> int:
        """Queue one event for the webapp; returns its `seq`. Delivered in order, kept until acknowledged; one over
        the frame limit is logged and not sent (0)."""
        self._resolve_daemon_id()
        message = Event(event=EventName(event), daemon_id=self.daemon_id, drive_id=drive_id, seq=self._seq + 1,
                        data=data)
        text = message.model_dump_json()
        if len(text.encode()) > MAX_FRAME_BYTES:  # the webapp would close on it (1009), again at every replay
            log.error("%s event of %d bytes not sent: over the %d-byte frame limit", message.event.value,
                      len(text.encode()), MAX_FRAME_BYTES)
            return 0
        self._seq += 1
        if len(self._outbox) >= self.outbox_size:
            self._drop_one()
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 1000 == 0:
                log.warning("outbox full (%d events): %d oldest event(s) dropped so far", self.outbox_size,
                            self._dropped)
        self._outbox.append((self._seq, text, message.event in _PROGRESS))
        self._outbox_changed.set()
        return self._seq

    async def request(self, method: str, params: dict[str, Any] | None = None, timeout: float | None = None) -> Any:
        """Ask the webapp something; raises `WebAppError` (its error, `not_connected` or `timeout`)."""
        ws = self._websocket
        if ws is None or not self._connected:
            raise WebAppError("not_connected", "not connected to the webapp")
        request_id, future = self._pending.open()
        wait = self.request_timeout if timeout is None else timeout
        try:
            await ws.send(Request(request_id=request_id, method=method, params=params or {}).model_dump_json())
            response = await asyncio.wait_for(future, wait)
        except ConnectionClosed:
            raise WebAppError("not_connected", "connection to the webapp closed") from None
        except TimeoutError:
            raise WebAppError("timeout", f"the webapp did not answer {method} within {wait:g} s") from None
        finally:
            self._pending.discard(request_id)
        if response.error is not None:
            raise WebAppError(response.error.code, response.error.message)
        return response.result

    async def run(self) -> None:
        """Connect, serve, and reconnect with capped exponential backoff and jitter, until `stop()`."""
        attempt = 0
        replaced = 0  # connections in a row that another daemon with our daemon_id took over
        while not self._stop.is_set():
            try:
                async with websockets.connect(
                    self.url, additional_headers=self._headers(), proxy=None, open_timeout=self.open_timeout,
                    ping_interval=self.heartbeat_interval, ping_timeout=self.heartbeat_timeout,
                    close_timeout=self.heartbeat_timeout,
                    max_size=MAX_FRAME_BYTES + 1024,
                ) as ws:
                    attempt = 0
                    await self._serve_connection(ws)
            except ConnectionClosed as exc:
                if exc.rcvd is not None and exc.rcvd.code == CLOSE_REPLACED:
                    replaced += 1
                    log.error("webapp at %s: another daemon connected as %r and replaced this one; give each "
                              "daemon its own --daemon-id (retrying later)", self.url, self.daemon_id)
                elif exc.rcvd is not None and exc.rcvd.code == CLOSE_TOO_BIG:
                    replaced = 0
                    log.error("webapp at %s closed the connection: a message this daemon sent was too big (1009: "
                              "%s); reconnecting", self.url, exc.rcvd.reason or f"over {MAX_FRAME_BYTES} bytes")
                else:
                    replaced = 0
                    log.info("webapp at %s: %s", self.url, exc or type(exc).__name__)
            except InvalidStatus as exc:
                log.error("webapp at %s refused the connection (HTTP %s): check the token", self.url,
                          exc.response.status_code)
            except (OSError, TimeoutError, WebSocketException) as exc:
                log.info("webapp at %s: %s", self.url, exc or type(exc).__name__)
            except Exception:  # a bug in a provider must not end the daemon's link for good
                log.exception("connection to %s failed", self.url)
            if self._stop.is_set():
                break
            # replaced again and again: wait longer each time, so two daemons sharing an id do not take turns
            # several times a second (each turn fails the other's running tasks)
            delay = self.backoff_delay(min(attempt + 3 * replaced, 30))
            attempt = min(attempt + 1, 30)
            try:
                await asyncio.wait_for(self._stop.wait(), delay)
            except TimeoutError:
                pass

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait before reconnect number `attempt` (0-based): doubling, capped, with jitter."""
        return min(self.backoff_max, self.backoff_initial * 2.0**attempt) * random.uniform(0.5, 1.0)

    async def stop(self) -> None:
        """Close the connection and make `run()` return; running request handlers are cancelled."""
        self._stop.set()
        ws = self._websocket
        if ws is not None:
            await ws.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- one connection ----------------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _resolve_daemon_id(self) -> None:
        if not self.daemon_id:
            self.daemon_id = self._hello().daemon_id if self._hello is not None else default_daemon_id()

    def _make_hello(self) -> Hello:
        """The provider's hello (drives), with this client's identity and delivery counters: it owns `seq`."""
        self._resolve_daemon_id()
        base = self._hello() if self._hello is not None else Hello(daemon_id=self.daemon_id, version=self.version)
        if base.daemon_id != self.daemon_id:
            log.warning("hello names daemon %r but events are sent as %r", base.daemon_id, self.daemon_id)
        return base.model_copy(update={"daemon_id": self.daemon_id, "instance_id": self.instance_id,
                                       "last_seq": self._seq, "dropped": self._dropped})

    async def _serve_connection(self, ws: ClientConnection) -> None:
        hello = self._make_hello()
        await ws.send(hello.model_dump_json())
        self._websocket, self._connected = ws, True
        self.connections += 1
        log.info("connected to %s as %s (%d event(s) to replay, %d dropped)", self.url, self.daemon_id,
                 len(self._outbox), self._dropped)
        jobs = [asyncio.create_task(self._receive_loop(ws)), asyncio.create_task(self._send_events(ws))]
        try:
            done, _ = await asyncio.wait(jobs, return_when=asyncio.FIRST_COMPLETED)
            for job in done:
                job.result()  # re-raise what ended the connection (ConnectionClosed is handled by run)
        finally:
            for job in jobs:
                job.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            if self._websocket is ws:
                self._websocket, self._connected = None, False
            self._pending.fail_all(lambda: WebAppError("not_connected", "connection to the webapp closed"))

    async def _receive_loop(self, ws: ClientConnection) -> None:
        """Read frames until the connection closes; requests are handled in their own tasks."""
        async for raw in ws:
            try:
                message = parse_message(raw)
            except ProtocolError as exc:
                await self._send(error_response(exc.request_id, exc.code, exc.message), ws)
                continue
            if isinstance(message, Request):
                task = asyncio.create_task(self._handle_request(message, ws))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            else:
                await self._dispatch(message, ws)

    async def _send_events(self, ws: ClientConnection) -> None:
        """Send the outbox from its start (a replay), then each new event, in `seq` order."""
        sent = 0
        while True:
            self._outbox_changed.clear()
            while (item := self._next_after(sent)) is not None:
                await ws.send(item[1])
                sent = item[0]
            await self._outbox_changed.wait()

    def _drop_one(self) -> None:
        """Make room in a full outbox: the oldest progress report goes first (a later one says more), so that a
        long outage during a long rip never costs a `rip_completed` or a `disc_inserted`; only an outbox of
        nothing but such events loses its oldest."""
        for index, (_seq, _text, is_progress) in enumerate(self._outbox):
            if is_progress:
                del self._outbox[index]
                return
        self._outbox.popleft()

    def _next_after(self, seq: int) -> tuple[int, str, bool] | None:
        # The outbox is ordered by seq (with gaps where progress reports were dropped).
        index = bisect.bisect_right(self._outbox, seq, key=lambda item: item[0])
        return self._outbox[index] if index < len(self._outbox) else None

    def _on_ack(self, seq: int) -> None:
        while self._outbox and self._outbox[0][0] <= seq:
            self._outbox.popleft()

    # -- messages (spec Task 5) --------------------------------------------------------------------------------

    async def _handle_message(self, data: dict[str, Any], ws: ClientConnection | None = None) -> None:
        """Handle one decoded message from the webapp; an invalid one gets an error reply."""
        try:
            message = validate_message(data)
        except ProtocolError as exc:
            await self._send(error_response(exc.request_id, exc.code, exc.message), ws)
            return
        await self._dispatch(message, ws)

    async def _dispatch(self, message: AnyMessage, ws: ClientConnection | None) -> None:
        if isinstance(message, Request):
            await self._handle_request(message, ws)
        elif isinstance(message, Ack):
            self._on_ack(message.seq)
        elif isinstance(message, Response):
            if not self._pending.resolve(message) and message.error is not None:
                log.warning("webapp reported an error: %s: %s", message.error.code, message.error.message)
        else:
            await self._send(error_response(None, "invalid_message", f"a daemon does not accept {message.type}"), ws)

    async def _handle_request(self, request: Request, ws: ClientConnection | None = None) -> None:
        """Run the request's handler and send its response: `unknown_method` / `handler_error` on failure."""
        handler = self._request_handlers.get(request.method)
        if handler is None:
            response = error_response(request.request_id, "unknown_method", f"Unknown method: {request.method}")
        else:
            try:
                result = await handler(request.params)
                text = json.dumps({"type": "response", "request_id": request.request_id, "result": result})
                await self._send_text(text, ws)
                return
            except RequestError as exc:  # a refusal the handler meant, with its own code
                response = error_response(request.request_id, exc.code, exc.message)
            except Exception as exc:
                log.exception("handler of %s failed", request.method)
                response = error_response(request.request_id, "handler_error", str(exc) or type(exc).__name__)
        await self._send(response, ws)

    async def _send(self, message: dict[str, Any], ws: ClientConnection | None = None) -> bool:
        """Send one message on `ws` (default: the current connection); False when it is gone."""
        return await self._send_text(json.dumps(message), ws)

    async def _send_text(self, text: str, ws: ClientConnection | None = None) -> bool:
        target = ws if ws is not None else self._websocket
        if target is None:
            return False
        try:
            await target.send(text)
        except ConnectionClosed:
            return False
        return True

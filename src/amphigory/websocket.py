"""The webapp's side of the wire: `ConnectionManager` (`manager`), the daemon socket `/ws` and the browser feed.

A daemon connects to `/ws` with `Authorization: Bearer <token>` (refused during the handshake otherwise) and says
`hello`. From then on the manager correlates requests to it (`request`), applies its events once each, in order, by
(daemon_id, instance_id, seq) and acknowledges them, and mirrors its drives (from hello, a `get_drives` re-sync on
every connect, and each event's `drive`). Events are applied by one task per connection, so a slow listener never
holds up responses. Browsers get `/ws/browser`: a snapshot, then every change; what they send never reaches a daemon.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, WebSocket

from amphigory_protocol.messages import (
    MAX_FRAME_BYTES,
    Ack,
    Event,
    EventName,
    Hello,
    PendingRequests,
    ProtocolError,
    Request,
    Response,
    error_response,
    parse_message,
)

log = logging.getLogger(__name__)

EventListener = Callable[[str, Event], Awaitable[None]]
ConnectionListener = Callable[[str, bool], Awaitable[None]]
DaemonRequestHandler = Callable[[str, dict[str, Any]], Awaitable[Any]]

CLOSE_POLICY = 1008  # no hello in time
CLOSE_TOO_BIG = 1009
CLOSE_SLOW_CONSUMER = 1013
CLOSE_REPLACED = 4000  # a newer connection claimed this daemon_id


class DaemonRequestError(Exception):
    """A request to a daemon did not produce a result."""


class DaemonNotConnected(DaemonRequestError):
    def __init__(self, daemon_id: str, why: str = "is not connected") -> None:
        super().__init__(f"daemon {daemon_id} {why}")
        self.daemon_id = daemon_id


class DaemonTimeout(DaemonRequestError):
    def __init__(self, daemon_id: str, method: str, timeout: float) -> None:
        super().__init__(f"daemon {daemon_id} did not answer {method} within {timeout:g} s")
        self.daemon_id, self.method, self.timeout = daemon_id, method, timeout


class DaemonError(DaemonRequestError):
    """The daemon answered with an error response."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


@dataclass
class DaemonInfo:
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


def _now() -> datetime:
    return datetime.now(UTC)


def _too_large(raw: str | bytes) -> bool:
    if len(raw) > MAX_FRAME_BYTES:
        return True
    return isinstance(raw, str) and len(raw) * 4 > MAX_FRAME_BYTES and len(raw.encode()) > MAX_FRAME_BYTES


async def _next_frame(websocket: WebSocket) -> str | bytes | None:
    """The next frame, or None once the peer is gone or the frame was oversize (then closed with 1009)."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    raw: str | bytes | None = message.get("text")
    if raw is None:
        raw = message.get("bytes") or b""
    if _too_large(raw):
        await _close(websocket, CLOSE_TOO_BIG, f"frame over {MAX_FRAME_BYTES} bytes")
        return None
    return raw


async def _close(websocket: WebSocket, code: int, reason: str = "") -> None:
    try:
        await websocket.close(code=code, reason=reason)
    except Exception:  # already closed or gone
        pass


def _public(drive: dict[str, Any]) -> dict[str, Any]:
    """A drive as browsers get it: without the (large) scan result."""
    return {k: v for k, v in drive.items() if k != "scan_result"}


@dataclass(eq=False)
class _DaemonLink:
    """One accepted daemon connection."""

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
        if self.closed:
            return False
        try:
            async with self.send_lock:
                await self.websocket.send_text(text)
        except Exception:
            self.closed = True
            return False
        return True

    def ack(self, seq: int) -> None:
        self.ack_seq = max(self.ack_seq, seq)
        self.ack_wanted.set()

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


@dataclass(eq=False)
class _BrowserLink:
    websocket: WebSocket
    queue: asyncio.Queue[str]


class ConnectionManager:
    """Registry of connected daemons, request/response correlation, event delivery, drive mirror, browser feed."""

    def __init__(self, request_timeout: float = 10.0, hello_timeout: float = 10.0, browser_queue: int = 1000,
                 drain_timeout: float = 10.0) -> None:
        self.request_timeout = request_timeout
        self.hello_timeout = hello_timeout
        self.browser_queue = browser_queue
        self.drain_timeout = drain_timeout
        self._links: dict[str, _DaemonLink] = {}
        self._drives: dict[str, dict[str, dict[str, Any]]] = {}
        self._applied: dict[tuple[str, str], int] = {}  # (daemon_id, instance_id) -> last applied seq
        self._apply_locks: dict[str, asyncio.Lock] = {}
        self._listeners: list[EventListener] = []
        self._connection_listeners: list[ConnectionListener] = []
        self._handlers: dict[str, DaemonRequestHandler] = {}
        self._browsers: set[_BrowserLink] = set()
        self._background: set[asyncio.Task[Any]] = set()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- registry and mirror -----------------------------------------------------------------------------------

    def daemons(self) -> list[DaemonInfo]:
        return [dataclasses.replace(self._links[d].info) for d in sorted(self._links)]

    def is_connected(self, daemon_id: str) -> bool:
        return daemon_id in self._links

    def drives(self) -> list[dict[str, Any]]:
        return [dict(drive) for d in sorted(self._drives) for _, drive in sorted(self._drives[d].items())]

    def drive(self, drive_id: str) -> dict[str, Any] | None:
        for drives in self._drives.values():
            if drive_id in drives:
                return dict(drives[drive_id])
        return None

    def daemon_of(self, drive_id: str) -> str | None:
        return next((d for d, drives in self._drives.items() if drive_id in drives), None)

    # -- listeners ---------------------------------------------------------------------------------------------

    def add_listener(self, callback: EventListener) -> None:
        """`async callback(daemon_id, event)` for every event, applied once each, in order per daemon."""
        self._listeners.append(callback)

    def remove_listener(self, callback: EventListener) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def add_connection_listener(self, callback: ConnectionListener) -> None:
        """`async callback(daemon_id, connected)`; a connection replacing a live one is reported as connected."""
        self._connection_listeners.append(callback)

    def remove_connection_listener(self, callback: ConnectionListener) -> None:
        if callback in self._connection_listeners:
            self._connection_listeners.remove(callback)

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
        wait = self.request_timeout if timeout is None else timeout
        request_id, future = link.pending.open()
        try:
            text = Request(request_id=request_id, method=method, params=params or {}).model_dump_json()
            if not await link.send_text(text):
                raise DaemonNotConnected(daemon_id, "disconnected")
            response = await asyncio.wait_for(future, wait)
        except TimeoutError:
            raise DaemonTimeout(daemon_id, method, wait) from None
        finally:
            link.pending.discard(request_id)
        if response.error is not None:
            raise DaemonError(response.error.code, response.error.message)
        return response.result

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
        self._offer_all(json.dumps(message, default=str))

    def _offer_all(self, text: str) -> None:
        for browser in list(self._browsers):
            try:
                browser.queue.put_nowait(text)
            except asyncio.QueueFull:  # it can reconnect and get a fresh snapshot
                self._browsers.discard(browser)
                self._spawn(_close(browser.websocket, CLOSE_SLOW_CONSUMER, "too slow"))

    def _broadcast(self, message: dict[str, Any]) -> None:
        if self._browsers:
            self._offer_all(json.dumps(message, default=str))

    def snapshot(self) -> dict[str, Any]:
        """What a browser gets first: every connected daemon and every drive."""
        return {"type": "snapshot", "daemons": [i.to_dict() for i in self.daemons()],
                "drives": [_public(d) for d in self.drives()]}

    async def serve_browser(self, websocket: WebSocket) -> None:
        """Run one accepted browser feed: snapshot, then changes; anything it sends is answered `read_only`."""
        browser = _BrowserLink(websocket, asyncio.Queue(maxsize=self.browser_queue))
        browser.queue.put_nowait(json.dumps(self.snapshot(), default=str))
        self._browsers.add(browser)
        writer = asyncio.create_task(self._write_browser(browser))
        try:
            while await _next_frame(websocket) is not None:
                reply = error_response(None, "read_only", "the browser feed is read-only")
                self._offer(browser, json.dumps(reply))
        finally:
            self._browsers.discard(browser)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    def _offer(self, browser: _BrowserLink, text: str) -> None:
        try:
            browser.queue.put_nowait(text)
        except asyncio.QueueFull:
            pass

    async def _write_browser(self, browser: _BrowserLink) -> None:
        while True:
            text = await browser.queue.get()
            try:
                await browser.websocket.send_text(text)
            except Exception:
                self._browsers.discard(browser)
                return

    # -- one daemon connection ---------------------------------------------------------------------------------

    async def serve_daemon(self, websocket: WebSocket) -> None:
        """Run one accepted daemon connection until it closes: hello, then requests, responses and events."""
        hello = await self._await_hello(websocket)
        if hello is None:
            return
        link = self._register(websocket, hello)
        link.spawn(self._write_acks(link))
        applier = asyncio.create_task(self._apply_loop(link))
        link.spawn(self._resync(link))
        try:
            await self._receive(link)
        finally:
            await self._unregister(link, applier)

    async def close(self) -> None:
        """Close every daemon and browser connection (webapp shutdown)."""
        for link in list(self._links.values()):
            await _close(link.websocket, 1001, "webapp shutting down")
        for browser in list(self._browsers):
            await _close(browser.websocket, 1001, "webapp shutting down")

    async def _await_hello(self, websocket: WebSocket) -> Hello | None:
        try:
            async with asyncio.timeout(self.hello_timeout):
                while (raw := await _next_frame(websocket)) is not None:
                    try:
                        message = parse_message(raw)
                    except ProtocolError as exc:
                        await websocket.send_text(json.dumps(error_response(exc.request_id, exc.code, exc.message)))
                        continue
                    if isinstance(message, Hello):
                        return message
                    await websocket.send_text(json.dumps(error_response(
                        getattr(message, "request_id", None), "hello_required", "say hello first")))
        except TimeoutError:
            await _close(websocket, CLOSE_POLICY, "no hello")
        return None

    def _register(self, websocket: WebSocket, hello: Hello) -> _DaemonLink:
        now = _now()
        daemon_id = hello.daemon_id
        info = DaemonInfo(daemon_id, hello.version, hello.instance_id, now, now, hello.dropped)
        link = _DaemonLink(websocket, info)
        old = self._links.get(daemon_id)
        self._links[daemon_id] = link
        if old is not None:
            log.warning("daemon %s connected again: replacing its previous connection", daemon_id)
            self._retire(old, "was replaced by a newer connection")
            self._spawn(_close(old.websocket, CLOSE_REPLACED, "replaced by a newer connection"))
        key = (daemon_id, hello.instance_id)
        if not hello.instance_id or self._applied.get(key, 0) > hello.last_seq:
            self._applied.pop(key, None)  # no identity, or a counter that went back: a new instance
        if hello.dropped:
            log.warning("daemon %s dropped %d event(s): its outbox was full", daemon_id, hello.dropped)
        log.info("daemon %s connected (version %s, %d drive(s))", daemon_id, hello.version, len(hello.drives))
        self._broadcast({"type": "daemon", "connected": True, "daemon": info.to_dict()})
        self._replace_drives(daemon_id, hello.drives)
        return link

    def _retire(self, link: _DaemonLink, why: str) -> None:
        link.closed = True
        link.pending.fail_all(lambda: DaemonNotConnected(link.info.daemon_id, why))

    async def _unregister(self, link: _DaemonLink, applier: asyncio.Task[None]) -> None:
        daemon_id = link.info.daemon_id
        self._retire(link, "disconnected")
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
        self._replace_drives(daemon_id, [])
        self._drives.pop(daemon_id, None)
        self._broadcast({"type": "daemon", "connected": False, "daemon": link.info.to_dict()})
        await self._notify_connection(daemon_id, False)

    async def _receive(self, link: _DaemonLink) -> None:
        while (raw := await _next_frame(link.websocket)) is not None:
            link.info.last_seen = _now()
            try:
                message = parse_message(raw)
            except ProtocolError as exc:
                await link.send_text(json.dumps(error_response(exc.request_id, exc.code, exc.message)))
                continue
            if isinstance(message, Event):
                if message.daemon_id != link.info.daemon_id:
                    await link.send_text(json.dumps(error_response(
                        None, "invalid_message", f"event of daemon {message.daemon_id} on {link.info.daemon_id}'s "
                        "connection")))
                    continue
                await link.inbox.put(message)
            elif isinstance(message, Response):
                if message.request_id is not None and message.request_id == link.resync_id:
                    await link.inbox.put(message)
                if not link.pending.resolve(message) and message.error is not None:
                    log.warning("daemon %s reported an error: %s: %s", link.info.daemon_id, message.error.code,
                                message.error.message)
            elif isinstance(message, Request):
                link.spawn(self._answer(link, message))
            else:
                kind = "hello" if isinstance(message, Hello) else "ack" if isinstance(message, Ack) else "message"
                await link.send_text(json.dumps(error_response(None, "invalid_message", f"unexpected {kind}")))

    async def _answer(self, link: _DaemonLink, request: Request) -> None:
        handler = self._handlers.get(request.method)
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

    async def _resync(self, link: _DaemonLink) -> None:
        """Ask a (re)connected daemon for its full drive state. The answer goes through the inbox, so it replaces
        the mirror exactly where it came on the wire among the events."""
        daemon_id = link.info.daemon_id
        request_id, future = link.pending.open()
        link.resync_id = request_id
        try:
            if not await link.send_text(Request(request_id=request_id, method="get_drives").model_dump_json()):
                return
            response = await asyncio.wait_for(future, self.request_timeout)
        except (TimeoutError, DaemonRequestError) as exc:
            log.warning("could not re-sync the drives of daemon %s: %s", daemon_id,
                        exc if str(exc) else f"no answer to get_drives within {self.request_timeout:g} s")
            return
        finally:
            link.pending.discard(request_id)
        if response.error is not None:
            log.warning("daemon %s refused get_drives: %s", daemon_id, response.error.message)

    def _apply_resync(self, link: _DaemonLink, response: Response) -> None:
        result = response.result
        drives = result.get("drives") if isinstance(result, dict) else None
        if isinstance(drives, list) and self._links.get(link.info.daemon_id) is link:
            self._replace_drives(link.info.daemon_id, drives)

    async def _write_acks(self, link: _DaemonLink) -> None:
        """One cumulative ack for whatever was applied since the last one (coalesced under load)."""
        sent = 0
        while True:
            await link.ack_wanted.wait()
            link.ack_wanted.clear()
            if link.ack_seq > sent:
                sent = link.ack_seq
                if not await link.send_text(Ack(seq=sent).model_dump_json()):
                    return

    # -- applying events ---------------------------------------------------------------------------------------

    async def _apply_loop(self, link: _DaemonLink) -> None:
        daemon_id = link.info.daemon_id
        await self._notify_connection(daemon_id, True)
        lock = self._apply_locks.setdefault(daemon_id, asyncio.Lock())
        while (item := await link.inbox.get()) is not None:
            if isinstance(item, Response):
                self._apply_resync(link, item)
                continue
            async with lock:
                await self._apply(link, item)

    async def _apply(self, link: _DaemonLink, event: Event) -> None:
        key = (link.info.daemon_id, link.info.instance_id)
        last = self._applied.get(key, 0)
        if event.seq <= last:
            link.ack(last)  # a replay of something already applied
            return
        if last and event.seq > last + 1:
            log.warning("daemon %s: events %d..%d never arrived (dropped by the daemon)", key[0], last + 1,
                        event.seq - 1)
        self._remember(key, event.seq)
        self._mirror(link.info.daemon_id, event)
        self._broadcast({"type": "event", "event": event.model_dump(mode="json")})
        for listener in list(self._listeners):
            try:
                await listener(link.info.daemon_id, event)
            except Exception:
                log.exception("event listener failed on %s from %s", event.event.value, key[0])
        link.ack(event.seq)

    def _remember(self, key: tuple[str, str], seq: int) -> None:
        self._applied[key] = seq
        if len(self._applied) > 4096:  # forget the oldest daemon instances
            del self._applied[next(iter(self._applied))]

    async def _notify_connection(self, daemon_id: str, connected: bool) -> None:
        for listener in list(self._connection_listeners):
            try:
                await listener(daemon_id, connected)
            except Exception:
                log.exception("connection listener failed for daemon %s", daemon_id)

    def _mirror(self, daemon_id: str, event: Event) -> None:
        drive = event.data.get("drive")
        if not isinstance(drive, dict) or not isinstance(drive.get("drive_id"), str):
            return
        drives = self._drives.setdefault(daemon_id, {})
        old = drives.get(drive["drive_id"])
        new = dict(drive)
        if event.event is EventName.SCAN_COMPLETED and isinstance(event.data.get("result"), dict):
            new["scan_result"] = event.data["result"]
        elif "scan_result" not in new and old is not None and old.get("fingerprint") == new.get("fingerprint"):
            new["scan_result"] = old.get("scan_result")  # events leave the scan result out; it still holds
        if new != old:
            drives[new["drive_id"]] = new
            self._broadcast({"type": "drive", "daemon_id": daemon_id, "drive": _public(new)})

    def _replace_drives(self, daemon_id: str, drives: list[dict[str, Any]]) -> None:
        new = {d["drive_id"]: dict(d) for d in drives if isinstance(d, dict) and isinstance(d.get("drive_id"), str)}
        old = self._drives.get(daemon_id, {})
        self._drives[daemon_id] = new
        for drive_id in old.keys() - new.keys():
            self._broadcast({"type": "drive_removed", "daemon_id": daemon_id, "drive_id": drive_id})
        for drive_id, drive in new.items():
            if old.get(drive_id) != drive:
                self._broadcast({"type": "drive", "daemon_id": daemon_id, "drive": _public(drive)})


def token_ok(authorization: str | None, token: str | None) -> bool:
    """Whether an `Authorization` header carries the shared token (no token configured: nobody gets in)."""
    if not token or not authorization:
        return False
    scheme, _, value = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


manager = ConnectionManager()
router = APIRouter()


def _manager_of(websocket: WebSocket) -> ConnectionManager:
    found = getattr(websocket.app.state, "manager", None)
    return found if isinstance(found, ConnectionManager) else manager


@router.websocket("/ws")
async def daemon_socket(websocket: WebSocket) -> None:
    """A daemon's connection: refused in the handshake (HTTP 403) without the right bearer token."""
    settings = getattr(websocket.app.state, "settings", None)
    if not token_ok(websocket.headers.get("authorization"), getattr(settings, "token", None)):
        log.warning("refused a daemon connection from %s: missing or wrong token", websocket.client)
        await websocket.close(code=CLOSE_POLICY)
        return
    await websocket.accept()
    await _manager_of(websocket).serve_daemon(websocket)


@router.websocket("/ws/browser")
async def browser_socket(websocket: WebSocket) -> None:
    """The read-only live feed for pages: a snapshot of daemons and drives, then every change."""
    await websocket.accept()
    await _manager_of(websocket).serve_browser(websocket)

"""The daemon's WebAppClient against the real webapp routes, over loopback sockets."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from unittest.mock import AsyncMock

import pytest

from amphigory.websocket import ConnectionManager, DaemonError
from amphigory_daemon.websocket import WebAppClient, WebAppError
from amphigory_protocol.messages import Event, Hello
from helpers_patience import patient
from helpers_uvicorn import LiveServer, wire_app

TOKEN = "secret"


async def eventually(check: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + patient(timeout)
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def make_client(server: LiveServer, token: str | None = TOKEN, **kwargs: Any) -> WebAppClient:
    options: dict[str, Any] = {"daemon_id": "d1", "backoff_initial": 0.02, "backoff_max": 0.2,
                               "heartbeat_interval": 5.0, "heartbeat_timeout": 5.0, **kwargs}
    client = WebAppClient(server.ws_url(), token, **options)
    client.on_request("get_drives", AsyncMock(return_value={"drives": []}))
    return client


@asynccontextmanager
async def running(client: WebAppClient) -> AsyncIterator[WebAppClient]:
    task = asyncio.create_task(client.run())
    try:
        yield client
    finally:
        await client.stop()
        await asyncio.wait_for(task, patient(5))


@pytest.fixture
async def manager() -> ConnectionManager:
    return ConnectionManager(request_timeout=10.0)


@pytest.fixture
async def server(manager: ConnectionManager) -> AsyncIterator[LiveServer]:
    async with LiveServer(wire_app(TOKEN, manager)) as live:
        yield live


async def test_hello_carries_identity_drives_and_counters(manager: ConnectionManager, server: LiveServer) -> None:
    drives = [{"drive_id": "d1:sr0", "state": "empty"}]
    client = make_client(server, hello=lambda: Hello(daemon_id="d1", version="9.9", drives=drives))
    client.on_request("get_drives", AsyncMock(return_value={"drives": [*drives, {"drive_id": "d1:sr1"}]}))
    async with running(client):
        await eventually(lambda: manager.is_connected("d1"))
        (info,) = manager.daemons()
        assert (info.version, info.instance_id) == ("9.9", client.instance_id)
        assert manager.drive("d1:sr0") == drives[0]
        await eventually(lambda: manager.drive("d1:sr1") is not None)  # the re-sync's answer
        assert client.connected and client.connections == 1


async def test_requests_both_ways(manager: ConnectionManager, server: LiveServer) -> None:
    client = make_client(server)

    async def status(params: dict[str, Any]) -> dict[str, Any]:
        return {"drive_id": params["drive_id"], "state": "empty"}

    async def known_disc(daemon_id: str, params: dict[str, Any]) -> dict[str, Any]:
        return {"asked_by": daemon_id, "fingerprint": params["fingerprint"]}

    client.on_request("get_drive_status", status)
    manager.on_request("known_disc", known_disc)
    async with running(client):
        await eventually(lambda: manager.is_connected("d1"))
        assert await manager.request("d1", "get_drive_status", {"drive_id": "d1:sr0"}) == {
            "drive_id": "d1:sr0", "state": "empty"}
        assert await client.request("known_disc", {"fingerprint": "dvd-1"}) == {"asked_by": "d1",
                                                                                "fingerprint": "dvd-1"}
        with pytest.raises(WebAppError) as refused:
            await client.request("no_such_method")
        assert refused.value.code == "unknown_method"


async def test_unknown_method_and_handler_error(manager: ConnectionManager, server: LiveServer) -> None:
    client = make_client(server)

    async def broken(params: dict[str, Any]) -> None:
        raise ValueError("drive on fire")

    client.on_request("scan", broken)
    async with running(client):
        await eventually(lambda: manager.is_connected("d1"))
        with pytest.raises(DaemonError) as unknown:
            await manager.request("d1", "levitate")
        assert unknown.value.code == "unknown_method"
        with pytest.raises(DaemonError) as failed:
            await manager.request("d1", "scan", {})
        assert (failed.value.code, failed.value.message) == ("handler_error", "drive on fire")


async def test_slow_handler_blocks_neither_requests_nor_events(manager: ConnectionManager,
                                                               server: LiveServer) -> None:
    release = asyncio.Event()
    applied: list[int] = []

    async def slow(params: dict[str, Any]) -> str:
        await release.wait()
        return "slow"

    async def fast(params: dict[str, Any]) -> str:
        return "fast"

    async def on_event(daemon_id: str, event: Event) -> None:
        applied.append(event.seq)

    manager.add_listener(on_event)
    client = make_client(server)
    client.on_request("slow", slow)
    client.on_request("fast", fast)
    async with running(client):
        await eventually(lambda: manager.is_connected("d1"))
        slow_reply = asyncio.create_task(manager.request("d1", "slow"))
        assert await manager.request("d1", "fast") == "fast"
        await client.emit("drive_state_changed", "d1:sr0", {})
        await eventually(lambda: applied == [1])
        assert not slow_reply.done()
        release.set()
        assert await slow_reply == "slow"


async def test_events_are_acknowledged_and_leave_the_outbox(manager: ConnectionManager, server: LiveServer) -> None:
    applied: list[tuple[int, str | None]] = []

    async def on_event(daemon_id: str, event: Event) -> None:
        applied.append((event.seq, event.drive_id))

    manager.add_listener(on_event)
    client = make_client(server)
    async with running(client):
        for n in range(50):
            assert await client.emit("scan_progress", "d1:sr0", {"percent": n}) == n + 1
        await eventually(lambda: len(applied) == 50 and client.outbox_len == 0)
        assert applied == [(n, "d1:sr0") for n in range(1, 51)]


async def test_outbox_bound_drops_oldest_and_reports_it(manager: ConnectionManager, server: LiveServer) -> None:
    applied: list[int] = []

    async def on_event(daemon_id: str, event: Event) -> None:
        applied.append(event.seq)

    manager.add_listener(on_event)
    client = make_client(server, outbox_size=5)
    for _ in range(8):  # not connected yet
        await client.emit("drive_state_changed", None, {})
    assert (client.dropped, client.outbox_len) == (3, 5)
    async with running(client):
        await eventually(lambda: applied == [4, 5, 6, 7, 8])
        assert manager.daemons()[0].dropped_events == 3


async def test_a_full_outbox_gives_up_progress_reports_before_anything_else(
        manager: ConnectionManager, server: LiveServer) -> None:
    applied: list[tuple[int, str]] = []

    async def on_event(daemon_id: str, event: Event) -> None:
        applied.append((event.seq, event.event.value))

    manager.add_listener(on_event)
    client = make_client(server, outbox_size=4)
    await client.emit("rip_started", "d1:sr0", {"task_id": "t"})  # 1
    for percent in range(10):  # 2..11: a long outage during a long rip
        await client.emit("rip_progress", "d1:sr0", {"task_id": "t", "percent": percent})
    await client.emit("rip_completed", "d1:sr0", {"task_id": "t"})  # 12
    await client.emit("disc_ejected", "d1:sr0", {})  # 13
    assert (client.dropped, client.outbox_len) == (9, 4)
    async with running(client):
        await eventually(lambda: len(applied) == 4)
        assert applied == [(1, "rip_started"), (11, "rip_progress"), (12, "rip_completed"), (13, "disc_ejected")]


async def test_wrong_token_keeps_retrying_without_connecting(manager: ConnectionManager,
                                                             server: LiveServer) -> None:
    client = make_client(server, token="wrong")
    async with running(client):
        await asyncio.sleep(0.3)
        assert not client.connected and client.connections == 0
        assert manager.daemons() == []


async def test_reconnects_when_the_webapp_comes_up_later() -> None:
    manager = ConnectionManager()
    live = LiveServer(wire_app(TOKEN, manager))
    client = make_client(live)
    async with running(client):
        await asyncio.sleep(0.2)  # nobody listening: connection refused, retried with backoff
        await client.emit("drive_state_changed", None, {"n": 1})
        await live.start()
        try:
            await eventually(lambda: manager.is_connected("d1"))
        finally:
            await live.stop()


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    client = WebAppClient("ws://127.0.0.1:1/ws", backoff_initial=0.5, backoff_max=30.0)
    for attempt, full in enumerate([0.5, 1, 2, 4, 8, 16, 30, 30]):
        delays = [client.backoff_delay(attempt) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 1


async def test_heartbeat_notices_a_dead_link_and_reconnects(manager: ConnectionManager, server: LiveServer) -> None:
    """A proxy that stops forwarding (a dead link: no close, no RST) is noticed by ping/pong within seconds."""
    frozen = False
    writers: list[asyncio.StreamWriter] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if not frozen:
                writer.write(data)

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", server.port)
        writers.extend([writer, up_writer])
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)
        writer.close()
        up_writer.close()

    proxy = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    client = WebAppClient(f"ws://127.0.0.1:{port}/ws", TOKEN, daemon_id="d1", backoff_initial=0.02,
                          backoff_max=0.1, heartbeat_interval=0.2, heartbeat_timeout=0.3)
    async with running(client):
        await eventually(lambda: client.connected)
        frozen = True
        started = time.monotonic()
        await eventually(lambda: not client.connected, timeout=10)
        assert time.monotonic() - started < 10  # noticed by the heartbeat, not never
        frozen = False
        await eventually(lambda: client.connections == 2 and client.connected, timeout=3)
    for writer in writers:
        writer.close()
    proxy.close()


async def test_malformed_frames_from_the_webapp_get_errors(manager: ConnectionManager, server: LiveServer) -> None:
    client = make_client(server)
    client.on_request("ping", AsyncMock(return_value="pong"))
    async with running(client):
        await eventually(lambda: manager.is_connected("d1"))
        assert await manager.send_to_daemon("d1", {"type": "gossip"})
        assert await manager.send_to_daemon("d1", {"type": "request", "method": "ping"})  # no request_id
        assert await manager.request("d1", "ping") == "pong"  # still connected and answering
        assert client.connections == 1

    # The replies themselves, as the spec's tests look at them.
    bare = WebAppClient("ws://localhost:8000/ws")
    bare._websocket = AsyncMock()
    await bare._handle_message({"type": "gossip", "request_id": "r1"})
    await bare._handle_message({"type": "request", "request_id": "r2"})
    replies = [json.loads(call.args[0]) for call in bare._websocket.send.call_args_list]
    assert [(r["request_id"], r["error"]["code"]) for r in replies] == [("r1", "unknown_type"),
                                                                        ("r2", "invalid_message")]


async def test_request_when_not_connected_fails_at_once() -> None:
    client = WebAppClient("ws://127.0.0.1:1/ws")
    with pytest.raises(WebAppError) as failed:
        await client.request("anything")
    assert failed.value.code == "not_connected"

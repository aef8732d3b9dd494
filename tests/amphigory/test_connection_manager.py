"""ConnectionManager over real loopback sockets, with a hand-driven daemon (raw frames) on the other end."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from amphigory.websocket import ConnectionManager, DaemonError, DaemonNotConnected, DaemonTimeout
from amphigory_protocol.messages import MAX_FRAME_BYTES, Event
from helpers_uvicorn import LiveServer, wire_app
from helpers_wire import (
    AUTH,
    TOKEN,
    answer_get_drives,
    connect_daemon,
    drive,
    event,
    eventually,
    hello,
    recv_json,
    recv_until,
)


@pytest.fixture
async def manager() -> ConnectionManager:
    return ConnectionManager(request_timeout=10.0, hello_timeout=10.0)


@pytest.fixture
async def server(manager: ConnectionManager) -> AsyncIterator[LiveServer]:
    async with LiveServer(wire_app(TOKEN, manager)) as live:
        yield live


# -- the handshake ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
async def test_missing_or_wrong_token_is_refused_in_the_handshake(server: LiveServer, headers: dict[str, str],
                                                                  manager: ConnectionManager) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(server.ws_url(), additional_headers=headers, proxy=None)
    assert refused.value.response.status_code == 403
    assert manager.daemons() == []


async def test_no_configured_token_refuses_every_daemon() -> None:
    async with LiveServer(wire_app(token=None)) as live:
        with pytest.raises(InvalidStatus):
            await websockets.connect(live.ws_url(), additional_headers=AUTH, proxy=None)


async def test_silent_connection_is_closed_after_the_hello_timeout(manager: ConnectionManager,
                                                                   server: LiveServer) -> None:
    manager.hello_timeout = 0.2
    async with websockets.connect(server.ws_url(), additional_headers=AUTH, proxy=None) as ws:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 2)
        assert ws.close_code == 1008


# -- registry, requests, mirror --------------------------------------------------------------------------------


async def test_hello_registers_the_daemon_and_its_drives_then_get_drives_resyncs(
        manager: ConnectionManager, server: LiveServer) -> None:
    async with await connect_daemon(server, "d1", drives=[drive("d1:sr0")]) as ws:
        await eventually(lambda: manager.is_connected("d1"))
        (info,) = manager.daemons()
        assert (info.daemon_id, info.version, info.instance_id) == ("d1", "1.0", "i1")
        assert manager.drive("d1:sr0") is not None and manager.daemon_of("d1:sr0") == "d1"
        await answer_get_drives(ws, [drive("d1:sr0", "disc_inserted"), drive("d1:sr1")])
        await eventually(lambda: len(manager.drives()) == 2)
        assert manager.drive("d1:sr0")["state"] == "disc_inserted"  # type: ignore[index]


async def test_request_is_correlated_with_its_response(manager: ConnectionManager, server: LiveServer) -> None:
    async with await connect_daemon(server, "d1") as ws:
        await answer_get_drives(ws, [])
        pending = asyncio.create_task(manager.request("d1", "get_drive_status", {"drive_id": "d1:sr0"}))
        request = await recv_until(ws, "request")
        assert (request["method"], request["params"]) == ("get_drive_status", {"drive_id": "d1:sr0"})
        await ws.send(json.dumps({"type": "response", "request_id": "someone-else", "result": 1}))
        await ws.send(json.dumps({"type": "response", "request_id": request["request_id"], "result": {"ok": 1}}))
        assert await pending == {"ok": 1}


async def test_error_response_raises_daemon_error(manager: ConnectionManager, server: LiveServer) -> None:
    async with await connect_daemon(server, "d1") as ws:
        await answer_get_drives(ws, [])
        pending = asyncio.create_task(manager.request("d1", "eject", {"drive_id": "x"}))
        request = await recv_until(ws, "request")
        await ws.send(json.dumps({"type": "response", "request_id": request["request_id"],
                                  "error": {"code": "unknown_drive", "message": "no drive x"}}))
        with pytest.raises(DaemonError) as failed:
            await pending
        assert (failed.value.code, failed.value.message) == ("unknown_drive", "no drive x")


async def test_unanswered_request_times_out_clearly(manager: ConnectionManager, server: LiveServer) -> None:
    async with await connect_daemon(server, "d1") as ws:
        await answer_get_drives(ws, [])
        started = time.monotonic()
        with pytest.raises(DaemonTimeout, match=r"did not answer scan within 0\.2 s"):
            await manager.request("d1", "scan", {}, timeout=0.2)
        assert time.monotonic() - started < 5  # at once, not after the request's timeout


async def test_request_to_an_absent_daemon_fails_at_once(manager: ConnectionManager) -> None:
    with pytest.raises(DaemonNotConnected):
        await manager.request("nobody", "get_drives")
    assert await manager.send_to_daemon("nobody", {"type": "request"}) is False


async def test_disconnect_fails_pending_requests_at_once_and_drops_the_daemon(
        manager: ConnectionManager, server: LiveServer) -> None:
    seen: list[tuple[str, bool]] = []

    async def on_connection(daemon_id: str, connected: bool) -> None:
        seen.append((daemon_id, connected))

    manager.add_connection_listener(on_connection)
    ws = await connect_daemon(server, "d1", drives=[drive("d1:sr0")])
    await answer_get_drives(ws, [drive("d1:sr0")])
    pending = asyncio.create_task(manager.request("d1", "scan", {}, timeout=30))
    await recv_until(ws, "request")
    started = time.monotonic()
    ws.transport.abort()  # the daemon vanishes without a close frame
    with pytest.raises(DaemonNotConnected):
        await pending
    assert time.monotonic() - started < 5  # at once, not after the request's timeout
    await eventually(lambda: seen == [("d1", True), ("d1", False)])
    assert manager.daemons() == [] and manager.drives() == [] and manager.daemon_of("d1:sr0") is None


async def test_send_to_daemon_delivers_the_message_as_is(manager: ConnectionManager, server: LiveServer) -> None:
    async with await connect_daemon(server, "d1") as ws:
        await answer_get_drives(ws, [])
        message = {"type": "request", "request_id": "test-123", "method": "get_drive_status", "params": {}}
        assert await manager.send_to_daemon("d1", message) is True
        assert await recv_until(ws, "request") == message


async def test_two_daemons_get_their_own_requests(manager: ConnectionManager, server: LiveServer) -> None:
    async with await connect_daemon(server, "a") as wa, await connect_daemon(server, "b") as wb:
        await answer_get_drives(wa, [])
        await answer_get_drives(wb, [])
        to_a = asyncio.create_task(manager.request("a", "who"))
        to_b = asyncio.create_task(manager.request("b", "who"))
        for ws, name in ((wb, "b"), (wa, "a")):
            request = await recv_until(ws, "request")
            await ws.send(json.dumps({"type": "response", "request_id": request["request_id"], "result": name}))
        assert (await to_a, await to_b) == ("a", "b")
        assert [d.daemon_id for d in manager.daemons()] == ["a", "b"]


async def test_same_daemon_id_replaces_the_old_connection(manager: ConnectionManager, server: LiveServer) -> None:
    seen: list[tuple[str, bool]] = []

    async def on_connection(daemon_id: str, connected: bool) -> None:
        seen.append((daemon_id, connected))

    manager.add_connection_listener(on_connection)
    old = await connect_daemon(server, "d1", instance="old")
    await answer_get_drives(old, [])
    pending = asyncio.create_task(manager.request("d1", "scan", {}, timeout=30))
    await recv_until(old, "request")
    async with await connect_daemon(server, "d1", instance="new", drives=[drive("d1:sr0")]) as new:
        with pytest.raises(DaemonNotConnected):
            await pending
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(old.recv(), 2)
        assert old.close_code == 4000
        await answer_get_drives(new, [drive("d1:sr0")])
        (info,) = manager.daemons()
        assert info.instance_id == "new"
        assert manager.daemon_of("d1:sr0") == "d1"
        await eventually(lambda: seen == [("d1", True), ("d1", True)])
        ping = asyncio.create_task(manager.request("d1", "ping"))
        assert (await recv_until(new, "request"))["method"] == "ping"
        ping.cancel()


# -- events ----------------------------------------------------------------------------------------------------


async def test_events_are_applied_once_in_order_and_acknowledged(manager: ConnectionManager,
                                                                 server: LiveServer) -> None:
    applied: list[int] = []

    async def on_event(daemon_id: str, ev: Event) -> None:
        applied.append(ev.seq)

    manager.add_listener(on_event)
    async with await connect_daemon(server, "d1") as ws:
        await answer_get_drives(ws, [])
        for seq in (1, 2, 1, 2, 3):  # 1 and 2 replayed
            await ws.send(event("d1", seq))
        await eventually(lambda: applied == [1, 2, 3])
        acks = []
        while not acks or acks[-1] < 3:
            acks.append((await recv_until(ws, "ack"))["seq"])
        assert acks == sorted(acks)
    # A reconnect of the same instance replays what it did not see acked: not applied again.
    async with await connect_daemon(server, "d1", last_seq=4) as ws:
        for seq in (2, 3, 4):
            await ws.send(event("d1", seq))
        await eventually(lambda: applied == [1, 2, 3, 4])
    # A new instance starts its seq again at 1.
    async with await connect_daemon(server, "d1", instance="i2") as ws:
        await ws.send(event("d1", 1))
        await eventually(lambda: applied == [1, 2, 3, 4, 1])
    # The same instance id with a seq counter that went back is a restarted daemon: its events are new.
    async with await connect_daemon(server, "d1", instance="i2", last_seq=0) as ws:
        await ws.send(event("d1", 1))
        await eventually(lambda: applied == [1, 2, 3, 4, 1, 1])


async def test_event_drive_updates_the_mirror_and_keeps_the_scan_result(manager: ConnectionManager,
                                                                        server: LiveServer) -> None:
    async with await connect_daemon(server, "d1") as ws:
        await answer_get_drives(ws, [drive("d1:sr0")])
        inserted = drive("d1:sr0", "disc_inserted", fingerprint="dvd-1")
        await ws.send(event("d1", 1, "disc_inserted", drive=inserted))
        await eventually(lambda: (manager.drive("d1:sr0") or {}).get("fingerprint") == "dvd-1")
        await ws.send(event("d1", 2, "scan_completed", drive=inserted, result={"titles": []}))
        await ws.send(event("d1", 3, "drive_state_changed", drive=inserted))
        await eventually(lambda: (manager.drive("d1:sr0") or {}).get("scan_result") == {"titles": []})
        await ws.send(event("d1", 4, "disc_ejected", drive=drive("d1:sr0")))
        await eventually(lambda: (manager.drive("d1:sr0") or {}).get("state") == "empty")
        assert manager.drive("d1:sr0").get("scan_result") is None  # type: ignore[union-attr]


async def test_listener_failure_does_not_stop_delivery(manager: ConnectionManager, server: LiveServer) -> None:
    applied: list[int] = []

    async def broken(daemon_id: str, ev: Event) -> None:
        raise RuntimeError("boom")

    async def on_event(daemon_id: str, ev: Event) -> None:
        applied.append(ev.seq)

    manager.add_listener(broken)
    manager.add_listener(on_event)
    async with await connect_daemon(server, "d1") as ws:
        await ws.send(event("d1", 1))
        await ws.send(event("d1", 2))
        await eventually(lambda: applied == [1, 2])


# -- bad frames ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("frame", "code"), [
    ("{not json", "malformed_json"),
    ('{"type": "gossip"}', "unknown_type"),
    ('{"type": "request", "method": "x"}', "invalid_message"),
    ('{"type": "event", "event": "no_such_event", "daemon_id": "d1", "seq": 1}', "invalid_message"),
    ('{"type": "event", "event": "disc_ejected", "daemon_id": "intruder", "seq": 1}', "invalid_message"),
    ('[1, 2]', "invalid_message"),
])
async def test_bad_frame_gets_an_error_and_the_connection_stays_usable(
        manager: ConnectionManager, server: LiveServer, frame: str, code: str) -> None:
    async with await connect_daemon(server, "d1") as ws:
        await answer_get_drives(ws, [])
        await ws.send(frame)
        reply = await recv_until(ws, "response")
        assert reply["error"]["code"] == code
        pending = asyncio.create_task(manager.request("d1", "ping"))
        request = await recv_until(ws, "request")
        await ws.send(json.dumps({"type": "response", "request_id": request["request_id"], "result": "pong"}))
        assert await pending == "pong"


async def test_frames_before_hello_get_errors_until_the_hello(manager: ConnectionManager,
                                                              server: LiveServer) -> None:
    async with websockets.connect(server.ws_url(), additional_headers=AUTH, proxy=None) as ws:
        await ws.send("nope")
        assert (await recv_json(ws))["error"]["code"] == "malformed_json"
        await ws.send(event("d1", 1))
        assert (await recv_json(ws))["error"]["code"] == "hello_required"
        await ws.send(hello("d1"))
        await eventually(lambda: manager.is_connected("d1"))


async def test_oversize_frame_closes_that_connection_only(manager: ConnectionManager, server: LiveServer) -> None:
    async with await connect_daemon(server, "big", drives=[]) as big, await connect_daemon(server, "ok") as ok:
        await answer_get_drives(big, [])
        await answer_get_drives(ok, [])
        await big.send("x" * (MAX_FRAME_BYTES + 1))
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(big.recv(), 2)
        assert big.close_code == 1009
        pending = asyncio.create_task(manager.request("ok", "ping"))
        request = await recv_until(ok, "request")
        await ok.send(json.dumps({"type": "response", "request_id": request["request_id"], "result": "pong"}))
        assert await pending == "pong"
        await eventually(lambda: not manager.is_connected("big"))


async def test_uvicorn_ws_max_size_closes_oversize_frames_with_1009(manager: ConnectionManager) -> None:
    """As `amphigory serve` runs it: the limit is enforced by the protocol layer before the app sees the frame."""
    async with LiveServer(wire_app(TOKEN, manager), ws_max_size=MAX_FRAME_BYTES + 1024) as live:
        big = await connect_daemon(live, "big")
        await answer_get_drives(big, [])
        await big.send("x" * (MAX_FRAME_BYTES + 2048))
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(big.recv(), 2)
        assert big.close_code == 1009


# -- the browser feed ------------------------------------------------------------------------------------------


async def test_browser_gets_a_snapshot_then_changes(manager: ConnectionManager, server: LiveServer) -> None:
    async with await connect_daemon(server, "d1", drives=[drive("d1:sr0", scan_result={"big": 1})]) as daemon:
        await answer_get_drives(daemon, [drive("d1:sr0", scan_result={"big": 1})])
        async with websockets.connect(server.ws_url("/ws/browser"), proxy=None) as browser:
            snapshot = await recv_json(browser)
            assert snapshot["type"] == "snapshot"
            assert [d["daemon_id"] for d in snapshot["daemons"]] == ["d1"]
            assert snapshot["drives"] == [drive("d1:sr0")]  # without the scan result
            await daemon.send(event("d1", 1, "disc_inserted", drive=drive("d1:sr0", "disc_inserted")))
            assert (await recv_until(browser, "drive"))["drive"]["state"] == "disc_inserted"
            assert (await recv_until(browser, "event"))["event"]["seq"] == 1
            await manager.broadcast_browser({"type": "task", "task": {"id": "t1"}})
            assert (await recv_until(browser, "task"))["task"] == {"id": "t1"}
            async with await connect_daemon(server, "d2", drives=[drive("d2:sr0")]):
                message = await recv_until(browser, "daemon")
                assert (message["connected"], message["daemon"]["daemon_id"]) == (True, "d2")
                assert (await recv_until(browser, "drive"))["drive"]["drive_id"] == "d2:sr0"
            assert (await recv_until(browser, "drive_removed"))["drive_id"] == "d2:sr0"
            message = await recv_until(browser, "daemon")
            assert (message["connected"], message["daemon"]["daemon_id"]) == (False, "d2")


async def test_browser_feed_is_read_only(manager: ConnectionManager, server: LiveServer) -> None:
    async with await connect_daemon(server, "d1") as daemon:
        await answer_get_drives(daemon, [])
        async with websockets.connect(server.ws_url("/ws/browser"), proxy=None) as browser:
            await recv_json(browser)  # snapshot
            request = {"type": "request", "request_id": "r1", "method": "eject", "params": {"drive_id": "d1:sr0"}}
            for frame in (json.dumps(request), "{garbage", hello("d1", instance="evil")):
                await browser.send(frame)
                reply = await recv_json(browser)
                assert reply["error"]["code"] == "read_only"
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(daemon.recv(), 0.3)  # nothing reached the daemon
            assert [d.instance_id for d in manager.daemons()] == ["i1"]
            await browser.send("x" * (MAX_FRAME_BYTES + 1))
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(browser.recv(), 2)
            assert browser.close_code == 1009

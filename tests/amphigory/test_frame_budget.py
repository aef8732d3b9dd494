"""A connection's budget of frames and bytes a second (pure, with a hand clock), and a flooding browser that
never holds up a daemon (real loopback sockets)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import websockets

from amphigory.link.budget import Bucket, FrameBudget
from amphigory.websocket import ConnectionManager
from helpers_uvicorn import LiveServer, wire_app
from helpers_wire import PATIENCE, TOKEN, answer_get_drives, connect_daemon, recv_until


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_its_burst_then_paces_at_its_rate() -> None:
    bucket = Bucket(rate=10.0, burst=5.0)
    assert [bucket.spend(1, 0.0) for _ in range(5)] == [0.0] * 5
    assert bucket.spend(1, 0.0) == pytest.approx(0.1)
    assert bucket.spend(1, 0.0) == pytest.approx(0.2)
    assert bucket.spend(1, 10.0) == 0.0  # refilled (to its burst, no further)
    assert [bucket.spend(1, 10.0) for _ in range(4)] == [0.0] * 4
    assert bucket.spend(1, 10.0) > 0


def test_budget_counts_frames_and_bytes() -> None:
    clock = Clock()
    budget = FrameBudget(Bucket(100.0, 10.0), Bucket(1000.0, 1000.0), clock)
    assert budget.delay(1000) == 0.0
    assert budget.delay(500) == pytest.approx(0.5)  # bytes over: 500 bytes at 1000/s
    clock.now += 10
    assert all(budget.delay(1) == 0.0 for _ in range(10))
    assert budget.delay(1) == pytest.approx(0.01)  # frames over: one at 100/s
    assert budget.throttled == 2


@pytest.fixture
async def server() -> AsyncIterator[tuple[LiveServer, ConnectionManager]]:
    manager = ConnectionManager(request_timeout=PATIENCE, hello_timeout=PATIENCE)
    async with LiveServer(wire_app(TOKEN, manager)) as live:
        yield live, manager


async def test_a_flooding_browser_does_not_hold_up_a_daemon(server: tuple[LiveServer, ConnectionManager]) -> None:
    live, _manager = server
    flood = 2500  # far over the browser's burst: the webapp takes ten seconds to read it all, by design
    answered = 0

    async def count_replies(browser: websockets.ClientConnection) -> None:
        nonlocal answered
        async for text in browser:
            answered += json.loads(text).get("error", {}).get("code") == "read_only"

    async with websockets.connect(live.ws_url("/ws/browser"), max_queue=None) as browser:
        assert json.loads(await browser.recv())["type"] == "snapshot"
        counter = asyncio.create_task(count_replies(browser))
        await asyncio.gather(*(browser.send("{}") for _ in range(flood)))
        async with await connect_daemon(live, "d1") as daemon:
            await answer_get_drives(daemon, [])
            await daemon.send(json.dumps({"type": "event", "event": "drive_state_changed", "daemon_id": "d1",
                                          "drive_id": None, "seq": 1, "data": {}}))
            assert (await recv_until(daemon, "ack"))["seq"] == 1
            served_after = answered
        counter.cancel()
    # the daemon was served while the flood was still being read (paced), not after all of it
    assert 0 < served_after < flood

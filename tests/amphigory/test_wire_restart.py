"""Both real ends of the wire through restarts: the webapp going away and coming back, a daemon process killed."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any

from amphigory.websocket import ConnectionManager, DaemonNotConnected
from amphigory_daemon.websocket import WebAppClient
from amphigory_protocol.messages import Event
from helpers_patience import patient
from helpers_uvicorn import LiveServer, wire_app

TOKEN = "secret"


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + patient(timeout)
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_webapp_restart_while_emitting_delivers_every_event_once_in_order() -> None:
    manager = ConnectionManager()
    applied: list[int] = []

    async def on_event(daemon_id: str, event: Event) -> None:
        applied.append(event.data["n"])

    manager.add_listener(on_event)
    live = LiveServer(wire_app(TOKEN, manager))
    await live.start()
    client = WebAppClient(live.ws_url(), TOKEN, daemon_id="d1", backoff_initial=0.02, backoff_max=0.1,
                          heartbeat_interval=5, heartbeat_timeout=5)
    runner = asyncio.create_task(client.run())
    total = 600

    async def produce() -> None:
        for n in range(1, total + 1):
            await client.emit("rip_progress", "d1:sr0", {"n": n})
            if n % 20 == 0:
                await asyncio.sleep(0.005)

    producer = asyncio.create_task(produce())
    try:
        await eventually(lambda: len(applied) >= 100)
        await live.stop()  # mid-stream: some events sent but not acked, some not sent at all
        stopped_at = len(applied)
        await asyncio.sleep(0.1)
        await live.start()  # same port
        await producer
        await eventually(lambda: len(applied) >= total)
        assert stopped_at < total
        assert applied == list(range(1, total + 1))
        assert client.connections >= 2 and client.dropped == 0
        await eventually(lambda: client.outbox_len == 0)
    finally:
        producer.cancel()
        await client.stop()
        await runner
        await live.stop()


async def test_fresh_webapp_after_restart_gets_everything_not_acknowledged() -> None:
    """A new webapp process (fresh manager) loses no event the old one had not acknowledged."""
    first, second = ConnectionManager(), ConnectionManager()
    seen: dict[str, list[int]] = {"first": [], "second": []}

    def recorder(name: str) -> Any:
        async def on_event(daemon_id: str, event: Event) -> None:
            seen[name].append(event.seq)
        return on_event

    first.add_listener(recorder("first"))
    second.add_listener(recorder("second"))
    live = LiveServer(wire_app(TOKEN, first))
    await live.start()
    client = WebAppClient(live.ws_url(), TOKEN, daemon_id="d1", backoff_initial=0.02, backoff_max=0.1)
    runner = asyncio.create_task(client.run())
    try:
        for _ in range(10):
            await client.emit("drive_state_changed", None, {})
        await eventually(lambda: seen["first"] == list(range(1, 11)) and client.outbox_len == 0)
        await live.stop()
        for _ in range(5):
            await client.emit("drive_state_changed", None, {})
        live = LiveServer(wire_app(TOKEN, second), port=live.port)
        await live.start()
        await eventually(lambda: seen["second"] == list(range(11, 16)))
    finally:
        await client.stop()
        await runner
        await live.stop()


DAEMON = textwrap.dedent("""
    import asyncio, sys
    from amphigory_daemon.websocket import WebAppClient

    async def main():
        client = WebAppClient(sys.argv[1], "secret", daemon_id="victim", backoff_initial=0.05)
        async def get_drives(params):
            return {"drives": [{"drive_id": "victim:sr0", "state": "empty"}]}
        async def scan(params):
            print("scanning", flush=True)
            await asyncio.Event().wait()
        client.on_request("get_drives", get_drives)
        client.on_request("scan", scan)
        await client.run()

    asyncio.run(main())
""")


async def test_daemon_killed_mid_request_fails_the_request_at_once() -> None:
    manager = ConnectionManager(request_timeout=30)
    async with LiveServer(wire_app(TOKEN, manager)) as live:
        process = await asyncio.create_subprocess_exec(sys.executable, "-c", DAEMON, live.ws_url(),
                                                       stdout=asyncio.subprocess.PIPE, env={**os.environ})
        try:
            await eventually(lambda: manager.drive("victim:sr0") is not None, timeout=15)
            pending = asyncio.create_task(manager.request("victim", "scan", {"drive_id": "victim:sr0"}))
            assert process.stdout is not None
            assert await asyncio.wait_for(process.stdout.readline(), 5) == b"scanning\n"
            started = time.monotonic()
            process.send_signal(signal.SIGKILL)
            try:
                await pending
                raise AssertionError("the request should have failed")
            except DaemonNotConnected:
                pass
            assert time.monotonic() - started < 5  # at once, not after the request's 10 s timeout
            await eventually(lambda: manager.daemons() == [] and manager.drives() == [])
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()

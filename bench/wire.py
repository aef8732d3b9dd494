"""Wire benchmark: request round trip (p50/p99) and event throughput into the webapp, 1 and 20 daemons, loopback.

Runs the real webapp routes under uvicorn and real WebAppClients, all in this process (so the figures include
both ends' CPU). Targets: p50 round trip < 2 ms, > 5,000 events/s.   Usage: python bench/wire.py
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import statistics
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI

from amphigory.config import WebappSettings
from amphigory.websocket import ConnectionManager, router
from amphigory_daemon.websocket import WebAppClient
from amphigory_protocol.messages import Event

TOKEN = "bench"
REQUESTS = 2000
EVENTS = 20_000


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _until(check: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark stalled")
        await asyncio.sleep(0.001)


async def scenario(daemons: int) -> dict[str, float]:
    manager = ConnectionManager()
    applied = 0

    async def on_event(daemon_id: str, event: Event) -> None:
        nonlocal applied
        applied += 1

    manager.add_listener(on_event)
    app = FastAPI()
    app.include_router(router)
    app.state.manager, app.state.settings = manager, WebappSettings(token=TOKEN)
    port = _free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    await _until(lambda: server.started)

    async def ping(params: dict[str, Any]) -> dict[str, Any]:
        return {"pong": True}

    clients = [WebAppClient(f"ws://127.0.0.1:{port}/ws", TOKEN, daemon_id=f"bench-{i}") for i in range(daemons)]
    for client in clients:
        client.on_request("ping", ping)
        client.on_request("get_drives", lambda params: asyncio.sleep(0, {"drives": []}))
    runs = [asyncio.create_task(c.run()) for c in clients]
    await _until(lambda: len(manager.daemons()) == daemons)

    rtts = []
    for n in range(REQUESTS):
        started = time.perf_counter()
        await manager.request(f"bench-{n % daemons}", "ping")
        rtts.append((time.perf_counter() - started) * 1000)
    rtts.sort()

    per_daemon = EVENTS // daemons
    started = time.perf_counter()

    async def produce(client: WebAppClient) -> None:
        for n in range(per_daemon):
            await client.emit("rip_progress", "bench:sr0", {"task_id": "t", "percent": n % 100, "bytes": n})
            if n % 500 == 499:
                await asyncio.sleep(0)

    await asyncio.gather(*(produce(c) for c in clients))
    await _until(lambda: applied >= per_daemon * daemons)
    elapsed = time.perf_counter() - started

    for client in clients:
        await client.stop()
    await asyncio.gather(*runs)
    server.should_exit = True
    await serving
    return {"p50_ms": statistics.median(rtts), "p99_ms": rtts[int(len(rtts) * 0.99) - 1],
            "events_per_s": per_daemon * daemons / elapsed}


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    print(f"wire benchmark: {REQUESTS} requests, {EVENTS} events per scenario (loopback, one process)")
    for daemons in (1, 20):
        r = await scenario(daemons)
        ok = "ok" if r["p50_ms"] < 2 and r["events_per_s"] > 5000 else "BELOW TARGET"
        print(f"{daemons:>2} daemon(s): round trip p50 {r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms; "
              f"events {r['events_per_s']:,.0f}/s  [{ok}]", flush=True)


if __name__ == "__main__":
    asyncio.run(main())

"""Load: 10 fake daemons sending rip progress at 20 Hz each, plus one client sending a 5 MB body every second,
against a real `amphigory serve` process on loopback; `/health` and `GET /api/drives` latency (p50, p99) printed
against the 50 ms target.

    .venv/bin/python bench/load.py [--seconds 60] [--daemons 10] [--hz 20]

The daemons are raw WebSocket connections in this process (hello, then `rip_progress` events carrying their
drive, acks read and dropped, `get_drives` answered); the probe asks `/health` and `/api/drives` in turn, one at a
time, every 50 ms. Every request goes to 127.0.0.1 only, and the run stops by itself. Prints, never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

TARGET_MS = 50.0
BODY_BYTES = 5 * 1024 * 1024
AMPHIGORY = Path(sys.executable).parent / "amphigory"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def drive(daemon_id: str, progress: int) -> dict[str, Any]:
    return {"drive_id": f"{daemon_id}:sr0", "daemon_id": daemon_id, "device": "sr0", "state": "ripping",
            "fingerprint": f"dvd-{daemon_id}", "rip_task_id": "t", "rip_track_number": 1, "rip_progress": progress}


async def fake_daemon(url: str, token: str, daemon_id: str, hz: float, until: float) -> int:
    """One daemon: hello, then rip_progress at `hz` until `until`; the number of events sent."""
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        await ws.send(json.dumps({"type": "hello", "daemon_id": daemon_id, "version": "bench",
                                  "drives": [drive(daemon_id, 0)]}))

        async def read() -> None:
            async for text in ws:
                message = json.loads(text)
                if message.get("type") == "request":  # get_drives (the re-sync): our one drive
                    await ws.send(json.dumps({"type": "response", "request_id": message["request_id"],
                                              "result": {"drives": [drive(daemon_id, 0)]}}))

        reader = asyncio.create_task(read())
        seq = 0
        try:
            while (now := time.monotonic()) < until:
                seq += 1
                await ws.send(json.dumps({"type": "event", "event": "rip_progress", "daemon_id": daemon_id,
                                          "drive_id": f"{daemon_id}:sr0", "seq": seq,
                                          "data": {"task_id": "t", "progress": seq % 100,
                                                   "drive": drive(daemon_id, seq % 100)}}))
                await asyncio.sleep(max(0.0, now + 1 / hz - time.monotonic()))
        finally:
            reader.cancel()
        return seq


async def big_bodies(base: str, until: float) -> list[int]:
    """A 5 MB body every second; the statuses it got (413 expected)."""
    statuses: list[int] = []
    body = b"[" + b"1," * (BODY_BYTES // 2) + b"1]"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while (now := time.monotonic()) < until:
            try:
                response = await http.patch("/api/discs/x", content=body,
                                            headers={"Content-Type": "application/json"})
                statuses.append(response.status_code)
            except httpx.HTTPError:  # refused and closed while the body was still going out
                statuses.append(0)
            await asyncio.sleep(max(0.0, now + 1.0 - time.monotonic()))
    return statuses


async def probe(base: str, until: float) -> dict[str, list[float]]:
    """`/health` and `/api/drives` in turn every 50 ms: milliseconds of each answer."""
    times: dict[str, list[float]] = {"/health": [], "/api/drives": []}
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < until:
            for path, samples in times.items():
                started = time.perf_counter()
                response = await http.get(path)
                response.raise_for_status()
                samples.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.05)
    return times


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(seconds: float, daemons: int, hz: float) -> None:
    port, token = free_port(), secrets.token_hex(8)
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMPHIGORY_")}
        server = subprocess.Popen([str(AMPHIGORY), "serve", "--host", "127.0.0.1", "--port", str(port),
                                   "--data-dir", data, "--token", token], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            async with httpx.AsyncClient(base_url=base, timeout=2) as http:
                deadline = time.monotonic() + 90
                while True:
                    try:
                        if (await http.get("/health")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise SystemExit("the webapp did not start")
                    await asyncio.sleep(0.1)
            until = time.monotonic() + seconds
            url = f"ws://127.0.0.1:{port}/ws"
            # the probe runs in its own process, so the load this one generates never delays its measurements
            prober = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--probe", base, "--seconds", str(seconds), stdout=subprocess.PIPE)
            results = await asyncio.gather(
                prober.communicate(), big_bodies(base, until),
                *(fake_daemon(url, token, f"load{n}", hz, until) for n in range(daemons)))
        finally:
            server.terminate()
            server.wait(30)
    times: dict[str, list[float]] = json.loads(results[0][0])
    statuses, sent = results[1], results[2:]
    refused = sum(1 for status in statuses if status in (0, 413))
    print(f"load: {daemons} daemons x {hz:g} Hz for {seconds:g} s ({sum(sent)} events), "
          f"{len(statuses)} bodies of {BODY_BYTES // (1024 * 1024)} MB ({refused} refused: 413, or closed unread)")
    for path, samples in times.items():
        p50, p99 = statistics.median(samples), percentile(samples, 0.99)
        verdict = "ok" if p99 < TARGET_MS else "OVER"
        print(f"  {path:12} n={len(samples):5}  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
              f"max {max(samples):6.1f} ms  target p99 < {TARGET_MS:g} ms: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs (default 60)")
    parser.add_argument("--daemons", type=int, default=10, help="fake daemons (default 10)")
    parser.add_argument("--hz", type=float, default=20.0, help="progress events a second per daemon (default 20)")
    parser.add_argument("--probe", metavar="URL", help=argparse.SUPPRESS)  # the measuring child process
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(asyncio.run(probe(args.probe, time.monotonic() + args.seconds))))
    else:
        asyncio.run(run(args.seconds, args.daemons, args.hz))


if __name__ == "__main__":
    main()

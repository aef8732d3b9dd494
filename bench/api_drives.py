"""`GET /api/drives` latency (p50, target under 10 ms) and requests/s with 10 daemons x 4 drives connected.

The webapp is the real app (`create_app`, SQLite file in a temporary folder) under uvicorn on loopback, in its own
thread and event loop; the 10 daemons are real `WebAppClient`s in this process, each with 4 `OpticalDrive`s. 30 of
the 40 drives hold a disc and 20 of those discs are stored (24 titles each), so most drives carry `known_disc`.
Latency: 500 sequential requests from one client. Throughput: 8 concurrent clients for 3 s. Prints, never
asserts. About 15 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from amphigory.api.disc_repository import DiscRepository
from amphigory.config import WebappSettings
from amphigory.database import Database
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager
from amphigory_daemon.drive import OpticalDrive
from amphigory_daemon.websocket import WebAppClient
from amphigory_protocol.disc import ScanResult
from amphigory_protocol.messages import Hello

DAEMONS = 10
DRIVES = 4
TITLES = 24
TOKEN = "bench"
SEQUENTIAL = 500
CONCURRENCY = 8
SECONDS = 3.0


def result(fingerprint: str) -> ScanResult:
    titles = [{"number": n, "duration_seconds": 60.0 * n, "chapters": n, "audio": [{"language": "eng"}],
               "subtitles": [{"language": "fra"}], "segment_map": [f"c{n}"],
               "classification": {"type": "main_feature" if n == 1 else "extra", "confidence": 0.8}}
              for n in range(1, TITLES + 1)]
    return ScanResult.model_validate({"fingerprint": fingerprint, "disc_type": "dvd", "volume_name": "BENCH",
                                      "titles": titles})


async def seed(path: Path, fingerprints: list[str]) -> None:
    db = Database(path)
    await db.initialize()
    repo = DiscRepository(db)
    for fp in fingerprints:
        await repo.save_scan(result(fp))
    await db.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerThread(threading.Thread):
    def __init__(self, app: Any, port: int) -> None:
        super().__init__(daemon=True)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))

    def run(self) -> None:
        asyncio.run(self.server.serve())

    def stop(self) -> None:
        self.server.should_exit = True
        self.join(10)


def daemon(url: str, index: int) -> WebAppClient:
    daemon_id = f"bench{index}@host"
    drives = [OpticalDrive(daemon_id, f"/dev/sr{n}") for n in range(DRIVES)]
    for n, drive in enumerate(drives):
        slot = index * DRIVES + n
        if slot < 30:
            drive.insert_disc(volume="BENCH", disc_type="dvd")
            drive.set_fingerprint(f"dvd-bench-{slot}")
    listed = [{k: v for k, v in d.to_dict().items() if k != "scan_result"} for d in drives]
    client = WebAppClient(url, TOKEN, daemon_id, hello=lambda: Hello(daemon_id=daemon_id, version="b", drives=listed))

    async def get_drives(params: dict[str, Any]) -> Any:
        return {"drives": listed}

    client.on_request("get_drives", get_drives)
    return client


async def measure(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        for _ in range(50):  # warm up
            await http.get("/api/drives")
        body = (await http.get("/api/drives")).json()
        known = sum(1 for d in body["drives"] if d["known_disc"])
        size = len((await http.get("/api/drives")).content)
        print(f"{len(body['drives'])} drives, {known} with known_disc; a response is {size:,} bytes")
        samples = []
        for _ in range(SEQUENTIAL):
            start = time.perf_counter()
            response = await http.get("/api/drives")
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        samples.sort()
        print(f"latency over {SEQUENTIAL} sequential requests (target p50 under 10 ms): "
              f"p50 {statistics.median(samples):.2f} ms  p90 {samples[int(len(samples) * 0.9)]:.2f} ms  "
              f"p99 {samples[int(len(samples) * 0.99)]:.2f} ms")

    done = 0
    deadline = time.perf_counter() + SECONDS

    async def worker() -> None:
        nonlocal done
        async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
            while time.perf_counter() < deadline:
                await http.get("/api/drives")
                done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    print(f"throughput with {CONCURRENCY} concurrent clients: {done / (time.perf_counter() - start):.0f} requests/s")


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="amphigory-bench-") as folder:
        settings = WebappSettings(data_dir=Path(folder), token=TOKEN)
        await seed(settings.database_path, [f"dvd-bench-{slot}" for slot in range(0, 30) if slot % 3 != 2])
        manager = ConnectionManager()
        app = create_app(settings, manager)
        port = free_port()
        server = ServerThread(app, port)
        server.start()
        while not server.server.started:
            await asyncio.sleep(0.01)
        clients = [daemon(f"ws://127.0.0.1:{port}/ws", i) for i in range(DAEMONS)]
        runs = [asyncio.create_task(c.run()) for c in clients]
        while len(manager.drives()) < DAEMONS * DRIVES:
            await asyncio.sleep(0.01)
        print(f"{DAEMONS} daemons x {DRIVES} drives connected")
        try:
            await measure(f"http://127.0.0.1:{port}")
        finally:
            for client in clients:
                await client.stop()
            for run in runs:
                with contextlib.suppress(asyncio.CancelledError):
                    await run
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())

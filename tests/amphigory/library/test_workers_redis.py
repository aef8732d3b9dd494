"""Workers on other machines, for real: a redis-server on loopback as the queue, the webapp in process, and two
`amphigory worker` processes that cannot see the webapp's data folder (each in its own mount namespace with an
empty tmpfs over it, and its own --data-dir). One is killed with SIGKILL in the middle of the job; the other runs
it again and the film is filed once, transcoded, with its chapters and both audio languages."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from test_library_filing import App, RecordingManager

from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory_daemon.rip import RipOutcome
from amphigory_protocol.disc import ScanResult
from helpers_uvicorn import LiveServer, free_port
from helpers_workers import alive, children, redis_server, start_worker

TOKEN = "worker-test-token"


async def until(condition: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        await asyncio.sleep(0.05)


def tracks(path: Path) -> dict[str, Any]:
    run = subprocess.run(["mkvmerge", "-J", str(path)], capture_output=True, text=True, check=True)
    info: dict[str, Any] = json.loads(run.stdout)
    return info


async def test_a_worker_killed_mid_job_hands_it_to_another_that_cannot_see_the_rip_either(
        tmp_path: Path, dvd_feature_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_feature_rip
    data = tmp_path / "webapp"
    with redis_server(tmp_path / "redis") as queue:
        port = free_port()
        settings = WebappSettings(data_dir=data, token=TOKEN, transcode="handbrake", port=port, queue=queue,
                                  workers=0, worker_timeout=3.0)
        manager = RecordingManager()
        webapp = create_app(settings, manager)
        server = LiveServer(webapp, port=port)
        await server.start()
        http = httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=10)
        workers: list[subprocess.Popen[bytes]] = []
        try:
            webapp.state.filer.progress_interval = 0.2
            app = App(data, http, webapp.state.tasks, manager, webapp)
            for name in ("a", "b"):
                workers.append(start_worker(queue, f"ws://127.0.0.1:{port}/ws", TOKEN, tmp_path / f"worker-{name}",
                                            hide=data, log=tmp_path / f"worker-{name}.log"))

            async def both_listed() -> bool:
                listed = (await http.get("/api/workers")).json()["workers"]
                return {w["pid"] for w in listed} == {w.pid for w in workers}

            await until(both_listed, 60, "both workers to say they are there")
            await app.save(scan, "Big Buck Bunny", 2008, t1={"type": "main_feature"})
            ripped = app.place_rip(rip, "Big Buck Bunny (2008).mkv")
            rip_task = await app.rip_completed(scan.fingerprint, 1, ripped, rip.size_bytes)
            file_id = (await app.task(rip_task))["result"]["filing"]["task_id"]

            holder: list[dict[str, Any]] = []

            async def transcoding() -> bool:
                listed = (await http.get("/api/workers")).json()["workers"]
                holder[:] = [w for w in listed if w["task_id"] == file_id and w["phase"] == "transcoding"
                             and (w["percent"] or 0) > 0]
                return bool(holder)

            await until(transcoding, 90, "a worker to be transcoding the film")
            victim = next(w for w in workers if w.pid == holder[0]["pid"])
            encoders = children(victim.pid)
            assert encoders, "the worker runs its encoder as a child"
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            killed_at = time.monotonic()

            async def encoders_gone() -> bool:
                return not any(alive(pid) for pid in encoders)

            await until(encoders_gone, 10, "the killed worker's encoder to die with it")
            task = await app.finished(file_id, timeout=180)
            assert task["status"] == "complete", task["error"]
            assert time.monotonic() - killed_at > settings.worker_timeout  # it was run again, not finished by A
            survivor = next(w for w in workers if w is not victim)
            assert survivor.poll() is None
            job = await webapp.state.jobs.records.get(file_id)
            assert job.attempt == 2 and job.state == "done" and job.worker == f"{os.uname().nodename}:{survivor.pid}"
            assert "the rip was streamed from the webapp" in task["result"]["notes"]
            assert task["result"]["delivery"] == "uploaded"  # and the result sent back over HTTP
            assert task["result"]["method"] == "HandBrakeCLI preset 'Fast 480p30'"
            films = app.library_files()
            assert films == ["Movies/Big Buck Bunny (2008)/Big Buck Bunny (2008).mkv"]
            info = tracks(app.library / films[0])
            kinds = [(t["type"], t["properties"].get("language")) for t in info["tracks"]]
            assert [k for k in kinds if k[0] == "video"] and info["tracks"][0]["codec"].startswith("AVC")
            assert [lang for kind, lang in kinds if kind == "audio"] == ["eng", "fre"]
            assert info["chapters"] == [{"num_entries": 4}]
            assert not any((data / "library" / ".amphigory-staging").iterdir())  # no upload left behind
            log_a = (tmp_path / f"worker-{'a' if victim is workers[0] else 'b'}.log").read_text()
            assert TOKEN not in log_a
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.terminate()
                    worker.wait(10)
            await http.aclose()
            await server.stop()

"""/api/jobs as a worker sees it (this test plays the worker over real HTTP; no worker process): the token is
always needed, a job is claimed once and completes once under its lease, the rip streams with Range, an upload
resumes and is verified, a silent worker's job is queued again, cancel voids the lease, and staging files a dead
filing left are swept when the webapp starts."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import blake3
import httpx
from test_library_filing import App, RecordingManager

from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory_daemon.rip import RipOutcome
from amphigory_protocol.disc import ScanResult
from helpers_uvicorn import LiveServer

TOKEN = "jobs-api-token"
WORKER = {"id": "elsewhere:42", "host": "elsewhere", "pid": 42}
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@asynccontextmanager
async def webapp(data: Path, worker_timeout: float = 30.0) -> AsyncIterator[App]:
    manager = RecordingManager()
    app = create_app(WebappSettings(data_dir=data, token=TOKEN, transcode="ffmpeg", workers=0,
                                    worker_timeout=worker_timeout), manager)
    server = LiveServer(app)
    await server.start()
    http = httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=10)
    try:
        yield App(data, http, app.state.tasks, manager, app)
    finally:
        await http.aclose()
        await server.stop()


async def queued_filing(app: App, scan: ScanResult, rip: RipOutcome) -> tuple[str, Path]:
    await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "main_feature"})
    ripped = app.place_rip(rip, "Big Buck Bunny (2008).mkv")
    rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
    return (await app.task(rip_task))["result"]["filing"]["task_id"], ripped


async def claim(app: App, task_id: str, attempt: int = 1) -> httpx.Response:
    return await app.http.post(f"/api/jobs/{task_id}/claim", json={"attempt": attempt, "worker": WORKER},
                               headers=AUTH)


async def test_worker_routes_need_the_token_even_from_loopback(tmp_path: Path,
                                                               dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    async with webapp(tmp_path / "data") as app:
        task_id, _ = await queued_filing(app, *dvd_rip)
        body = {"attempt": 1, "worker": WORKER}
        assert (await app.http.post(f"/api/jobs/{task_id}/claim", json=body)).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await app.http.post(f"/api/jobs/{task_id}/claim", json=body, headers=wrong)).status_code == 401
        assert (await app.http.post("/api/workers/heartbeat", json=WORKER)).status_code == 401
        assert (await app.http.get("/api/workers")).json() == {"workers": []}
        assert (await app.http.post("/api/workers/heartbeat", json=WORKER, headers=AUTH)).status_code == 204
        listed = (await app.http.get("/api/workers")).json()["workers"]
        assert [(w["id"], w["host"], w["task_id"]) for w in listed] == [("elsewhere:42", "elsewhere", None)]
        paths = (await app.http.get("/openapi.json")).json()["paths"]
        assert {"/api/jobs/{task_id}/claim", "/api/jobs/{task_id}/result", "/api/workers"} <= set(paths)


async def test_a_job_is_claimed_once_streamed_uploaded_verified_and_completed_once(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    async with webapp(tmp_path / "data") as app:
        task_id, ripped = await queued_filing(app, *dvd_rip)
        first = await claim(app, task_id)
        assert first.status_code == 200
        spec: dict[str, Any] = first.json()
        lease = spec["lease"]
        assert spec["transcode"] == "ffmpeg" and spec["source"]["size"] == ripped.stat().st_size
        assert spec["duration"] == 10.0 and spec["height"] == 480 and spec["attempt"] == 1
        assert (await claim(app, task_id)).status_code == 409  # the same message delivered twice
        assert (await app.task(task_id))["status"] == "running"

        # The rip, streamed: a Range request resumes part-way, and the checksum is the file's.
        whole = ripped.read_bytes()
        part = await app.http.get(f"/api/jobs/{task_id}/source", params={"lease": lease},
                                  headers={**AUTH, "Range": "bytes=1000-"})
        assert part.status_code == 206 and part.content == whole[1000:]
        checksum = (await app.http.get(f"/api/jobs/{task_id}/source/checksum", params={"lease": lease},
                                       headers=AUTH)).json()
        assert checksum == {"checksum": f"blake3:{blake3.blake3(whole).hexdigest()}", "size": len(whole)}
        older = (await app.http.get(f"/api/jobs/{task_id}/source/sha256", params={"lease": lease},
                                    headers=AUTH)).json()  # what a worker not upgraded yet asks
        assert older == {"sha256": hashlib.sha256(whole).hexdigest(), "size": len(whole)}
        stale = await app.http.get(f"/api/jobs/{task_id}/source", params={"lease": "not-the-lease"}, headers=AUTH)
        assert stale.status_code == 409 and stale.json()["code"] == "lease_lost"

        # Progress: the task moves and the dashboard's list shows the worker's speed.
        report = {"lease": lease, "worker": WORKER, "phase": "transcoding", "percent": 40, "fps": 120.5,
                  "eta_seconds": 3}
        assert (await app.http.post(f"/api/jobs/{task_id}/progress", json=report, headers=AUTH)).status_code == 204
        assert (await app.task(task_id))["progress"] == 40
        listed = (await app.http.get("/api/workers")).json()["workers"]
        assert [(w["task_id"], w["fps"], w["eta_seconds"]) for w in listed] == [(task_id, 120.5, 3)]

        # The result uploaded in two goes (a cut connection), a wrong offset refused, then verified.
        result = f"/api/jobs/{task_id}/result"
        half = len(whole) // 2
        put = await app.http.put(result, params={"lease": lease, "offset": 0}, content=whole[:half], headers=AUTH)
        assert put.json() == {"received": half}
        wrong = await app.http.put(result, params={"lease": lease, "offset": 0}, content=whole, headers=AUTH)
        assert wrong.status_code == 409 and wrong.json()["code"] == "bad_offset"
        assert (await app.http.get(result, params={"lease": lease}, headers=AUTH)).json() == {"received": half}
        await app.http.put(result, params={"lease": lease, "offset": half}, content=whole[half:], headers=AUTH)
        done = {"lease": lease, "transcoded": True, "method": "ffmpeg libx264 CRF 20", "size": len(whole),
                "checksum": "blake3:" + "0" * 64}
        refused = await app.http.post(f"/api/jobs/{task_id}/complete", json=done, headers=AUTH)
        assert refused.status_code == 409 and refused.json()["code"] == "bad_upload"
        assert app.library_files() == []  # a result that is not the worker's file never reaches the library
        await app.http.put(result, params={"lease": lease, "offset": 0}, content=whole, headers=AUTH)
        older_worker = {**done, "checksum": None, "sha256": "0" * 64}  # an older worker's SHA-256 is checked too
        refused = await app.http.post(f"/api/jobs/{task_id}/complete", json=older_worker, headers=AUTH)
        assert refused.status_code == 409 and refused.json()["code"] == "bad_upload"
        await app.http.put(result, params={"lease": lease, "offset": 0}, content=whole, headers=AUTH)
        done["checksum"] = f"blake3:{blake3.blake3(whole).hexdigest()}"
        accepted = await app.http.post(f"/api/jobs/{task_id}/complete", json=done, headers=AUTH)
        assert accepted.status_code == 200 and accepted.json()["status"] == "complete"
        again = await app.http.post(f"/api/jobs/{task_id}/complete", json=done, headers=AUTH)
        assert again.status_code == 409  # one result per job
        assert app.library_files() == ["Movies/Big Buck Bunny (2008)/Big Buck Bunny (2008).mkv"]
        track = await app.track(dvd_rip[0].fingerprint, 3)
        assert track["transcoded_path"] == track["library_path"]
        late = await app.http.post(f"/api/jobs/{task_id}/progress", json=report, headers=AUTH)
        assert late.status_code == 409


async def test_a_silent_workers_job_is_queued_again_and_its_old_lease_is_void(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    async with webapp(tmp_path / "data", worker_timeout=0.5) as app:
        task_id, _ = await queued_filing(app, *dvd_rip)
        lease = (await claim(app, task_id)).json()["lease"]
        jobs = app.app.state.jobs
        started = time.monotonic()
        while (await jobs.records.get(task_id)).attempt == 1:
            assert time.monotonic() - started < 30, "the silent worker's job was never queued again"
            await asyncio.sleep(0.05)
        assert time.monotonic() - started >= 0.5
        assert (task_id, 2) in await asyncio.to_thread(jobs.queue.pending)  # (attempt 1: nobody dequeued it here)
        waiting = await app.task(task_id)
        assert (waiting["status"], waiting["progress"]) == ("queued", 0)  # waiting for a worker, not "running"
        report = {"lease": lease, "worker": WORKER, "percent": 90}
        assert (await app.http.post(f"/api/jobs/{task_id}/progress", json=report, headers=AUTH)).status_code == 409
        assert (await claim(app, task_id, 1)).status_code == 409
        second = await claim(app, task_id, 2)
        assert second.status_code == 200 and second.json()["attempt"] == 2
        assert (await app.task(task_id))["status"] == "running"


async def test_cancel_voids_the_lease_and_the_worker_hears_it(tmp_path: Path,
                                                              dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    async with webapp(tmp_path / "data") as app:
        task_id, _ = await queued_filing(app, *dvd_rip)
        lease = (await claim(app, task_id)).json()["lease"]
        await app.http.put(f"/api/jobs/{task_id}/result", params={"lease": lease}, content=b"x" * 100,
                           headers=AUTH)
        assert (await app.http.post(f"/api/tasks/{task_id}/cancel")).json()["status"] == "cancelled"
        report = {"lease": lease, "worker": WORKER, "percent": 10}
        stop = await app.http.post(f"/api/jobs/{task_id}/progress", json=report, headers=AUTH)
        assert stop.status_code == 409 and stop.json()["code"] == "lease_lost"
        assert not any((app.library / ".amphigory-staging").iterdir())  # its partial upload is gone
        retried = (await app.http.post(f"/api/tasks/{task_id}/retry")).json()["task_ids"][0]
        assert (await claim(app, retried)).status_code == 200


async def test_staging_files_of_a_dead_filing_are_swept_on_start(tmp_path: Path) -> None:
    staging = tmp_path / "data" / "library" / ".amphigory-staging"
    staging.mkdir(parents=True)
    (staging / "0123.mkv").write_bytes(b"half a film")
    (staging / "0123.1.upload").write_bytes(b"half an upload")
    async with webapp(tmp_path / "data") as app:
        assert not staging.exists() or not any(staging.iterdir())
        assert app.library_files() == []


async def test_a_restarted_webapp_keeps_a_running_job_and_its_workers_lease(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    async with webapp(tmp_path / "data") as app:
        task_id, _ = await queued_filing(app, *dvd_rip)
        lease = (await claim(app, task_id)).json()["lease"]
    async with webapp(tmp_path / "data", worker_timeout=2.0) as app:  # the worker kept encoding meanwhile
        task = await app.task(task_id)
        assert task["status"] == "running" and task["error"] is None
        report = {"lease": lease, "worker": WORKER, "percent": 70}
        assert (await app.http.post(f"/api/jobs/{task_id}/progress", json=report, headers=AUTH)).status_code == 204
        done = {"lease": lease, "transcoded": False, "method": "hard link"}
        finished = await app.http.post(f"/api/jobs/{task_id}/complete", json=done, headers=AUTH)
        assert finished.status_code == 200 and finished.json()["status"] == "complete"
        assert app.library_files() == ["Movies/Big Buck Bunny (2008)/Big Buck Bunny (2008).mkv"]
        assert (await app.app.state.jobs.records.get(task_id)).attempt == 1  # never run twice

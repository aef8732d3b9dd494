"""The real `amphigory serve --workers 1` killed with SIGKILL in the middle of a transcode: its local worker and the
worker's HandBrakeCLI die with it (nothing keeps encoding into a deleted file), and the webapp started again finds
the job, runs it again and files the film once."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from amphigory.api.disc_repository import DiscRepository, DiscUpdate, TrackUpdate
from amphigory.database import Database
from amphigory_daemon.rip import RipOutcome
from amphigory_protocol.disc import ScanResult
from helpers_uvicorn import free_port
from helpers_workers import alive, children, wait_for

TOKEN = "kill-test-token"


def prepare(data: Path, scan: ScanResult, rip: RipOutcome) -> Path:
    """The disc named and its title 1 ripped, in the webapp's database, as a daemon would have left it."""
    ripped = data / "ripped" / "disc" / "feature.mkv"
    ripped.parent.mkdir(parents=True)
    shutil.copyfile(rip.path, ripped)

    async def write() -> None:
        db = Database(data / "amphigory.db")
        await db.initialize()
        discs = DiscRepository(db)
        await discs.save_scan(scan)
        await discs.update(scan.fingerprint, DiscUpdate(title="Big Buck Bunny", year=2008,
                                                        tracks=[TrackUpdate(number=1, type="main_feature")]))
        await discs.record_rip_completed(scan.fingerprint, 1, str(ripped), rip.size_bytes, rip.sha256)
        await db.close()

    asyncio.run(write())
    return ripped


def serve(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "amphigory_cli.main", "serve", "--data-dir", str(data), "--port", str(port),
            "--token", TOKEN, "--transcode", "handbrake", "--workers", "1", "--worker-timeout", "2",
            "--auto-scan", "0"]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            env={k: v for k, v in os.environ.items() if not k.startswith("AMPHIGORY_")})


def test_killing_the_webapp_mid_transcode_leaves_no_encoder_and_the_job_survives(
        tmp_path: Path, dvd_feature_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_feature_rip
    data = tmp_path / "data"
    prepare(data, scan, rip)
    port = free_port()
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=10)
    webapp = serve(data, port, tmp_path / "serve.log")
    try:
        wait_for(lambda: _health(http), 60, "the webapp to answer")
        response = http.post(f"/api/discs/{scan.fingerprint}/tracks/1/file")
        assert response.status_code == 202, response.text
        task_id = response.json()["task_id"]
        encoders: list[int] = []

        def encoding() -> bool:
            encoders[:] = [p for p in children(webapp.pid) if _name(p) == "HandBrakeCLI"]
            return bool(encoders)

        wait_for(encoding, 90, "HandBrakeCLI to run under the webapp's worker")
        family = children(webapp.pid)
        webapp.send_signal(signal.SIGKILL)
        webapp.wait(10)
        wait_for(lambda: not any(alive(p) for p in family), 15, "the worker and its encoder to die with the webapp")
        assert not (data / "library" / "Movies").exists()

        webapp = serve(data, port, tmp_path / "serve.log")  # the same data folder: the job is still there
        wait_for(lambda: _health(http), 60, "the webapp to answer again")
        wait_for(lambda: http.get(f"/api/tasks/{task_id}").json()["status"] not in ("queued", "running"), 180,
                 "the filing to end after the restart")
        task = http.get(f"/api/tasks/{task_id}").json()
        assert task["status"] == "complete", task["error"]
        files = sorted(p.relative_to(data / "library").as_posix() for p in (data / "library").rglob("*")
                       if p.is_file())
        assert files == ["Movies/Big Buck Bunny (2008)/Big Buck Bunny (2008).mkv"]
        assert len([t for t in http.get("/api/tasks").json()["tasks"] if t["type"] == "file"]) == 1
    finally:
        http.close()
        if webapp.poll() is None:
            webapp.terminate()
            try:
                webapp.wait(15)
            except subprocess.TimeoutExpired:
                webapp.kill()
                webapp.wait()
        deadline = time.monotonic() + 10
        while any(_name(p) == "HandBrakeCLI" for p in children(os.getpid())) and time.monotonic() < deadline:
            time.sleep(0.05)


def _health(http: httpx.Client) -> bool:
    try:
        return http.get("/health").status_code == 200
    except httpx.HTTPError:
        return False


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""

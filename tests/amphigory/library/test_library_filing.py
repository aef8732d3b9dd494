"""Filing end to end, in process: the real app (real SQLite file, under uvicorn), a real MKV/FLAC made by the
ripper from the sample discs, and the task service applying the daemon's `rip_completed` event."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
import pytest

from amphigory.api.disc_repository import DiscUpdate, TrackUpdate
from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory.option_values import TranscodeMode
from amphigory.tasks import TaskService, insert_task
from amphigory.websocket import ConnectionManager
from amphigory_daemon.rip import RipOutcome
from amphigory_protocol.disc import ScanResult
from amphigory_protocol.messages import Event, EventName
from helpers_uvicorn import LiveServer, free_port
from helpers_workers import alive, children

DAEMON, DRIVE = "alice@host", "alice@host:sr0"


class RecordingManager(ConnectionManager):
    """The real manager, also keeping every message it pushes to browsers."""

    def __init__(self) -> None:
        super().__init__()
        self.pushed: list[tuple[float, dict[str, Any]]] = []

    async def broadcast_browser(self, message: dict[str, Any]) -> None:
        self.pushed.append((time.monotonic(), message))
        await super().broadcast_browser(message)


@dataclass
class App:
    data: Path
    http: httpx.AsyncClient
    tasks: TaskService
    manager: RecordingManager
    app: Any
    seq: list[int] = field(default_factory=lambda: [0])

    @property
    def library(self) -> Path:
        return self.data / "library"

    async def save(self, scan: ScanResult, title: str, year: int | None, **tracks: Any) -> None:
        await self.app.state.discs.save_scan(scan)
        updates = [TrackUpdate(number=int(n[1:]), **v) for n, v in tracks.items()]
        await self.app.state.discs.update(scan.fingerprint, DiscUpdate(title=title, year=year, tracks=updates))
        # A person named the disc: only a named disc is filed (an unnamed one's rips are held, see handsfree.hold).
        await self.app.state.discs.record_named_by(scan.fingerprint, "person")

    def place_rip(self, rip: RipOutcome, name: str) -> Path:
        """The rip where a daemon on this machine writes it: <data>/ripped/<disc>/<name>."""
        target = self.data / "ripped" / "disc" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(rip.path, target)
        return target

    async def rip_completed(self, fingerprint: str, number: int, path: Path | str, size: int) -> str:
        """A running rip task of the daemon, then its rip_completed event applied by the task service."""
        task_id = f"rip-{fingerprint}-{number}-{self.seq[0]}"
        async with self.app.state.db.connection() as conn:
            await insert_task(conn, task_id, "rip", DAEMON, DRIVE, fingerprint, number, {}, None)
            await conn.execute("UPDATE tasks SET status = 'running' WHERE id = ?", (task_id,))
        self.seq[0] += 1
        event = Event(event=EventName.RIP_COMPLETED, daemon_id=DAEMON, drive_id=DRIVE, seq=self.seq[0],
                      data={"task_id": task_id, "fingerprint": fingerprint, "track_number": number,
                            "path": str(path), "size_bytes": size, "duration_seconds": 10.0, "sha256": "0" * 64})
        await self.tasks.on_event(DAEMON, event)
        return task_id

    async def task(self, task_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/tasks/{task_id}")
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    async def finished(self, task_id: str, timeout: float = 180.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (task := await self.task(task_id))["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, f"task {task_id} still {task['status']}"
            await asyncio.sleep(0.02)
        return task

    async def track(self, fingerprint: str, number: int) -> dict[str, Any]:
        disc = (await self.http.get(f"/api/discs/{fingerprint}")).json()
        track: dict[str, Any] = next(t for t in disc["tracks"] if t["number"] == number)
        return track

    def library_files(self) -> list[str]:
        return sorted(p.relative_to(self.library).as_posix() for p in self.library.rglob("*") if p.is_file())


@asynccontextmanager
async def running(data: Path, transcode: TranscodeMode = "none", keep_ripped: bool = True) -> AsyncIterator[App]:
    manager = RecordingManager()
    port = free_port()  # the local worker reaches the webapp on its port
    app = create_app(WebappSettings(data_dir=data, token="t", transcode=transcode, keep_ripped=keep_ripped,
                                    port=port), manager)
    server = LiveServer(app, port=port)
    await server.start()
    http = httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=10)
    try:
        filer = app.state.filer
        filer.progress_interval = 0.05
        yield App(data, http, app.state.tasks, manager, app)
    finally:
        await http.aclose()
        await server.stop()


def probe(path: Path) -> str:
    run = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                         text=True, check=False)
    return run.stderr


MOVIE_DIR = "Movies/Big Buck Bunny (2008)"


def encoders() -> list[int]:
    """HandBrakeCLI processes under this test (the webapp's local worker runs them)."""
    return [p for p in children(os.getpid()) if Path(f"/proc/{p}/comm").exists()
            and Path(f"/proc/{p}/comm").read_text().strip() == "HandBrakeCLI" and alive(p)]


async def test_a_completed_rip_is_hard_linked_into_the_library(tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome],
                                                               ) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data") as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "main_feature"})
        ripped = app.place_rip(rip, "Big Buck Bunny (2008).mkv")
        rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
        filing = (await app.task(rip_task))["result"]["filing"]
        task = await app.finished(filing["task_id"])
        assert task["type"] == "file" and task["status"] == "complete" and task["progress"] == 100
        assert task["daemon_id"] == "" and task["result"]["method"] == "hard link"
        final = app.library / MOVIE_DIR / "Big Buck Bunny (2008).mkv"
        assert task["result"]["library_path"] == f"{MOVIE_DIR}/Big Buck Bunny (2008).mkv"
        assert app.library_files() == [f"{MOVIE_DIR}/Big Buck Bunny (2008).mkv"]  # staging left empty
        assert os.path.samefile(final, ripped) and ripped.exists()  # the daemon's file stays where it was
        track = await app.track(scan.fingerprint, 3)
        assert track["status"] == "ripped" and track["library_path"] == str(final)
        assert track["transcoded_path"] is None and track["library_note"] is None
        page = (await app.http.get("/library")).text
        assert str(final) in page


async def test_a_taken_name_gets_a_number_and_nothing_is_overwritten(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data") as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "trailer", "name": "Teaser"})
        mine = app.library / MOVIE_DIR / "Trailers" / "Teaser.mkv"
        mine.parent.mkdir(parents=True)
        mine.write_bytes(b"someone else's file")
        ripped = app.place_rip(rip, "teaser.mkv")
        rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
        task = await app.finished((await app.task(rip_task))["result"]["filing"]["task_id"])
        assert task["status"] == "complete"
        assert mine.read_bytes() == b"someone else's file"
        assert task["result"]["library_path"] == f"{MOVIE_DIR}/Trailers/Teaser (2).mkv"


async def test_ffmpeg_transcode_writes_h264_with_progress(tmp_path: Path,
                                                         dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data", "ffmpeg") as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "deleted_scene", "name": "The Lost Scene"})
        ripped = app.place_rip(rip, "x.mkv")
        rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
        task = await app.finished((await app.task(rip_task))["result"]["filing"]["task_id"])
        assert task["status"] == "complete", task["error"]
        final = app.library / MOVIE_DIR / "Deleted Scenes" / "The Lost Scene.mkv"
        assert app.library_files() == [f"{MOVIE_DIR}/Deleted Scenes/The Lost Scene.mkv"]
        info = probe(final)
        assert "Video: h264" in info and "Duration: 00:00:10" in info
        assert not os.path.samefile(final, ripped)
        track = await app.track(scan.fingerprint, 3)
        assert track["transcoded_path"] == track["library_path"] == str(final)
        assert task["result"]["method"] == "ffmpeg libx264 CRF 20"
        assert task["result"]["delivery"] == "moved"  # the local worker put its result into staging itself


async def test_handbrake_transcode_of_an_episode_reports_live_progress(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data", "handbrake") as app:
        await app.save(scan, "The Show", 2001, t3={"type": "episode"})
        ripped = app.place_rip(rip, "ep.mkv")
        rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
        file_id = (await app.task(rip_task))["result"]["filing"]["task_id"]
        task = await app.finished(file_id)
        assert task["status"] == "complete", task["error"]
        assert task["result"]["method"] == "HandBrakeCLI preset 'Fast 480p30'"
        assert app.library_files() == ["TV Shows/The Show (2001)/Season 01/The Show (2001) - s01e01.mkv"]
        pushes = [(at, m["task"]) for at, m in app.manager.pushed
                  if m.get("type") == "task" and m["task"]["id"] == file_id]
        progress = [t["progress"] for _, t in pushes]
        assert progress == sorted(progress) and progress[-1] == 100
        assert any(0 < p < 100 for p in progress), progress  # seen while HandBrake ran


async def test_a_cd_track_is_filed_as_music(tmp_path: Path, cd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = cd_rip
    async with running(tmp_path / "data", "ffmpeg") as app:  # audio is never transcoded
        await app.save(scan, "Amphigory Sample CD", 2024)
        ripped = app.place_rip(rip, "02.flac")
        rip_task = await app.rip_completed(scan.fingerprint, 2, ripped, rip.size_bytes)
        task = await app.finished((await app.task(rip_task))["result"]["filing"]["task_id"])
        assert task["status"] == "complete" and task["result"]["transcoded"] is False
        assert app.library_files() == [
            "Music/Amphigory Test Ensemble/Amphigory Sample CD (2024)/02 Tone C sharp (554 Hz).flac"]


async def test_a_rip_on_a_remote_daemon_is_not_filed_and_says_why(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data") as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "main_feature"})
        remote = "/srv/elsewhere/ripped/Big Buck Bunny (2008).mkv"
        rip_task = await app.rip_completed(scan.fingerprint, 3, remote, rip.size_bytes)
        task = await app.task(rip_task)
        assert task["status"] == "complete"
        assert task["result"]["filing"]["skipped"] == "not_reachable"
        assert "not reachable from the webapp" in task["result"]["filing"]["note"]
        track = await app.track(scan.fingerprint, 3)
        assert track["status"] == "ripped" and track["ripped_path"] == remote and track["library_path"] is None
        assert "not reachable from the webapp" in track["library_note"]
        assert [t for t in (await app.http.get("/api/tasks")).json()["tasks"] if t["type"] == "file"] == []
        assert "not reachable from the webapp" in (await app.http.get("/library")).text
        response = await app.http.post(f"/api/discs/{scan.fingerprint}/tracks/3/file")
        assert response.status_code == 409 and response.json()["code"] == "not_reachable"


async def test_a_failed_transcode_leaves_nothing_in_the_library(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, _ = dvd_rip
    async with running(tmp_path / "data", "ffmpeg") as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "main_feature"})
        broken = app.data / "ripped" / "disc" / "broken.mkv"
        broken.parent.mkdir(parents=True)
        broken.write_bytes(b"not a matroska file" * 100)
        rip_task = await app.rip_completed(scan.fingerprint, 3, broken, broken.stat().st_size)
        task = await app.finished((await app.task(rip_task))["result"]["filing"]["task_id"])
        assert task["status"] == "failed" and task["error_code"] == "transcode_failed"
        assert task["error"].startswith("filing failed: ffmpeg libx264 CRF 20 failed (exit ")
        assert app.library_files() == [] and not (app.library / "Movies").exists()
        track = await app.track(scan.fingerprint, 3)
        assert track["library_path"] is None and track["library_note"] == task["error"]


async def test_refiling_after_a_rename_moves_the_file_and_cancel_cleans_up(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data") as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "featurette", "name": "Making Of"})
        ripped = app.place_rip(rip, "m.mkv")
        rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
        await app.finished((await app.task(rip_task))["result"]["filing"]["task_id"])
        assert app.library_files() == [f"{MOVIE_DIR}/Featurettes/Making Of.mkv"]
        # The person renames the disc and the track, then files it again: the old file and folders go.
        await app.app.state.discs.update(scan.fingerprint, DiscUpdate(
            title="Bunny", year=2009, tracks=[TrackUpdate(number=3, type="interview", name="Cast")]))
        response = await app.http.post(f"/api/discs/{scan.fingerprint}/tracks/3/file")
        assert response.status_code == 202
        task = await app.finished(response.json()["task_id"])
        assert task["status"] == "complete"
        assert app.library_files() == ["Movies/Bunny (2009)/Interviews/Cast.mkv"]
        assert not (app.library / MOVIE_DIR).exists()
        # Filing the same track again under the same name replaces its own file, with no " (2)".
        again = (await app.http.post(f"/api/discs/{scan.fingerprint}/tracks/3/file")).json()["task_id"]
        assert (await app.finished(again))["status"] == "complete"
        assert app.library_files() == ["Movies/Bunny (2009)/Interviews/Cast.mkv"]
        assert (await app.http.post("/api/discs/dvd-nope/tracks/3/file")).status_code == 404
        assert (await app.http.post(f"/api/discs/{scan.fingerprint}/tracks/1/file")).status_code == 409  # not ripped


async def test_cancelling_a_transcode_kills_it_and_leaves_nothing(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    if shutil.which("HandBrakeCLI") is None:
        pytest.fail("HandBrakeCLI is not installed (Debian handbrake-cli; ./dev test installs it)")
    scan, rip = dvd_rip
    async with running(tmp_path / "data", "handbrake") as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "main_feature"})
        ripped = app.place_rip(rip, "c.mkv")
        rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
        file_id = (await app.task(rip_task))["result"]["filing"]["task_id"]
        while not encoders():
            await asyncio.sleep(0.01)
        cancelled = (await app.http.post(f"/api/tasks/{file_id}/cancel")).json()
        assert cancelled["status"] == "cancelled"
        assert app.library_files() == [] and not (app.library / "Movies").exists()
        deadline = time.monotonic() + 15
        while encoders():  # the cancel reached the worker, which killed HandBrakeCLI
            assert time.monotonic() < deadline, "HandBrakeCLI still runs after the cancel"
            await asyncio.sleep(0.05)
        retry = (await app.http.post(f"/api/tasks/{file_id}/retry")).json()["task_ids"][0]
        assert (await app.finished(retry))["status"] == "complete"
        assert app.library_files() == [f"{MOVIE_DIR}/Big Buck Bunny (2008).mkv"]


async def test_filing_a_track_again_while_it_is_being_filed_is_the_same_filing(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    """A second request (a named disc's held rips filed after its identification, say) while the first filing is
    under way joins it: two jobs would race for one rip, and the first to finish could release it from under the
    other."""
    scan, rip = dvd_rip
    async with running(tmp_path / "data", "ffmpeg", keep_ripped=False) as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "main_feature"})
        ripped = app.place_rip(rip, "c.mkv")
        rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
        first = (await app.task(rip_task))["result"]["filing"]["task_id"]
        again = (await app.http.post(f"/api/discs/{scan.fingerprint}/tracks/3/file")).json()["task_id"]
        assert again == first
        assert (await app.finished(first))["status"] == "complete"
        assert app.library_files() == [f"{MOVIE_DIR}/Big Buck Bunny (2008).mkv"]
        files = [t for t in (await app.http.get("/api/tasks")).json()["tasks"] if t["type"] == "file"]
        assert [t["id"] for t in files] == [first]

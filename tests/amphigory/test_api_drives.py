"""/api/drives through the real app under uvicorn, a real SQLite file and real daemon clients on loopback.

`Stack` (the app, its server and an HTTP client) and `FakeDaemon` (a real `WebAppClient` whose request handlers
record what they were asked and whose drives are real `OpticalDrive`s) are also used by test_api_tasks.py and
test_tasks_service.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager
from amphigory_daemon.drive import OpticalDrive
from amphigory_daemon.websocket import WebAppClient
from amphigory_protocol.disc import ScanResult
from amphigory_protocol.messages import Hello
from helpers_uvicorn import LiveServer

TOKEN = "test-token"


def scan_result(fingerprint: str, volume: str = "MY_MOVIE", numbers: tuple[int, ...] = (1, 2, 3)) -> dict[str, Any]:
    """A scan result as a daemon sends it: title 1 the main feature, the others trailers."""
    titles = [
        {"number": n, "duration_seconds": 5400.0 if n == 1 else 90.0, "chapters": 12 if n == 1 else 1,
         "audio": [{"language": "eng"}], "source": {"kind": "dvd", "vts": n, "ttn": 1, "pgc": 1},
         "segment_map": [f"vts{n}:c1"],
         "classification": {"type": "main_feature" if n == 1 else "trailer", "confidence": 0.9}}
        for n in numbers
    ]
    return {"fingerprint": fingerprint, "disc_type": "dvd", "volume_name": volume, "titles": titles}


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Wait until `check()` is true (events are applied asynchronously)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


class FakeDaemon:
    """A daemon with real drives and a real client; its request handlers only record and accept."""

    def __init__(self, url: str, daemon_id: str, devices: tuple[str, ...]) -> None:
        self.daemon_id = daemon_id
        self.drives = {d.drive_id: d for d in (OpticalDrive(daemon_id, f"/dev/{dev}") for dev in devices)}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.replies: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {}
        self.client = WebAppClient(url, TOKEN, daemon_id, hello=self.hello, backoff_initial=0.05, backoff_max=0.2)
        for method in ("get_drives", "get_drive_status", "scan", "rip", "cancel", "eject"):
            self.client.on_request(method, self._handler(method))
        self._task: asyncio.Task[None] | None = None

    def hello(self) -> Hello:
        return Hello(daemon_id=self.daemon_id, version="test", drives=[self.public(d) for d in self.drives])

    def public(self, drive_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.drives[drive_id].to_dict().items() if k != "scan_result"}

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls if method != "get_drives"]

    def _handler(self, method: str) -> Callable[[dict[str, Any]], Awaitable[Any]]:
        async def handle(params: dict[str, Any]) -> Any:
            self.calls.append((method, params))
            if method in self.replies:
                return await self.replies[method](params)
            if method == "get_drives":
                return {"drives": [self.public(d) for d in self.drives]}
            if method == "get_drive_status":
                return self.public(params["drive_id"])
            if method == "rip":
                return {"accepted": True, "queued": 1}
            if method == "cancel":
                return {"cancelled": True}
            if method == "eject":
                self.drives[params["drive_id"]].eject_disc()
                await self.emit("disc_ejected", params["drive_id"])
                return {"ejected": True}
            return {"accepted": True}

        return handle

    async def start(self, manager: ConnectionManager) -> None:
        self._task = asyncio.create_task(self.client.run())
        deadline = time.monotonic() + 5
        while not (manager.is_connected(self.daemon_id) and all(manager.drive(d) for d in self.drives)):
            if time.monotonic() > deadline:
                raise AssertionError(f"daemon {self.daemon_id} did not connect")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        await self.client.stop()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def emit(self, event: str, drive_id: str, **data: Any) -> None:
        await self.client.emit(event, drive_id, {**data, "drive": self.public(drive_id)})

    async def insert(self, drive_id: str, fingerprint: str, volume: str = "MY_MOVIE") -> None:
        drive = self.drives[drive_id]
        drive.insert_disc(volume=volume, disc_type="dvd")
        drive.set_fingerprint(fingerprint)
        await self.emit("disc_inserted", drive_id, fingerprint=fingerprint, disc_type="dvd", volume_name=volume,
                        public_ids={})


class Stack:
    """The real app (real SQLite file in `data_dir`) under uvicorn, an HTTP client, and any daemons started."""

    def __init__(self, data_dir: Path, request_timeout: float = 2.0) -> None:
        self.settings = WebappSettings(data_dir=data_dir, token=TOKEN, request_timeout=request_timeout)
        self.manager = ConnectionManager(request_timeout=request_timeout)
        self.app = create_app(self.settings, self.manager)
        self.server = LiveServer(self.app)
        self.daemons: list[FakeDaemon] = []
        self.http = httpx.AsyncClient(base_url=self.server.url, trust_env=False, timeout=10)

    async def daemon(self, daemon_id: str = "alice@host", devices: tuple[str, ...] = ("sr0",)) -> FakeDaemon:
        daemon = FakeDaemon(self.server.ws_url("/ws"), daemon_id, devices)
        self.daemons.append(daemon)
        await daemon.start(self.manager)
        return daemon

    async def task(self, task_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/tasks/{task_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def until_task(self, task_id: str, status: str) -> dict[str, Any]:
        async def reached() -> bool:
            return (await self.task(task_id))["status"] == status

        await eventually(reached)
        return await self.task(task_id)

    async def __aenter__(self) -> Stack:
        await self.server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()
        for daemon in self.daemons:
            await daemon.stop()
        await self.server.stop()


@pytest.fixture
async def stack(tmp_path: Path):
    async with Stack(tmp_path / "data") as running:
        yield running


DRIVE = "alice@host:sr0"


async def test_no_daemons_no_drives(stack: Stack) -> None:
    response = await stack.http.get("/api/drives")
    assert response.status_code == 200
    assert response.json() == {"drives": []}


async def test_drives_of_every_daemon_are_listed(stack: Stack) -> None:
    await stack.daemon("alice@host", ("sr0", "sr1"))
    await stack.daemon("bob@den", ("disk/by-id/usb-cdrom",))
    drives = (await stack.http.get("/api/drives")).json()["drives"]
    assert [d["drive_id"] for d in drives] == ["alice@host:sr0", "alice@host:sr1", "bob@den:disk/by-id/usb-cdrom"]
    assert drives[0]["daemon_id"] == "alice@host" and drives[0]["state"] == "empty"
    assert drives[0]["known_disc"] is None
    # Drive ids with '@', ':' and '/' are addressable.
    one = await stack.http.get("/api/drives/bob@den:disk/by-id/usb-cdrom")
    assert one.status_code == 200 and one.json()["device"] == "/dev/disk/by-id/usb-cdrom"


async def test_unknown_drive_is_404_everywhere(stack: Stack) -> None:
    daemon = await stack.daemon()
    assert (await stack.http.get("/api/drives/alice@host:sr9")).status_code == 404
    for action, body in (("scan", None), ("rip", {"tracks": [1]}), ("eject", None)):
        response = await stack.http.post(f"/api/drives/alice@host:sr9/{action}", json=body)
        assert response.status_code == 404, action
        assert "alice@host:sr9" in response.json()["detail"]
    assert daemon.methods() == []


async def test_a_known_disc_shows_at_once_and_needs_no_scan(stack: Stack) -> None:
    await stack.app.state.discs.save_scan(ScanResult.model_validate(scan_result("dvd-known")))
    daemon = await stack.daemon()
    await daemon.insert(DRIVE, "dvd-known")

    async def known() -> bool:
        drive = (await stack.http.get(f"/api/drives/{DRIVE}")).json()
        return drive["known_disc"] is not None

    await eventually(known)
    drive = (await stack.http.get("/api/drives")).json()["drives"][0]
    assert drive["fingerprint"] == "dvd-known"
    assert drive["known_disc"]["title"] == "My Movie"
    assert [t["number"] for t in drive["known_disc"]["tracks"]] == [1, 2, 3]
    await asyncio.sleep(0.1)
    assert daemon.methods() == []  # nothing was scanned


async def test_scan_creates_a_task_and_its_result_is_stored(stack: Stack) -> None:
    daemon = await stack.daemon()
    await daemon.insert(DRIVE, "dvd-new")
    response = await stack.http.post(f"/api/drives/{DRIVE}/scan")
    assert response.status_code == 202, response.text
    task_id = response.json()["task_id"]
    assert daemon.calls[-1] == ("scan", {"drive_id": DRIVE, "task_id": task_id})
    assert (await stack.task(task_id))["status"] == "running"

    await daemon.emit("scan_progress", DRIVE, task_id=task_id, fingerprint="dvd-new", percent=40, stage="titles")
    task = await stack.until_task(task_id, "running")
    await eventually(lambda: _progress_is(stack, task_id, 40))
    await daemon.emit("scan_completed", DRIVE, task_id=task_id, fingerprint="dvd-new",
                      result=scan_result("dvd-new"))
    task = await stack.until_task(task_id, "complete")
    assert task["progress"] == 100 and task["result"]["fingerprint"] == "dvd-new"
    disc = (await stack.http.get("/api/discs/dvd-new")).json()
    assert [t["number"] for t in disc["tracks"]] == [1, 2, 3]
    drive = (await stack.http.get(f"/api/drives/{DRIVE}")).json()
    assert drive["known_disc"]["fingerprint"] == "dvd-new"


async def _progress_is(stack: Stack, task_id: str, progress: int) -> bool:
    return bool((await stack.task(task_id))["progress"] == progress)


async def test_rip_of_a_track_the_disc_lacks_is_422_and_nothing_is_sent(stack: Stack) -> None:
    await stack.app.state.discs.save_scan(ScanResult.model_validate(scan_result("dvd-a")))
    daemon = await stack.daemon()
    await daemon.insert(DRIVE, "dvd-a")
    await eventually(lambda: _drive_has(stack, "dvd-a"))
    response = await stack.http.post(f"/api/drives/{DRIVE}/rip", json={"tracks": [1, 99]})
    assert response.status_code == 422
    assert "no track 99" in response.json()["detail"]
    assert "1, 2, 3" in response.json()["detail"]
    assert daemon.methods() == []
    assert (await stack.http.get("/api/tasks")).json()["tasks"] == []
    empty = await stack.http.post(f"/api/drives/{DRIVE}/rip", json={"tracks": []})
    assert empty.status_code == 422


async def _drive_has(stack: Stack, fingerprint: str | None) -> bool:
    return bool((await stack.http.get(f"/api/drives/{DRIVE}")).json()["fingerprint"] == fingerprint)


async def test_rip_for_a_disc_swapped_since_is_refused_and_nothing_is_ripped(stack: Stack) -> None:
    await stack.app.state.discs.save_scan(ScanResult.model_validate(scan_result("dvd-a")))
    daemon = await stack.daemon()
    await daemon.insert(DRIVE, "dvd-a")
    await eventually(lambda: _drive_has(stack, "dvd-a"))
    # The person looked at disc A's tracks; meanwhile someone swapped in disc B.
    daemon.drives[DRIVE].eject_disc()
    await daemon.emit("disc_ejected", DRIVE)
    await daemon.insert(DRIVE, "dvd-b", "OTHER_DISC")
    await eventually(lambda: _drive_has(stack, "dvd-b"))
    response = await stack.http.post(f"/api/drives/{DRIVE}/rip", json={"tracks": [1], "fingerprint": "dvd-a"})
    assert response.status_code == 409
    assert response.json()["code"] == "fingerprint_mismatch"
    assert "dvd-a" in response.json()["detail"] and "dvd-b" in response.json()["detail"]
    # Without a fingerprint the drive's disc is meant, and it has never been scanned.
    unscanned = await stack.http.post(f"/api/drives/{DRIVE}/rip", json={"tracks": [1]})
    assert unscanned.status_code == 409 and unscanned.json()["code"] == "not_scanned"
    assert daemon.methods() == []
    track = (await stack.http.get("/api/discs/dvd-a")).json()["tracks"][0]
    assert track["status"] == "pending"


async def test_rip_sends_one_request_per_track_and_events_finish_the_tasks(stack: Stack) -> None:
    await stack.app.state.discs.save_scan(ScanResult.model_validate(scan_result("dvd-a")))
    await stack.http.patch("/api/discs/dvd-a", json={"title": "Alien", "year": 1979})
    daemon = await stack.daemon()
    await daemon.insert(DRIVE, "dvd-a")
    await eventually(lambda: _drive_has(stack, "dvd-a"))
    response = await stack.http.post(
        f"/api/drives/{DRIVE}/rip", json={"tracks": [1, 3], "fingerprint": "dvd-a", "names": {"3": "Teaser"}}
    )
    assert response.status_code == 202, response.text
    first, third = response.json()["task_ids"]
    rips = [params for method, params in daemon.calls if method == "rip"]
    assert [(p["task_id"], p["title"]["number"], p["output_name"]) for p in rips] == [
        (first, 1, "Alien (1979)"), (third, 3, "Teaser")]
    assert rips[0]["fingerprint"] == "dvd-a" and rips[0]["disc_title"] == "Alien"
    assert (await stack.task(first))["status"] == "queued"

    await daemon.emit("rip_started", DRIVE, task_id=first, fingerprint="dvd-a", track_number=1, path="/r/a.mkv")
    await daemon.emit("rip_progress", DRIVE, task_id=first, fingerprint="dvd-a", track_number=1, percent=55,
                      bytes=10, speed_bps=1.0, eta_seconds=3)
    await daemon.emit("rip_completed", DRIVE, task_id=first, fingerprint="dvd-a", track_number=1,
                      path="/r/Alien (1979).mkv", size_bytes=1234, duration_seconds=5400.0, sha256="ab" * 32)
    await daemon.emit("rip_failed", DRIVE, task_id=third, fingerprint="dvd-a", track_number=3,
                      error={"code": "disk_full", "message": "no space left on device"})
    done = await stack.until_task(first, "complete")
    assert done["result"]["path"] == "/r/Alien (1979).mkv" and done["progress"] == 100
    failed = await stack.until_task(third, "failed")
    assert failed["error"] == "no space left on device" and failed["error_code"] == "disk_full"
    tracks = {t["number"]: t for t in (await stack.http.get("/api/discs/dvd-a")).json()["tracks"]}
    assert (tracks[1]["status"], tracks[1]["ripped_path"], tracks[1]["rip_sha256"]) == (
        "ripped", "/r/Alien (1979).mkv", "ab" * 32)
    assert tracks[1]["rip_checksum"] == "sha256:" + "ab" * 32  # an older daemon's bare SHA-256, algorithm named
    assert done["result"]["checksum"] == "sha256:" + "ab" * 32
    assert (tracks[3]["status"], tracks[3]["name"]) == ("failed", "Teaser")


async def test_eject_is_sent_to_the_drives_daemon(stack: Stack) -> None:
    await stack.daemon("bob@den", ("sr0",))
    alice = await stack.daemon()
    await alice.insert(DRIVE, "dvd-a")
    response = await stack.http.post(f"/api/drives/{DRIVE}/eject")
    assert response.status_code == 200, response.text
    assert response.json()["ejected"] is True
    assert alice.calls[-1] == ("eject", {"drive_id": DRIVE})
    await eventually(lambda: _drive_has(stack, None))
    assert stack.daemons[0].methods() == []


async def test_openapi_documents_the_api(stack: Stack) -> None:
    spec = (await stack.http.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in ("/api/drives", "/api/drives/{drive_id}", "/api/drives/{drive_id}/scan", "/api/drives/{drive_id}/rip",
                 "/api/drives/{drive_id}/eject", "/api/tasks", "/api/tasks/{task_id}", "/api/tasks/{task_id}/cancel",
                 "/api/tasks/{task_id}/retry", "/api/discs", "/api/discs/{fingerprint}", "/health"):
        assert path in paths, path
    drive = spec["components"]["schemas"]["DriveResponse"]["properties"]
    assert {"drive_id", "daemon_id", "device", "state", "fingerprint", "known_disc"} <= set(drive)


async def test_rip_with_a_name_too_long_to_store_is_refused_with_422(stack: Stack) -> None:
    await stack.app.state.discs.save_scan(ScanResult.model_validate(scan_result("dvd-a")))
    daemon = await stack.daemon()
    await daemon.insert(DRIVE, "dvd-a")
    await eventually(lambda: _drive_has(stack, "dvd-a"))
    response = await stack.http.post(f"/api/drives/{DRIVE}/rip", json={"tracks": [1], "names": {"1": "x" * 301}})
    assert response.status_code == 422, response.text
    assert not [c for c in daemon.calls if c[0] == "rip"]


async def test_openapi_422_documents_refusals_and_validation_errors_alike(stack: Stack) -> None:
    spec = (await stack.http.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for path, method in (("/api/drives/{drive_id}/rip", "post"), ("/api/tasks/{task_id}/retry", "post")):
        schema = spec["paths"][path][method]["responses"]["422"]["content"]["application/json"]["schema"]
        refs = [s["$ref"].rsplit("/", 1)[1] for s in schema["anyOf"]]
        assert refs == ["Problem", "HTTPValidationError"] and all(r in schemas for r in refs)
    bad = await stack.http.post(f"/api/drives/{DRIVE}/rip", json={"tracks": []})
    assert bad.status_code == 422 and isinstance(bad.json()["detail"], list)  # the validation shape


async def test_a_rerip_is_asked_for_and_names_the_file_it_may_replace(stack: Stack) -> None:
    await stack.app.state.discs.save_scan(ScanResult.model_validate(scan_result("dvd-a")))
    await stack.app.state.discs.record_rip_completed("dvd-a", 1, "/r/Alien.mkv", 1234, "ab" * 32)
    daemon = await stack.daemon()
    await daemon.insert(DRIVE, "dvd-a")
    await eventually(lambda: _drive_has(stack, "dvd-a"))

    refused = await stack.http.post(f"/api/drives/{DRIVE}/rip", json={"tracks": [1, 2], "fingerprint": "dvd-a"})
    assert refused.status_code == 409 and refused.json()["code"] == "already_ripped"
    assert "replace" in refused.json()["detail"] and [m for m, _ in daemon.calls if m == "rip"] == []

    response = await stack.http.post(f"/api/drives/{DRIVE}/rip",
                                     json={"tracks": [1, 2], "fingerprint": "dvd-a", "replace": True})
    assert response.status_code == 202, response.text
    again, fresh = response.json()["task_ids"]
    rips = {p["task_id"]: p for method, p in daemon.calls if method == "rip"}
    assert rips[again]["replace_path"] == "/r/Alien.mkv" and "replace_path" not in rips[fresh]
    assert response.json()["tasks"][0]["params"]["replace"] is True

    # A failed re-rip leaves the earlier rip as it was; a cancelled rip of a new title is no failure.
    await daemon.emit("rip_failed", DRIVE, task_id=again, fingerprint="dvd-a", track_number=1,
                      error={"code": "tool_failed", "message": "ffmpeg died"})
    await daemon.emit("rip_failed", DRIVE, task_id=fresh, fingerprint="dvd-a", track_number=2,
                      error={"code": "cancelled", "message": "cancelled by request"})
    assert (await stack.until_task(again, "failed"))["error_code"] == "tool_failed"
    assert (await stack.until_task(fresh, "cancelled"))["error_code"] == "cancelled"
    tracks = {t["number"]: t for t in (await stack.http.get("/api/discs/dvd-a")).json()["tracks"]}
    assert (tracks[1]["status"], tracks[1]["ripped_path"]) == ("ripped", "/r/Alien.mkv")
    assert (tracks[2]["status"], tracks[2]["rip_error"]) == ("pending", None)

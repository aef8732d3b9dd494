"""The daemon loop with a fake backend and a fake client: insert/eject/conflict events, handlers and their errors,
per-drive rip queues, and that a slow drive never holds up another."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from amphigory_daemon.backends.base import DriveBackend, DriveEvent, EventSink
from amphigory_daemon.main import Daemon
from amphigory_protocol.checksum import Checksum
from amphigory_protocol.disc import PublicIds

DAEMON = "tester@host"
TITLE = {"number": 1, "duration_seconds": 60.0, "chapters": 3}


class FakeBackend(DriveBackend):
    name = "fake"

    def __init__(self, *devices: str) -> None:
        self.devices = list(devices)
        self.sink: EventSink | None = None
        self.ejected: list[str] = []

    def drives(self) -> list[str]:
        return self.devices

    async def start(self, sink: EventSink) -> None:
        self.sink = sink

    async def stop(self) -> None:
        self.sink = None

    async def eject(self, device: str) -> None:
        self.ejected.append(device)
        self.send("ejected", device)

    def send(self, kind: str, device: str, path: str | None = None, message: str = "") -> None:
        assert self.sink is not None
        self.sink(DriveEvent(kind, device, path, message=message))  # type: ignore[arg-type]


@dataclass
class FakeClient:
    events: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    handlers: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)

    def on_request(self, method: str, handler: Any) -> None:
        self.handlers[method] = handler

    async def emit(self, event: Any, drive_id: str | None, data: dict[str, Any]) -> int:
        self.events.append((str(getattr(event, "value", event)), drive_id, data))
        return len(self.events)

    def names(self, drive_id: str | None = None) -> list[str]:
        return [e for e, d, _ in self.events if drive_id is None or d == drive_id]

    def last(self, name: str) -> dict[str, Any]:
        return next(data for e, _, data in reversed(self.events) if e == name)

    async def call(self, method: str, **params: Any) -> Any:
        return await self.handlers[method](params)


@dataclass(frozen=True)
class Ident:
    disc_type: str
    volume_name: str
    fingerprint: str
    public_ids: PublicIds


class Identifier:
    """identify() stand-in: one fingerprint per path; paths in `gates` block until their gate is set."""

    def __init__(self) -> None:
        self.gates: dict[str, threading.Event] = {}

    def __call__(self, path: str) -> Ident:
        gate = self.gates.get(path)
        if gate is not None:
            gate.wait(10)
        if path.endswith(".bad"):
            raise ValueError(f"{path} is not a disc")
        return Ident("dvd", path.upper(), f"dvd-{path}", PublicIds(dvd_disc_id=f"id-{path}"))


async def until(check: Callable[[], bool], timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not check():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend("drive1", "drive2")


@pytest.fixture
def identifier() -> Identifier:
    return Identifier()


@pytest.fixture
async def rig(backend: FakeBackend, identifier: Identifier, tmp_path: Any) -> Any:
    client = FakeClient()
    daemon = Daemon(DAEMON, [backend], output_dir=tmp_path, identify=identifier)
    daemon.attach(client)
    await daemon.start()
    yield daemon, client
    await daemon.stop()


D1, D2 = f"{DAEMON}:drive1", f"{DAEMON}:drive2"


async def insert(backend: FakeBackend, client: FakeClient, device: str, path: str) -> dict[str, Any]:
    before = len(client.events)
    backend.send("inserted", device, path)
    await until(lambda: "drive_state_changed" in [e for e, _, _ in client.events[before:]])
    return client.last("disc_inserted")


async def test_insert_emits_disc_inserted_then_state_changed_with_fingerprint(rig: Any, backend: FakeBackend) -> None:
    _daemon, client = rig
    data = await insert(backend, client, "drive1", "movie.iso")
    assert client.names(D1) == ["disc_inserted", "drive_state_changed"]
    assert data["fingerprint"] == "dvd-movie.iso"
    assert data["disc_type"] == "dvd" and data["volume_name"] == "MOVIE.ISO"
    assert data["public_ids"]["dvd_disc_id"] == "id-movie.iso"
    assert data["drive"]["fingerprint"] == "dvd-movie.iso" and data["drive"]["state"] == "disc_inserted"
    assert "scan_result" not in data["drive"]
    status = await client.call("get_drive_status", drive_id=D1)
    assert status["drive_id"] == D1 and status["fingerprint"] == "dvd-movie.iso"
    drives = await client.call("get_drives")
    assert [d["drive_id"] for d in drives["drives"]] == [D1, D2]


async def test_eject_empties_the_drive(rig: Any, backend: FakeBackend) -> None:
    _daemon, client = rig
    await insert(backend, client, "drive1", "movie.iso")
    backend.send("ejected", "drive1")
    await until(lambda: "disc_ejected" in client.names())
    assert client.last("disc_ejected")["drive"]["state"] == "empty"
    assert client.last("disc_ejected")["drive"]["fingerprint"] is None
    backend.send("ejected", "drive1")  # a second report of the same fact changes nothing
    await asyncio.sleep(0.05)
    assert client.names().count("disc_ejected") == 1


async def test_conflict_is_reported_as_a_warning(rig: Any, backend: FakeBackend) -> None:
    _daemon, client = rig
    backend.send("conflict", "drive2", message="2 discs in drive2")
    await until(lambda: "drive_state_changed" in client.names())
    warning = client.last("drive_state_changed")["warning"]
    assert warning == {"code": "conflict", "message": "2 discs in drive2"}


async def test_unreadable_disc_is_still_reported(rig: Any, backend: FakeBackend) -> None:
    _daemon, client = rig
    data = await insert(backend, client, "drive1", "junk.bad")
    assert data["fingerprint"] is None and data["error"]["code"] == "unreadable"
    assert data["drive"]["state"] == "disc_inserted"


async def test_slow_identify_does_not_stall_another_drive(rig: Any, backend: FakeBackend,
                                                         identifier: Identifier) -> None:
    _daemon, client = rig
    gate = identifier.gates["slow.iso"] = threading.Event()
    backend.send("inserted", "drive1", "slow.iso")
    await insert(backend, client, "drive2", "fast.iso")
    assert client.names(D1) == []  # still identifying
    # ... and requests are answered meanwhile
    assert (await client.call("get_drive_status", drive_id=D1))["state"] == "disc_inserted"
    gate.set()
    await until(lambda: "drive_state_changed" in client.names(D1))
    assert client.last("disc_inserted")["fingerprint"] == "dvd-slow.iso"


async def test_eject_while_identifying_drops_the_stale_result(rig: Any, backend: FakeBackend,
                                                              identifier: Identifier) -> None:
    _daemon, client = rig
    gate = identifier.gates["slow.iso"] = threading.Event()
    backend.send("inserted", "drive1", "slow.iso")
    await asyncio.sleep(0.02)
    backend.send("ejected", "drive1")
    await until(lambda: "disc_ejected" in client.names())
    gate.set()
    await asyncio.sleep(0.1)
    assert client.names(D1) == ["disc_ejected"]


async def test_request_errors(rig: Any, backend: FakeBackend) -> None:
    _daemon, client = rig
    for method, params, code in [
        ("get_drive_status", {"drive_id": "nobody:sr9"}, "unknown_drive"),
        ("get_drive_status", {}, "invalid_params"),
        ("scan", {"drive_id": D1, "task_id": "t1"}, "no_disc"),
        ("eject", {"drive_id": D1}, "no_disc"),
        ("scan", {"drive_id": D1}, "invalid_params"),
        ("rip", {"drive_id": D1, "task_id": "t9", "fingerprint": "dvd-x", "title": TITLE, "replace_path": 5},
         "invalid_params"),
    ]:
        with pytest.raises(Exception) as err:
            await client.call(method, **params)
        assert err.value.code == code, (method, params)  # type: ignore[attr-defined]
    assert await client.call("cancel", task_id="nothing") == {"cancelled": False}


async def rig_with(backend: FakeBackend, identifier: Identifier, tmp_path: Any, **kw: Any) -> tuple[Daemon, FakeClient]:
    client = FakeClient()
    daemon = Daemon(DAEMON, [backend], output_dir=tmp_path, identify=identifier, **kw)
    daemon.attach(client)
    await daemon.start()
    return daemon, client


async def test_scan_events_and_result(backend: FakeBackend, identifier: Identifier, tmp_path: Any) -> None:
    def scanner(path: str) -> dict[str, Any]:
        if path == "broken.iso":
            raise RuntimeError("unreadable IFO")
        return {"fingerprint": f"dvd-{path}", "disc_type": "dvd", "titles": [TITLE]}

    daemon, client = await rig_with(backend, identifier, tmp_path, scanner=scanner)
    try:
        await insert(backend, client, "drive1", "movie.iso")
        assert await client.call("scan", drive_id=D1, task_id="t1") == {"accepted": True}
        await until(lambda: "scan_completed" in client.names())
        assert client.names(D1)[2:] == ["scan_started", "scan_progress", "scan_completed"]
        done = client.last("scan_completed")
        assert done["task_id"] == "t1" and done["fingerprint"] == "dvd-movie.iso"
        assert done["result"]["titles"][0]["number"] == 1 and done["drive"]["state"] == "scanned"
        assert (await client.call("get_drive_status", drive_id=D1))["scan_result"] == done["result"]

        await insert(backend, client, "drive2", "broken.iso")
        await client.call("scan", drive_id=D2, task_id="t2")
        await until(lambda: "scan_failed" in client.names())
        failed = client.last("scan_failed")
        assert failed["error"]["message"] == "unreadable IFO" and failed["drive"]["state"] == "disc_inserted"
    finally:
        await daemon.stop()


async def test_scan_busy_cancel_and_eject(backend: FakeBackend, identifier: Identifier, tmp_path: Any) -> None:
    gate = threading.Event()

    def scanner(path: str) -> dict[str, Any]:
        gate.wait(10)
        return {"fingerprint": "x", "disc_type": "dvd", "titles": []}

    daemon, client = await rig_with(backend, identifier, tmp_path, scanner=scanner)
    try:
        await insert(backend, client, "drive1", "movie.iso")
        await client.call("scan", drive_id=D1, task_id="t1")
        with pytest.raises(Exception) as err:
            await client.call("scan", drive_id=D1, task_id="t2")
        assert err.value.code == "busy"  # type: ignore[attr-defined]
        assert await client.call("cancel", task_id="t1") == {"cancelled": True}
        failed = client.last("scan_failed")
        assert failed["error"]["code"] == "cancelled" and failed["drive"]["state"] == "disc_inserted"
        await client.call("scan", drive_id=D1, task_id="t3")
        assert await client.call("eject", drive_id=D1) == {"ejected": True}
        assert backend.ejected == ["drive1"]
        assert client.names(D1)[-2:] == ["scan_failed", "disc_ejected"]
        assert client.last("scan_failed")["error"]["code"] == "disc_ejected"
        gate.set()
        await asyncio.sleep(0.05)
        assert "scan_completed" not in client.names()
    finally:
        gate.set()
        await daemon.stop()


@dataclass
class FakeRipper:
    """rip_title stand-in: each call waits for its own gate; records order and cancellation."""

    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    async def __call__(self, job: Any, on_progress: Callable[[Any], None]) -> Any:
        name = job.output_name
        self.started.append(name)
        on_progress(Progress(50.0, 1000, 10.0, 5.0))
        try:
            await self.gates.setdefault(name, asyncio.Event()).wait()
        except asyncio.CancelledError:
            self.cancelled.append(name)
            raise
        return Outcome(job.output_root / f"{name}.mkv", 2000, 60.0, Checksum("blake3", "ab" * 32))


@dataclass(frozen=True)
class Progress:
    percent: float
    bytes_written: int
    speed_bps: float
    eta_seconds: float | None


@dataclass(frozen=True)
class Outcome:
    path: Any
    size_bytes: int
    duration_seconds: float
    checksum: Checksum


def rip_params(drive_id: str, task_id: str, fingerprint: str, name: str) -> dict[str, Any]:
    return {"drive_id": drive_id, "task_id": task_id, "fingerprint": fingerprint, "title": TITLE,
            "disc_title": "Movie", "output_name": name}


async def test_rip_queue_per_drive(backend: FakeBackend, identifier: Identifier, tmp_path: Any) -> None:
    ripper = FakeRipper()
    daemon, client = await rig_with(backend, identifier, tmp_path, ripper=ripper)
    try:
        await insert(backend, client, "drive1", "a.iso")
        await insert(backend, client, "drive2", "b.iso")
        with pytest.raises(Exception) as err:
            await client.handlers["rip"](rip_params(D1, "r0", "dvd-other.iso", "x"))
        assert err.value.code == "fingerprint_mismatch"  # type: ignore[attr-defined]
        assert ripper.started == [] and "rip_started" not in client.names()

        assert (await client.handlers["rip"](rip_params(D1, "r1", "dvd-a.iso", "a1")))["accepted"] is True
        queued = await client.handlers["rip"](rip_params(D1, "r2", "dvd-a.iso", "a2"))
        assert queued == {"accepted": True, "queued": 2}
        await client.handlers["rip"](rip_params(D2, "r3", "dvd-b.iso", "b1"))
        await until(lambda: len(ripper.started) == 2)
        assert sorted(ripper.started) == ["a1", "b1"]  # one per drive at a time, drives in parallel
        await until(lambda: "rip_progress" in client.names(D1))
        assert client.last("rip_progress")["percent"] == 50.0

        ripper.gates["a1"].set()
        await until(lambda: "a2" in ripper.started)
        done = next(d for e, _, d in client.events if e == "rip_completed")
        assert done["task_id"] == "r1" and done["track_number"] == 1
        assert done["checksum"] == "blake3:" + "ab" * 32 and "sha256" not in done  # SHA-256 only when it is one

        assert await client.call("cancel", task_id="r2") == {"cancelled": True}
        await until(lambda: "a2" in ripper.cancelled)
        assert client.last("rip_failed")["error"]["code"] == "cancelled"
        assert client.last("rip_failed")["drive"]["rip_error"] is None  # a cancel is no failure to show

        backend.send("ejected", "drive2")
        await until(lambda: "b1" in ripper.cancelled)
        assert client.names(D2)[-2:] == ["rip_failed", "disc_ejected"]
        assert client.last("rip_failed")["error"]["code"] == "disc_ejected"
        status = await client.call("get_drive_status", drive_id=D1)
        assert status["state"] == "disc_inserted" and status["rip_task_id"] is None
    finally:
        await daemon.stop()


async def test_hello_lists_drives_without_scan_results(rig: Any, backend: FakeBackend) -> None:
    daemon, client = rig
    await insert(backend, client, "drive1", "movie.iso")
    hello = daemon.hello()
    assert hello.daemon_id == DAEMON
    assert [d["drive_id"] for d in hello.drives] == [D1, D2]
    assert all("scan_result" not in d for d in hello.drives)


async def test_a_long_scan_reports_progress_as_it_goes(backend: FakeBackend, identifier: Identifier,
                                                       tmp_path: Any) -> None:
    async def slow_scanner(path: str, progress: Callable[[float, str], None]) -> dict[str, Any]:
        for fraction in (0.25, 0.5, 0.75):
            progress(fraction, "reading titles")
            await asyncio.sleep(0.6)  # longer than the 0.5 s between scan_progress events
        return {"fingerprint": f"dvd-{path}", "disc_type": "dvd", "titles": [TITLE]}

    daemon, client = await rig_with(backend, identifier, tmp_path, scanner=slow_scanner)
    try:
        await insert(backend, client, "drive1", "movie.iso")
        await client.call("scan", drive_id=D1, task_id="t1")
        await until(lambda: "scan_completed" in client.names(), timeout=10)
        progress = [data for name, _, data in client.events if name == "scan_progress"]
        assert [p["percent"] for p in progress] == [0, 25, 50, 75]
        assert progress[-1]["stage"] == "reading titles" and progress[-1]["task_id"] == "t1"
    finally:
        await daemon.stop()


async def test_a_scan_started_as_a_queued_rip_begins_makes_the_rip_wait(backend: FakeBackend, identifier: Identifier,
                                                                        tmp_path: Any) -> None:
    # A scan request that takes the drive's lock right after the rip worker picks a rip, but before that rip
    # starts, used to fail the rip (`invalid_job`: "cannot start a rip while drive is scanning").
    gate = asyncio.Event()

    async def scanner(path: str, progress: Any) -> dict[str, Any]:
        await gate.wait()
        return {"fingerprint": f"dvd-{path}", "disc_type": "dvd", "titles": [TITLE]}

    ripper = FakeRipper()
    daemon, client = await rig_with(backend, identifier, tmp_path, ripper=ripper, scanner=scanner)
    try:
        await insert(backend, client, "drive1", "a.iso")
        slot = daemon._slots[D1]
        await client.handlers["rip"](rip_params(D1, "r1", "dvd-a.iso", "a1"))
        await slot.lock.acquire()  # the worker, then the scan, queue up behind this
        scan = asyncio.ensure_future(client.call("scan", drive_id=D1, task_id="s1"))
        for _ in range(5):
            await asyncio.sleep(0)
        slot.lock.release()
        assert await scan == {"accepted": True}
        await until(lambda: "scan_started" in client.names(D1))
        await asyncio.sleep(0.05)
        assert "rip_failed" not in client.names(D1) and ripper.started == []
        gate.set()
        await until(lambda: "a1" in ripper.started)
        ripper.gates["a1"].set()
        await until(lambda: "rip_completed" in client.names(D1))
        names = client.names(D1)
        assert names.index("scan_completed") < names.index("rip_started") and "rip_failed" not in names
    finally:
        gate.set()
        await daemon.stop()

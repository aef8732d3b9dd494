"""Ripping end to end, with the real `amphigory serve` and `amphigory daemon` processes on loopback.

One webapp and two daemons for the whole module (the process helpers of tests/ui/ui_stack.py):

- ``rip-e2e@host`` with image drives ``dvd``, ``bd``, ``cd``, ``refuse`` and ``swap``: the sample DVD, Blu-ray folder
  and CD are scanned and ripped through the HTTP API while the browser feed (/ws/browser) is collected; the MKVs
  are checked with ``mkvmerge -J`` against the scan, the FLAC's PCM against the BIN's bytes;
- ``rip-e2e-slow@host`` with drives ``cancel`` and ``eject``, whose ffmpeg (``IMAGEIO_FFMPEG_EXE``) is the real one
  behind a wrapper that waits 3 s before a rip starts (a slow drive spinning up), so a rip can be cancelled or its
  disc pulled while it runs.

Each test uses its own drives, so they do not depend on each other's order.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import blake3
import httpx
import pytest
from websockets.sync.client import connect

from amphigory_daemon.formats.cue import parse_sheet, track_byte_ranges

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from ui_stack import AMPHIGORY, SAMPLES, Stack

from helpers_patience import patient

pytestmark = pytest.mark.e2e

DVD_ISO = SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
BD_FOLDER = SAMPLES / "bluray" / "AMPHIGORY_SAMPLE_BD"
CD_CUE = SAMPLES / "cd" / "AMPHIGORY_SAMPLE_CD.cue"
CD_BIN = SAMPLES / "cd" / "AMPHIGORY_SAMPLE_CD.bin"
FAST_DRIVES = ("dvd", "bd", "cd", "progress", "refuse", "swap")
SLOW_DRIVES = ("cancel", "eject")
SLOW_START_SECONDS = 3
LANGUAGES = {"en": "eng", "eng": "eng", "fr": "fre", "fre": "fre", "fra": "fre"}


def ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@dataclass
class RipStack(Stack):
    """The ui_stack webapp, plus two daemons with several image drives each (see the module docstring)."""

    daemon_id: str = "rip-e2e@host"
    slow_daemon_id: str = "rip-e2e-slow@host"
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)
    # The tests look at the rips themselves: keep them in ripped/ after filing.
    webapp_args: tuple[str, ...] = ("--offline", "1", "--keep-ripped", "1")

    def folder(self, drive: str) -> Path:
        return self.root / "drives" / drive

    def drive_id(self, drive: str) -> str:  # type: ignore[override]
        return f"{self.slow_daemon_id if drive in SLOW_DRIVES else self.daemon_id}:{drive}"

    @property
    def slow_ripped_dir(self) -> Path:
        return self.root / "slow-daemon" / "ripped"

    def start(self, timeout: float = 20.0) -> None:
        for folder in (self.data_dir, self.staging_dir, *(self.folder(d) for d in FAST_DRIVES + SLOW_DRIVES)):
            folder.mkdir(parents=True, exist_ok=True)
        wrapper = self.root / "slow-ffmpeg.sh"
        wrapper.write_text(  # only the rip itself (the one run with -progress) is slowed; probes run at once
            f'#!/bin/sh\ncase " $* " in *" -progress "*) sleep {SLOW_START_SECONDS};; esac\n'
            f'exec "{ffmpeg()}" "$@"\n'
        )
        wrapper.chmod(0o755)
        self.extra_env["slow-daemon"] = {"IMAGEIO_FFMPEG_EXE": str(wrapper)}
        self.start_webapp(timeout)
        self.start_daemon()

    def start_daemon(self) -> None:
        for name, daemon_id, drives, home, ripped in (
            ("daemon", self.daemon_id, FAST_DRIVES, self.root / "daemon", self.ripped_dir),
            ("slow-daemon", self.slow_daemon_id, SLOW_DRIVES, self.root / "slow-daemon", self.slow_ripped_dir),
        ):
            args = ["daemon", "--webapp-url", f"ws://127.0.0.1:{self.port}/ws", "--token", self.token,
                    "--daemon-id", daemon_id, "--backend", "image", "--data-dir", str(home),
                    "--output-dir", str(ripped)]
            for drive in drives:
                args += ["--image-drive", str(self.folder(drive))]
            self._spawn(name, *args)

    def _spawn(self, name: str, *args: str) -> None:
        log = (self.root / f"{name}.log").open("ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AMPHIGORY_", "IMAGEIO_FFMPEG"))}
        env.update(PYTHONUNBUFFERED="1", **self.extra_env.get(name, {}))
        self.processes[name] = subprocess.Popen(
            [str(AMPHIGORY), *args], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.root,
            start_new_session=True,
        )

    def stop(self) -> None:
        for name in [n for n in self.processes if n != "webapp"] + ["webapp"]:
            self.stop_process(name)

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)}" for name in ("webapp", "daemon", "slow-daemon"))

    def insert_into(self, drive: str, source: Path) -> Path:
        """A copy of the disc `source` (file or folder) appearing in the drive all at once."""
        staged = self.staging_dir / source.name
        if source.is_dir():
            shutil.copytree(source, staged)
        else:
            shutil.copy2(source, staged)
        target = self.folder(drive) / source.name
        os.rename(staged, target)
        return target

    def take_out_of(self, drive: str, name: str) -> None:
        os.rename(self.folder(drive) / name, self.staging_dir / f"{drive}-{name}")


class Feed:
    """The browser feed (/ws/browser), collected on a thread while a test runs."""

    def __init__(self, stack: RipStack) -> None:
        self.url = f"ws://127.0.0.1:{stack.port}/ws/browser"
        self.messages: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with connect(self.url, open_timeout=patient(5), max_size=None) as ws:
            while not self._stop.is_set():
                try:
                    text = ws.recv(timeout=0.1)
                except TimeoutError:
                    continue
                self.messages.append(json.loads(text))
                self._ready.set()

    def __enter__(self) -> Feed:
        self._thread.start()
        assert self._ready.wait(patient(5)), "no snapshot on /ws/browser"
        assert self.messages[0]["type"] == "snapshot"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def events(self, name: str, task_id: str) -> list[dict[str, Any]]:
        return [m["event"] for m in list(self.messages) if m.get("type") == "event"
                and m["event"]["event"] == name and m["event"]["data"].get("task_id") == task_id]

    def task_statuses(self, task_id: str) -> list[str]:
        return [m["task"]["status"] for m in list(self.messages)
                if m.get("type") == "task" and m["task"]["id"] == task_id]


# -- fixtures and helpers ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RipStack]:
    s = RipStack(tmp_path_factory.mktemp("rip-e2e"))
    try:
        s.start()
        until(lambda: all(_drive(s, d) is not None for d in FAST_DRIVES + SLOW_DRIVES), 15,
              "both daemons' drives listed", s)
        yield s
    finally:
        s.stop()


@pytest.fixture
def api(stack: RipStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=15) as client:
        yield client


def until(check: Callable[[], Any], timeout: float, what: str, stack: RipStack) -> Any:
    end = time.monotonic() + patient(timeout)
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out ({patient(timeout)} s) waiting for {what}\n{stack.logs()}")
        time.sleep(0.05)


def _drive(stack: RipStack, drive: str) -> dict[str, Any] | None:
    drives = httpx.get(f"{stack.url}/api/drives", timeout=5).json()["drives"]
    return next((d for d in drives if d["drive_id"] == stack.drive_id(drive)), None)


def wait_for_disc(stack: RipStack, drive: str, prefix: str) -> str:
    """The fingerprint of the disc in `drive`, once the webapp shows it (and it starts with `prefix`)."""
    def check() -> str | None:
        d = _drive(stack, drive)
        fingerprint = d and d.get("fingerprint")
        return fingerprint if isinstance(fingerprint, str) and fingerprint.startswith(prefix) else None
    return str(until(check, 10, f"a {prefix} disc in drive {drive}", stack))


def wait_task(stack: RipStack, api: httpx.Client, task_id: str, timeout: float = 30) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        task: dict[str, Any] = api.get(f"/api/tasks/{task_id}").json()
        return task if task["status"] not in ("queued", "running") else None
    return dict(until(check, timeout, f"task {task_id} to end", stack))


def scan(stack: RipStack, api: httpx.Client, drive: str) -> dict[str, Any]:
    """Scan the drive's disc through the API; the stored disc (GET /api/discs/{fingerprint})."""
    response = api.post(f"/api/drives/{stack.drive_id(drive)}/scan")
    assert response.status_code == 202, response.text
    task = wait_task(stack, api, response.json()["task_id"])
    assert task["status"] == "complete", task
    disc = api.get(f"/api/discs/{task['result']['fingerprint']}")
    assert disc.status_code == 200, disc.text
    return dict(disc.json())


def insert_and_scan(stack: RipStack, api: httpx.Client, drive: str, source: Path, prefix: str) -> dict[str, Any]:
    stack.insert_into(drive, source)
    fingerprint = wait_for_disc(stack, drive, prefix)
    disc = scan(stack, api, drive)
    assert disc["fingerprint"] == fingerprint
    return disc


def rip(api: httpx.Client, stack: RipStack, drive: str, tracks: list[int], fingerprint: str,
        names: dict[int, str] | None = None) -> httpx.Response:
    # The same sample DVD goes into several drives here, so a title may have been ripped by another test: ask
    # for re-rips (which the webapp refuses otherwise).
    body: dict[str, Any] = {"tracks": tracks, "fingerprint": fingerprint, "replace": True}
    if names:
        body["names"] = {str(k): v for k, v in names.items()}
    return api.post(f"/api/drives/{stack.drive_id(drive)}/rip", json=body)


def rip_all(stack: RipStack, api: httpx.Client, drive: str, tracks: list[int], fingerprint: str,
            feed: Feed) -> dict[int, dict[str, Any]]:
    """Rip `tracks` while the browser feed runs; each track's finished task, after checking its events."""
    response = rip(api, stack, drive, tracks, fingerprint)
    assert response.status_code == 202, response.text
    task_ids = response.json()["task_ids"]
    assert len(task_ids) == len(tracks)
    tasks = {n: wait_task(stack, api, t) for n, t in zip(tracks, task_ids, strict=True)}
    for number, task in tasks.items():
        assert task["status"] == "complete", task
        assert task["track_number"] == number and task["fingerprint"] == fingerprint
        until(lambda t=task: feed.events("rip_completed", t["id"]), 5, "rip_completed on the feed", stack)
        started = feed.events("rip_started", task["id"])
        assert len(started) == 1 and started[0]["data"]["track_number"] == number, started
        assert started[0]["data"]["path"] == task["result"]["path"]
        # the task's own message comes on the feed after the daemon's event: wait for it, then check its history
        until(lambda t=task: "complete" in feed.task_statuses(t["id"]), 5, "the task complete on the feed", stack)
        assert "running" in feed.task_statuses(task["id"])
    return tasks


def no_partials(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if ".partial" in p.name]


def mkvmerge(path: Path) -> dict[str, Any]:
    out = subprocess.run(["mkvmerge", "-J", str(path)], check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out))


def streams(info: dict[str, Any], kind: str) -> list[str]:
    """The languages of the MKV's tracks of `kind` (video, audio, subtitles), normalised to ISO 639-2/B."""
    return [LANGUAGES.get(t["properties"].get("language", ""), t["properties"].get("language", ""))
            for t in info["tracks"] if t["type"] == kind]


def mkv_seconds(info: dict[str, Any]) -> float:
    return float(info["container"]["properties"]["duration"]) / 1e9


def check_ripped(stack: RipStack, api: httpx.Client, fingerprint: str, tasks: dict[int, dict[str, Any]]) -> None:
    """Each task's file is finished under the output dir, and the discs API shows its track ripped there."""
    tracks = {t["number"]: t for t in api.get(f"/api/discs/{fingerprint}").json()["tracks"]}
    for number, task in tasks.items():
        path = Path(task["result"]["path"])
        assert path.is_file() and path.is_relative_to(stack.ripped_dir), path
        assert task["result"]["size_bytes"] == path.stat().st_size
        assert tracks[number]["status"] == "ripped", tracks[number]
        assert tracks[number]["ripped_path"] == str(path)
        assert tracks[number]["rip_checksum"] == task["result"]["checksum"]
        assert task["result"]["checksum"] == "blake3:" + blake3.blake3(path.read_bytes()).hexdigest()
    assert no_partials(stack.ripped_dir) == []


# -- 1-3: the sample discs, scanned and ripped ---------------------------------------------------------------


def test_dvd_two_titles_ripped_with_streams_and_durations_of_the_scan(stack: RipStack, api: httpx.Client) -> None:
    disc = insert_and_scan(stack, api, "dvd", DVD_ISO, "dvd-")
    fingerprint = disc["fingerprint"]
    scanned = {t["number"]: t for t in disc["tracks"]}
    assert sorted(scanned) == [1, 2, 3]

    with Feed(stack) as feed:
        tasks = rip_all(stack, api, "dvd", [1, 2], fingerprint, feed)
    check_ripped(stack, api, fingerprint, tasks)

    one = mkvmerge(Path(tasks[1]["result"]["path"]))
    assert len(streams(one, "video")) == 1
    assert streams(one, "audio") == ["eng", "fre"]
    assert streams(one, "subtitles") == ["eng"]
    assert mkv_seconds(one) == pytest.approx(scanned[1]["duration_seconds"], rel=0.01)

    two = mkvmerge(Path(tasks[2]["result"]["path"]))
    assert len(streams(two, "video")) == 1 and streams(two, "audio") == ["eng", "fre"]
    # titles 1 and 2 share VTS 1: title 2 is its own 8 s, not the 56 s of the whole VTS
    assert scanned[2]["duration_seconds"] == pytest.approx(8.0, abs=0.1)
    assert mkv_seconds(two) == pytest.approx(scanned[2]["duration_seconds"], rel=0.01)


def test_bluray_folder_duplicate_classified_and_playlists_ripped(stack: RipStack, api: httpx.Client) -> None:
    disc = insert_and_scan(stack, api, "bd", BD_FOLDER, "bd-")
    fingerprint = disc["fingerprint"]
    scanned = {t["number"]: t for t in disc["tracks"]}
    assert sorted(scanned) == [1, 2, 3, 4]
    assert scanned[4]["classification"] == "duplicate" and scanned[4]["duplicate_of"] == 1
    assert scanned[1]["classification"] != "duplicate"
    assert scanned[3]["duration_seconds"] == pytest.approx(10.0, abs=0.1)

    with Feed(stack) as feed:
        tasks = rip_all(stack, api, "bd", [1, 3], fingerprint, feed)
    check_ripped(stack, api, fingerprint, tasks)

    for number in (1, 3):
        info = mkvmerge(Path(tasks[number]["result"]["path"]))
        assert len(streams(info, "video")) == 1
        expected = [LANGUAGES[a["language"]] for a in scanned[number]["audio"]]
        assert streams(info, "audio") == expected
        assert mkv_seconds(info) == pytest.approx(scanned[number]["duration_seconds"], rel=0.01)
    assert streams(mkvmerge(Path(tasks[1]["result"]["path"])), "audio") == ["eng", "fre"]
    assert streams(mkvmerge(Path(tasks[3]["result"]["path"])), "audio") == ["eng"]


def test_cd_track_ripped_to_flac_with_the_exact_pcm_of_the_bin(stack: RipStack, api: httpx.Client) -> None:
    shutil.copy2(CD_BIN, stack.folder("cd") / CD_BIN.name)  # the BIN first, then the CUE naming it
    shutil.copy2(CD_CUE, stack.folder("cd") / CD_CUE.name)
    fingerprint = wait_for_disc(stack, "cd", "cd-")
    disc = scan(stack, api, "cd")
    assert disc["fingerprint"] == fingerprint
    assert [t["number"] for t in disc["tracks"]] == [1, 2, 3]

    with Feed(stack) as feed:
        tasks = rip_all(stack, api, "cd", [2], fingerprint, feed)
    check_ripped(stack, api, fingerprint, tasks)
    flac = Path(tasks[2]["result"]["path"])
    assert flac.suffix == ".flac"

    pcm = subprocess.run([ffmpeg(), "-v", "error", "-i", str(flac), "-f", "s16le", "-"],
                         check=True, capture_output=True).stdout
    sheet = parse_sheet(CD_CUE.read_bytes(), name=CD_CUE.name)
    (span,) = next(t for t in track_byte_ranges(sheet, {CD_BIN.name: CD_BIN.stat().st_size}) if t.number == 2).ranges
    expected = CD_BIN.read_bytes()[span.start:span.end]
    assert len(pcm) == len(expected) and pcm == expected


def test_every_rip_reports_progress_up_to_100_before_it_completes(stack: RipStack, api: httpx.Client) -> None:
    disc = insert_and_scan(stack, api, "progress", DVD_ISO, "dvd-")
    with Feed(stack) as feed:
        response = rip(api, stack, "progress", [3], disc["fingerprint"], names={3: "progress-check"})
        assert response.status_code == 202, response.text
        (task_id,) = response.json()["task_ids"]
        assert wait_task(stack, api, task_id)["status"] == "complete"
        until(lambda: feed.events("rip_completed", task_id), 5, "rip_completed on the feed", stack)
    names = [m["event"]["event"] for m in feed.messages if m.get("type") == "event"
             and m["event"]["data"].get("task_id") == task_id]
    progress = feed.events("rip_progress", task_id)
    assert progress, f"no rip_progress between rip_started and rip_completed: {names}"
    assert progress[-1]["data"]["percent"] == 100
    assert names.index("rip_completed") > names.index("rip_progress")


# -- 4: safety through the API -------------------------------------------------------------------------------


def _tasks_of(api: httpx.Client, stack: RipStack, drive: str) -> list[str]:
    """The ids of the drive's tasks: what a refused request must leave as it was (a task already there, such as
    the automatic scan of a disc just put in, may still move on meanwhile)."""
    return [t["id"] for t in api.get("/api/tasks", params={"drive_id": stack.drive_id(drive)}).json()["tasks"]]


def test_wrong_fingerprint_409_and_unknown_track_422_start_nothing(stack: RipStack, api: httpx.Client) -> None:
    disc = insert_and_scan(stack, api, "refuse", DVD_ISO, "dvd-")
    before = _tasks_of(api, stack, "refuse")
    files = sorted(stack.ripped_dir.rglob("*"))

    wrong = rip(api, stack, "refuse", [1], "dvd-" + "0" * 64)
    assert wrong.status_code == 409, wrong.text
    assert wrong.json()["code"] == "fingerprint_mismatch"

    missing = rip(api, stack, "refuse", [1, 9], disc["fingerprint"])
    assert missing.status_code == 422, missing.text
    assert missing.json()["code"] == "unknown_track"

    time.sleep(0.5)  # anything started by mistake would show by now
    assert _tasks_of(api, stack, "refuse") == before
    assert sorted(stack.ripped_dir.rglob("*")) == files
    assert (_drive(stack, "refuse") or {}).get("state") != "ripping"


def test_rip_naming_the_previous_disc_is_refused_after_a_swap(stack: RipStack, api: httpx.Client) -> None:
    dvd = insert_and_scan(stack, api, "swap", DVD_ISO, "dvd-")
    stack.take_out_of("swap", DVD_ISO.name)
    until(lambda: (_drive(stack, "swap") or {}).get("fingerprint") is None, 10, "the DVD out of drive swap", stack)
    shutil.copy2(CD_BIN, stack.folder("swap") / CD_BIN.name)
    shutil.copy2(CD_CUE, stack.folder("swap") / CD_CUE.name)
    wait_for_disc(stack, "swap", "cd-")
    before = _tasks_of(api, stack, "swap")

    refused = rip(api, stack, "swap", [1], dvd["fingerprint"])
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "fingerprint_mismatch"
    assert _tasks_of(api, stack, "swap") == before


def test_cancel_a_queued_rip(stack: RipStack, api: httpx.Client) -> None:
    disc = insert_and_scan(stack, api, "cancel", DVD_ISO, "dvd-")
    with Feed(stack) as feed:
        response = rip(api, stack, "cancel", [3, 2], disc["fingerprint"],
                       names={3: "cancel-first", 2: "cancel-second"})
        assert response.status_code == 202, response.text
        first, second = response.json()["task_ids"]
        until(lambda: no_partials(stack.slow_ripped_dir), 10, "the first rip writing its partial file", stack)
        assert api.get(f"/api/tasks/{second}").json()["status"] == "queued"

        cancelled = api.post(f"/api/tasks/{second}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"

        done = wait_task(stack, api, first)
        assert done["status"] == "complete", done
        assert Path(done["result"]["path"]).name == "cancel-first.mkv"
        until(lambda: feed.events("rip_completed", first), 5, "rip_completed on the feed", stack)
        time.sleep(0.5)
    after = api.get(f"/api/tasks/{second}").json()
    assert after["status"] == "cancelled" and after["error_code"] == "cancelled", after
    assert feed.events("rip_started", second) == [] and feed.events("rip_completed", second) == []
    names = sorted(p.name for p in stack.slow_ripped_dir.rglob("*") if p.is_file())
    assert names == ["cancel-first.mkv"]
    # the slow rip was watched: started, then progress at least once a second while its tool ran
    assert len(feed.events("rip_started", first)) == 1
    progress = feed.events("rip_progress", first)
    assert len(progress) >= SLOW_START_SECONDS - 1, progress
    assert all(0 <= p["data"]["percent"] <= 100 for p in progress)


def test_disc_ejected_mid_rip_fails_the_rips_and_leaves_no_partial_file(stack: RipStack, api: httpx.Client) -> None:
    disc = insert_and_scan(stack, api, "eject", DVD_ISO, "dvd-")
    response = rip(api, stack, "eject", [1, 3], disc["fingerprint"], names={1: "eject-first", 3: "eject-second"})
    assert response.status_code == 202, response.text
    first, second = response.json()["task_ids"]
    partial = until(lambda: no_partials(stack.slow_ripped_dir), 10, "the first rip writing its partial file", stack)
    until(lambda: api.get(f"/api/tasks/{first}").json()["status"] == "running", 5, "the first rip running", stack)

    stack.take_out_of("eject", DVD_ISO.name)
    ended = [wait_task(stack, api, t, timeout=10) for t in (first, second)]
    for task in ended:
        assert (task["status"], task["error_code"]) in (("failed", "disc_ejected"), ("cancelled", "cancelled")), task
    assert ended[0]["error_code"] == "disc_ejected"
    assert not any(p.exists() for p in partial)
    assert no_partials(stack.slow_ripped_dir) == []
    assert not [p for p in stack.slow_ripped_dir.rglob("eject-*")]
    drive = until(lambda: (d := _drive(stack, "eject")) and d["state"] == "empty" and d, 10, "drive eject empty",
                  stack)
    assert drive["fingerprint"] is None and drive["rip_task_id"] in (None, first)

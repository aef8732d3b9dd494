"""Hands-free mode end to end: the real `amphigory serve --on-insert rip` and `amphigory daemon` with image drives,
and a loopback webhook as the notification URL (Apprise `json://`). Nobody asks for anything: a disc goes in, and
the test only watches (and names a disc, as a person reading the notification would).

Each test uses its own drive (``film``, ``dvd``, ``cd``; ``manual`` is a drive whose own rule is manual), so the
tests do not depend on each other's order; the countdown's cancel runs on a stack of its own with a long countdown.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from handsfree_stack import HandsFreeStack
from ui_stack import SAMPLES

from helpers_webhook import Webhook, webhook

pytestmark = pytest.mark.e2e

DVD_ISO = SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
BD_FOLDER = SAMPLES / "bluray" / "AMPHIGORY_SAMPLE_BD"
CD_FILES = (SAMPLES / "cd" / "AMPHIGORY_SAMPLE_CD.cue", SAMPLES / "cd" / "AMPHIGORY_SAMPLE_CD.bin")
# The module's shared stack notifies this path of the hook; the tests that start a stack of their own notify another
# (several put in the same sample disc, so a notice is told apart by where it was sent).
HOOK_PATH = "/hook"


@pytest.fixture(scope="module")
def hook() -> Iterator[Webhook]:
    with webhook() as running:
        yield running


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, hook: Webhook) -> Iterator[HandsFreeStack]:
    running = HandsFreeStack(tmp_path_factory.mktemp("handsfree"), notify=hook.url(HOOK_PATH))
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
def api(stack: HandsFreeStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=30, trust_env=False) as client:
        yield client


def until(check: Callable[[], Any], what: str, stack: HandsFreeStack, timeout: float = 60) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out ({timeout} s) waiting for {what}\n{stack.logs()}")
        time.sleep(0.05)


def disc_in(api: httpx.Client, stack: HandsFreeStack, drive: str) -> str:
    def check() -> str | None:
        found = api.get(f"/api/drives/{stack.drive(drive)}")
        return found.json().get("fingerprint") if found.status_code == 200 else None
    return str(until(check, f"a disc in {drive}", stack))


def stored(api: httpx.Client, fingerprint: str) -> dict[str, Any] | None:
    response = api.get(f"/api/discs/{fingerprint}")
    return response.json() if response.status_code == 200 else None


def rips_of(api: httpx.Client, fingerprint: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = api.get("/api/tasks", params={"fingerprint": fingerprint, "limit": 500}).json()
    return [t for t in tasks["tasks"] if t["type"] == "rip"]


def files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) if folder.is_dir() \
        else []


def about(fingerprint: str, kind: str) -> Callable[[dict[str, Any]], bool]:
    """A webhook message of one kind naming the disc (its review page's URL carries the fingerprint)."""
    titles = {"done": "Done:", "needs_review": "Needs review:", "failed": "Failed:"}
    return lambda m: m.get("title", "").startswith(titles[kind]) and fingerprint in m.get("message", "")


def test_a_named_film_goes_in_and_comes_out_filed_with_its_extras_ejected_and_announced(
        stack: HandsFreeStack, api: httpx.Client, hook: Webhook) -> None:
    # A person named the disc once (in a drive whose own rule is manual: nothing was ripped there).
    stack.put("manual", BD_FOLDER)
    fingerprint = disc_in(api, stack, "manual")
    until(lambda: stored(api, fingerprint), "the automatic scan", stack)
    named = api.patch(f"/api/discs/{fingerprint}", json={"title": "Sample Film", "year": 2024})
    assert named.status_code == 200 and named.json()["named_by"] == "person"
    assert rips_of(api, fingerprint) == []
    stack.take_out("manual")

    stack.put("film", BD_FOLDER)
    done = hook.wait_for(about(fingerprint, "done"), 60, "done notification", path=HOOK_PATH)
    movie = stack.library / "Movies" / "Sample Film (2024)"
    assert files(movie) == ["Sample Film (2024).mkv", "Trailers/Trailer 02.mkv"]
    assert "Sample Film (2024).mkv" in done["message"] and str(stack.library) in done["message"]
    # the main feature and its labelled extra; not the 10 s title nor the duplicate playlist
    assert sorted(t["track_number"] for t in rips_of(api, fingerprint)) == [1, 2]
    until(lambda: (stack.folder("film") / ".ejected" / BD_FOLDER.name).is_dir(), "the eject", stack)
    assert [p.name for p in stack.folder("film").iterdir() if not p.name.startswith(".")] == []

    # Put in again: recognised, not ripped twice.
    os.rename(stack.folder("film") / ".ejected" / BD_FOLDER.name, stack.staging_dir / "again")
    os.rename(stack.staging_dir / "again", stack.folder("film") / BD_FOLDER.name)
    note = until(lambda: api.get("/api/handsfree").json()["notes"].get(stack.drive("film")), "the note", stack)
    assert note.startswith("Already ripped")
    assert len(rips_of(api, fingerprint)) == 2
    assert api.get(f"/api/drives/{stack.drive('film')}").json()["state"] != "ripping"
    stack.take_out("film")


def test_an_unknown_disc_is_ripped_held_announced_and_filed_once_named(
        stack: HandsFreeStack, api: httpx.Client, hook: Webhook) -> None:
    stack.put("dvd", DVD_ISO)
    fingerprint = disc_in(api, stack, "dvd")
    review = hook.wait_for(about(fingerprint, "needs_review"), 60, "needs-review notification", path=HOOK_PATH)
    assert f"http://127.0.0.1:{stack.port}/discs/{fingerprint}" in review["message"]
    disc = stored(api, fingerprint)
    assert disc is not None and disc["named_by"] is None
    main = next(t for t in disc["tracks"] if t["number"] == 1)
    assert main["status"] == "ripped" and main["library_path"] is None
    assert main["library_note"] == "held until the disc is named"
    assert Path(main["ripped_path"]).is_file()
    assert all(t["library_path"] is None for t in disc["tracks"])
    assert not any(disc["title"] in f for f in files(stack.library))  # nothing filed under the volume label
    waiting = api.get("/api/handsfree").json()["needs_review"]
    assert [d["fingerprint"] for d in waiting if d["fingerprint"] == fingerprint] == [fingerprint]
    until(lambda: (stack.folder("dvd") / ".ejected" / DVD_ISO.name).is_file(), "the eject", stack)

    assert api.patch(f"/api/discs/{fingerprint}", json={"title": "Found Film", "year": 1999}).status_code == 200
    hook.wait_for(about(fingerprint, "done"), 60, "done notification", path=HOOK_PATH)
    assert files(stack.library / "Movies" / "Found Film (1999)") == ["Found Film (1999).mkv"]
    waiting = api.get("/api/handsfree").json()["needs_review"]
    assert fingerprint not in [d["fingerprint"] for d in waiting]


def test_a_cd_ends_as_flacs_under_its_album(stack: HandsFreeStack, api: httpx.Client, hook: Webhook) -> None:
    stack.put("cd", *CD_FILES)
    fingerprint = disc_in(api, stack, "cd")
    hook.wait_for(about(fingerprint, "needs_review"), 60, "needs-review notification", path=HOOK_PATH)
    assert sorted(t["track_number"] for t in rips_of(api, fingerprint)) == [1, 2, 3]
    assert api.patch(f"/api/discs/{fingerprint}", json={"title": "Amphigory Sample CD", "year": 2024}).status_code \
        == 200
    hook.wait_for(about(fingerprint, "done"), 60, "done notification", path=HOOK_PATH)
    flacs = [f for f in files(stack.library / "Music") if f.endswith(".flac")]
    assert len(flacs) == 3 and all("Amphigory Sample CD" in f for f in flacs), flacs


def test_cancelling_the_countdown_rips_nothing(tmp_path: Path, hook: Webhook) -> None:
    # automatic scans off: rip mode scans a new disc all the same
    stack = HandsFreeStack(tmp_path, notify=hook.url("/cancel"), delay=600, extra=["--auto-scan", "0"])
    try:
        stack.start()
        with httpx.Client(base_url=stack.url, timeout=30, trust_env=False) as api:
            stack.put("film", BD_FOLDER)
            fingerprint = disc_in(api, stack, "film")
            countdown = until(lambda: api.get("/api/handsfree").json()["countdowns"], "the countdown", stack)[0]
            assert countdown["drive_id"] == stack.drive("film") and countdown["fingerprint"] == fingerprint
            assert [t["number"] for t in countdown["tracks"]] == [1, 2]
            assert 0 < countdown["remaining"] <= 600
            cancelled = api.post("/api/handsfree/cancel", json={"drive_id": stack.drive("film")})
            assert cancelled.status_code == 200 and cancelled.json()["countdowns"] == []
            assert "cancelled" in cancelled.json()["notes"][stack.drive("film")]
            assert api.post("/api/handsfree/rip-now", json={"drive_id": stack.drive("film")}).status_code == 404
            # A person can still rip it by hand; hands-free mode started nothing.
            assert rips_of(api, fingerprint) == []
            assert api.get(f"/api/drives/{stack.drive('film')}").json()["state"] == "scanned"
            # "Rip now" on a new countdown starts at once (the delay is 600 s).
            api.put("/api/settings", json={"values": {"auto_rip_delay": "600"}})
            stack.take_out("film")
            stack.put("dvd", DVD_ISO)
            dvd = disc_in(api, stack, "dvd")
            until(lambda: api.get("/api/handsfree").json()["countdowns"], "the second countdown", stack)
            assert api.post("/api/handsfree/rip-now", json={"drive_id": stack.drive("dvd")}).status_code == 200
            until(lambda: rips_of(api, dvd), "the rip", stack)
    finally:
        stack.stop()


def test_a_countdown_cut_short_by_a_webapp_restart_starts_over_and_a_cancel_survives_a_reconnect_and_a_restart(
        tmp_path: Path, hook: Webhook) -> None:
    stack = HandsFreeStack(tmp_path, notify=hook.url("/restart"), delay=600)
    try:
        stack.start()
        with httpx.Client(base_url=stack.url, timeout=30, trust_env=False) as api:
            stack.put("film", BD_FOLDER)
            fingerprint = disc_in(api, stack, "film")
            until(lambda: api.get("/api/handsfree").json()["countdowns"], "the countdown", stack)
            stack.stop_process("webapp")
            stack.start_webapp()
            # the daemon reconnects to the new webapp, which finds the disc in the drive and counts down again
            countdown = until(lambda: api.get("/api/handsfree").json()["countdowns"], "the countdown again",
                              stack)[0]
            assert (countdown["drive_id"], countdown["fingerprint"]) == (stack.drive("film"), fingerprint)
            assert [t["number"] for t in countdown["tracks"]] == [1, 2]
            cancelled = api.post("/api/handsfree/cancel", json={"drive_id": stack.drive("film")})
            assert cancelled.status_code == 200 and cancelled.json()["countdowns"] == []
            # the daemon's connection lost (the daemon frozen past the webapp's ping timeout) and made again, the
            # same daemon: what the person chose stands
            daemon = stack.processes["daemon"]
            os.kill(daemon.pid, signal.SIGSTOP)
            try:
                until(lambda: api.get("/health").json()["daemons"] == 0, "the frozen daemon dropped", stack)
            finally:
                os.kill(daemon.pid, signal.SIGCONT)
            until(lambda: api.get("/health").json()["daemons"] == 1 and api.get("/api/drives").json()["drives"],
                  "the daemon back", stack)
            assert api.get("/api/handsfree").json()["countdowns"] == []
            assert rips_of(api, fingerprint) == []
            # nor does a webapp restart: the new webapp finds the disc in the drive, and the cancel kept in the
            # database (the note is written only where hands-free mode declines a cancelled disc)
            stack.stop_process("webapp")
            stack.start_webapp()
            until(lambda: "cancelled" in api.get("/api/handsfree").json()["notes"].get(stack.drive("film"), ""),
                  "the cancel found after the restart", stack)
            assert api.get("/api/handsfree").json()["countdowns"] == []
            assert rips_of(api, fingerprint) == []
            # the disc taken out and put back is a new insert: the countdown runs again
            stack.take_out("film")
            until(lambda: not api.get(f"/api/drives/{stack.drive('film')}").json().get("fingerprint"),
                  "the drive empty", stack)
            stack.put("film", BD_FOLDER)
            countdown = until(lambda: api.get("/api/handsfree").json()["countdowns"], "a new countdown", stack)[0]
            assert (countdown["drive_id"], countdown["fingerprint"]) == (stack.drive("film"), fingerprint)
    finally:
        stack.stop()


def test_a_failed_rip_is_announced_with_why_and_what_to_do(tmp_path: Path, hook: Webhook) -> None:
    broken = tmp_path / "broken-ffmpeg.sh"  # probes work, every rip (the run with -progress) fails
    broken.write_text(f'#!/bin/sh\ncase " $* " in *" -progress "*) echo "no drive today" >&2; exit 1;; esac\n'
                      f'exec "{imageio_ffmpeg.get_ffmpeg_exe()}" "$@"\n')
    broken.chmod(0o755)
    stack = HandsFreeStack(tmp_path / "stack", notify=hook.url("/failed"),
                           daemon_env={"IMAGEIO_FFMPEG_EXE": str(broken)})
    try:
        stack.start()
        with httpx.Client(base_url=stack.url, timeout=30, trust_env=False) as api:
            stack.put("film", BD_FOLDER)
            fingerprint = disc_in(api, stack, "film")
            failed = hook.wait_for(about(fingerprint, "failed"), 60, "failed notification", path="/failed")
            assert "title 1: rip failed" in failed["message"] and "title 2: rip failed" in failed["message"]
            assert "still in the drive" in failed["message"] and "retry" in failed["message"]
            assert failed["type"] == "failure"
            # a disc whose rips failed stays in, to be retried
            assert (stack.folder("film") / BD_FOLDER.name).is_dir()
            assert not (stack.folder("film") / ".ejected").exists()
    finally:
        stack.stop()

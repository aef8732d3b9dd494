"""Managing rips end to end, through the HTTP API of the real `amphigory serve --keep-ripped 1` and
`amphigory daemon` processes: a re-rip replaces the ripped file (and its library file) in place once it is done,
and renaming a filed disc moves all of its library files into one new folder."""

from __future__ import annotations

import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from ui_stack import SAMPLES, Stack

pytestmark = pytest.mark.e2e

DVD_ISO = SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"


@dataclass
class KeepingStack(Stack):
    """The ui_stack webapp and daemon, with the webapp keeping rips in ripped/ after filing."""

    daemon_id: str = "manage-e2e@host"
    webapp_args: tuple[str, ...] = ("--offline", "1", "--keep-ripped", "1")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeepingStack]:
    running = KeepingStack(tmp_path_factory.mktemp("manage-e2e"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(stack: KeepingStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=10, trust_env=False) as client:
        yield client


def until(check: Callable[[], Any], what: str, stack: Stack, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{stack.log('webapp')}\n{stack.log('daemon')}")


def the_drive(api: httpx.Client) -> dict[str, Any]:
    """The one image drive, or {} while the daemon has not connected yet."""
    drives: list[dict[str, Any]] = api.get("/api/drives").json()["drives"]
    return drives[0] if drives else {}


@pytest.fixture(scope="module")
def dvd(stack: KeepingStack, api: httpx.Client) -> str:
    """The sample DVD in the drive, scanned (serve scans an unknown disc by itself); its fingerprint."""
    stack.insert(DVD_ISO)
    fingerprint: str = until(lambda: the_drive(api).get("fingerprint"), "the disc's fingerprint", stack)
    until(lambda: api.get(f"/api/discs/{fingerprint}").status_code == 200, "the scan", stack)
    until(lambda: the_drive(api).get("state") == "scanned", "the drive to be idle", stack)
    return fingerprint


def track(api: httpx.Client, fingerprint: str, number: int) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in api.get(f"/api/discs/{fingerprint}").json()["tracks"]
                                 if t["number"] == number)
    return found


def rip(api: httpx.Client, stack: Stack, fingerprint: str, numbers: list[int], **extra: Any) -> httpx.Response:
    return api.post(f"/api/drives/{urllib.parse.quote(stack.drive_id, safe='')}/rip",
                    json={"tracks": numbers, "fingerprint": fingerprint, **extra})


def task_done(api: httpx.Client, stack: Stack, task_id: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        task: dict[str, Any] = api.get(f"/api/tasks/{task_id}").json()
        return task if task["status"] not in ("queued", "running") else None

    done: dict[str, Any] = until(check, f"task {task_id}", stack)
    return done


def filed(api: httpx.Client, stack: Stack, rip_task: dict[str, Any]) -> dict[str, Any]:
    """The rip task, complete, and its filing, complete."""
    done = task_done(api, stack, rip_task["id"])
    assert done["status"] == "complete", done
    filing = task_done(api, stack, done["result"]["filing"]["task_id"])
    assert filing["status"] == "complete", filing
    return filing


def test_a_rerip_replaces_the_ripped_and_library_files_in_place(
        stack: KeepingStack, api: httpx.Client, dvd: str) -> None:
    number = 3
    first = rip(api, stack, dvd, [number])
    assert first.status_code == 202, first.text
    filed(api, stack, first.json()["tasks"][0])
    before = track(api, dvd, number)
    ripped, library = Path(before["ripped_path"]), Path(before["library_path"])
    assert ripped.exists() and library.samefile(ripped)  # kept (--keep-ripped 1): the library links to it
    old_inode = ripped.stat().st_ino

    refused = rip(api, stack, dvd, [number])
    assert refused.status_code == 409 and refused.json()["code"] == "already_ripped"
    again = rip(api, stack, dvd, [number], replace=True)
    assert again.status_code == 202, again.text
    task = again.json()["tasks"][0]
    assert task["params"]["replace"] is True
    filing = filed(api, stack, task)

    after = track(api, dvd, number)
    assert after["ripped_path"] == str(ripped) and after["library_path"] == str(library)
    assert ripped.stat().st_ino != old_inode  # a new file took the old one's name
    assert library.samefile(ripped) and after["status"] == "ripped" and after["rip_error"] is None
    assert filing["result"]["path"] == str(library)
    assert sorted(p.name for p in ripped.parent.iterdir()) == [ripped.name]  # no partial, no " (2)"
    assert [p.name for p in library.parent.iterdir()] == [library.name]


def test_renaming_a_filed_disc_moves_all_its_files_into_one_folder(
        stack: KeepingStack, api: httpx.Client, dvd: str) -> None:
    names = {1: None, 2: "Making Of"}
    api.patch(f"/api/discs/{dvd}", json={"tracks": [
        {"number": 1, "type": "main_feature"}, {"number": 2, "type": "featurette", "name": "Making Of"}]})
    created = rip(api, stack, dvd, [n for n in names if not track(api, dvd, n)["ripped_path"]])
    assert created.status_code == 202, created.text
    for task in created.json()["tasks"]:
        filed(api, stack, task)
    library = stack.data_dir / "library"
    old = {n: Path(track(api, dvd, n)["library_path"]) for n in names}
    old_folder = old[1].parent
    assert old[2].parent.parent == old_folder  # Featurettes/ inside the film's folder

    renamed = api.patch(f"/api/discs/{dvd}", json={"title": "Another Name", "year": 2001,
                                                   "tracks": [{"number": 2, "name": "Behind The Scenes"}]})

    assert renamed.status_code == 200, renamed.text
    tracks = {t["number"]: t for t in renamed.json()["tracks"]}
    folder = library / "Movies" / "Another Name (2001)"
    assert Path(tracks[1]["library_path"]) == folder / "Another Name (2001).mkv"
    assert Path(tracks[2]["library_path"]) == folder / "Featurettes" / "Behind The Scenes.mkv"
    for number in names:
        assert Path(tracks[number]["library_path"]).is_file() and not old[number].exists()
        assert tracks[number]["planned_library_path"] == \
            Path(tracks[number]["library_path"]).relative_to(library).as_posix()
    assert not old_folder.exists()  # left empty, so removed
    films = sorted(p.name for p in (library / "Movies").iterdir())
    assert films == ["Another Name (2001)"]  # one folder, not two

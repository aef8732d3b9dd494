"""Managing rips in a real browser against the real `amphigory serve` and `amphigory daemon`: re-rip a title (its
file replaced), rename a filed disc (its files move into one new folder), delete a disc's rips; the review page at
390 px with nothing scrolling sideways; a CD's album form; the HTML 404 page.

Each test puts the disc it needs into the one image drive itself, so the tests run in any order."""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from test_ui_pages import DVD_ISO, get_json, post_json
from ui_stack import SAMPLES, Stack, Watched

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CD_CUE = SAMPLES / "cd" / "AMPHIGORY_SAMPLE_CD.cue"
CD_BIN = SAMPLES / "cd" / "AMPHIGORY_SAMPLE_CD.bin"


def until(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Wait for `check()` to return something truthy (generous: the CI machine is loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def drive(stack: Stack) -> dict[str, Any]:
    drives: list[dict[str, Any]] = get_json(stack, "/api/drives")["drives"]
    return drives[0]


def disc_or_none(stack: Stack, fingerprint: str) -> dict[str, Any] | None:
    """The disc as stored now (asked once: `get_json` would wait out a 404)."""
    try:
        with urllib.request.urlopen(f"{stack.url}/api/discs/{fingerprint}", timeout=5) as response:
            found: dict[str, Any] = json.loads(response.read())
        return found
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def drive_path(stack: Stack, action: str) -> str:
    return f"/api/drives/{urllib.parse.quote(stack.drive_id, safe='')}/{action}"


def ready(stack: Stack, disc_type: str) -> str:
    """The sample disc of this type (dvd or cd) in the drive and scanned; its fingerprint."""
    current = drive(stack)
    if current["state"] != "empty" and current["disc_type"] != disc_type:
        post_json(stack, drive_path(stack, "eject"), {})
        until(lambda: drive(stack)["state"] == "empty", "the drive to be empty")
    if drive(stack)["state"] == "empty":
        if disc_type == "cd":
            shutil.copy2(CD_BIN, stack.drive_dir / CD_BIN.name)  # the BIN first, then the CUE naming it
            stack.insert(CD_CUE)
        else:
            stack.insert(DVD_ISO)
    fingerprint: str = until(lambda: drive(stack).get("fingerprint"), "the disc's fingerprint")
    until(lambda: drive(stack)["state"] in ("disc_inserted", "scanned"), "the drive to be idle")
    if disc_or_none(stack, fingerprint) is None and drive(stack)["state"] != "scanning":
        post_json(stack, drive_path(stack, "scan"), {})
    until(lambda: disc_or_none(stack, fingerprint), "the disc to be scanned")
    until(lambda: drive(stack)["state"] in ("disc_inserted", "scanned"), "the scan to end")  # a known disc: no scan
    if disc_type == "dvd" and disc_or_none(stack, fingerprint)["named_by"] is None:
        # Named (a year given), so its rips are filed: a disc nobody named keeps its rips held in ripped/.
        request = urllib.request.Request(f"{stack.url}/api/discs/{fingerprint}", data=b'{"year": 2024}',
                                         method="PATCH", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["named_by"] == "person"
    return fingerprint


def shortest(stack: Stack, fingerprint: str) -> dict[str, Any]:
    tracks = [t for t in get_json(stack, f"/api/discs/{fingerprint}")["tracks"]
              if t["present"] and t["classification"] != "duplicate"]
    return min(tracks, key=lambda t: t["duration_seconds"])


def filed(stack: Stack, fingerprint: str, number: int) -> dict[str, Any]:
    """The track once it is ripped and filed."""
    def check() -> dict[str, Any] | None:
        track = next(t for t in get_json(stack, f"/api/discs/{fingerprint}")["tracks"] if t["number"] == number)
        done = track["status"] == "ripped" and track["library_path"] and Path(track["library_path"]).exists()
        return track if done else None

    found: dict[str, Any] = until(check, f"track {number} to be ripped and filed")
    return found


def rip_and_file(stack: Stack, fingerprint: str, number: int) -> dict[str, Any]:
    track = next(t for t in get_json(stack, f"/api/discs/{fingerprint}")["tracks"] if t["number"] == number)
    if not track["ripped_path"]:
        post_json(stack, drive_path(stack, "rip"), {"tracks": [number], "fingerprint": fingerprint})
    return filed(stack, fingerprint, number)


def library_files(stack: Stack) -> list[str]:
    library = stack.data_dir / "library"
    return sorted(p.relative_to(library).as_posix() for p in library.rglob("*")
                  if p.is_file() and ".amphigory-staging" not in p.parts)


def test_rerip_replaces_the_file_once_the_new_rip_is_done(stack: Stack, desktop: Watched) -> None:
    page = desktop.page
    fingerprint = ready(stack, "dvd")
    number = shortest(stack, fingerprint)["number"]
    before = rip_and_file(stack, fingerprint, number)
    library_file = Path(before["library_path"])
    old_inode = library_file.stat().st_ino
    # safely in the library: ripped/ does not keep it twice
    until(lambda: not Path(before["ripped_path"]).exists(), "the rip to leave ripped/")

    page.goto(f"{stack.url}/discs/{fingerprint}")
    row = page.locator(f'table.titles tr[data-track="{number}"]')
    expect(row.locator("td.status")).to_have_attribute("data-status", "ripped")
    expect(page.locator("#drive-status")).to_have_attribute("data-state", "present")
    page.evaluate("""() => {
        window.statusesSeen = new Set();
        const table = document.querySelector('table.titles');
        new MutationObserver(() => table.querySelectorAll('td.status')
            .forEach((td) => window.statusesSeen.add(td.dataset.status)))
            .observe(table, { subtree: true, childList: true, attributes: true });
    }""")
    row.get_by_role("button", name=f"Re-rip title {number}").click()
    expect(page.locator("#rip-status")).to_contain_text(f"Re-ripping title {number}")
    expect(row.locator("td.status")).to_have_attribute("data-status", "ripped", timeout=60_000)
    assert page.evaluate("[...window.statusesSeen]") != ["ripped"]

    after = until(lambda: (t := filed(stack, fingerprint, number))["library_path"] == before["library_path"]
                  and library_file.stat().st_ino != old_inode and t, "the re-rip to be filed in the old one's place")
    assert library_files(stack).count(Path(after["library_path"]).relative_to(stack.data_dir / "library")
                                      .as_posix()) == 1
    tasks = get_json(stack, f"/api/tasks?fingerprint={fingerprint}&limit=500")["tasks"]
    reripped = [t for t in tasks if t["type"] == "rip" and t["track_number"] == number and t["params"].get("replace")]
    assert reripped and reripped[0]["status"] == "complete"
    page.goto(stack.url + "/")
    card = page.locator(".drive-card")
    expect(card).to_have_attribute("data-history", "ripped")  # not the look of a disc seen for the first time
    expect(card.locator(".history-badge")).to_contain_text("Ripped before")
    expect(card.get_by_role("link", name="Review")).to_have_class(re.compile(r"\bprimary\b"))
    expect(card.get_by_role("button", name="Rescan")).not_to_have_class(re.compile(r"\bprimary\b"))
    desktop.screenshot("dashboard-ripped-before")

    page.goto(stack.url + "/queue")
    entry = page.locator(f'#tasks-complete > .task[data-task-id="{reripped[0]["id"]}"]')
    expect(entry).to_contain_text("(re-rip)")
    expect(entry.locator(".task-step")).to_contain_text("into the library")  # its filing is a step of the rip
    desktop.screenshot("queue-rerip")
    assert not desktop.errors and not desktop.dialogs


def test_renaming_a_filed_disc_moves_its_files_into_one_folder(stack: Stack, desktop: Watched) -> None:
    page = desktop.page
    fingerprint = ready(stack, "dvd")
    number = shortest(stack, fingerprint)["number"]
    old = Path(rip_and_file(stack, fingerprint, number)["library_path"])
    films = {p.parent.relative_to(stack.data_dir / "library").parts[1] for p in [old]}

    page.goto(f"{stack.url}/discs/{fingerprint}")
    page.get_by_label("Title", exact=True).fill("Renamed Film")
    page.get_by_label("Year").fill("1999")
    page.get_by_label(f"Name of title {number}").fill("Short One")
    # the file name follows the typing, before anything is saved
    expect(page.locator(f'.planned[data-track="{number}"]')).to_contain_text("Renamed Film (1999)/")
    expect(page.locator(f'.planned[data-track="{number}"]')).to_contain_text("Short One.mkv")
    assert old.exists()
    page.get_by_role("button", name="Save choices").click()
    expect(page.locator("#rip-status")).to_have_text("Choices saved.")
    expect(page.locator(f'.planned[data-track="{number}"]')).to_contain_text("Movies/Renamed Film (1999)/")
    desktop.screenshot("review-renamed")

    track = next(t for t in get_json(stack, f"/api/discs/{fingerprint}")["tracks"] if t["number"] == number)
    new = Path(track["library_path"])
    assert new.exists() and not old.exists()
    assert new.relative_to(stack.data_dir / "library").as_posix() == track["planned_library_path"]
    assert new.name.startswith("Short One")
    folders = {Path(f).parts[1] for f in library_files(stack) if f.startswith("Movies/")}
    assert "Renamed Film (1999)" in folders and not folders & films  # one folder: the old one is gone
    assert not (stack.data_dir / "library" / "Movies" / next(iter(films))).exists()
    assert not desktop.errors and not desktop.dialogs


def test_deleting_a_discs_rips_asks_first_then_removes_them(stack: Stack, desktop: Watched) -> None:
    page = desktop.page
    fingerprint = ready(stack, "dvd")
    number = shortest(stack, fingerprint)["number"]
    library_file = Path(rip_and_file(stack, fingerprint, number)["library_path"])

    page.goto(f"{stack.url}/discs/{fingerprint}")
    page.get_by_role("button", name="Delete rips…").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="Keep them").click()
    expect(confirm).to_be_hidden()
    assert library_file.exists()

    page.get_by_role("button", name="Delete rips…").click()
    confirm.get_by_role("button", name="Delete", exact=True).click()
    expect(confirm).to_contain_text("Deleted")
    assert not library_file.exists() and not library_file.parent.exists()
    assert disc_or_none(stack, fingerprint) is None
    page.goto(f"{stack.url}/discs/{fingerprint}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Unknown disc")
    assert not desktop.errors and not desktop.dialogs  # confirmed in the page, not by a browser dialog


def test_review_page_fits_a_phone_without_sideways_scrolling(stack: Stack, phone: Watched) -> None:
    page = phone.page
    fingerprint = ready(stack, "dvd")
    page.goto(f"{stack.url}/discs/{fingerprint}")
    expect(page.locator("#feed-status")).to_have_attribute("data-state", "live")
    expect(page.locator("table.titles tbody tr").first).to_be_visible()
    sizes = page.evaluate("({ scroll: document.documentElement.scrollWidth,"
                          " client: document.documentElement.clientWidth })")
    assert sizes["scroll"] <= sizes["client"] <= 390, sizes
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .map((e) => e.tagName + '.' + e.className)""")
    assert wide == [], f"wider than the phone: {wide}"
    name = page.locator("table.titles input.name").first
    expect(name).to_be_visible()
    assert name.bounding_box()["width"] > 200  # a name field a thumb can use
    phone.screenshot("phone-review")
    assert not phone.errors


def test_a_cd_is_reviewed_as_an_album(stack: Stack, desktop: Watched) -> None:
    page = desktop.page
    fingerprint = ready(stack, "cd")
    if not any(t["ripped_path"] for t in get_json(stack, f"/api/discs/{fingerprint}")["tracks"]):
        page.goto(stack.url + "/")
        expect(page.locator(".drive-card")).to_have_attribute("data-history", "new")
        expect(page.locator(".drive-card .history-badge")).to_have_text("New disc")
    page.goto(f"{stack.url}/discs/{fingerprint}")
    album = page.get_by_role("group", name="Album")
    expect(album.get_by_label("Artist")).to_be_visible()
    expect(album.get_by_label("Album")).to_be_visible()
    expect(page.locator("table.titles select")).to_have_count(0)  # not the film table
    expect(page.locator("table.titles thead")).not_to_contain_text("Classification")

    album.get_by_label("Artist").fill("The Testers")
    album.get_by_label("Album").fill("Tones")
    album.get_by_label("Year").fill("2020")
    page.get_by_label("Title of track 1").fill("Opening")
    page.get_by_role("button", name="Save choices").click()
    expect(page.locator("#rip-status")).to_have_text("Choices saved.")
    expect(page.locator('.planned[data-track="1"]')).to_have_text(
        "Will be filed as → Music/The Testers/Tones (2020)/01 Opening.flac")
    disc = get_json(stack, f"/api/discs/{fingerprint}")
    assert disc["artist"] == "The Testers" and disc["title"] == "Tones" and disc["year"] == 2020
    desktop.screenshot("review-album")
    page.reload()
    expect(page.get_by_label("Artist")).to_have_value("The Testers")
    assert not desktop.errors


def test_an_unknown_page_is_a_404_page_in_the_apps_style(stack: Stack, desktop: Watched) -> None:
    page = desktop.page
    response = page.goto(stack.url + "/no/such/page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Dashboard").click()
    page.wait_for_url(stack.url + "/")
    assert "detail" in _json_404(stack, "/api/nothing")  # programs still get JSON
    assert not desktop.errors


def _json_404(stack: Stack, path: str) -> dict[str, Any]:
    try:
        urllib.request.urlopen(stack.url + path, timeout=5)
    except urllib.error.HTTPError as exc:
        assert exc.code == 404 and exc.headers["content-type"] == "application/json"
        body: dict[str, Any] = json.loads(exc.read())
        return body
    raise AssertionError(f"{path} did not answer 404")


def post_status(stack: Stack, path: str, body: Any) -> int:
    """POST and return the status (a refusal is an answer here, not an error)."""
    try:
        post_json(stack, path, body)
    except urllib.error.HTTPError as exc:
        return exc.code
    return 200


def test_queue_shows_cancelled_apart_and_failed_ones_are_dismissed(stack: Stack, desktop: Watched) -> None:
    page = desktop.page
    fingerprint = ready(stack, "dvd")
    longest = max((t for t in get_json(stack, f"/api/discs/{fingerprint}")["tracks"] if t["present"]),
                  key=lambda t: t["duration_seconds"])
    ripping = post_json(stack, drive_path(stack, "rip"), {"tracks": [longest["number"]], "fingerprint": fingerprint,
                                                         "replace": True})
    rip_id = ripping["task_ids"][0]
    cancelled = post_json(stack, f"/api/tasks/{rip_id}/cancel", {})
    assert cancelled["status"] == "cancelled"
    until(lambda: drive(stack)["state"] != "ripping", "the drive to stop ripping")
    post_json(stack, drive_path(stack, "eject"), {})
    until(lambda: drive(stack)["state"] == "empty", "the drive to be empty")
    assert post_status(stack, drive_path(stack, "scan"), {}) == 409  # no disc: the scan task fails
    assert post_status(stack, drive_path(stack, "scan"), {}) == 409

    page.goto(stack.url + "/queue")
    entry = page.locator(f'#tasks-cancelled > .task[data-task-id="{rip_id}"]')
    expect(entry.locator(".status-pill")).to_have_text("Cancelled")
    expect(page.locator(f'#tasks-failed .task[data-task-id="{rip_id}"]')).to_have_count(0)
    failed = page.locator("#tasks-failed > .task")
    expect(failed).to_have_count(2)
    expect(failed.first.locator(".task-error")).to_contain_text("There is no disc in the drive.")
    desktop.screenshot("queue-failed-and-cancelled")

    first_id = failed.first.get_attribute("data-task-id")
    failed.first.get_by_role("button", name="Dismiss").click()
    expect(failed).to_have_count(1)
    _json_404(stack, f"/api/tasks/{first_id}")  # dismissed: gone from the webapp too
    page.get_by_role("button", name="Clear failed").click()
    expect(failed).to_have_count(0)
    expect(page.locator("[data-count=failed]")).to_have_text("0")
    expect(page.get_by_role("button", name="Clear failed")).to_be_hidden()
    expect(entry).to_be_visible()  # clearing the failed ones leaves the cancelled one
    assert get_json(stack, "/api/tasks?status=failed")["tasks"] == []
    assert not desktop.errors and not desktop.dialogs


# The queue's list of tasks, held from the moment the webapp has answered it until the test lets it arrive: whatever
# the feed reports in between is news the list does not have.
HOLD_TASK_LIST = """
(() => {
  const fetchNow = window.fetch;
  window.fetch = async (url, init) => {
    const response = await fetchNow(url, init);
    if (!String(url).startsWith("/api/tasks?")) return response;
    const body = await response.text();
    await new Promise((resolve) => { window.releaseTaskList = resolve; });
    return new Response(body, { status: response.status, headers: response.headers });
  };
})();
"""


def test_the_queue_keeps_what_the_feed_reported_while_its_list_was_on_the_way(stack: Stack, desktop: Watched) -> None:
    """The queue reloads its list whenever the feed (re)connects, and the feed goes on meanwhile: a change it reports
    before the list arrives (here a failed task dismissed in another tab) is not undone by the older list. Before,
    the list was applied last, and a rip whose filing finished in that moment stayed "running" for good."""
    page = desktop.page
    if drive(stack)["state"] != "empty":
        post_json(stack, drive_path(stack, "eject"), {})
        until(lambda: drive(stack)["state"] == "empty", "the drive to be empty")
    for _ in range(2):
        assert post_status(stack, drive_path(stack, "scan"), {}) == 409  # no disc: a failed scan task
    kept, dismissed = [t["id"] for t in get_json(stack, "/api/tasks?status=failed")["tasks"][:2]]

    page.add_init_script(HOLD_TASK_LIST)
    page.goto(stack.url + "/queue")
    page.wait_for_function("typeof window.releaseTaskList === 'function'")  # answered, with both tasks in it
    dismiss(stack, dismissed)
    deadline = time.monotonic() + 15
    while not any(line.endswith("feed tasks_removed") for line in desktop.console):
        assert time.monotonic() < deadline, "the feed did not report the dismissal"
        page.wait_for_timeout(50)  # (the page's console reaches the test only while Playwright is called)
    page.evaluate("window.releaseTaskList()")

    expect(page.locator(f'#tasks-failed > .task[data-task-id="{kept}"]')).to_be_visible()  # the list has arrived
    expect(page.locator(f'.task[data-task-id="{dismissed}"]')).to_have_count(0)
    expect(page.locator("[data-count=failed]")).to_have_text(str(page.locator("#tasks-failed > .task").count()))
    assert not desktop.errors
    dismiss(stack, kept)  # the module's other tests count the failed tasks they make


def dismiss(stack: Stack, task_id: str) -> None:
    request = urllib.request.Request(f"{stack.url}/api/tasks/{task_id}", method="DELETE")
    urllib.request.urlopen(request, timeout=5).close()

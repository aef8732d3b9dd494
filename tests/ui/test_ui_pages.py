"""The web UI in a real browser against the real `amphigory serve` and `amphigory daemon` processes: a disc goes into
an image drive and shows up live, is scanned, reviewed, two titles ripped and found again in the queue and library;
text a disc supplies stays text; the dashboard recovers when the webapp restarts; pages fit a phone."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect
from ui_stack import SAMPLES, Stack, Watched

from helpers_patience import PATIENCE

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DVD_ISO = SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
DVD_FOLDER = SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD"
# A volume label that would run script if it were ever put into the page as markup (no '/': it is a folder name).
HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)<"


def get_json(stack: Stack, path: str) -> Any:
    """The answer at `path`, waiting while it is a 404: a card says "scanned" as soon as the daemon does, a moment
    before the webapp has stored the scan (and the disc's page exists)."""
    deadline = time.monotonic() + PATIENCE
    while True:
        try:
            with urllib.request.urlopen(stack.url + path, timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code != 404 or time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def post_json(stack: Stack, path: str, body: Any) -> Any:
    request = urllib.request.Request(stack.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def empty_the_drive(stack: Stack, watched: Watched) -> Any:
    """The dashboard, with the one drive empty (ejected through the page if it held a disc)."""
    page = watched.page
    page.goto(stack.url + "/")
    card = page.locator(".drive-card")
    expect(card).to_have_count(1)
    if card.get_attribute("data-state") != "empty":
        card.get_by_role("button", name="Eject").click()
    expect(card).to_have_attribute("data-state", "empty")
    return card


def test_a_disc_goes_in_live_is_scanned_reviewed_ripped_and_filed(stack: Stack, desktop: Watched) -> None:
    page = desktop.page
    card = empty_the_drive(stack, desktop)
    expect(card.locator(".disc-name")).to_have_text("No disc")
    expect(page.locator("#daemons")).to_contain_text(stack.daemon_id)
    page.evaluate("window.sameDocument = true")

    stack.insert(DVD_ISO)
    # an unknown disc is scanned at once, so "disc inserted" may already have turned into scanning/scanned
    expect(card).to_have_attribute("data-state", re.compile("disc_inserted|scanning|scanned"))
    expect(card.locator(".fact-label dd")).to_have_text("AMPHIGORY_SAMPLE_DVD")
    expect(card.locator(".fact-type dd")).to_contain_text("DVD")
    fingerprint = card.get_attribute("data-fingerprint")
    assert fingerprint and fingerprint.startswith("dvd-")
    expect(card.locator(".fact-fingerprint code")).to_have_text(fingerprint[:16] + "…")
    assert page.evaluate("window.sameDocument === true"), "the dashboard reloaded instead of updating live"
    desktop.screenshot("dashboard-disc-inserted")

    # `amphigory serve` scans a disc it does not know as soon as it goes in: nobody has to press Scan.
    expect(card).to_have_attribute("data-state", "scanned", timeout=30_000)
    expect(card).to_have_attribute("data-known", "true")
    expect(card.locator(".disc-name")).to_have_text("Amphigory Sample Dvd")
    desktop.screenshot("dashboard")

    card.get_by_role("link", name="Review").click()
    page.wait_for_url(f"**/discs/{fingerprint}")
    disc = get_json(stack, f"/api/discs/{fingerprint}")
    listed = [t for t in disc["tracks"] if t["present"] and t["classification"] != "duplicate"]
    rows = page.locator("table.titles").first.locator("tbody tr")
    expect(rows).to_have_count(len(listed))
    first = listed[0]
    expect(rows.first.locator("th")).to_have_text(str(first["number"]))
    expect(page.locator("#drive-status")).to_have_attribute("data-state", "present")
    desktop.screenshot("review")

    chosen = sorted(t["number"] for t in sorted(listed, key=lambda t: t["duration_seconds"])[:2])
    for box in page.locator("table.titles input[type=checkbox]").all():
        box.uncheck()
    for number in chosen:
        page.get_by_label(f"Rip title {number}", exact=True).check()
    page.get_by_label(f"Name of title {chosen[0]}").fill("Making Of")
    page.get_by_label("Year").fill("2024")
    expect(page.locator("#selected-count")).to_have_text("2 titles selected")
    page.evaluate("""() => {
        window.statusesSeen = new Set();
        const table = document.querySelector('table.titles');
        new MutationObserver(() => table.querySelectorAll('td.status')
            .forEach((td) => window.statusesSeen.add(td.dataset.status)))
            .observe(table, { subtree: true, childList: true, attributes: true });
    }""")
    page.get_by_role("button", name="Rip selected").click()
    expect(page.locator("#rip-status")).to_contain_text("Queued 2 rips")
    for number in chosen:
        status = page.locator(f'table.titles tr[data-track="{number}"] td.status')
        expect(status).to_have_attribute("data-status", "ripped", timeout=60_000)
    seen = set(page.evaluate("[...window.statusesSeen]"))
    assert seen & {"queued", "ripping"}, f"no progress was shown, only {seen}"
    expect(page.locator("#disc-heading")).to_have_text("Amphigory Sample Dvd (2024)")
    desktop.screenshot("review-ripped")

    disc = get_json(stack, f"/api/discs/{fingerprint}")
    ripped = {t["number"]: t for t in disc["tracks"] if t["number"] in chosen}
    assert ripped[chosen[0]]["name"] == "Making Of"
    for track in ripped.values():
        assert track["status"] == "ripped"
        assert track["ripped_path"] and track["rip_size_bytes"] > 0  # the file itself leaves ripped/ once filed

    page.get_by_role("navigation").get_by_role("link", name="Queue").click()
    done = page.locator("#tasks-complete > .task")  # entries; a rip's filing is a step inside it
    rips = done.filter(has=page.locator(".kind", has_text="Rip"))
    expect(rips).to_have_count(2)
    expect(rips.filter(has_text="Making Of")).to_have_count(1)
    # Each finished rip is filed into the library by the webapp (a File task with the library path).
    filed = page.locator("#tasks-complete .task-step").filter(has=page.locator(".kind", has_text="File"))
    expect(filed).to_have_count(2, timeout=30_000)
    expect(filed.filter(has_text="/Making Of.mkv")).to_have_count(1)
    # this disc was scanned once (other tests of the module, in any order, may have scanned theirs)
    expect(done.filter(has=page.locator(".kind", has_text="Scan"))).not_to_have_count(0)
    scans = get_json(stack, "/api/tasks?" + urllib.parse.urlencode({"fingerprint": fingerprint}))["tasks"]
    assert [t["type"] for t in scans].count("scan") == 1, scans
    expect(page.locator("[data-count=running]")).to_have_text("0")
    expect(page.locator("#tasks-complete [data-action=retry]:visible")).to_have_count(0)
    desktop.screenshot("queue")

    # Ripping a title again without asking for a re-rip is refused, and starts nothing.
    request = urllib.request.Request(
        stack.url + f"/api/drives/{urllib.parse.quote(stack.drive_id, safe='')}/rip", method="POST",
        data=json.dumps({"tracks": [chosen[0]], "fingerprint": fingerprint}).encode(),
        headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 409 and json.loads(refused.value.read())["code"] == "already_ripped"
    expect(page.locator("[data-count=failed]")).to_have_text("0")

    page.goto(stack.url + "/library?" + urllib.parse.urlencode({"q": "sample"}))
    entry = page.locator(f'.disc-entry[data-fingerprint="{fingerprint}"]')
    expect(entry.get_by_role("heading")).to_have_text("Amphigory Sample Dvd (2024)")
    for number in ripped:
        expect(entry.locator(f'tr[data-track="{number}"] .path')).to_contain_text("/library/Movies/")
    desktop.screenshot("library")
    page.get_by_label("Search discs").fill("no such disc")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".library .disc-entry")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("No disc matches.")
    assert not desktop.errors and not desktop.dialogs


def test_text_a_disc_supplies_is_shown_as_text_never_run(stack: Stack, desktop: Watched) -> None:
    page = desktop.page
    card = empty_the_drive(stack, desktop)
    stack.insert(DVD_FOLDER, name=HOSTILE)
    expect(card.locator(".fact-label dd")).to_have_text(HOSTILE)
    # `amphigory serve` scans a disc it does not know as soon as it goes in: nobody has to press Scan.
    expect(card).to_have_attribute("data-state", "scanned", timeout=30_000)
    fingerprint = card.get_attribute("data-fingerprint")
    title = get_json(stack, f"/api/discs/{fingerprint}")["title"]
    expect(card.locator(".disc-name")).to_have_text(title)
    desktop.screenshot("dashboard-hostile-label")

    card.get_by_role("link", name="Review").click()
    expect(page.locator("#disc-heading")).to_have_text(title)
    expect(page.locator(".meta")).to_contain_text(HOSTILE)
    expect(page.locator("#disc-title")).to_have_value(title)
    desktop.screenshot("review-hostile-label")

    page.goto(stack.url + "/library?" + urllib.parse.urlencode({"q": "<script>"}))
    expect(page.locator(".disc-entry")).to_have_count(1)
    expect(page.locator(".disc-entry")).to_contain_text(HOSTILE)
    expect(page.locator("#q")).to_have_value("<script>")
    assert page.locator("main img, main script").count() == 0
    assert not desktop.dialogs, f"script from a volume label ran: {desktop.dialogs}"
    assert not desktop.errors


def test_dashboard_recovers_by_itself_after_the_webapp_restarts(stack: Stack, desktop: Watched) -> None:
    page = desktop.page
    page.goto(stack.url + "/")
    status = page.locator("#feed-status")
    expect(status).to_have_attribute("data-state", "live")
    card = page.locator(".drive-card")
    expect(card).to_have_count(1)
    before = card.get_attribute("data-state")
    page.evaluate("window.sameDocument = true")

    stack.stop_process("webapp")
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_have_text("Reconnecting…")
    stack.start_webapp()
    expect(status).to_have_attribute("data-state", "live")
    # the card comes back with its daemon, whose next try can be up to its backoff cap (30 s) after the webapp is up
    expect(card).to_have_count(1, timeout=60_000)
    expect(card).to_have_attribute("data-state", before or "empty")
    expect(page.locator("#daemons")).to_contain_text(stack.daemon_id)
    assert page.evaluate("window.sameDocument === true")
    assert not desktop.errors


@pytest.mark.parametrize("path", ["/", "/queue", "/library"])
def test_pages_fit_a_phone(stack: Stack, phone: Watched, path: str) -> None:
    page = phone.page
    page.goto(stack.url + path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if path != "/library":
        expect(page.locator("#feed-status")).to_have_attribute("data-state", "live")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
    phone.screenshot("phone-" + (path.strip("/") or "dashboard"))
    assert not phone.errors

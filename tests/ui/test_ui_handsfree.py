"""Hands-free mode in a real browser against the real processes: the settings page (save, reload, values kept; a bad
value refused with a message next to its field), the countdown on a drive card and its cancel, "Rip now", the
needs-review list, and the browser notification when the dashboard is open."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from handsfree_stack import HandsFreeStack
from playwright.sync_api import expect
from ui_stack import SAMPLES, Watched

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

BD_FOLDER = SAMPLES / "bluray" / "AMPHIGORY_SAMPLE_BD"
DVD_ISO = SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
# Records what the page shows as browser notifications (headless Chromium shows none of its own).
FAKE_NOTIFICATION = """
window.notified = [];
window.Notification = class { constructor(title, options) { window.notified.push(title); }
  static get permission() { return "granted"; } static requestPermission() { return Promise.resolve("granted"); } };
"""


@pytest.fixture(scope="module")
def hf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HandsFreeStack]:
    # A long countdown: the browser cancels it or says "Rip now".
    running = HandsFreeStack(tmp_path_factory.mktemp("ui-handsfree"), notify="json://127.0.0.1:9/nobody",
                             delay=600)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def call(stack: HandsFreeStack, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(stack.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def card_of(watched: Watched, stack: HandsFreeStack, drive: str) -> Any:
    return watched.page.locator(f'.drive-card[data-drive-id="{stack.drive(drive)}"]')


def test_settings_are_saved_kept_after_a_reload_and_a_bad_value_is_refused(hf: HandsFreeStack,
                                                                           desktop: Watched) -> None:
    page = desktop.page
    page.goto(hf.url + "/settings")
    delay = page.get_by_label("Countdown before ripping (seconds)")
    expect(delay).to_have_value("600.0")
    try:
        delay.fill("45")
        page.get_by_label("Eject when done").uncheck()
        page.get_by_label("Plex server").fill("http://127.0.0.1:32400")
        page.get_by_role("button", name="Save settings").click()
        page.wait_for_load_state()
        expect(page.get_by_label("Countdown before ripping (seconds)")).to_have_value("45.0")
        page.reload()
        expect(page.get_by_label("Countdown before ripping (seconds)")).to_have_value("45.0")
        expect(page.get_by_label("Eject when done")).not_to_be_checked()
        expect(page.get_by_label("Plex server")).to_have_value("http://127.0.0.1:32400")
        expect(page.locator('.setting[data-name="auto_rip_delay"] .saved-mark')).to_be_visible()

        page.get_by_label("Countdown before ripping (seconds)").fill("-3")
        page.get_by_label("Plex server").fill("not a url")
        page.get_by_role("button", name="Save settings").click()
        expect(page.locator("#err-auto_rip_delay")).to_contain_text("seconds >= 0")
        expect(page.locator("#err-plex_url")).to_contain_text("not an http:// or https:// URL")
        expect(page.locator("#save-status")).to_contain_text("Not saved")
        desktop.screenshot("settings-refused")
        page.reload()
        expect(page.get_by_label("Countdown before ripping (seconds)")).to_have_value("45.0")
        assert not desktop.errors
    finally:
        call(hf, "PUT", "/api/settings", {"values": {"auto_rip_delay": None, "eject_when_done": None,
                                                     "plex_url": None}})


def test_the_countdown_shows_what_it_will_rip_and_its_cancel_rips_nothing(hf: HandsFreeStack,
                                                                          desktop: Watched) -> None:
    page = desktop.page
    page.goto(hf.url + "/")
    hf.put("film", BD_FOLDER)
    card = card_of(desktop, hf, "film")
    countdown = card.locator(".countdown")
    expect(countdown).to_be_visible(timeout=60_000)
    expect(countdown.locator(".countdown-text")).to_contain_text("Ripping in")
    expect(countdown.locator("li")).to_have_text(["Title 1: main feature (48 s)", "Title 2: trailer (15 s)"])
    expect(countdown.get_by_role("button", name="Rip now")).to_have_class("button primary")
    desktop.screenshot("countdown")
    countdown.get_by_role("button", name="Cancel").click()
    expect(countdown).to_be_hidden()
    expect(card.locator(".card-note")).to_contain_text("cancelled")
    fingerprint = card.get_attribute("data-fingerprint")
    tasks = call(hf, "GET", f"/api/tasks?fingerprint={fingerprint}")["tasks"]
    assert [t["type"] for t in tasks if t["type"] == "rip"] == []
    hf.take_out("film")
    expect(card).to_have_attribute("data-state", "empty")
    assert not desktop.errors


def test_rip_now_then_the_disc_waits_in_the_needs_review_list_until_named(hf: HandsFreeStack, desktop: Watched,
                                                                          tmp_path: Path) -> None:
    page = desktop.page
    page.add_init_script(FAKE_NOTIFICATION)
    page.goto(hf.url + "/")
    hf.put("dvd", DVD_ISO)
    card = card_of(desktop, hf, "dvd")
    rip_now = card.get_by_role("button", name="Rip now")
    expect(rip_now).to_be_visible(timeout=60_000)  # after the scan and the identification (slow on a busy machine)
    rip_now.click()
    item = page.locator("#needs-review li[data-fingerprint]")
    expect(item).to_have_count(1, timeout=60_000)
    expect(item).to_contain_text("1 title held")
    fingerprint = item.get_attribute("data-fingerprint")
    expect(item.get_by_role("link", name="Name it")).to_have_attribute("href", f"/discs/{fingerprint}")
    page.wait_for_function("window.notified.some((t) => t.startsWith('Needs review:'))")
    desktop.screenshot("needs-review")
    call(hf, "PATCH", f"/api/discs/{fingerprint}", {"title": "Named Later", "year": 2001})
    expect(page.locator("#needs-review li[data-fingerprint]")).to_have_count(0, timeout=60_000)
    expect(page.locator("#needs-review")).to_contain_text("Nothing waits for you.")
    assert not desktop.errors


def test_the_settings_page_fits_a_phone(hf: HandsFreeStack, phone: Watched) -> None:
    page = phone.page
    page.goto(hf.url + "/settings")
    expect(page.get_by_role("button", name="Save settings")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    phone.screenshot("settings-phone")
    assert overflow <= 0, f"{overflow} px of sideways scrolling"


def test_a_drive_cards_hands_free_switch_sets_that_drives_own_rule(hf: HandsFreeStack, desktop: Watched) -> None:
    page = desktop.page
    page.goto(hf.url + "/")
    cd, manual = card_of(desktop, hf, "cd"), card_of(desktop, hf, "manual")
    expect(cd.get_by_role("button", name="Hands-free: on")).to_have_attribute("aria-pressed", "true")
    expect(manual.get_by_role("button", name="Hands-free: off")).to_have_attribute("aria-pressed", "false")
    try:
        cd.get_by_role("button", name="Hands-free: on").click()
        expect(cd.get_by_role("button", name="Hands-free: off")).to_have_attribute("aria-pressed", "false")
        rules = {s["name"]: s for s in call(hf, "GET", "/api/settings")["settings"]}["drive_on_insert"]["value"]
        assert sorted(rules) == [f"{hf.drive('cd')}=manual", f"{hf.drive('manual')}=manual"]
        page.reload()
        expect(cd.get_by_role("button", name="Hands-free: off")).to_be_visible()
        assert not desktop.errors
    finally:
        call(hf, "PUT", "/api/settings", {"values": {"drive_on_insert": None}})

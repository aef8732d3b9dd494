"""Two browser tabs on one disc's review page: a save in one shows up live in the other, and a save made on an
older version is refused and the page reloads the current values with a message (real webapp, daemon, Chromium)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from test_ui_pages import DVD_ISO, empty_the_drive
from ui_stack import Stack, Watched

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def open_review(browser: Any, stack: Stack, fingerprint: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"{stack.url}/discs/{fingerprint}")
    expect(page.locator("#review")).to_have_attribute("data-fingerprint", fingerprint)
    return page


def test_two_tabs_never_silently_undo_each_other(stack: Stack, desktop: Watched, browser: Any) -> None:
    card = empty_the_drive(stack, desktop)
    stack.insert(DVD_ISO)
    expect(card).to_have_attribute("data-state", "scanned", timeout=30_000)
    # the drive says "scanned" once the daemon has scanned; the review page needs the webapp to have stored it
    expect(card).to_have_attribute("data-known", "true")
    fingerprint = str(card.get_attribute("data-fingerprint"))
    first, second = open_review(browser, stack, fingerprint), open_review(browser, stack, fingerprint)
    try:
        first.locator("#disc-title").fill("Saved in the first tab")
        first.locator("#save-only").click()
        expect(first.locator("#rip-status")).to_have_text("Choices saved.")

        # the other tab takes that save live, and says so
        expect(second.locator("#disc-title")).to_have_value("Saved in the first tab")
        expect(second.locator("#rip-status")).to_contain_text("saved in another tab")

        # a tab that missed it (its version is older) cannot overwrite it: refused, reloaded, told
        first.locator("#disc-title").fill("Saved again in the first tab")
        first.locator("#save-only").click()
        expect(first.locator("#rip-status")).to_have_text("Choices saved.")
        expect(second.locator("#disc-title")).to_have_value("Saved again in the first tab")  # live, as before
        second.evaluate("document.getElementById('review').dataset.version = '1'")
        second.locator("#disc-title").fill("A stale edit")
        second.locator("#save-only").click()
        expect(second.locator("#rip-status")).to_contain_text("since you opened it")
        expect(second.locator("#disc-title")).to_have_value("Saved again in the first tab")
    finally:
        first.context.close()
        second.context.close()

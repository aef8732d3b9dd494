"""The review page keeps folded duplicates out of the page until they are opened (a decoy-laden Blu-ray has
hundreds): their rows still count, save and come into the table when the person opens them."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from ui_stack import SAMPLES, Stack, Watched

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SAMPLE_BD = SAMPLES / "bluray" / "AMPHIGORY_SAMPLE_BD"


def get_json(stack: Stack, path: str) -> Any:
    with urllib.request.urlopen(stack.url + path, timeout=5) as response:
        return json.loads(response.read())


def scanned_fingerprint(stack: Stack) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for drive in get_json(stack, "/api/drives")["drives"]:
            if drive.get("fingerprint") and drive.get("known_disc"):
                return str(drive["fingerprint"])
        time.sleep(0.1)
    raise AssertionError(f"the Blu-ray was never scanned:\n{stack.log('daemon')}")


def save_and_read_selection(stack: Stack, page: Page, fingerprint: str) -> dict[int, bool]:
    """Click "Save choices", wait for the page to say so, and return the stored `selected` of titles 1 and 4."""
    page.get_by_role("button", name="Save choices").click()
    expect(page.locator("#rip-status")).to_have_text("Choices saved.")
    tracks = {t["number"]: t for t in get_json(stack, f"/api/discs/{fingerprint}")["tracks"]}
    return {n: tracks[n]["selected"] for n in (1, 4)}


def test_duplicates_wait_folded_then_open_into_the_table_and_save(stack: Stack, desktop: Watched) -> None:
    stack.insert(SAMPLE_BD)
    fingerprint = scanned_fingerprint(stack)
    page = desktop.page
    page.goto(f"{stack.url}/discs/{fingerprint}")

    duplicates = page.locator("details.duplicates")
    expect(duplicates.locator("summary")).to_contain_text("1 duplicate title")
    expect(page.locator("tr[data-track='4']")).to_have_count(0)  # not in the page's tables until opened
    expect(page.locator("#selected-count")).to_have_text("1 title selected")  # the main feature

    duplicates.locator("summary").click()
    row = duplicates.locator("tbody tr[data-track='4']")
    expect(row).to_be_visible()
    expect(row.locator("td.cls")).to_contain_text("of 1")
    page.get_by_label("Rip title 4", exact=True).check()
    expect(page.locator("#selected-count")).to_have_text("2 titles selected")
    assert save_and_read_selection(stack, page, fingerprint) == {1: True, 4: True}

    # Opened again, the page counts the selected duplicate it has not fetched, and a save leaves it as it is.
    page.reload()
    expect(page.locator("tr[data-track='4']")).to_have_count(0)
    expect(page.locator("#selected-count")).to_have_text("2 titles selected")
    page.get_by_label("Rip title 1", exact=True).uncheck()
    expect(page.locator("#selected-count")).to_have_text("1 title selected")
    assert save_and_read_selection(stack, page, fingerprint) == {1: False, 4: True}
    duplicates.locator("summary").click()
    expect(page.get_by_label("Rip title 4", exact=True)).to_be_checked()
    expect(page.locator("#selected-count")).to_have_text("1 title selected")
    assert desktop.errors == [] and desktop.dialogs == []

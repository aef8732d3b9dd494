"""What a drive has to say beyond its state reaches the dashboard live: a second disc dropped into an occupied
image drive, and a "disc" that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from test_ui_pages import DVD_ISO, empty_the_drive
from ui_stack import SAMPLES, Stack, Watched

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CD_CUE = SAMPLES / "cd" / "AMPHIGORY_SAMPLE_CD.cue"


def test_a_second_disc_and_an_unreadable_disc_are_reported_on_the_card(
        stack: Stack, desktop: Watched, tmp_path: Path) -> None:
    card = empty_the_drive(stack, desktop)
    stack.insert(DVD_ISO)
    expect(card.locator(".fact-label dd")).to_have_text("AMPHIGORY_SAMPLE_DVD")

    stack.insert(CD_CUE)  # a second disc in a drive that already holds one
    expect(card.locator(".card-error")).to_be_visible()
    expect(card.locator(".card-error")).to_contain_text(CD_CUE.name)
    expect(card.locator(".fact-label dd")).to_have_text("AMPHIGORY_SAMPLE_DVD")  # the first disc stays in
    desktop.screenshot("dashboard-second-disc")

    stack.take_out(CD_CUE.name)
    stack.take_out(DVD_ISO.name)
    expect(card).to_have_attribute("data-state", "empty")
    expect(card.locator(".card-error")).to_be_hidden()

    broken = tmp_path / "BROKEN_DISC.iso"
    broken.write_bytes(b"\0" * 64 * 1024)  # no ISO 9660, no UDF: nothing to read
    stack.insert(broken)
    expect(card.locator(".card-error")).to_contain_text("Cannot read this disc")
    desktop.screenshot("dashboard-unreadable-disc")
    stack.take_out(broken.name)
    expect(card).to_have_attribute("data-state", "empty")
    assert not desktop.errors

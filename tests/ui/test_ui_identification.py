"""Identification in a real browser, against the real `amphigory serve` and `amphigory daemon` processes and the
loopback stand-ins of TheDiscDB, TMDB, MusicBrainz and the Cover Art Archive: a known disc goes in and its review
page already shows the film's name, year and poster and its extras' names; an uncertain one shows candidates and
a search; picking one names it. Poster requests (TMDB's image host) are answered inside the browser."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from ui_stack import SAMPLES, Stack, Watched

from amphigory_daemon.scan.native import scan_path
from standins.fixtures import settings_for
from standins.musicbrainz import CoverArtStandIn, MusicBrainzStandIn
from standins.samples import DVD_ITEMS, SAMPLE_FILM, discdb_record
from standins.thediscdb import TheDiscDbStandIn
from standins.tmdb import TOKEN, Film, TmdbStandIn

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DVD_ISO = SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
BLURAY = SAMPLES / "bluray" / "AMPHIGORY_SAMPLE_BD"
# A 1x1 PNG: what the browser gets for any poster.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
HOSTILE = "Heat <img src=x onerror=alert(1)>"
Services = tuple[TheDiscDbStandIn, TmdbStandIn, MusicBrainzStandIn, CoverArtStandIn]


@pytest.fixture(scope="module")
def services() -> Iterator[Services]:
    servers = (TheDiscDbStandIn(), TmdbStandIn(), MusicBrainzStandIn(), CoverArtStandIn())
    for server in servers:
        server.start()
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def known_stack(tmp_path_factory: pytest.TempPathFactory, services: Services) -> Iterator[Stack]:
    settings = settings_for(*services)
    args = ("--tmdb-token", TOKEN, "--tmdb-url", settings.tmdb_url, "--thediscdb-url", settings.thediscdb_url,
            "--musicbrainz-url", settings.musicbrainz_url, "--coverart-url", settings.coverart_url)
    thediscdb, tmdb = services[0], services[1]
    thediscdb.items = [discdb_record(scan_path(DVD_ISO), DVD_ITEMS, item_id=7)]
    tmdb.films = {SAMPLE_FILM.id: SAMPLE_FILM,
                  # A disc labelled HEAT fits two films equally (neither runs as long as its main title): uncertain.
                  1: Film(1, "Heat", "1995-12-15", 170), 2: Film(2, "Heat", "1986-03-14", 101),
                  # ... and one whose title would run script if it were ever put into the page as markup.
                  3: Film(3, HOSTILE, "2001-01-01", 60, popularity=1.0)}
    stack = Stack(tmp_path_factory.mktemp("ui-identify"), webapp_args=args)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def get_json(stack: Stack, path: str) -> Any:
    with urllib.request.urlopen(stack.url + path, timeout=5) as response:
        return json.loads(response.read())


def identified(stack: Stack, fingerprint: str, timeout: float = 60.0) -> dict[str, Any]:
    """The stored disc once its identification is stored (polling the API: the thing itself, not a delay)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            disc: dict[str, Any] = get_json(stack, f"/api/discs/{fingerprint}")
            if disc["identification"] is not None and not disc["identification"]["retry"]:
                return disc
        except urllib.error.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{fingerprint} was not identified in {timeout} s:\n{stack.log('webapp')}")


def serve_posters(watched: Watched) -> list[str]:
    asked: list[str] = []

    def fulfil(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    watched.page.route("https://image.tmdb.org/**", fulfil)
    return asked


def inserted(stack: Stack, watched: Watched, disc: Path, name: str | None = None) -> str:
    """Put the disc into the (emptied) drive; its fingerprint, from the dashboard card."""
    page = watched.page
    page.goto(stack.url + "/")
    card = page.locator(".drive-card")
    expect(card).to_have_count(1)
    if card.get_attribute("data-state") != "empty":
        card.get_by_role("button", name="Eject").click()
    expect(card).to_have_attribute("data-state", "empty")
    stack.insert(disc, name)
    expect(card).not_to_have_attribute("data-fingerprint", "")
    fingerprint = card.get_attribute("data-fingerprint")
    assert fingerprint
    return fingerprint


def test_a_known_disc_is_named_with_its_poster_and_extras_before_anyone_opens_it(
        known_stack: Stack, desktop: Watched) -> None:
    page = desktop.page
    posters = serve_posters(desktop)
    fingerprint = inserted(known_stack, desktop, DVD_ISO)
    card = page.locator(".drive-card")
    # The dashboard card: named, with the poster and where the answer came from.
    expect(card.locator(".disc-name")).to_have_text("Amphigory Sample (2024)", timeout=60_000)
    expect(card.locator(".card-ident-text")).to_contain_text("Identified by TheDiscDB")
    expect(card.locator(".card-poster")).to_be_visible()
    desktop.screenshot("dashboard-identified")

    card.get_by_role("link", name="Review").click()
    page.wait_for_url(f"**/discs/{fingerprint}")
    expect(page.locator("#disc-heading")).to_have_text("Amphigory Sample (2024)")
    panel = page.locator("#identification")
    expect(panel.locator(".ident-status")).to_have_text("Film: Amphigory Sample (2024)")
    expect(panel.locator(".ident-source")).to_contain_text("From TheDiscDB")
    expect(panel.locator(".ident-reasons")).to_contain_text("found by content hash")
    poster = panel.locator(".ident-poster")
    expect(poster).to_be_visible()
    expect(poster).to_have_attribute("alt", "Poster of Amphigory Sample")
    page.wait_for_function("document.querySelector('.ident-poster').naturalWidth > 0")
    assert any(url.endswith("/poster900001.jpg") for url in posters)
    expect(page.get_by_label("Name of title 2")).to_have_value("Theatrical Trailer")
    expect(page.get_by_label("Name of title 3")).to_have_value("Making of the Sample")
    expect(page.locator('tr[data-track="2"] .badge')).to_have_text("trailer")
    expect(panel.locator(".ident-titles li")).to_contain_text(["Title 1: Amphigory Sample · main feature",
                                                               "Title 2: Theatrical Trailer · trailer",
                                                               "Title 3: Making of the Sample · featurette"])
    expect(panel.locator(".ident-candidates")).to_be_hidden()
    desktop.screenshot("review-identified")
    assert not desktop.errors and not desktop.dialogs


def test_an_uncertain_disc_offers_candidates_and_a_search_and_a_pick_names_it(
        known_stack: Stack, desktop: Watched) -> None:
    page = desktop.page
    serve_posters(desktop)
    fingerprint = inserted(known_stack, desktop, BLURAY, "HEAT")
    disc = identified(known_stack, fingerprint)
    assert disc["identification"]["status"] == "uncertain" and disc["named_by"] is None

    page.goto(f"{known_stack.url}/discs/{fingerprint}")
    panel = page.locator("#identification")
    expect(panel.locator(".ident-status")).to_contain_text("Not sure what this disc is")
    candidates = panel.locator(".ident-candidates .candidate")
    expect(candidates).to_have_count(2)
    expect(candidates.first).to_contain_text("Heat (19")
    expect(panel.locator(".ident-search-box")).to_have_attribute("open", "")

    results = panel.locator(".search-results .candidate")
    page.get_by_label("Search for").fill("heat")
    page.get_by_label("Released").fill("2001")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(results.locator(".candidate-title")).to_have_text([f"{HOSTILE} (2001)"])  # as text, never markup

    page.get_by_label("Search for").fill("Amphigory")
    page.get_by_label("Released").fill("2024")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Amphigory Sample (2024)")
    desktop.screenshot("review-uncertain")

    results.first.get_by_role("button", name="This one: Amphigory Sample (2024)").click()
    expect(page.locator("#disc-heading")).to_have_text("Amphigory Sample (2024)")
    expect(panel.locator(".ident-source")).to_contain_text("From you")
    disc = get_json(known_stack, f"/api/discs/{fingerprint}")
    assert (disc["named_by"], disc["identification"]["source"], disc["identification"]["tmdb_id"]) == (
        "person", "person", SAMPLE_FILM.id)
    assert not desktop.errors and not desktop.dialogs

"""Identification end to end: the real `amphigory serve` and `amphigory daemon` processes, the image drive, and the
loopback stand-ins of TheDiscDB, TMDB, MusicBrainz and the Cover Art Archive. The sample DVD known to TheDiscDB goes
in and its stored disc is named, titled and its titles named without anyone typing; a disc known nowhere is
`unknown` with no error; with every service down the scan is stored all the same, and the disc waits for a retry."""

from __future__ import annotations

import json
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from ui_stack import SAMPLES, Stack

from amphigory_daemon.scan.native import scan_path
from standins.fixtures import settings_for
from standins.musicbrainz import CoverArtStandIn, MusicBrainzStandIn
from standins.samples import DVD_ITEMS, SAMPLE_FILM, discdb_record
from standins.thediscdb import TheDiscDbStandIn
from standins.tmdb import TOKEN, TmdbStandIn

pytestmark = pytest.mark.e2e

DVD_ISO = SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
CD_CUE = SAMPLES / "cd" / "AMPHIGORY_SAMPLE_CD.cue"
CD_BIN = SAMPLES / "cd" / "AMPHIGORY_SAMPLE_CD.bin"
BLURAY = SAMPLES / "bluray" / "AMPHIGORY_SAMPLE_BD"
Services = tuple[TheDiscDbStandIn, TmdbStandIn, MusicBrainzStandIn, CoverArtStandIn]


@pytest.fixture
def services() -> Iterator[Services]:
    servers = (TheDiscDbStandIn(), TmdbStandIn(), MusicBrainzStandIn(), CoverArtStandIn())
    for server in servers:
        server.start()
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def stack(tmp_path: Path, services: Services) -> Iterator[Stack]:
    settings = settings_for(*services)
    running = Stack(tmp_path, webapp_args=(
        "--tmdb-token", TOKEN, "--tmdb-url", settings.tmdb_url, "--thediscdb-url", settings.thediscdb_url,
        "--musicbrainz-url", settings.musicbrainz_url, "--coverart-url", settings.coverart_url))
    try:
        running.start()
        yield running
    finally:
        running.stop()


def get_json(stack: Stack, path: str) -> Any:
    with urllib.request.urlopen(stack.url + path, timeout=5) as response:
        return json.loads(response.read())


def until(stack: Stack, what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except (urllib.error.URLError, KeyError, IndexError):
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not {what} within {timeout} s\n{stack.log('webapp')}\n{stack.log('daemon')}")


def looked_up(stack: Stack, put: Callable[[], object], prefix: str) -> dict[str, Any]:
    """Empty the drive, `put` a disc in; the stored disc once identification has an answer for it."""
    for held in list(stack.drive_dir.iterdir()):
        if not held.name.startswith("."):
            held.rename(stack.staging_dir / f"{time.monotonic_ns()}-{held.name}")
    until(stack, "empty", lambda: get_json(stack, "/api/drives")["drives"][0]["state"] == "empty")
    put()

    def fingerprint() -> str | None:
        found: str | None = get_json(stack, "/api/drives")["drives"][0]["fingerprint"]
        return found if found and found.startswith(prefix) else None

    key = until(stack, "inserted", fingerprint)

    def answered() -> dict[str, Any] | None:
        stored: dict[str, Any] = get_json(stack, f"/api/discs/{key}")
        return stored if stored["identification"] is not None else None

    return until(stack, f"{key} identified", answered)  # type: ignore[no-any-return]


def put_cd(stack: Stack) -> None:
    shutil.copy2(CD_BIN, stack.drive_dir / CD_BIN.name)  # the BIN first, then the CUE naming it
    shutil.copy2(CD_CUE, stack.drive_dir / CD_CUE.name)


def test_a_known_dvd_is_named_a_disc_known_nowhere_is_unknown_and_services_down_never_break_a_scan(
        stack: Stack, services: Services) -> None:
    thediscdb, tmdb, musicbrainz, _ = services
    thediscdb.items = [discdb_record(scan_path(DVD_ISO), DVD_ITEMS, item_id=7)]
    tmdb.films = {SAMPLE_FILM.id: SAMPLE_FILM}

    disc = looked_up(stack, lambda: stack.insert(DVD_ISO), "dvd-")
    assert (disc["title"], disc["year"], disc["imdb_id"], disc["named_by"]) == (
        "Amphigory Sample", 2024, "tt9000001", "identification")
    names = {t["number"]: (t["name"], t["classification"]) for t in disc["tracks"]}
    assert names[2] == ("Theatrical Trailer", "trailer") and names[3] == ("Making of the Sample", "featurette")

    # A cryptic label: nothing on TMDB is called that, and TheDiscDB does not know the disc.
    unknown = looked_up(stack, lambda: stack.insert(BLURAY, "SC30NNW1"), "bd-")
    assert unknown["identification"]["status"] == "unknown" and unknown["identification"]["retry"] is False
    assert unknown["named_by"] is None and unknown["title"] == "Sc30nnw1" and len(unknown["tracks"]) == 4
    assert tmdb.seen and thediscdb.seen

    for server in services:
        server.trouble = "503"
    down = looked_up(stack, lambda: put_cd(stack), "cd-")
    assert down["identification"]["retry"] is True and down["named_by"] is None
    assert musicbrainz.seen, "the CD's disc id was asked for"
    assert len(down["tracks"]) == 3 and down["title"] == "Amphigory Sample CD"  # the scan, stored all the same
    tasks = get_json(stack, f"/api/tasks?fingerprint={down['fingerprint']}")["tasks"]
    assert [t["status"] for t in tasks if t["type"] == "scan"] == ["complete"]

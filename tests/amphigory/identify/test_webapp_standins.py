"""The webapp with the real `Identifier` against the loopback stand-ins (real app, real SQLite file): the sample
DVD known to TheDiscDB is named, titled and its titles named and labelled after its scan, without anyone typing;
the sample CD gets its album; a disc known nowhere is `unknown`; a service that is down never breaks the scan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory.option_values import MetadataSettings
from amphigory.websocket import ConnectionManager
from amphigory_daemon.scan.native import scan_path
from amphigory_protocol.disc import ScanResult
from amphigory_protocol.messages import Event, EventName
from standins.musicbrainz import CoverArtStandIn, MusicBrainzStandIn
from standins.samples import DVD_ITEMS, SAMPLE_FILM, SAMPLE_RELEASE_ID, cd_release, discdb_record
from standins.server import Answer, StandIn
from standins.thediscdb import TheDiscDbStandIn
from standins.tmdb import TmdbStandIn

Client = tuple[FastAPI, httpx.AsyncClient]


@pytest.fixture
async def webapp(tmp_path: Path, standin_settings: MetadataSettings) -> AsyncIterator[Client]:
    app = create_app(WebappSettings(data_dir=tmp_path, identify=True, metadata=standin_settings),
                     ConnectionManager())
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield app, http


async def scanned(webapp: Client, scan: ScanResult) -> dict[str, Any]:
    app, http = webapp
    event = Event(event=EventName.SCAN_COMPLETED, daemon_id="d1", drive_id="d1:sr0", seq=1,
                  data={"fingerprint": scan.fingerprint, "result": scan.model_dump(mode="json")})
    await app.state.tasks.on_event("d1", event)
    await app.state.identification.wait(scan.fingerprint)
    disc: dict[str, Any] = (await http.get(f"/api/discs/{scan.fingerprint}")).json()
    return disc


async def test_the_known_dvd_is_named_without_anyone_typing(
        webapp: Client, samples: Path, thediscdb_standin: TheDiscDbStandIn, tmdb_standin: TmdbStandIn) -> None:
    scan = scan_path(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso")
    thediscdb_standin.items = [discdb_record(scan, DVD_ITEMS, item_id=7)]
    tmdb_standin.films = {SAMPLE_FILM.id: SAMPLE_FILM}
    disc = await scanned(webapp, scan)
    assert (disc["title"], disc["year"], disc["imdb_id"], disc["named_by"]) == ("Amphigory Sample", 2024,
                                                                                "tt9000001", "identification")
    ident = disc["identification"]
    assert (ident["status"], ident["source"], ident["tmdb_id"]) == ("identified", "thediscdb", 900001)
    assert ident["poster_url"].endswith("/poster900001.jpg") and "found by content hash" in ident["reasons"]
    tracks = {t["number"]: (t["name"], t["classification"]) for t in disc["tracks"]}
    assert tracks[2] == ("Theatrical Trailer", "trailer") and tracks[3] == ("Making of the Sample", "featurette")


async def test_the_known_cd_gets_its_album(webapp: Client, samples: Path, musicbrainz_standin: MusicBrainzStandIn,
                                          coverart_standin: CoverArtStandIn) -> None:
    scan = scan_path(samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue")
    musicbrainz_standin.releases = [cd_release(scan)]
    coverart_standin.fronts = {SAMPLE_RELEASE_ID: f"{coverart_standin.url}/front.jpg"}
    disc = await scanned(webapp, scan)
    ident = disc["identification"]
    assert (ident["status"], ident["artist"], ident["musicbrainz_release_id"]) == (
        "identified", "Amphigory Test Ensemble", SAMPLE_RELEASE_ID)
    assert (disc["title"], disc["year"], disc["named_by"]) == ("Amphigory Sample CD", 2024, "identification")
    assert [t["name"] for t in disc["tracks"]] == [f"Sample Tone {n}" for n in (1, 2, 3)]  # over CD-TEXT
    assert ident["poster_url"] == f"{coverart_standin.url}/front-500.jpg"


async def test_a_disc_known_nowhere_is_unknown_with_no_error(webapp: Client, samples: Path) -> None:
    disc = await scanned(webapp, scan_path(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"))
    assert disc["identification"]["status"] == "unknown" and disc["identification"]["retry"] is False
    assert disc["named_by"] is None and len(disc["tracks"]) >= 3


async def test_a_service_that_is_down_never_breaks_the_scan(
        webapp: Client, samples: Path, thediscdb_standin: TheDiscDbStandIn, tmdb_standin: TmdbStandIn) -> None:
    scan = scan_path(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso")
    thediscdb_standin.items = [discdb_record(scan, DVD_ITEMS, item_id=7)]
    thediscdb_standin.trouble = tmdb_standin.trouble = "503"
    app, _ = webapp
    disc = await scanned(webapp, scan)
    assert disc["identification"]["retry"] is True and disc["named_by"] is None and disc["tracks"]
    # When it answers again, the next try names the disc.
    thediscdb_standin.trouble = tmdb_standin.trouble = None
    tmdb_standin.films = {SAMPLE_FILM.id: SAMPLE_FILM}
    await app.state.identification.on_scan_stored(scan.fingerprint)  # as a re-scan would
    await app.state.identification.wait(scan.fingerprint)
    assert (await app.state.discs.get(scan.fingerprint)).named_by == "identification"


class ImageStandIn(StandIn):
    """Where the Cover Art Archive's image URLs point: a small JPEG, or a 404 for anything else."""

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer:
        if path == "/front-500.jpg":
            return 200, {"Content-Type": "image/jpeg"}, JPEG
        return 404, {"Content-Type": "text/plain"}, b"Not Found"


JPEG = b"\xff\xd8\xff\xe0" + b"cover" * 50


async def test_the_identified_albums_front_cover_is_fetched_once(
        webapp: Client, samples: Path, musicbrainz_standin: MusicBrainzStandIn,
        coverart_standin: CoverArtStandIn) -> None:
    images = ImageStandIn().start()
    try:
        scan = scan_path(samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue")
        musicbrainz_standin.releases = [cd_release(scan)]
        coverart_standin.fronts = {SAMPLE_RELEASE_ID: f"{images.url}/front.jpg"}
        await scanned(webapp, scan)
        app, _ = webapp
        disc = await app.state.discs.get(scan.fingerprint)
        assert await app.state.identification.front_cover(disc) == JPEG
        assert await app.state.identification.front_cover(disc) == JPEG
        assert len(images.seen) == 1
        missing = disc.model_copy(update={"identification": {**disc.identification,
                                                             "poster_url": f"{images.url}/missing.jpg"}})
        assert await app.state.identification.front_cover(missing) is None  # a cover is a nicety: no error
    finally:
        images.stop()

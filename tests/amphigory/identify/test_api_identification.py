"""Identification in the webapp (real app, real SQLite file, an identifier that answers from a table): a disc is
looked up after its scan is stored and named when the answer is certain; uncertain answers offer candidates;
a person's pick is final and survives re-scans; a service that cannot answer is asked again later and never
breaks the scan; the API documents all of it and never shows a secret."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from amphigory.config import WebappSettings
from amphigory.identify.identifier import IdentifyContext
from amphigory.identify.result import Candidate, Identification, Kind, ScorePart, TitleInfo
from amphigory.main import create_app
from amphigory.option_values import MetadataSettings
from amphigory.websocket import ConnectionManager
from amphigory_protocol.disc import ScanResult
from amphigory_protocol.messages import Event, EventName

SECRET = "tmdb-secret-token-123"
HEAT = Candidate(kind="movie", title="Heat", year=1995, tmdb_id=949, score=0.55,
                 parts=(ScorePart("label_words", 1.0, 0.5, "label HEAT matches"),), poster_url="http://img/heat.jpg")
HEAT_86 = Candidate(kind="movie", title="Heat", year=1986, tmdb_id=5000, score=0.5)


class TableIdentifier:
    """Answers by volume label; `down` makes every look-up a "try again later"."""

    def __init__(self) -> None:
        self.down = False
        self.calls: list[tuple[str | None, IdentifyContext]] = []
        self.answers: dict[str, Identification] = {
            "ALIEN": Identification(
                status="identified", source="thediscdb", kind="movie", title="Alien", year=1979, tmdb_id=348,
                imdb_id="tt0078748", confidence=1.0, poster_url="http://img/alien.jpg",
                reasons=("found by content hash",),
                titles=(TitleInfo(1, "Alien", "main_feature"), TitleInfo(2, "Theatrical Trailer", "trailer"))),
            "HEAT": Identification(status="uncertain", source="tmdb", kind="movie", confidence=0.4,
                                   candidates=(HEAT, HEAT_86), reasons=("two films match the label",)),
        }

    async def identify(self, scan: ScanResult, context: IdentifyContext = IdentifyContext()) -> Identification:
        self.calls.append((scan.volume_name, context))
        if context.chosen is not None:
            c = context.chosen
            return Identification(status="identified", source="person", kind=c.kind, title=c.title, year=c.year,
                                  tmdb_id=c.tmdb_id, confidence=1.0, titles=(TitleInfo(2, "Heat Trailer", "trailer"),))
        if self.down:
            return Identification(retry=True, reasons=("TMDB did not answer",))
        return self.answers.get(scan.volume_name or "", Identification())

    async def search(self, query: str, kind: Kind | None = None, year: int | None = None) -> list[Candidate]:
        found = [c for c in (HEAT, HEAT_86) if query.lower() in c.title.lower() and (year is None or c.year == year)]
        return found

    async def aclose(self) -> None:
        return None


def scan(fingerprint: str, volume: str) -> ScanResult:
    return ScanResult.model_validate({
        "fingerprint": fingerprint, "disc_type": "dvd", "volume_name": volume,
        "titles": [{"number": 1, "duration_seconds": 5400, "classification": {"type": "main_feature"}},
                   {"number": 2, "duration_seconds": 120, "classification": {"type": "main_feature"}}],
    })


@dataclasses.dataclass
class Setup:
    app: FastAPI
    http: httpx.AsyncClient
    identifier: TableIdentifier
    seq: int = 0

    async def scanned(self, fingerprint: str, volume: str) -> dict[str, Any]:
        """A daemon's scan_completed for the disc; returns the stored disc once its look-up is done."""
        self.seq += 1
        event = Event(event=EventName.SCAN_COMPLETED, daemon_id="d1", drive_id="d1:sr0", seq=self.seq,
                      data={"fingerprint": fingerprint, "result": scan(fingerprint, volume).model_dump(mode="json")})
        await self.app.state.tasks.on_event("d1", event)
        await self.app.state.identification.wait(fingerprint)
        return (await self.http.get(f"/api/discs/{fingerprint}")).json()  # type: ignore[no-any-return]


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    settings = WebappSettings(data_dir=tmp_path, identify=True, metadata=MetadataSettings(tmdb_token=SECRET))
    app = create_app(settings, ConnectionManager())
    async with app.router.lifespan_context(app):
        identifier = TableIdentifier()
        await app.state.identification.identifier.aclose()
        app.state.identification.identifier = identifier
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            yield Setup(app, http, identifier)


async def test_a_known_disc_is_named_after_its_scan(setup: Setup) -> None:
    disc = await setup.scanned("fp-alien", "ALIEN")
    assert (disc["title"], disc["year"], disc["imdb_id"], disc["named_by"]) == ("Alien", 1979, "tt0078748",
                                                                                "identification")
    ident = disc["identification"]
    assert (ident["status"], ident["source"], ident["kind"], ident["tmdb_id"]) == ("identified", "thediscdb",
                                                                                  "movie", 348)
    assert ident["poster_url"] == "http://img/alien.jpg" and ident["reasons"] == ["found by content hash"]
    trailer = disc["tracks"][1]
    assert (trailer["name"], trailer["classification"], trailer["selected"]) == ("Theatrical Trailer", "trailer",
                                                                                 False)


async def test_an_unknown_disc_is_unknown_and_unnamed(setup: Setup) -> None:
    disc = await setup.scanned("fp-x", "SC30NNW1")
    assert disc["identification"]["status"] == "unknown" and disc["named_by"] is None
    assert disc["title"] == "Sc30nnw1"


async def test_uncertain_offers_candidates_search_and_a_pick_that_is_final(setup: Setup) -> None:
    disc = await setup.scanned("fp-heat", "HEAT")
    assert disc["identification"]["status"] == "uncertain" and disc["named_by"] is None
    stored = (await setup.http.get("/api/discs/fp-heat/candidates")).json()
    assert [(c["title"], c["year"]) for c in stored["candidates"]] == [("Heat", 1995), ("Heat", 1986)]
    assert stored["candidates"][0]["parts"][0]["why"] == "label HEAT matches"
    found = (await setup.http.get("/api/discs/fp-heat/candidates", params={"q": "heat", "year": 1986})).json()
    assert found["query"] == "heat" and [c["tmdb_id"] for c in found["candidates"]] == [5000]

    picked = await setup.http.post("/api/discs/fp-heat/identification", json={"kind": "movie", "tmdb_id": 949})
    assert picked.status_code == 200, picked.text
    disc = picked.json()
    assert (disc["title"], disc["year"], disc["named_by"]) == ("Heat", 1995, "person")
    assert disc["identification"]["source"] == "person" and disc["tracks"][1]["name"] == "Heat Trailer"
    assert setup.identifier.calls[-1][1].chosen == HEAT  # the stored candidate, poster and all

    # A re-scan re-applies the pick without asking anyone.
    calls = len(setup.identifier.calls)
    again = await setup.scanned("fp-heat", "HEAT")
    assert (again["title"], again["named_by"]) == ("Heat", "person") and len(setup.identifier.calls) == calls


async def test_a_persons_title_is_never_overwritten(setup: Setup) -> None:
    await setup.scanned("fp-alien", "ALIEN")
    same = await setup.http.patch("/api/discs/fp-alien", json={"title": "Alien", "year": 1979})
    assert same.json()["named_by"] == "identification"  # saving what identification said names nothing
    renamed = await setup.http.patch("/api/discs/fp-alien", json={"title": "Alien (Director's Cut)", "year": 1979})
    assert renamed.json()["named_by"] == "person"
    disc = await setup.scanned("fp-alien", "ALIEN")
    assert disc["title"] == "Alien (Director's Cut)" and disc["named_by"] == "person"
    assert disc["identification"]["status"] == "identified"  # still stored, for the page to show


async def test_a_service_that_is_down_never_breaks_the_scan_and_is_asked_again(setup: Setup) -> None:
    service = setup.app.state.identification
    service.retry_after = 0.01
    setup.identifier.down = True
    disc = await setup.scanned("fp-alien", "ALIEN")
    assert disc["tracks"] and disc["identification"]["retry"] is True and disc["named_by"] is None
    setup.identifier.down = False

    async def named() -> None:
        while (await setup.http.get("/api/discs/fp-alien")).json()["named_by"] != "identification":
            await asyncio.sleep(0.01)

    await asyncio.wait_for(named(), 10)


async def test_an_identifier_that_raises_never_breaks_the_scan(setup: Setup) -> None:
    async def broken(scan: ScanResult, context: IdentifyContext = IdentifyContext()) -> Identification:
        raise RuntimeError("boom")

    setup.identifier.identify = broken  # type: ignore[method-assign]
    setup.app.state.identification.retry = False
    disc = await setup.scanned("fp-alien", "ALIEN")
    assert [t["number"] for t in disc["tracks"]] == [1, 2] and disc["title"] == "Alien"  # the volume label
    assert disc["identification"] is None


async def test_discs_left_to_look_up_are_looked_up_on_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(WebappSettings(data_dir=tmp_path), ConnectionManager())  # identification off
    async with app.router.lifespan_context(app):
        await app.state.discs.save_scan(scan("fp-alien", "ALIEN"))
    monkeypatch.setattr("amphigory.main.Identifier", lambda *_, **__: TableIdentifier())
    app = create_app(WebappSettings(data_dir=tmp_path, identify=True), ConnectionManager())
    async with app.router.lifespan_context(app):
        await app.state.identification.wait("fp-alien")
        disc = await app.state.discs.get("fp-alien")
        assert disc is not None and disc.named_by == "identification"


async def test_listeners_hear_every_answer(setup: Setup) -> None:
    heard: list[tuple[str, str]] = []

    async def listener(fingerprint: str, answer: Identification) -> None:
        heard.append((fingerprint, answer.status))

    setup.app.state.identification.add_listener(listener)
    await setup.scanned("fp-alien", "ALIEN")
    await setup.scanned("fp-x", "NOTHING")
    assert heard == [("fp-alien", "identified"), ("fp-x", "unknown")]


async def test_pick_refusals(setup: Setup) -> None:
    await setup.scanned("fp-heat", "HEAT")
    assert (await setup.http.post("/api/discs/fp-nope/identification",
                                  json={"kind": "movie", "tmdb_id": 1})).status_code == 404
    assert (await setup.http.post("/api/discs/fp-heat/identification", json={"kind": "movie"})).status_code == 422
    bad_id = {"kind": "music", "musicbrainz_release_id": "../../x"}
    assert (await setup.http.post("/api/discs/fp-heat/identification", json=bad_id)).status_code == 422
    assert (await setup.http.get("/api/discs/fp-nope/candidates")).status_code == 404


async def test_openapi_documents_it_and_no_answer_carries_a_secret(setup: Setup) -> None:
    await setup.scanned("fp-heat", "HEAT")
    spec = (await setup.http.get("/openapi.json")).json()
    get_disc = spec["paths"]["/api/discs/{fingerprint}"]["get"]["responses"]["200"]
    assert get_disc["content"]["application/json"]["schema"]["$ref"].endswith("/DiscResponse")
    assert "identification" in spec["components"]["schemas"]["DiscResponse"]["properties"]
    assert "Identification" in spec["components"]["schemas"]
    assert "/api/discs/{fingerprint}/candidates" in spec["paths"]
    assert "/api/discs/{fingerprint}/identification" in spec["paths"]
    for path in ("/api/discs/fp-heat", "/api/discs", "/api/discs/fp-heat/candidates", "/openapi.json"):
        assert SECRET not in (await setup.http.get(path)).text


async def test_the_review_page_carries_the_answer_as_data_never_as_markup(setup: Setup) -> None:
    hostile = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    setup.identifier.answers["EVIL"] = Identification(
        status="uncertain", source="tmdb", kind="movie", reasons=(hostile,),
        candidates=(Candidate(kind="movie", title=hostile, year=2000, tmdb_id=1, poster_url="javascript:alert(3)"),))
    await setup.scanned("fp-evil", "EVIL")
    page = (await setup.http.get("/discs/fp-evil")).text
    assert 'id="identification"' in page and "/static/identify.js" in page
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "\\u003c/script\\u003e" in page  # the JSON island escapes what would end its script element
    js = (await setup.http.get("/static/identify.js")).text
    assert "innerHTML" not in js and "textContent" in js


async def test_a_series_disc_is_numbered_and_the_next_disc_continues_where_it_stopped(setup: Setup) -> None:
    setup.identifier.answers["SHOW_D1"] = Identification(
        status="identified", source="tmdb", kind="series", title="The Show", year=2001, tmdb_id=77, season=1,
        titles=(TitleInfo(1, "Pilot", "episode", 1, 1, 2), TitleInfo(2, "Third", "episode", 1, 3)))
    disc = await setup.scanned("fp-show-1", "SHOW_D1")
    assert [(t["name"], t["classification"], t["season"], t["episode"], t["episode_end"]) for t in disc["tracks"]] == [
        ("Pilot", "episode", 1, 1, 2), ("Third", "episode", 1, 3, None)]
    assert setup.identifier.calls[-1][1].filed_episodes == {}
    await setup.scanned("fp-show-2", "SHOW_D2")
    assert setup.identifier.calls[-1][1].filed_episodes == {(77, 1): 3}


async def test_a_backlog_is_looked_up_a_few_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(WebappSettings(data_dir=tmp_path), ConnectionManager())  # identification off
    async with app.router.lifespan_context(app):
        for n in range(7):
            await app.state.discs.save_scan(scan(f"fp-{n}", f"DISC_{n}"))

    class Slow(TableIdentifier):
        running = 0
        most = 0
        release: asyncio.Event

        async def identify(self, scan: ScanResult, context: IdentifyContext = IdentifyContext()) -> Identification:
            Slow.running += 1
            Slow.most = max(Slow.most, Slow.running)
            await Slow.release.wait()
            Slow.running -= 1
            return Identification()

    Slow.release = asyncio.Event()
    monkeypatch.setattr("amphigory.main.Identifier", lambda *_, **__: Slow())
    app = create_app(WebappSettings(data_dir=tmp_path, identify=True), ConnectionManager())
    async with app.router.lifespan_context(app):
        service = app.state.identification
        while Slow.running < service.AT_ONCE:
            await asyncio.sleep(0.01)
        Slow.release.set()
        for n in range(7):
            await service.wait(f"fp-{n}")
        assert Slow.most == service.AT_ONCE
        stored = await app.state.discs.get_many(f"fp-{n}" for n in range(7))
        assert all(disc.identification is not None for disc in stored.values()) and len(stored) == 7


async def test_a_pick_after_filing_moves_the_filed_files_to_the_new_name(setup: Setup) -> None:
    await setup.scanned("fp-heat", "HEAT")
    library = setup.app.state.settings.library_dir
    filed = library / "Movies" / "Heat" / "Heat.mkv"
    filed.parent.mkdir(parents=True)
    filed.write_bytes(b"the film")
    async with setup.app.state.db.connection() as conn:
        await conn.execute("UPDATE tracks SET library_path = ?, status = 'ripped' WHERE track_number = 1 AND "
                           "disc_id = (SELECT id FROM discs WHERE fingerprint = 'fp-heat')", (str(filed),))
    picked = await setup.http.post("/api/discs/fp-heat/identification", json={"kind": "movie", "tmdb_id": 949})
    assert picked.status_code == 200, picked.text
    moved = library / "Movies" / "Heat (1995)" / "Heat (1995).mkv"
    assert moved.read_bytes() == b"the film" and not filed.parent.exists()
    assert picked.json()["tracks"][0]["library_path"] == str(moved)


async def test_a_server_that_looks_nothing_up_says_so_on_the_review_page(tmp_path: Path) -> None:
    """Never "looking it up" forever: the demo and an --offline server do not identify."""
    for settings, expected in ((WebappSettings(data_dir=tmp_path / "a"), "Not looked up"),
                               (WebappSettings(data_dir=tmp_path / "b", identify=True,
                                               metadata=MetadataSettings(offline=True)), "Not looked up"),
                               (WebappSettings(data_dir=tmp_path / "c", identify=True), "Looking it up")):
        app = create_app(settings, ConnectionManager())
        async with app.router.lifespan_context(app):
            await app.state.discs.save_scan(scan("fp-quiet", "QUIET"))
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
                page = (await http.get("/discs/fp-quiet")).text
            assert expected in page

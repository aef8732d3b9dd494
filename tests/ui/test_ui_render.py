"""The pages as the server renders them, in-process on a real database (no browser): review preselection and folded
duplicates, library search, escaping of what a disc supplies, the static files and their confinement."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import blake3
import httpx
import pytest
from fastapi import FastAPI

from amphigory import pages
from amphigory.api.disc_repository import DiscRepository, DiscUpdate, TrackUpdate
from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory.static_files import StaticFiles
from amphigory.websocket import ConnectionManager
from amphigory_protocol.disc import AudioStream, Classification, ScanResult, SubtitleStream, Title

HOSTILE = "<script>alert(1)</script>"


def scan(fingerprint: str = "dvd-abc123", volume: str = "SAMPLE_DISC") -> ScanResult:
    def title(number: int, seconds: float, kind: str, confidence: float = 0.9, **extra: object) -> Title:
        return Title(number=number, duration_seconds=seconds, chapters=number + 2, size_bytes=number * 1_500_000,
                     audio=[AudioStream(language="en"), AudioStream(language="fr"), AudioStream(language="en")],
                     subtitles=[SubtitleStream(language="de")],
                     classification=Classification(type=kind, confidence=confidence, **extra))  # type: ignore[arg-type]

    return ScanResult(fingerprint=fingerprint, disc_type="dvd", volume_name=volume, titles=[
        title(1, 5432.4, "main_feature", 0.95),
        title(2, 5500, "alternate_feature"),
        title(3, 95, "trailer", 0.4),
        title(4, 5432.4, "duplicate", 1.0, duplicate_of=1),
    ])


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    app = create_app(WebappSettings(data_dir=tmp_path), ConnectionManager())
    if not any(getattr(route, "path", None) == "/library" for route in app.routes):
        app.include_router(pages.router)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


def repository(app: FastAPI) -> DiscRepository:
    discs: DiscRepository = app.state.discs
    return discs


async def test_review_lists_titles_preselects_features_and_folds_duplicates(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await repository(app).save_scan(scan())
    page = (await client.get("/discs/dvd-abc123")).text
    main, duplicates = page.split('<details class="duplicates"')
    assert 'id="sel-1" name="selected" value="1" checked' in main
    assert 'id="sel-2" name="selected" value="2" checked' in main  # alternate feature
    assert 'id="sel-3" name="selected" value="3" >' in main  # trailer: not selected
    assert 'id="sel-4"' not in page  # folded: its row is fetched when the person opens the duplicates
    assert "1 duplicate title (same content as another title)" in duplicates
    assert 'data-rows="/discs/dvd-abc123/duplicates" data-selected="0"' in duplicates
    fragment = await client.get("/discs/dvd-abc123/duplicates")
    assert fragment.status_code == 200 and fragment.headers["content-type"].startswith("text/html")
    assert 'id="sel-4" name="selected" value="4" >' in fragment.text and 'id="sel-1"' not in fragment.text
    assert "of 1" in fragment.text and "<html" not in fragment.text
    assert (await client.get("/discs/dvd-nothing/duplicates")).status_code == 404
    assert "1:30:32" in main and "0:01:35" in main  # h:mm:ss
    assert "en, fr" in main and "de" in main
    assert "main feature" in main and "95%" in main
    assert "Sample Disc" in main  # the disc's title before anyone named it


async def test_review_keeps_the_persons_choices_once_saved(app: FastAPI, client: httpx.AsyncClient) -> None:
    await repository(app).save_scan(scan())
    await repository(app).update("dvd-abc123", DiscUpdate(title="Film", year=1999, tracks=[
        TrackUpdate(number=2, selected=False), TrackUpdate(number=3, selected=True, name="Teaser", type="trailer"),
    ]))
    page = (await client.get("/discs/dvd-abc123")).text
    assert 'value="2" >' in page
    assert 'value="3" checked' in page
    assert 'value="Teaser"' in page
    assert 'value="1999"' in page


async def test_unknown_disc_is_a_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/discs/dvd-nothing")
    assert response.status_code == 404
    assert "dvd-nothing" in response.text and "<h1>Unknown disc</h1>" in response.text


async def test_disc_supplied_text_is_escaped_everywhere(app: FastAPI, client: httpx.AsyncClient) -> None:
    await repository(app).save_scan(scan("dvd-evil", volume=HOSTILE))
    for path in ("/discs/dvd-evil", "/library", "/library?q=%3Cscript%3E"):
        page = (await client.get(path)).text
        assert HOSTILE not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


async def test_library_searches_and_shows_where_files_are(app: FastAPI, client: httpx.AsyncClient) -> None:
    await repository(app).save_scan(scan("dvd-one", volume="FIRST_FILM"))
    await repository(app).save_scan(scan("dvd-two", volume="SECOND_FILM"))
    await repository(app).record_rip_completed("dvd-one", 1, "/rips/First Film/First Film.mkv", 123_456_789, "ab")
    everything = (await client.get("/library")).text
    assert "First Film" in everything and "Second Film" in everything and "2 discs" in everything
    found = (await client.get("/library", params={"q": "first"})).text
    assert "First Film" in found and "Second Film" not in found
    assert "/rips/First Film/First Film.mkv" in found and "117.7 MB" in found
    assert "1 disc matching" in found
    assert "No disc matches." in (await client.get("/library", params={"q": "zzz"})).text


async def test_live_pages_are_shells_for_their_scripts(client: httpx.AsyncClient) -> None:
    dashboard = (await client.get("/")).text
    assert 'id="drives"' in dashboard and "/static/dashboard.js" in dashboard and 'aria-current="page"' in dashboard
    queue = (await client.get("/queue")).text
    assert 'id="tasks-running"' in queue and "/static/queue.js" in queue


async def test_static_files_are_served_and_confined(client: httpx.AsyncClient) -> None:
    css = await client.get("/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert (await client.get("/static/common.js")).headers["content-type"].startswith("text/javascript")
    for bad in ("/static/..%2Fpages.py", "/static/.hidden.css", "/static/nothing.js", "/static/base.html"):
        assert (await client.get(bad)).status_code == 404, bad


async def test_pages_link_versioned_static_files_that_browsers_keep(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    linked = re.search(r'href="/static/app\.css\?v=([0-9a-f]{12})"', page)
    assert linked is not None, page[:600]
    version = linked.group(1)
    assert version == blake3.blake3((pages.PACKAGE_DIR / "static" / "app.css").read_bytes()).hexdigest()[:12]
    kept = await client.get(f"/static/app.css?v={version}")
    assert kept.status_code == 200 and kept.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert kept.content == (pages.PACKAGE_DIR / "static" / "app.css").read_bytes()
    for stale in ("/static/app.css", "/static/app.css?v=000000000000"):  # an old page's link: revalidated
        answer = await client.get(stale)
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-cache", stale
    again = await client.get("/static/app.css", headers={"If-None-Match": kept.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert (await client.get("/static/app.css", headers={"If-None-Match": '"other"'})).status_code == 200


def test_a_changed_static_file_gets_a_new_version(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text("body { color: red }")
    files = StaticFiles(tmp_path)
    first = files.url("a.css")
    assert first.startswith("/static/a.css?v=") and files.get("a.css") is files.get("a.css")
    (tmp_path / "a.css").write_text("body { color: blue; }")
    assert files.url("a.css") != first
    assert files.get("b.css") is None and files.url("b.css") == "/static/b.css"
    for bad in ("../a.css", ".a.css", "a.py", "sub/a.css"):
        assert files.get(bad) is None, bad


@pytest.mark.parametrize(("seconds", "text"), [(None, "—"), (0, "0:00:00"), (59.6, "0:01:00"), (7322, "2:02:02")])
def test_format_duration(seconds: float | None, text: str) -> None:
    assert pages.format_duration(seconds) == text


@pytest.mark.parametrize(("size", "text"), [(None, "—"), (512, "512 B"), (1536, "1.5 KB"), (5 * 1024**4, "5120.0 GB")])
def test_format_size(size: int | None, text: str) -> None:
    assert pages.format_size(size) == text


async def test_unknown_pages_are_an_html_404_page_and_the_api_keeps_json(client: httpx.AsyncClient) -> None:
    page = await client.get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in page.text and "/static/app.css" in page.text and "/no/such/page" in page.text
    hostile = await client.get("/%3Cscript%3Ealert(1)%3C/script%3E")
    assert hostile.status_code == 404 and "<script>alert(1)" not in hostile.text
    for path in ("/api/nothing", "/api/discs/dvd-none"):
        answer = await client.get(path)
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/json", path
        assert "detail" in answer.json()


def cd_scan() -> ScanResult:
    return ScanResult(fingerprint="cd-album", disc_type="cd", volume_name="", title="Tones", artist="The Band",
                      titles=[Title(number=n, duration_seconds=60.0 * n, name=f"Song {n}",
                                    classification=Classification(type="other", confidence=1.0)) for n in (1, 2)])


async def test_a_cd_gets_an_album_form_with_each_tracks_file_name(app: FastAPI, client: httpx.AsyncClient) -> None:
    await repository(app).save_scan(cd_scan())
    page = (await client.get("/discs/cd-album")).text
    assert "<legend>Album</legend>" in page and 'id="disc-artist"' in page and 'value="The Band"' in page
    assert 'class="type"' not in page and "Classification" not in page  # not the film table
    assert "Music/The Band/Tones/01 Song 1.flac" in page


async def test_a_film_shows_each_titles_planned_file_name(app: FastAPI, client: httpx.AsyncClient) -> None:
    await repository(app).save_scan(scan("dvd-plan", volume="A_FILM"))
    await repository(app).update("dvd-plan", DiscUpdate(title="A Film", year=2001,
                                                        tracks=[TrackUpdate(number=3, name="Teaser")]))
    page = (await client.get("/discs/dvd-plan")).text
    assert "Movies/A Film (2001)/A Film (2001).mkv" in page
    assert "Movies/A Film (2001)/Trailers/Teaser.mkv" in page
    # The folded duplicates' rows, fetched when opened, name their files too (the page names only its own rows)
    fragment = (await client.get("/discs/dvd-plan/duplicates")).text
    assert '<code class="planned-path">Movies/A Film (2001)/Other/Extra 04.mkv</code>' in fragment
    assert "Extra 04" not in page
    assert "<legend>Disc</legend>" in page and 'id="delete-disc"' in page

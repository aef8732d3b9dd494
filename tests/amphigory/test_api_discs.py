"""/api/discs: stored discs by fingerprint, search, and the person's edits (real app, real SQLite file)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager
from amphigory_protocol.disc import ScanResult


def result(fingerprint: str, volume: str) -> ScanResult:
    return ScanResult.model_validate({
        "fingerprint": fingerprint, "disc_type": "dvd", "volume_name": volume,
        "titles": [{"number": 1, "duration_seconds": 5400, "classification": {"type": "main_feature"}},
                   {"number": 2, "duration_seconds": 60, "classification": {"type": "trailer"}}],
    })


@pytest.fixture
async def client(tmp_path: Path):
    app = create_app(WebappSettings(data_dir=tmp_path), ConnectionManager())
    async with app.router.lifespan_context(app):
        await app.state.discs.save_scan(result("dvd-alien", "ALIEN"))
        await app.state.discs.save_scan(result("dvd-heat", "HEAT_1995"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            yield http


async def test_list_and_search(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/api/discs")).json()["discs"]
    assert {d["fingerprint"] for d in listed} == {"dvd-alien", "dvd-heat"}
    assert listed[0]["track_count"] == 2
    found = (await client.get("/api/discs", params={"q": "heat"})).json()["discs"]
    assert [d["title"] for d in found] == ["Heat 1995"]
    assert (await client.get("/api/discs", params={"limit": 0})).status_code == 422


async def test_get_with_tracks_and_404(client: httpx.AsyncClient) -> None:
    disc = (await client.get("/api/discs/dvd-alien")).json()
    assert disc["title"] == "Alien" and [t["number"] for t in disc["tracks"]] == [1, 2]
    assert disc["tracks"][0]["selected"] is True
    missing = await client.get("/api/discs/dvd-nope")
    assert missing.status_code == 404 and "dvd-nope" in missing.json()["detail"]


async def test_patch_title_year_and_tracks(client: httpx.AsyncClient) -> None:
    response = await client.patch("/api/discs/dvd-alien", json={
        "title": "Alien", "year": 1979,
        "tracks": [{"number": 1, "name": "Alien (1979)"}, {"number": 2, "selected": True, "type": "trailer"}],
    })
    assert response.status_code == 200, response.text
    disc = response.json()
    assert disc["year"] == 1979
    assert (disc["tracks"][0]["name"], disc["tracks"][0]["selected"]) == ("Alien (1979)", True)
    assert (disc["tracks"][1]["selected"], disc["tracks"][1]["track_type"]) == (True, "trailer")
    assert (await client.get("/api/discs/dvd-alien")).json() == disc


async def test_patch_refusals(client: httpx.AsyncClient) -> None:
    unknown_track = await client.patch("/api/discs/dvd-alien", json={"tracks": [{"number": 7, "selected": True}]})
    assert unknown_track.status_code == 422 and "no track 7" in unknown_track.json()["detail"]
    assert (await client.patch("/api/discs/dvd-nope", json={"title": "x"})).status_code == 404
    bad_type = await client.patch("/api/discs/dvd-alien", json={"tracks": [{"number": 1, "type": "x"}]})
    assert bad_type.status_code == 422
    assert (await client.patch("/api/discs/dvd-alien", json={"title": ""})).status_code == 422

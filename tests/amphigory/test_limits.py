"""Limits where input enters over HTTP: body size (413 before parsing), list and number bounds (422, not 500), and
422 answers that do not echo a huge input back (real app, real SQLite file)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from amphigory.config import WebappSettings
from amphigory.limits import MAX_BODY_BYTES, MAX_VALIDATION_ERRORS, BodyLimit, trimmed_errors
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager
from amphigory_protocol.disc import ScanResult


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(WebappSettings(data_dir=tmp_path), ConnectionManager())
    async with app.router.lifespan_context(app):
        await app.state.discs.save_scan(ScanResult.model_validate({
            "fingerprint": "dvd-x", "disc_type": "dvd", "volume_name": "X",
            "titles": [{"number": 1, "duration_seconds": 5400}]}))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            yield http


@pytest.mark.parametrize("path", ["/api/discs", "/api/tasks"])
async def test_offset_past_sqlite_integers_is_422_not_500(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, params={"offset": "9223372036854775808"})
    assert response.status_code == 422


async def test_huge_track_number_in_a_path_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/discs/dvd-x/tracks/9223372036854775808/file")
    assert response.status_code == 422


async def test_declared_body_over_the_limit_is_413_unread(client: httpx.AsyncClient) -> None:
    body = b"[" + b"1," * (MAX_BODY_BYTES // 2) + b"1]"
    response = await client.patch("/api/discs/dvd-x", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert str(MAX_BODY_BYTES) in response.json()["detail"]


async def test_streamed_body_over_the_limit_is_413() -> None:
    """A chunked body (no Content-Length) is counted as it comes: the app never gets more than the limit."""
    seen: list[int] = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        total = 0
        while True:
            message = await receive()
            total += len(message.get("body", b""))
            seen.append(total)
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 65536

    limited = BodyLimit(app, max_bytes=1_000_000)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=limited), base_url="http://test") as http:
        response = await http.post("/upload", content=chunks())
    assert response.status_code == 413
    assert max(seen) <= 1_000_000


async def test_exempt_prefix_is_not_limited() -> None:
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})

    limited = BodyLimit(app, max_bytes=10, exempt=lambda method, path: method == "PUT" and path.startswith("/upload/"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=limited), base_url="http://test") as http:
        assert (await http.put("/upload/a", content=b"x" * 100)).text == "100"
        assert (await http.post("/upload/a", content=b"x" * 100)).status_code == 413
        assert (await http.put("/other", content=b"x" * 100)).status_code == 413


async def test_million_item_track_list_is_refused_briefly(client: httpx.AsyncClient) -> None:
    """Within the size limit, a list over its bound is a 422 that names the bound and echoes nothing big."""
    tracks = [{"number": 1, "name": "x"}] * 50_000
    response = await client.patch("/api/discs/dvd-x", json={"tracks": tracks})
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert "at most 1000" in response.text


async def test_many_bad_items_list_a_bounded_number_of_errors(client: httpx.AsyncClient) -> None:
    response = await client.patch("/api/discs/dvd-x", json={"tracks": [{"number": "bad"}] * 900})
    assert response.status_code == 422
    assert len(response.json()["detail"]) == MAX_VALIDATION_ERRORS


async def test_rip_request_bounds(client: httpx.AsyncClient) -> None:
    for body in ({"tracks": [2**63]}, {"tracks": list(range(1001))}, {"tracks": [1], "names": {"x": "y"}},
                 {"tracks": [1], "names": {"1": "n" * 301}}):
        response = await client.post("/api/drives/d:x/rip", json=body)
        assert response.status_code == 422, body


def test_trimmed_errors_keep_short_inputs_and_drop_long_ones() -> None:
    errors = [{"loc": ("body", "a"), "msg": "bad", "type": "t", "input": "short"},
              {"loc": ("body", "b"), "msg": "bad", "type": "t", "input": "x" * 10_000, "ctx": {"limit": "y" * 999}}]
    out = trimmed_errors(errors)
    assert out[0]["input"] == "short"
    assert "input" not in out[1] and len(json.dumps(out[1])) < 500

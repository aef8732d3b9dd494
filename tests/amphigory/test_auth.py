"""Pages and API from another machine need the token; from this machine they do not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from amphigory.auth import COOKIE, allowed, session_value
from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager

TOKEN = "s3cret-token"
LAN = ("192.168.1.20", 50000)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[object]:
    application = create_app(WebappSettings(data_dir=tmp_path, token=TOKEN), ConnectionManager())
    async with application.router.lifespan_context(application):
        yield application


def client(app: object, peer: tuple[str, int]) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=peer)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://amphigory.lan")


async def test_from_the_lan_the_api_wants_the_token(app: object) -> None:
    async with client(app, LAN) as c:
        refused = await c.get("/api/drives")
        assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
        assert (await c.get("/api/drives", headers={"Authorization": "Bearer wrong"})).status_code == 401
        ok = await c.get("/api/drives", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json() == {"drives": []}
        assert (await c.get("/health")).status_code == 200


async def test_a_browser_logs_in_once_and_goes_where_it_was_going(app: object) -> None:
    async with client(app, LAN) as c:
        page = await c.get("/queue")
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/queue"
        form = await c.get(page.headers["location"])
        assert form.status_code == 200 and 'name="token"' in form.text
        wrong = await c.post("/login", content="token=nope&next=%2Fqueue",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert wrong.status_code == 401 and "not the token" in wrong.text
        right = await c.post("/login", content=f"token={TOKEN}&next=%2Fqueue",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert right.status_code == 303 and right.headers["location"] == "/queue"
        assert "httponly" in right.headers["set-cookie"].lower()
        assert (await c.get("/queue")).status_code == 200  # the cookie jar holds the session now


async def test_login_never_redirects_off_site(app: object) -> None:
    async with client(app, LAN) as c:
        answer = await c.post("/login", content=f"token={TOKEN}&next=%2F%2Fevil.example",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.headers["location"] == "/"


async def test_this_machine_needs_nothing(app: object) -> None:
    async with client(app, ("127.0.0.1", 40000)) as c:
        assert (await c.get("/api/drives")).status_code == 200
        assert (await c.get("/")).status_code == 200


def test_rules_without_a_token_and_for_open_paths() -> None:
    lan = {"type": "http", "path": "/api/tasks", "client": LAN, "headers": []}
    assert allowed(lan, None)
    assert not allowed(lan, TOKEN)
    assert allowed({**lan, "path": "/static/app.css"}, TOKEN)
    assert allowed({**lan, "path": "/ws"}, TOKEN)  # the daemon socket checks the token itself
    cookie = [(b"cookie", f"{COOKIE}={session_value(TOKEN)}".encode())]
    assert allowed({**lan, "headers": cookie}, TOKEN)
    assert not allowed({**lan, "headers": [(b"cookie", f"{COOKIE}={session_value('old')}".encode())]}, TOKEN)
    assert not allowed({**lan, "headers": [(b"cookie", b"\x00garbage;;=")]}, TOKEN)


async def test_a_token_with_non_ascii_characters_is_refused_not_an_error(app: object) -> None:
    async with client(app, LAN) as c:
        form = await c.post("/login", content="token=%C3%A9t%C3%A9&next=%2F",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert form.status_code == 401 and "not the token" in form.text
        bearer = await c.get("/api/drives", headers={"Authorization": "Bearer été".encode()})
        assert bearer.status_code == 401
        cookie = await c.get("/api/drives", headers={"Cookie": f"{COOKIE}=é".encode()})
        assert cookie.status_code == 401


async def test_login_reads_no_more_of_the_body_than_a_form_needs() -> None:
    from starlette.requests import Request

    from amphigory.auth import login

    sent = 0

    async def endless() -> dict[str, object]:  # a client that never stops sending
        nonlocal sent
        sent += 1
        await asyncio.sleep(0)  # lets the timeout below end a login that would read on forever
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    scope = {"type": "http", "method": "POST", "path": "/login", "headers": [], "query_string": b""}
    answer = await asyncio.wait_for(login(Request(scope, endless), TOKEN), 5)
    assert answer.status_code == 401 and sent <= 5

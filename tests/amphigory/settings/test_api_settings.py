"""/api/settings and /settings on the real app (real SQLite file, uvicorn on loopback): saved values win over the
flags' defaults and outlive a restart, bad values are refused by name, secrets never come back in full, and a test
notification reaches a loopback webhook through Apprise."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager
from helpers_uvicorn import LiveServer
from helpers_webhook import webhook

SECRET_URL = "json://127.0.0.1:9/very-secret-path-token"


@asynccontextmanager
async def running(settings: WebappSettings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(settings, ConnectionManager())
    async with LiveServer(app) as server, httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=30) as http:
        yield http, app


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in body["settings"]}


async def test_saved_values_win_over_flags_and_outlive_a_restart(tmp_path: Path) -> None:
    base = WebappSettings(data_dir=tmp_path, on_insert="manual", auto_rip_delay=20.0)
    async with running(base) as (http, app):
        before = by_name((await http.get("/api/settings")).json())
        assert before["on_insert"]["value"] == "manual" and not before["on_insert"]["saved"]
        assert before["on_insert"]["flag"] == "--on-insert" and before["on_insert"]["help"]
        response = await http.put("/api/settings", json={"values": {
            "on_insert": "rip", "auto_rip_delay": "2.5", "eject_when_done": False,
            "drive_on_insert": ["alice@host:sr0=manual"]}})
        assert response.status_code == 200, response.text
        assert app.state.settings.on_insert == "rip"  # applied without a restart
        assert app.state.settings.on_insert_for("alice@host:sr0") == "manual"
        assert app.state.settings.on_insert_for("alice@host:sr1") == "rip"
    async with running(base) as (http, app):
        after = by_name((await http.get("/api/settings")).json())
        assert after["on_insert"]["value"] == "rip" and after["on_insert"]["saved"]
        assert after["on_insert"]["default"] == "manual"
        assert after["auto_rip_delay"]["value"] == 2.5 and after["eject_when_done"]["value"] is False
        assert app.state.settings.auto_rip_delay == 2.5
        # null goes back to the flag's default
        assert (await http.put("/api/settings", json={"values": {"on_insert": None}})).status_code == 200
        assert by_name((await http.get("/api/settings")).json())["on_insert"]["value"] == "manual"


async def test_bad_values_are_refused_by_name_and_nothing_is_saved(tmp_path: Path) -> None:
    async with running(WebappSettings(data_dir=tmp_path)) as (http, app):
        response = await http.put("/api/settings", json={"values": {
            "on_insert": "sometimes", "auto_rip_delay": "-3", "plex_url": "ftp://x", "notify": ["not a url"],
            "port": "80", "eject_when_done": False}})
        assert response.status_code == 422
        errors = response.json()["errors"]
        assert set(errors) == {"on_insert", "auto_rip_delay", "plex_url", "notify", "port"}
        assert "manual, rip" in errors["on_insert"] and "not editable" in errors["port"]
        assert app.state.settings.eject_when_done is True  # all or nothing
        assert not by_name((await http.get("/api/settings")).json())["eject_when_done"]["saved"]


async def test_secrets_are_masked_and_a_masked_value_sent_back_keeps_the_secret(tmp_path: Path) -> None:
    base = WebappSettings(data_dir=tmp_path, token="daemon-token-xyz")
    async with running(base) as (http, app):
        saved = await http.put("/api/settings", json={"values": {
            "notify": [SECRET_URL], "tmdb_token": "tmdb-token-abcdefghijklmnop", "plex_token": "plextoken1234"}})
        assert saved.status_code == 200
        for text in (saved.text, (await http.get("/api/settings")).text, (await http.get("/settings")).text):
            assert "very-secret-path" not in text and "abcdefghijklm" not in text and "plextoken" not in text
            assert "daemon-token-xyz" not in text
        shown = by_name(saved.json())
        masked_url = shown["notify"]["value"][0]
        assert masked_url.startswith("json://") and "••••" in masked_url
        again = await http.put("/api/settings", json={"values": {
            "notify": [masked_url, "ntfy://another-topic"], "tmdb_token": shown["tmdb_token"]["value"]}})
        assert again.status_code == 200, again.text
        assert app.state.settings.notify == (SECRET_URL, "ntfy://another-topic")
        assert app.state.settings.metadata.tmdb_token == "tmdb-token-abcdefghijklmnop"


async def test_the_settings_page_lists_every_setting_with_its_help(tmp_path: Path) -> None:
    async with running(WebappSettings(data_dir=tmp_path)) as (http, _app):
        page = await http.get("/settings")
        assert page.status_code == 200
        for name in ("on_insert", "auto_rip_delay", "eject_when_done", "notify", "tmdb_token", "transcode",
                     "transcode_preset", "library", "plex_url", "jellyfin_api_key", "data_dir", "output_dir"):
            assert f'data-name="{name}"' in page.text
        assert "Send a test" in page.text and "--auto-rip-delay" in page.text


async def test_a_test_notification_reaches_the_webhook(tmp_path: Path) -> None:
    with webhook() as hook:
        async with running(WebappSettings(data_dir=tmp_path, notify=(hook.url("/saved"),))) as (http, _app):
            response = await http.post("/api/settings/test-notification", json={})
            assert response.status_code == 200, response.text
            assert response.json() == {"sent": 1}
            message = await asyncio.to_thread(hook.wait_for, lambda m: "test" in m.get("title", "").lower())
            assert hook.paths[-1] == "/saved" and "Nothing else happened" in message["message"]
            # URLs typed on the page, not saved yet, are tried as they are
            response = await http.post("/api/settings/test-notification", json={"urls": [hook.url("/typed")]})
            assert response.status_code == 200
            assert "/typed" in hook.paths
            unreachable = await http.post("/api/settings/test-notification",
                                          json={"urls": ["json://127.0.0.1:9/nobody"]})
            assert unreachable.status_code == 502


async def test_notification_urls_never_reach_the_log(tmp_path: Path, caplog: Any) -> None:
    caplog.set_level("DEBUG")
    secret = "json://127.0.0.1:9/never-log-this-secret"
    async with running(WebappSettings(data_dir=tmp_path)) as (http, _app):
        assert (await http.put("/api/settings", json={"values": {"notify": [secret]}})).status_code == 200
        assert (await http.post("/api/settings/test-notification", json={})).status_code == 502
        assert (await http.post("/api/settings/test-notification",
                                json={"urls": ["bogus://never-log-this-either"]})).status_code == 502
    assert caplog.records and "never-log-this" not in caplog.text


async def test_a_slow_notification_does_not_hold_up_the_webapp(tmp_path: Path) -> None:
    with webhook() as hook:
        hook.answer.clear()  # the notification's server takes its time
        async with running(WebappSettings(data_dir=tmp_path)) as (http, _app):
            sending = asyncio.ensure_future(
                http.post("/api/settings/test-notification", json={"urls": [hook.url("/slow")]}))
            await asyncio.to_thread(hook.wait_for, lambda m: True, 30, "the notification")

            def health_while_it_waits() -> int:  # on a thread of its own: a stalled event loop answers nothing
                with httpx.Client(base_url=str(http.base_url), trust_env=False, timeout=15) as client:
                    return sum(client.get("/health").status_code == 200 for _ in range(3))

            answered = await asyncio.to_thread(health_while_it_waits)
            assert not sending.done() and answered == 3
            hook.answer.set()
            assert (await sending).status_code == 200


async def test_a_tmdb_token_saved_on_the_page_is_used_by_the_next_look_up(tmp_path: Path) -> None:
    async with running(WebappSettings(data_dir=tmp_path)) as (http, app):
        assert app.state.identification.identifier.settings.tmdb_token is None
        response = await http.put("/api/settings", json={"values": {"tmdb_token": "saved-token"}})
        assert response.status_code == 200, response.text
        assert "saved-token" not in response.text  # a secret: masked in the answer
        assert app.state.identification.identifier.settings.tmdb_token == "saved-token"

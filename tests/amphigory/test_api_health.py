"""/health, and the app made without settings (the module-level `app`)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager


async def test_health_reports_database_and_connections(tmp_path: Path) -> None:
    app = create_app(WebappSettings(data_dir=tmp_path), ConnectionManager())
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["daemons"], body["drives"]) == ("ok", "ok", 0, 0)
    assert (tmp_path / "amphigory.db").is_file()


async def test_without_settings_data_goes_to_amphigory_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMPHIGORY_DATA_DIR", str(tmp_path / "d"))
    app = create_app(manager=ConnectionManager())
    async with app.router.lifespan_context(app):
        assert app.state.settings.data_dir == tmp_path / "d"
    assert (tmp_path / "d" / "amphigory.db").is_file()


async def test_without_settings_or_variable_data_is_temporary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AMPHIGORY_DATA_DIR", raising=False)
    app = create_app(manager=ConnectionManager())
    async with app.router.lifespan_context(app):
        folder = app.state.settings.data_dir
        assert (folder / "amphigory.db").is_file()
        assert not folder.is_relative_to(Path.cwd())
    assert not folder.exists()

"""The /settings page: every setting with its help text, grouped, rendered from the same declarations as the API."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from amphigory.pages import templates
from amphigory.settings.store import SettingsStore

router = APIRouter(include_in_schema=False)


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(request: Request) -> Response:
    store: SettingsStore = request.app.state.settings_store
    described = store.describe()
    order = list(dict.fromkeys(s["group"] for s in described))
    grouped = sorted(described, key=lambda s: order.index(s["group"]))
    groups: list[tuple[str, list[dict[str, Any]]]] = [(g, list(items)) for g, items in
                                                      groupby(grouped, key=lambda s: s["group"])]
    return templates.TemplateResponse(request, "settings.html", {"page": "settings", "groups": groups})

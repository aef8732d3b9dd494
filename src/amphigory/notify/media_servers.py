"""Telling Plex and Jellyfin to look at a folder after filing, so new files show up without waiting for a scan."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence

import httpx

from amphigory.config import WebappSettings

log = logging.getLogger(__name__)
TIMEOUT = 10.0


async def refresh(settings: WebappSettings, folders: Sequence[str], client: httpx.AsyncClient | None = None) -> None:
    """Ask each configured media server to look at `folders`; a server that fails is logged (never its token)."""
    if not folders or not ((settings.plex_url and settings.plex_token) or
                           (settings.jellyfin_url and settings.jellyfin_api_key)):
        return
    async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) if client is None else _borrowed(client) as http:
        if settings.plex_url and settings.plex_token:
            for folder in folders:
                await _call("Plex", http.get(
                    f"{settings.plex_url}/library/sections/{settings.plex_section or 'all'}/refresh",
                    params={"path": folder}, headers={"X-Plex-Token": settings.plex_token}))
        if settings.jellyfin_url and settings.jellyfin_api_key:
            body = {"Updates": [{"Path": folder, "UpdateType": "Created"} for folder in folders]}
            await _call("Jellyfin", http.post(
                f"{settings.jellyfin_url}/Library/Media/Updated", json=body,
                headers={"X-Emby-Token": settings.jellyfin_api_key,
                         "Authorization": f'MediaBrowser Token="{settings.jellyfin_api_key}"'}))


async def _call(server: str, request: Awaitable[httpx.Response]) -> None:
    try:
        response = await request
    except httpx.HTTPError as exc:
        log.warning("could not tell %s about new files: %s", server, type(exc).__name__)
        return
    if response.status_code >= 400:
        log.warning("%s refused the library refresh: HTTP %d", server, response.status_code)


class _borrowed:
    """A client the caller owns, used as a context manager that does not close it."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __aenter__(self) -> httpx.AsyncClient:
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        return None

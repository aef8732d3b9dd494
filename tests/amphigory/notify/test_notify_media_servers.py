"""After filing, Plex and Jellyfin are told to look at the new folders (a loopback server stands in for both)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from amphigory.config import WebappSettings
from amphigory.notify.media_servers import refresh
from helpers_webhook import webhook


async def test_plex_and_jellyfin_are_asked_to_look_at_the_new_folders(tmp_path: Path) -> None:
    with webhook() as server:
        base = f"http://127.0.0.1:{server.port}"
        settings = WebappSettings(data_dir=tmp_path, plex_url=base, plex_token="plex-secret", plex_section=2,
                                  jellyfin_url=base, jellyfin_api_key="jf-secret")
        await refresh(settings, ["/lib/Movies/A (2001)"])
        await asyncio.to_thread(server.wait_for, lambda m: "Updates" in m, 10, "the Jellyfin call")
        plex = server.paths.index(next(p for p in server.paths if p.startswith("/library/")))
        assert server.paths[plex] == "/library/sections/2/refresh?path=%2Flib%2FMovies%2FA+%282001%29"
        assert server.headers[plex]["X-Plex-Token"] == "plex-secret"
        jellyfin = server.paths.index("/Library/Media/Updated")
        assert server.received[jellyfin] == {"Updates": [{"Path": "/lib/Movies/A (2001)", "UpdateType": "Created"}]}
        assert server.headers[jellyfin]["X-Emby-Token"] == "jf-secret"


async def test_nothing_is_asked_without_a_server_and_a_refusing_server_is_only_logged(tmp_path: Path) -> None:
    with webhook() as server:
        await refresh(WebappSettings(data_dir=tmp_path, plex_url=f"http://127.0.0.1:{server.port}"), ["/x"])
        assert server.paths == []  # no token: not configured
        server.status = 401
        await refresh(WebappSettings(data_dir=tmp_path, jellyfin_url=f"http://127.0.0.1:{server.port}",
                                     jellyfin_api_key="k"), ["/x"])
        assert server.paths == ["/Library/Media/Updated"]

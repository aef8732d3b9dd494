"""`amphigory serve`: the webapp under uvicorn."""

from __future__ import annotations

import dataclasses
import logging

import uvicorn

from amphigory.config import WebappSettings
from amphigory_cli.token_file import ensure_token, token_path


def serve(settings: WebappSettings) -> int:
    from amphigory.main import create_app

    # What the webapp decides (identifications, hands-free countdowns, jobs) is logged as the daemon logs what it
    # does. Libraries stay at warnings: uvicorn's access log, and httpx's and Apprise's request lines, which could
    # carry a notification URL's secret.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("amphigory").setLevel(logging.INFO)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.token is None:
        settings = dataclasses.replace(settings, token=ensure_token(settings.data_dir))
        print(f"daemon token: {token_path(settings.data_dir)} (a daemon with the same --data-dir reads it; "
              "elsewhere pass it with --token)", flush=True)
    app = create_app(settings)
    print(f"amphigory webapp on http://{settings.host}:{settings.port}/ (data in {settings.data_dir})", flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        # Frames over the protocol's 1 MiB limit are closed with 1009; pings notice a dead daemon within ~10 s.
        ws_max_size=1024 * 1024 + 1024,
        ws_ping_interval=5,
        ws_ping_timeout=5,
    )
    return 0

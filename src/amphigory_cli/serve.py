"""`amphigory serve`: the webapp under uvicorn."""

from __future__ import annotations

import sys

import uvicorn

from amphigory.config import WebappSettings


def serve(settings: WebappSettings) -> int:
    from amphigory.auth import is_loopback
    from amphigory.main import create_app

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not is_loopback(settings.host) and settings.token is None:
        print(f"warning: listening on {settings.host} without --token: anyone on the network can use the pages "
              "and the API, and no daemon can connect", file=sys.stderr, flush=True)
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

"""Run an ASGI app under a real uvicorn server on loopback, in the test's own event loop.

    async with LiveServer(app) as server:          # a free port; `await server.stop()` / `start()` restart it
        websockets.connect(server.ws_url("/ws"))     # on the same port

`wire_app()` builds the smallest app the wire needs (the router of amphigory.websocket, a manager and settings).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import uvicorn
from fastapi import FastAPI

from amphigory.config import WebappSettings
from amphigory.websocket import ConnectionManager, router

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # leave pytest's signal handlers alone
        yield


class LiveServer:
    """A uvicorn server for `app` on 127.0.0.1:`port` (free by default); extra keywords go to `uvicorn.Config`."""

    def __init__(self, app: Any, port: int | None = None, **config: Any) -> None:
        self.app = app
        self.port = port or free_port()
        self.config = {"log_level": "warning", "timeout_graceful_shutdown": 5, **config}
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def ws_url(self, path: str = "/ws") -> str:
        return f"ws://{HOST}:{self.port}{path}"

    async def start(self) -> None:
        server = _Server(uvicorn.Config(self.app, host=HOST, port=self.port, **self.config))
        self._server, self._task = server, asyncio.create_task(server.serve())
        while not server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = self._task = None

    async def __aenter__(self) -> LiveServer:
        await self.start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()


def wire_app(token: str | None = "secret", manager: ConnectionManager | None = None) -> FastAPI:
    """FastAPI with the wire's routes, `app.state.manager` (a fresh one by default) and settings with `token`."""
    app = FastAPI()
    app.include_router(router)
    app.state.manager = manager or ConnectionManager()
    app.state.settings = WebappSettings(token=token)
    return app

"""A loopback webhook for notification tests: an HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it
(Apprise's `json://127.0.0.1:PORT/path` posts `{"title", "message", "type", ...}`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Webhook:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200
        self.answer = threading.Event()  # cleared: requests wait for it before they are answered (a slow server)
        self.answer.set()
        self._lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._keep()

            def do_GET(self) -> None:
                self._keep()

            def _keep(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with hook._lock:
                    hook.paths.append(self.path)
                    hook.headers.append(dict(self.headers.items()))
                    hook.received.append(json.loads(raw) if raw else {})
                hook.answer.wait(30)
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def messages(self, path: str | None = None) -> list[dict[str, Any]]:
        """What was received; with `path`, only what was sent there (each webapp of a module notifies its own
        path of one shared hook, and several notice the same sample disc)."""
        with self._lock:
            return [m for m, at in zip(self.received, self.paths, strict=True) if path is None or at == path]

    def wait_for(self, check: Callable[[dict[str, Any]], bool], timeout: float = 60.0,
                 what: str = "a notification", path: str | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages(path):
                if check(message):
                    return message
            time.sleep(0.05)
        raise AssertionError(f"no {what} in {timeout} s; received {self.messages()}")


@contextmanager
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    hook._thread.start()
    try:
        yield hook
    finally:
        hook.answer.set()
        hook.server.shutdown()
        hook.server.server_close()

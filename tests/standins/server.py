"""A loopback HTTP server that answers like a public service, and misbehaves on demand.

`trouble` is None (answer), "slow" (hold the request until the test ends), "429" / "503" (refuse, with
Retry-After: 0), or "garbage" (200 with HTML). `latency` delays every answer (the benchmark's 100 ms services).
Every request is recorded (method, path, query, headers, time) for the tests to inspect.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float


Answer = tuple[int, dict[str, str], bytes]


def json_answer(data: Any, status: int = 200) -> Answer:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(data).encode()


class StandIn:
    def __init__(self) -> None:
        self.trouble: str | None = None
        self.latency = 0.0
        self.seen: list[Seen] = []
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # what a service says: overridden by each stand-in
    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer:
        return json_answer({"error": "Not Found"}, 404)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                stand_in.seen.append(Seen(self.command, parts.path, parse_qs(parts.query), headers, body,
                                          time.monotonic()))
                status, extra, payload = stand_in._respond(self.command, parts.path, parse_qs(parts.query),
                                                           headers, body)
                try:
                    self.send_response(status)
                    for k, v in extra.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to tell it

            do_GET = _serve
            do_POST = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()
        return self

    def _respond(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
                 body: bytes) -> Answer:
        if self.latency:
            time.sleep(self.latency)
        if self.trouble == "slow":
            self._release.wait(60)  # until the test ends: the client's timeout is what is being tried
            return json_answer({}, 200)
        if self.trouble in ("429", "503"):
            return int(self.trouble), {"Retry-After": "0", "Content-Type": "text/plain"}, b"slow down"
        if self.trouble == "garbage":
            return 200, {"Content-Type": "text/html"}, b"<html><body>Service Temporarily Unavailable"
        return self.answer(method, path, query, headers, body)

    @staticmethod
    def closed_url() -> str:
        """A loopback URL where nothing listens (a service that is down)."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

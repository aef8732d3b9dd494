"""Hostile input to a real `amphigory serve`: a 50 MB body (declared, and streamed without a length) is refused
with 413 before it is read, quickly, without the process growing; 1,000 fuzzed WebSocket frames (hypothesis) on a
daemon connection each get an answer or a clean close, and the connection keeps answering (loopback only)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ui_stack import Stack
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from helpers_patience import PATIENCE

pytestmark = pytest.mark.e2e

FIFTY_MB = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def webapp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(Path(tmp_path_factory.mktemp("hostile")))
    stack.data_dir.mkdir(parents=True)
    try:
        stack.start_webapp()
        yield stack
    finally:
        stack.stop()


def resident_kib(stack: Stack) -> int:
    status = Path(f"/proc/{stack.processes['webapp'].pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


def test_fifty_megabyte_bodies_are_refused_unread(webapp: Stack) -> None:
    before = resident_kib(webapp)
    body = b"[" + b"1," * (FIFTY_MB // 2) + b"1]"
    with httpx.Client(base_url=webapp.url, timeout=PATIENCE) as http:
        declared = http.patch("/api/discs/x", content=body, headers={"Content-Type": "application/json"})
        assert declared.status_code == 413

        def chunks() -> Iterator[bytes]:
            for _ in range(FIFTY_MB // 65536):
                yield b"1," * 32768

        try:
            streamed = http.patch("/api/discs/x", content=chunks(), headers={"Content-Type": "application/json"})
            assert streamed.status_code == 413
        except httpx.RemoteProtocolError:
            pass  # the webapp answered 413 and closed while the rest was still being sent: refused all the same
        assert http.get("/health").status_code == 200
    assert resident_kib(webapp) - before < 40 * 1024  # never near the body's size (it was 13 GB once)


frames = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                 max_leaves=12).map(json.dumps),
    st.fixed_dictionaries({"type": st.sampled_from(["event", "request", "response", "ack", "hello", "x"])},
                          optional={"event": st.text(max_size=20), "daemon_id": st.text(max_size=10),
                                    "seq": st.integers(), "request_id": st.text(max_size=10),
                                    "method": st.text(max_size=10), "data": st.dictionaries(st.text(), st.text()),
                                    "drive_id": st.text(max_size=10)}).map(json.dumps),
)


class Daemon:
    """A hand-driven daemon connection, opened again whenever the webapp closed it."""

    def __init__(self, stack: Stack, exits: contextlib.ExitStack) -> None:
        self.stack = stack
        self.exits = exits
        self.ws: ClientConnection | None = None
        self.probes = 0
        self.closes: list[int | None] = []

    def connection(self) -> ClientConnection:
        if self.ws is None:
            self.ws = self.exits.enter_context(connect(
                self.stack.url.replace("http", "ws") + "/ws", open_timeout=PATIENCE,
                additional_headers={"Authorization": f"Bearer {self.stack.token}"}))
            self.ws.send(json.dumps({"type": "hello", "daemon_id": "fuzz", "version": "1", "drives": []}))
        return self.ws

    def send_and_probe(self, frame: str | bytes) -> None:
        """Send the frame, then a request the webapp must answer: proof that the connection is still usable."""
        ws = self.connection()
        self.probes += 1
        probe = f"probe-{self.probes}"
        try:
            ws.send(frame)
            ws.send(json.dumps({"type": "request", "request_id": probe, "method": "no_such_method"}))
            deadline = time.monotonic() + PATIENCE
            while time.monotonic() < deadline:
                message = json.loads(ws.recv(timeout=PATIENCE))
                if message.get("request_id") == probe:
                    assert message["error"]["code"] == "unknown_method", message
                    return
            raise AssertionError(f"no answer to {probe}")
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else None
            assert code in (1008, 1009), f"closed with {code} after {frame!r}"  # a policy close, never a crash
            self.closes.append(code)
            self.ws = None


# the websockets client's own thread draws from `random` while hypothesis generates the next frame
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_a_thousand_fuzzed_frames_never_break_the_daemon_socket(webapp: Stack) -> None:
    with contextlib.ExitStack() as exits:
        daemon = Daemon(webapp, exits)

        @given(frame=frames)
        @settings(max_examples=1000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def fuzz(frame: str | bytes) -> None:
            daemon.send_and_probe(frame)

        fuzz()
    assert daemon.probes >= 1000
    with httpx.Client(base_url=webapp.url, timeout=PATIENCE) as http:
        assert http.get("/health").json()["status"] == "ok"

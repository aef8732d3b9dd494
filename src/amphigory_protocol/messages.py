"""Envelopes of the daemon <-> webapp protocol, exactly the spec's shapes, plus `event` and `hello`.

```
request   {"type": "request", "request_id", "method", "params"}
response  {"type": "response", "request_id", "result"}            or  {..., "error": {"code", "message"}}
event     {"type": "event", "event", "daemon_id", "drive_id", "seq", "data"}
hello     {"type": "hello", "daemon_id", "version", "drives", "instance_id", "last_seq", "dropped"}
ack       {"type": "ack", "seq"}                                    webapp -> daemon: events up to `seq` are applied
```

Delivery of events: a daemon numbers its events with `seq` (1, 2, ... per `instance_id`), keeps each in an outbox
until the webapp acknowledges it with a cumulative `ack`, and replays the outbox in order after reconnecting. The
webapp applies an event only if its `seq` is above the last one it applied for that (daemon_id, instance_id), so a
replayed event is acknowledged again but applied once.

`parse_message` is the one door for bytes from a peer: it enforces the frame limit, decodes JSON and validates
against these models, raising `ProtocolError` (with a machine-readable code) for anything else.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 1024 * 1024  # 1 MiB: a scan result of a 300-playlist Blu-ray is well under this


class EventName(StrEnum):
    """Every event a daemon pushes (the spec's WebSocket Events Reference)."""

    DISC_INSERTED = "disc_inserted"
    DISC_EJECTED = "disc_ejected"
    SCAN_STARTED = "scan_started"
    SCAN_PROGRESS = "scan_progress"
    SCAN_COMPLETED = "scan_completed"
    SCAN_FAILED = "scan_failed"
    RIP_STARTED = "rip_started"
    RIP_PROGRESS = "rip_progress"
    RIP_COMPLETED = "rip_completed"
    RIP_FAILED = "rip_failed"
    DRIVE_STATE_CHANGED = "drive_state_changed"


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Request(_Envelope):
    type: Literal["request"] = "request"
    request_id: str = Field(min_length=1, max_length=200)
    method: str = Field(min_length=1, max_length=100)
    params: dict[str, Any] = Field(default_factory=dict)


class ErrorInfo(BaseModel):
    code: str
    message: str


class Response(_Envelope):
    """A response carries either `result` or `error` (never both)."""

    type: Literal["response"] = "response"
    request_id: str | None = None
    result: Any = None
    error: ErrorInfo | None = None

    def to_wire(self) -> dict[str, Any]:
        """The spec's shape: `result` on success, `error` on failure, not both keys."""
        out: dict[str, Any] = {"type": "response", "request_id": self.request_id}
        if self.error is not None:
            out["error"] = self.error.model_dump()
        else:
            out["result"] = self.result
        return out


class Event(_Envelope):
    type: Literal["event"] = "event"
    event: EventName
    daemon_id: str = Field(min_length=1, max_length=200)
    drive_id: str | None = Field(default=None, max_length=400)
    seq: int = Field(ge=0)
    data: dict[str, Any] = Field(default_factory=dict)


class Hello(_Envelope):
    """First message of a daemon on every connection: who it is and what drives it has."""

    type: Literal["hello"] = "hello"
    daemon_id: str = Field(min_length=1, max_length=200)
    version: str = Field(max_length=50)
    protocol: int = PROTOCOL_VERSION
    drives: list[dict[str, Any]] = Field(default_factory=list)
    # Random per daemon process: a new instance restarts its `seq` at 1, so the webapp resets its dedup state.
    instance_id: str = Field(default="", max_length=100)
    # The highest `seq` this instance has assigned so far (0 = none yet).
    last_seq: int = Field(default=0, ge=0)
    # Events this instance dropped, unsent, because its outbox was full (never silently: also logged).
    dropped: int = Field(default=0, ge=0)


class Ack(_Envelope):
    """Webapp -> daemon: every event of this connection's instance with `seq` <= this one is applied."""

    type: Literal["ack"] = "ack"
    seq: int = Field(ge=0)


AnyMessage = Request | Response | Event | Hello | Ack
Message = Annotated[AnyMessage, Field(discriminator="type")]
_MESSAGE: TypeAdapter[AnyMessage] = TypeAdapter(Message)
MESSAGE_TYPES = ("request", "response", "event", "hello", "ack")


class ProtocolError(ValueError):
    """A frame that is not a valid message. `code` is what goes back in the error reply."""

    def __init__(self, code: str, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


def parse_message(raw: str | bytes) -> AnyMessage:
    """Validate one frame from a peer; raise `ProtocolError` for oversize, bad JSON, unknown type, bad fields."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > MAX_FRAME_BYTES:
        raise ProtocolError("frame_too_large", f"frame of {size} bytes exceeds the {MAX_FRAME_BYTES}-byte limit")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError("malformed_json", f"not valid JSON: {exc}") from None
    return validate_message(data)


def validate_message(data: Any) -> AnyMessage:
    """Validate an already decoded frame (a JSON value) against the message models."""
    if not isinstance(data, dict):
        raise ProtocolError("invalid_message", "a message must be a JSON object")
    request_id = data.get("request_id") if isinstance(data.get("request_id"), str) else None
    kind = data.get("type")
    if kind not in MESSAGE_TYPES:
        raise ProtocolError("unknown_type", f"unknown message type: {kind!r}", request_id)
    try:
        return _MESSAGE.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        raise ProtocolError("invalid_message", f"invalid {kind}: {where}: {first['msg']}", request_id) from None


class RequestError(Exception):
    """Raised by a request handler to refuse a request with a specific error `code` (e.g. `unknown_drive`);
    the receiving side answers `{"error": {"code", "message"}}` from it instead of a generic `handler_error`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error_response(request_id: str | None, code: str, message: str) -> dict[str, Any]:
    """The spec's error response, as a JSON-ready dict."""
    return {"type": "response", "request_id": request_id, "error": {"code": code, "message": message}}


class PendingRequests:
    """Request/response correlation for one connection: fresh request ids out, the matching responses' futures in.

    No I/O: the socket code sends the request and feeds every `Response` it receives to `resolve`.
    """

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix or uuid.uuid4().hex[:12]
        self._counter = itertools.count(1)
        self._futures: dict[str, asyncio.Future[Response]] = {}

    def __len__(self) -> int:
        return len(self._futures)

    def open(self) -> tuple[str, asyncio.Future[Response]]:
        """A new request id and the future its response will complete."""
        request_id = f"{self._prefix}-{next(self._counter)}"
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._futures[request_id] = future
        return request_id, future

    def resolve(self, response: Response) -> bool:
        """Complete the request this response answers; False when nothing is waiting for it (late or unknown)."""
        future = self._futures.pop(response.request_id or "", None)
        if future is None or future.done():
            return False
        future.set_result(response)
        return True

    def discard(self, request_id: str) -> None:
        self._futures.pop(request_id, None)

    def fail_all(self, make_error: Callable[[], BaseException]) -> None:
        """Fail every waiting request at once (the connection is gone), each with its own exception."""
        futures, self._futures = self._futures, {}
        for future in futures.values():
            if not future.done():
                future.set_exception(make_error())

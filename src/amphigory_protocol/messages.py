"""Envelopes of the daemon <-> webapp protocol, exactly the spec's shapes, plus `event` and `hello`.

```
request   {"type": "request", "request_id", "method", "params"}
response  {"type": "response", "request_id", "result"}            or  {..., "error": {"code", "message"}}
event     {"type": "event", "event", "daemon_id", "drive_id", "seq", "data"}
hello     {"type": "hello", "daemon_id", "version", "drives", "last_seq"}
```

`parse_message` is the one door for bytes from a peer: it enforces the frame limit, decodes JSON and validates
against these models, raising `ProtocolError` (with a machine-readable code) for anything else.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 1024 * 1024  # 1 MiB: a scan result of a 300-playlist Blu-ray is well under this


class EventName(str, Enum):
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
    last_seq: int = Field(default=0, ge=0)


Message = Annotated[Request | Response | Event | Hello, Field(discriminator="type")]
_MESSAGE: TypeAdapter[Request | Response | Event | Hello] = TypeAdapter(Message)


class ProtocolError(ValueError):
    """A frame that is not a valid message. `code` is what goes back in the error reply."""

    def __init__(self, code: str, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


def parse_message(raw: str | bytes) -> Request | Response | Event | Hello:
    """Validate one frame from a peer; raise `ProtocolError` for oversize, bad JSON, unknown type, bad fields."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > MAX_FRAME_BYTES:
        raise ProtocolError("frame_too_large", f"frame of {size} bytes exceeds the {MAX_FRAME_BYTES}-byte limit")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError("malformed_json", f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError("invalid_message", "a message must be a JSON object")
    request_id = data.get("request_id") if isinstance(data.get("request_id"), str) else None
    kind = data.get("type")
    if kind not in ("request", "response", "event", "hello"):
        raise ProtocolError("unknown_type", f"unknown message type: {kind!r}", request_id)
    try:
        return _MESSAGE.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        raise ProtocolError("invalid_message", f"invalid {kind}: {where}: {first['msg']}", request_id) from None


def error_response(request_id: str | None, code: str, message: str) -> dict[str, Any]:
    """The spec's error response, as a JSON-ready dict."""
    return {"type": "response", "request_id": request_id, "error": {"code": code, "message": message}}

"""Limits where input enters the webapp over HTTP: the size of a request body, the bounds every query/path integer
and list shares, and 422 answers that never echo a huge input back.

`BodyLimit` is a plain ASGI middleware: a declared `Content-Length` over the limit is refused (413) before the
app sees the request, and a chunked or lying body is counted as it streams and refused the moment it passes the
limit, so a 50 MB body never reaches the JSON parser or memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 2 * 1024 * 1024  # a PATCH of a 300-title disc is a few tens of KB
MAX_LIST_ITEMS = 1000  # tracks in a request: a Blu-ray has a few hundred playlists at most
MAX_TRACK_NUMBER = 100_000
MAX_OFFSET = 1_000_000_000  # well inside SQLite's 64-bit integers
MAX_NAME_CHARS = 300
MAX_VALIDATION_ERRORS = 20  # errors listed in one 422
MAX_ECHOED_INPUT_CHARS = 200  # an input longer than this (as JSON) is not sent back in a 422


class BodyTooLarge(HTTPException):
    """A request body over the limit (413); raised while the body streams in."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body over {limit} bytes")


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413; requests `exempt` picks (streamed uploads) are not limited
    here."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES,
                 exempt: Callable[[str, str], bool] = lambda method, path: False) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt  # (method, path) -> True for a streamed upload its own route limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(str(scope.get("method", "")), str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(send, self.max_bytes)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(send, self.max_bytes)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body over {limit} bytes"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def trimmed_errors(errors: Iterable[Any]) -> list[dict[str, Any]]:
    """Validation errors as FastAPI lists them, at most `MAX_VALIDATION_ERRORS`, each without a long `input`."""
    out: list[dict[str, Any]] = []
    for error in errors:
        if len(out) >= MAX_VALIDATION_ERRORS:
            break
        item = {k: v for k, v in dict(error).items() if k not in ("input", "ctx", "url")}
        if "input" in error:
            echoed = json.dumps(error["input"], default=str)
            if len(echoed) <= MAX_ECHOED_INPUT_CHARS:
                item["input"] = error["input"]
        if isinstance(error.get("ctx"), dict):
            item["ctx"] = {k: str(v)[:MAX_ECHOED_INPUT_CHARS] for k, v in error["ctx"].items()}
        out.append(item)
    return out


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, with the list of errors bounded and long inputs left out."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": trimmed_errors(exc.errors())}, status_code=422)


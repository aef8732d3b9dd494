"""Who may use the pages and the API: anyone on this machine; from elsewhere, only someone who knows the token.

A webapp with a `--token` that is reached from another address (it was bound to 0.0.0.0 or a LAN address) asks
browsers to log in with that token once (`/login` sets an HttpOnly session cookie derived from it) and API
clients to send `Authorization: Bearer <token>`. Requests from loopback need nothing, so the demo and a webapp
bound to 127.0.0.1 stay as simple as before. The daemon socket `/ws` checks the token itself; `/health`,
`/login` and `/static` are open. With no token configured nothing is checked (serve warns when it listens
beyond loopback that way).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "amphigory_session"
OPEN_PATHS = ("/health", "/login", "/ws")
OPEN_PREFIXES = ("/static/",)


def session_value(token: str) -> str:
    """The cookie a logged-in browser holds: derived from the token, so changing the token logs everyone out."""
    return hmac.new(token.encode(), b"amphigory browser session", hashlib.sha256).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets as UTF-8 (`hmac.compare_digest` refuses non-ASCII `str`)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def allowed(scope: Scope, token: str | None) -> bool:
    """Whether this request may go on (pure: reads only the scope)."""
    path = scope.get("path", "")
    if token is None or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return True
    client = scope.get("client")
    if is_loopback(client[0] if client else None):
        return True
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    bearer = headers.get("authorization", "")
    if bearer.startswith("Bearer ") and same_secret(bearer[7:].strip(), token):
        return True
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header is simply no session
        return False
    morsel = cookie.get(COOKIE)
    return morsel is not None and same_secret(morsel.value, session_value(token))


class BrowserAuth:
    """ASGI middleware applying `allowed` to every HTTP request and WebSocket of the app."""

    def __init__(self, app: ASGIApp, token: Callable[[], str | None]) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or allowed(scope, self.token()):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "log in first"})
            return
        path = scope.get("path", "/")
        response: Response
        if path.startswith("/api/") or path == "/openapi.json":
            response = JSONResponse({"detail": "send Authorization: Bearer <token>", "code": "unauthorized"},
                                    status_code=401, headers={"WWW-Authenticate": "Bearer"})
        else:
            response = RedirectResponse("/login?next=" + quote(path, safe="/"), status_code=303)
        await response(scope, receive, send)


def _safe_next(raw: str) -> str:
    # Only a path on this site: never an absolute URL or a scheme-relative one ("//evil").
    return raw if raw.startswith("/") and not raw.startswith("//") else "/"


def login_page(message: str = "", next_path: str = "/", status: int = 200) -> HTMLResponse:
    from html import escape

    error = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Log in · Amphigory</title>
<link rel="stylesheet" href="/static/app.css"></head><body><main id="main" class="page">
<h1>Log in</h1><p>This Amphigory is shared on the network: enter its token (<code>--token</code>).</p>{error}
<form method="post" action="/login"><input type="hidden" name="next" value="{escape(next_path)}">
<label for="token">Token</label> <input id="token" name="token" type="password" autocomplete="current-password"
required autofocus> <button type="submit">Log in</button></form></main></body></html>"""
    return HTMLResponse(body, status_code=status)


_LOGIN_FORM_BYTES = 4096


async def _head_of_body(request: Request, limit: int) -> bytes:
    """The first `limit` bytes of the body, reading no further (the login form is open to anyone)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) >= limit:
            break
    return body[:limit]


async def login(request: Request, token: str | None) -> Response:
    """GET: the form; POST: check the token, set the session cookie, go where the person was going."""
    if request.method == "GET":
        return login_page(next_path=_safe_next(request.query_params.get("next", "/")))
    form = parse_qs((await _head_of_body(request, _LOGIN_FORM_BYTES)).decode("utf-8", "replace"))
    given = (form.get("token") or [""])[0]
    next_path = _safe_next((form.get("next") or ["/"])[0])
    if token is None or not same_secret(given, token):
        return login_page("That is not the token.", next_path, status=401)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(COOKIE, session_value(token), httponly=True, samesite="strict", max_age=30 * 24 * 3600)
    return response

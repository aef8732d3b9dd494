"""Can the daemon reach its webapp: `GET /health` over HTTP, then the daemon socket `/ws` opened with the daemon's
token exactly as the daemon opens it (refused in the handshake when the token is wrong), and closed at once
(before any hello, so no drive or daemon of the webapp is touched)."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from amphigory_cli.doctor.report import WebappCheck

TIMEOUT = 5.0


def http_base(webapp_url: str) -> str:
    """`http://host:6199` out of the daemon's `ws://host:6199/ws` (wss → https)."""
    parts = urlsplit(webapp_url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, "", "", ""))


def check_webapp(webapp_url: str, token: str | None) -> WebappCheck:
    import httpx

    base = http_base(webapp_url)
    try:
        response = httpx.get(f"{base}/health", timeout=TIMEOUT, trust_env=False)
        body = response.json()
        detail = f"amphigory {body.get('version', '?')}, database schema {body.get('schema_version', '?')}"
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        return WebappCheck(base, False, f"not reachable ({type(exc).__name__}: {exc})", "unchecked")
    if not token:
        return WebappCheck(base, True, detail, "none")
    return WebappCheck(base, True, detail, _token_status(webapp_url, token))


def _token_status(webapp_url: str, token: str) -> Literal["accepted", "refused", "unchecked"]:
    from websockets.exceptions import InvalidStatus, WebSocketException
    from websockets.sync.client import connect

    try:
        with connect(webapp_url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=TIMEOUT,
                     close_timeout=TIMEOUT, proxy=None):
            return "accepted"
    except InvalidStatus:
        return "refused"
    except (OSError, TimeoutError, WebSocketException):
        return "unchecked"

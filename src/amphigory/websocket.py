"""The webapp's WebSocket routes: the daemon socket `/ws`, the browser feed `/ws/browser`, and `manager`.

A daemon connects to `/ws` with `Authorization: Bearer <token>` (refused during the handshake otherwise) and says
`hello`; browsers get `/ws/browser`: a snapshot, then every change; what they send never reaches a daemon. The
work is done by the module-level `ConnectionManager` (`manager`, or the app's own `app.state.manager`), which lives
in `amphigory.link` with the rest of the wire; its names are re-exported here, where the spec and tests look.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, WebSocket

from amphigory.link.connections import ConnectionManager
from amphigory.link.daemon_link import DaemonInfo
from amphigory.link.daemon_session import DaemonRequestHandler
from amphigory.link.delivery import ConnectionListener, EventListener
from amphigory.link.errors import DaemonError, DaemonNotConnected, DaemonRequestError, DaemonTimeout
from amphigory.link.frames import CLOSE_POLICY, CLOSE_REPLACED, CLOSE_SLOW_CONSUMER, CLOSE_TOO_BIG

__all__ = [
    "CLOSE_POLICY", "CLOSE_REPLACED", "CLOSE_SLOW_CONSUMER", "CLOSE_TOO_BIG", "ConnectionListener",
    "ConnectionManager", "DaemonError", "DaemonInfo", "DaemonNotConnected", "DaemonRequestError",
    "DaemonRequestHandler", "DaemonTimeout", "EventListener", "browser_socket", "daemon_socket", "manager",
    "router", "token_ok",
]

log = logging.getLogger(__name__)


def token_ok(authorization: str | None, token: str | None) -> bool:
    """Whether an `Authorization` header carries the shared token (no token configured: nobody gets in)."""
    if not token or not authorization:
        return False
    scheme, _, value = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


manager = ConnectionManager()
router = APIRouter()


def _manager_of(websocket: WebSocket) -> ConnectionManager:
    found = getattr(websocket.app.state, "manager", None)
    return found if isinstance(found, ConnectionManager) else manager


@router.websocket("/ws")
async def daemon_socket(websocket: WebSocket) -> None:
    """A daemon's connection: refused in the handshake (HTTP 403) without the right bearer token."""
    settings = getattr(websocket.app.state, "settings", None)
    if not token_ok(websocket.headers.get("authorization"), getattr(settings, "token", None)):
        log.warning("refused a daemon connection from %s: missing or wrong token", websocket.client)
        await websocket.close(code=CLOSE_POLICY)
        return
    await websocket.accept()
    await _manager_of(websocket).serve_daemon(websocket)


@router.websocket("/ws/browser")
async def browser_socket(websocket: WebSocket) -> None:
    """The read-only live feed for pages: a snapshot of daemons and drives, then every change."""
    await websocket.accept()
    await _manager_of(websocket).serve_browser(websocket)

"""`Notifier`: tells people through Apprise (the `notify` URLs) and the dashboards that are open.

Apprise URLs are secrets: they are never logged (only how many were told, and how many failed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import apprise

from amphigory.config import WebappSettings
from amphigory.notify import messages
from amphigory.notify.messages import Notice

log = logging.getLogger(__name__)
Broadcast = Callable[[dict[str, Any]], Awaitable[None]]
_TYPES = {"done": apprise.NotifyType.SUCCESS, "needs_review": apprise.NotifyType.WARNING,
          "failed": apprise.NotifyType.FAILURE, "test": apprise.NotifyType.INFO}

# Apprise logs what it sends to whom at INFO; only its warnings and errors (which it writes without secrets) pass.
logging.getLogger("apprise").setLevel(logging.WARNING)


class NotifyError(Exception):
    """No notification URL took the message."""


class Notifier:
    def __init__(self, settings: Callable[[], WebappSettings], broadcast: Broadcast) -> None:
        self.settings = settings
        self.broadcast = broadcast

    async def notify(self, notice: Notice) -> None:
        """Announce to the browsers and every notification URL; failures are logged, never raised."""
        try:
            await self.broadcast({"type": "notification", "notification": notice.to_json()})
        except Exception:
            log.exception("could not push a notification to browsers")
        try:
            await send(self.settings().notify, notice)
        except NotifyError as exc:
            log.warning("%s notification of %s: %s", notice.kind, notice.fingerprint or "-", exc)

    async def test(self, urls: Sequence[str] | None = None) -> int:
        """Send a test message to `urls` (default: the saved ones); how many took it. `NotifyError` when none did."""
        return await send(self.settings().notify if urls is None else urls, messages.test())


async def send(urls: Sequence[str], notice: Notice) -> int:
    """Send one notice to each URL; how many took it. `NotifyError` when there were URLs and none did."""
    if not urls:
        return 0
    results = await asyncio.gather(*(_send_one(url, notice) for url in urls))
    sent = sum(results)
    if not sent:
        raise NotifyError(f"none of the {len(urls)} notification URL(s) took the message (see the log above)")
    if sent < len(urls):
        log.warning("%d of %d notification URLs failed", len(urls) - sent, len(urls))
    return sent


async def _send_one(url: str, notice: Notice) -> bool:
    # On a thread, all of it: Apprise loads its plugins on first use and its plugins do blocking I/O (its
    # async_notify too: measured, it held the event loop for the whole of a failing send), while the webapp's loop
    # serves daemons and browsers.
    return await asyncio.to_thread(_send_blocking, url, notice)


def _send_blocking(url: str, notice: Notice) -> bool:
    target = apprise.Apprise()
    if not target.add(url):
        log.warning("a notification URL is not one Apprise understands (scheme %s)", url.partition("://")[0])
        return False
    return bool(target.notify(body=notice.body, title=notice.title, notify_type=_TYPES[notice.kind]))

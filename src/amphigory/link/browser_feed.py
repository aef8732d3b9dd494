"""The read-only live feed on `/ws/browser`: one queue per browser, so a slow browser never holds anyone up.

A browser gets a first message (the snapshot), then everything published; anything it sends is answered
`read_only`. A browser whose queue is full is closed (1013): it can reconnect and get a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket

from amphigory.link.budget import FrameBudget
from amphigory.link.frames import CLOSE_SLOW_CONSUMER, close_quietly, next_frame
from amphigory_protocol.messages import error_response


@dataclass(eq=False)
class BrowserLink:
    """One browser on the feed and the messages waiting for it."""

    websocket: WebSocket
    queue: asyncio.Queue[str]


class BrowserFeed:
    """Every browser on the feed; `publish` and `send_all` queue a message for each without waiting."""

    def __init__(self) -> None:
        self._browsers: set[BrowserLink] = set()
        self._background: set[asyncio.Task[Any]] = set()

    def publish(self, message: dict[str, Any]) -> None:
        """Queue `message` for every browser (encoded only when there is one)."""
        if self._browsers:
            self.send_all(json.dumps(message, default=str))

    def send_all(self, text: str) -> None:
        """Queue an encoded message for every browser; a browser too far behind is dropped and closed."""
        for browser in list(self._browsers):
            try:
                browser.queue.put_nowait(text)
            except asyncio.QueueFull:  # it can reconnect and get a fresh snapshot
                self._browsers.discard(browser)
                task: asyncio.Task[Any] = asyncio.ensure_future(
                    close_quietly(browser.websocket, CLOSE_SLOW_CONSUMER, "too slow"))
                self._background.add(task)
                task.add_done_callback(self._background.discard)

    async def serve(self, websocket: WebSocket, first: dict[str, Any], queue_size: int) -> None:
        """Run one accepted browser: `first`, then what is published, until it goes away."""
        browser = BrowserLink(websocket, asyncio.Queue(maxsize=queue_size))
        browser.queue.put_nowait(json.dumps(first, default=str))
        self._browsers.add(browser)
        writer = asyncio.create_task(self._write(browser))
        try:
            budget = FrameBudget()
            while await next_frame(websocket, budget) is not None:
                reply = error_response(None, "read_only", "the browser feed is read-only")
                try:
                    browser.queue.put_nowait(json.dumps(reply))
                except asyncio.QueueFull:
                    pass
        finally:
            self._browsers.discard(browser)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    async def close_all(self, code: int, reason: str) -> None:
        for browser in list(self._browsers):
            await close_quietly(browser.websocket, code, reason)

    async def _write(self, browser: BrowserLink) -> None:
        while True:
            text = await browser.queue.get()
            try:
                await browser.websocket.send_text(text)
            except Exception:
                self._browsers.discard(browser)
                return

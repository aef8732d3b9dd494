"""The one HTTP layer every metadata client uses: timeouts, retries with backoff, a per-host pace, a User-Agent.

A service that is down, slow, rate-limiting or answering garbage becomes a typed `ServiceError` (never an httpx
exception), so the identifier can answer "try again later" instead of failing a scan. Secrets (the TMDB token)
travel only in headers, which are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

import httpx

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# MusicBrainz asks for at most one request a second from one client (its rate-limiting rules).
MUSICBRAINZ_INTERVAL = 1.0


class ServiceError(Exception):
    """A service could not give an answer now (down, slow, refusing, garbage): worth asking again later."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.message = message


def user_agent() -> str:
    try:
        ours = version("amphigory")
    except PackageNotFoundError:  # a source checkout that was never installed
        ours = "0"
    return f"Amphigory/{ours} ( https://github.com/amphigory )"


@dataclass(frozen=True)
class HttpPolicy:
    """How patient the layer is. Tests shorten these; the defaults suit the real services."""

    timeout: float = 10.0  # seconds for one request (connect, read, write, pool alike)
    attempts: int = 3  # tries of one request when the answer is 429/5xx or the connection fails
    backoff: float = 0.5  # first wait between tries, doubled each time
    max_wait: float = 5.0  # the longest Retry-After honoured; longer means "later", not "now"


def _retry_after(response: httpx.Response, fallback: float) -> float:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return fallback
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return fallback


class Http:
    """One `httpx.AsyncClient` shared by the clients, with the retry, pacing and error rules above."""

    def __init__(self, client: httpx.AsyncClient | None = None, policy: HttpPolicy = HttpPolicy(),
                 intervals: Mapping[str, float] | None = None) -> None:
        self.policy = policy
        self._own = client is None
        self._client = client or httpx.AsyncClient(timeout=policy.timeout, follow_redirects=True)
        self._intervals = dict(intervals or {})  # host[:port] -> least seconds between two requests to it
        self._last: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._agent = user_agent()

    def pace(self, base_url: str, seconds: float) -> None:
        """Ask a host no more often than once every `seconds` (MusicBrainz: 1 s)."""
        self._intervals[urlsplit(base_url).netloc] = seconds

    async def aclose(self) -> None:
        if self._own:
            await self._client.aclose()

    @contextlib.asynccontextmanager
    async def _turn(self, host: str) -> AsyncIterator[None]:
        """One request to `host`. A paced host gets one at a time, each starting `interval` after the previous one
        *ended*: the service, which counts arrivals, then never sees two closer than that, however long the first
        took to reach it (a new connection, a busy machine)."""
        interval = self._intervals.get(host)
        if not interval:
            yield
            return
        async with self._locks.setdefault(host, asyncio.Lock()):
            wait = self._last.get(host, 0.0) + interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last[host] = time.monotonic()

    async def request_json(self, service: str, method: str, url: str, *, params: Mapping[str, str] | None = None,
                           body: Any = None, headers: Mapping[str, str] | None = None) -> Any | None:
        """The JSON answer, None for 404 (the service does not know it), `ServiceError` for everything else."""
        host = urlsplit(url).netloc
        sent = {"User-Agent": self._agent, "Accept": "application/json", **(headers or {})}
        delay = self.policy.backoff
        for attempt in range(1, self.policy.attempts + 1):
            try:
                async with self._turn(host):
                    # Redirects followed whoever made the client: the Cover Art Archive answers from archive.org.
                    response = await self._client.request(method, url, params=params, json=body, headers=sent,
                                                          timeout=self.policy.timeout, follow_redirects=True)
            except httpx.TimeoutException as e:
                # A slow service stays slow: one timeout is the answer, not a reason to wait three times as long.
                raise ServiceError(service, f"no answer within {self.policy.timeout:g} s") from e
            except httpx.HTTPError as e:
                if attempt == self.policy.attempts:
                    raise ServiceError(service, f"cannot connect ({type(e).__name__})") from e
                await asyncio.sleep(delay)
                delay *= 2
                continue
            if response.status_code in RETRY_STATUSES:
                wait = _retry_after(response, delay)
                if attempt == self.policy.attempts or wait > self.policy.max_wait:
                    raise ServiceError(service, f"HTTP {response.status_code} (busy or down)")
                await asyncio.sleep(wait)
                delay *= 2
                continue
            if response.status_code == 404:
                return None
            if response.status_code in (401, 403):
                raise ServiceError(service, f"HTTP {response.status_code} (refused: is the token right?)")
            if response.status_code >= 400:
                raise ServiceError(service, f"HTTP {response.status_code}")
            try:
                return json.loads(response.content)
            except ValueError as e:
                raise ServiceError(service, "answer is not JSON") from e
        raise AssertionError("unreachable")  # the loop always returns or raises

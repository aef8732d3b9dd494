"""Where successful look-ups are kept, so a disc is looked up once: in memory, or in the webapp's database.

Only answers are cached (a service that failed is asked again next time). Keys name the service and what was
asked ("tmdb:/movie/603"); values are the service's parsed JSON. `max_age` lets a caller refuse stale entries.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from amphigory.database import Database

# A week: public metadata changes slowly, and a person can always pick or search on the review page.
DEFAULT_MAX_AGE = 7 * 24 * 3600.0


class LookupCache(Protocol):
    async def get(self, key: str, max_age: float = DEFAULT_MAX_AGE) -> Any | None: ...

    async def put(self, key: str, value: Any) -> None: ...


class MemoryCache:
    """A dict with ages (the CLI and tests). Bounded: the oldest entries go first."""

    def __init__(self, limit: int = 2048, clock: Callable[[], float] = time.time) -> None:
        self._items: dict[str, tuple[float, str]] = {}
        self._limit = limit
        self._clock = clock

    async def get(self, key: str, max_age: float = DEFAULT_MAX_AGE) -> Any | None:
        item = self._items.get(key)
        if item is None or self._clock() - item[0] > max_age:
            return None
        return json.loads(item[1])

    async def put(self, key: str, value: Any) -> None:
        self._items.pop(key, None)
        self._items[key] = (self._clock(), json.dumps(value))  # a copy: callers may change theirs
        while len(self._items) > self._limit:
            self._items.pop(next(iter(self._items)))


class SqliteCache:
    """The cache in the webapp's database (`metadata_cache`, migration `_V_METADATA_CACHE`): survives a restart."""

    def __init__(self, database: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = database
        self._clock = clock

    async def get(self, key: str, max_age: float = DEFAULT_MAX_AGE) -> Any | None:
        async with self._db.connection() as conn:
            cur = await conn.execute("SELECT value, stored_at FROM metadata_cache WHERE key = ?", (key,))
            row = await cur.fetchone()
        if row is None or self._clock() - float(row[1]) > max_age:
            return None
        return json.loads(row[0])

    async def put(self, key: str, value: Any) -> None:
        async with self._db.connection() as conn:
            await conn.execute(
                "INSERT INTO metadata_cache (key, value, stored_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, stored_at = excluded.stored_at",
                (key, json.dumps(value), self._clock()))


async def cached(cache: LookupCache | None, key: str, fetch: Callable[[], Awaitable[Any]]) -> Any:
    """The cached answer for `key`, else `fetch()`'s, kept when it is one (failures raise and are not kept)."""
    if cache is not None:
        hit = await cache.get(key)
        if hit is not None:
            return hit
    value = await fetch()
    if cache is not None and value is not None:
        await cache.put(key, value)
    return value

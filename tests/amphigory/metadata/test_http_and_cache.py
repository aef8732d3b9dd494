"""The shared HTTP layer (retries on 429/503 honouring Retry-After, typed errors) and the lookup caches."""

from __future__ import annotations

from pathlib import Path

import pytest

from amphigory.database import Database
from amphigory.metadata.cache import MemoryCache, SqliteCache, cached
from amphigory.metadata.http import Http, HttpPolicy, ServiceError
from standins.server import Answer, StandIn, json_answer


class Flaky(StandIn):
    """Refuses the first `failures` requests with `status` and `retry_after`, then answers."""

    def __init__(self, failures: int, status: int = 503, retry_after: str = "0") -> None:
        super().__init__()
        self.failures, self.status, self.retry_after = failures, status, retry_after

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer:
        if len(self.seen) <= self.failures:
            return self.status, {"Retry-After": self.retry_after}, b"busy"
        return json_answer({"ok": True})


@pytest.mark.parametrize("status", [429, 503])
async def test_a_busy_service_is_asked_again(status: int) -> None:
    server = Flaky(failures=1, status=status).start()
    http = Http(policy=HttpPolicy(timeout=15, attempts=3, backoff=0.01))
    try:
        assert await http.request_json("test", "GET", f"{server.url}/x") == {"ok": True}
        assert len(server.seen) == 2
        assert server.seen[0].headers["user-agent"].startswith("Amphigory/")
    finally:
        await http.aclose()
        server.stop()


async def test_a_long_retry_after_is_a_later_not_a_wait() -> None:
    server = Flaky(failures=5, status=429, retry_after="3600").start()
    http = Http(policy=HttpPolicy(timeout=15, attempts=3, backoff=0.01, max_wait=5))
    try:
        with pytest.raises(ServiceError, match="HTTP 429"):
            await http.request_json("test", "GET", f"{server.url}/x")
        assert len(server.seen) == 1
    finally:
        await http.aclose()
        server.stop()


async def test_not_found_is_none_and_other_errors_are_typed() -> None:
    server = StandIn().start()  # answers 404 to everything
    http = Http(policy=HttpPolicy(timeout=15, attempts=1))
    try:
        assert await http.request_json("test", "GET", f"{server.url}/nothing") is None
        server.trouble = "garbage"
        with pytest.raises(ServiceError, match="not JSON"):
            await http.request_json("test", "GET", f"{server.url}/x")
    finally:
        await http.aclose()
        server.stop()


async def test_memory_cache_ages_and_bounds() -> None:
    now = [1000.0]
    cache = MemoryCache(limit=2, clock=lambda: now[0])
    await cache.put("a", {"v": 1})
    await cache.put("b", [2])
    await cache.put("c", 3)
    assert await cache.get("a") is None and await cache.get("b") == [2]
    now[0] += 100
    assert await cache.get("c", max_age=50) is None and await cache.get("c") == 3


async def test_sqlite_cache_keeps_answers_across_instances_and_not_failures(tmp_path: Path) -> None:
    db = Database(tmp_path / "amphigory.db")
    await db.initialize()
    try:
        now = [50.0]
        cache = SqliteCache(db, clock=lambda: now[0])
        calls: list[int] = []

        async def fetch() -> dict[str, int]:
            calls.append(1)
            return {"id": 603}

        assert await cached(cache, "tmdb:/movie/603", fetch) == {"id": 603}
        assert await cached(SqliteCache(db, clock=lambda: now[0]), "tmdb:/movie/603", fetch) == {"id": 603}
        assert len(calls) == 1

        async def failing() -> None:
            raise ServiceError("tmdb", "HTTP 503")

        with pytest.raises(ServiceError):
            await cached(cache, "tmdb:/movie/1", failing)
        assert await cache.get("tmdb:/movie/1") is None
        await cache.put("tmdb:/movie/603", {"id": 603, "runtime": 136})  # a newer answer replaces the old
        now[0] += 10
        assert await cache.get("tmdb:/movie/603") == {"id": 603, "runtime": 136}
        assert await cache.get("tmdb:/movie/603", max_age=5) is None
    finally:
        await db.close()

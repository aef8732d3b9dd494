"""Database: fingerprint lookup with 100,000 discs stored (target under 1 ms), plus the other reads the API makes.

Fills a fresh SQLite file (in a temporary folder) with 100,000 discs of 3 tracks each, then times, over random
fingerprints: the bare lookup (`SELECT id ... WHERE fingerprint = ?`), `DiscRepository.get` (disc and tracks, as
`known_disc` needs), `get_many` of 40 fingerprints (one `GET /api/drives` with 40 drives), a miss, and a search. Random
fingerprints out of 100,000 mostly miss the repository's cache (2,048 entries), so these time SQLite.
Prints, never asserts. About 15 s.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from amphigory.api.disc_repository import DiscRepository
from amphigory.api.disc_sql import select_disc_id
from amphigory.database import Database, now

DISCS = 100_000
TRACKS = 3
RUNS = 2000


async def fill(db: Database) -> list[str]:
    fingerprints = [f"dvd-{i:064x}" for i in range(DISCS)]
    stamp = now()
    async with db.connection() as conn:
        await conn.executemany(
            "INSERT INTO discs (id, fingerprint, title, disc_type, volume_name, scanned_at, updated_at) "
            "VALUES (?, ?, ?, 'dvd', ?, ?, ?)",
            [(i + 1, fp, f"Disc {i}", f"DISC_{i}", stamp, stamp) for i, fp in enumerate(fingerprints)],
        )
        audio = json.dumps([{"language": "eng", "codec": "ac3"}])
        await conn.executemany(
            "INSERT INTO tracks (disc_id, track_number, duration_seconds, audio, classification) "
            "VALUES (?, ?, ?, ?, 'other')",
            [(i + 1, n, 600.0 * n, audio) for i in range(DISCS) for n in range(1, TRACKS + 1)],
        )
    return fingerprints


async def timed(label: str, runs: int, call: Callable[[], Awaitable[object]]) -> None:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p50 = statistics.median(samples)
    p99 = samples[int(len(samples) * 0.99) - 1]
    print(f"  {label:<44} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms   ({runs} runs)")


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="amphigory-bench-") as folder:
        db = Database(Path(folder) / "amphigory.db")
        await db.initialize()
        start = time.perf_counter()
        fingerprints = await fill(db)
        print(f"filled {DISCS:,} discs x {TRACKS} tracks in {time.perf_counter() - start:.1f} s")
        repo = DiscRepository(db)
        rng = random.Random(1)

        async def bare() -> None:
            async with db.connection() as conn:
                assert await select_disc_id(conn, rng.choice(fingerprints)) is not None

        async def with_tracks() -> None:
            assert await repo.get(rng.choice(fingerprints)) is not None

        async def miss() -> None:
            assert await repo.get("dvd-not-there") is None

        async def many() -> None:
            assert len(await repo.get_many(rng.sample(fingerprints, 40))) == 40

        async def search() -> None:
            await repo.list_discs(f"DISC_{rng.randrange(DISCS)}", limit=20)

        print(f"fingerprint lookup with {DISCS:,} discs stored (target: under 1 ms)")
        await timed("bare lookup (SELECT id WHERE fingerprint = ?)", RUNS, bare)
        await timed("DiscRepository.get (disc + tracks)", RUNS, with_tracks)
        await timed("DiscRepository.get, unknown (cached after 1st)", RUNS, miss)
        await timed("DiscRepository.get_many of 40", RUNS // 10, many)
        await timed("list_discs search (LIKE, full scan)", 20, search)
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())

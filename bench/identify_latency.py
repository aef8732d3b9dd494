"""What identification adds between a disc going in and a named disc on /api/discs, with services that answer in
100 ms.

Runs the real `amphigory serve` and `amphigory daemon` (as the browser tests do) against the loopback stand-ins of
TheDiscDB and TMDB (tests/standins), each answering every request after 100 ms; TheDiscDB knows the sample DVD by
its content hash. Each round starts a fresh webapp (a known disc is never scanned or looked up again), renames the
sample DVD image into the drive folder and polls /api/discs/{fingerprint} every 5 ms for the moment the scan is
stored and the moment the disc is named. Prints the medians and what identification added (target: under 1 s).
Prints, never asserts.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "ui"))
sys.path.insert(0, str(ROOT / "tests"))

from ui_stack import SAMPLES, Stack  # noqa: E402

from amphigory_daemon.scan.native import scan_path  # noqa: E402
from standins.fixtures import settings_for  # noqa: E402
from standins.musicbrainz import CoverArtStandIn, MusicBrainzStandIn  # noqa: E402
from standins.samples import DVD_ITEMS, SAMPLE_FILM, discdb_record  # noqa: E402
from standins.thediscdb import TheDiscDbStandIn  # noqa: E402
from standins.tmdb import TOKEN, TmdbStandIn  # noqa: E402

ROUNDS = 5
LATENCY = 0.1
TARGET_MS = 1000.0


def disc(stack: Stack, fingerprint: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{stack.url}/api/discs/{fingerprint}", timeout=5) as response:
            found: dict[str, Any] = json.loads(response.read())
            return found
    except urllib.error.HTTPError:
        return None


def one_round(root: Path, args: tuple[str, ...], image: Path, fingerprint: str) -> tuple[float, float]:
    """(insert -> scan stored, insert -> named), in ms."""
    stack = Stack(root, webapp_args=args)
    try:
        stack.start()
        deadline = time.monotonic() + 30
        while stack.processes["daemon"].poll() is None and time.monotonic() < deadline:
            with urllib.request.urlopen(f"{stack.url}/api/drives", timeout=5) as response:
                if json.loads(response.read())["drives"]:
                    break
            time.sleep(0.02)
        started = time.monotonic()
        stack.insert(image)
        stored = named = None
        while named is None and time.monotonic() - started < 30:
            found = disc(stack, fingerprint)
            now = time.monotonic()
            if found is not None and stored is None:
                stored = now
            if found is not None and found["named_by"] == "identification":
                named = now
            time.sleep(0.005)
        if stored is None or named is None:
            raise RuntimeError(f"the disc was not {'stored' if stored is None else 'named'}:\n{stack.log('webapp')}")
        return (stored - started) * 1000, (named - started) * 1000
    finally:
        stack.stop()


def main() -> None:
    image = SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
    scan = scan_path(image)
    servers = (TheDiscDbStandIn(), TmdbStandIn(), MusicBrainzStandIn(), CoverArtStandIn())
    for server in servers:
        server.start()
        server.latency = LATENCY
    servers[0].items = [discdb_record(scan, DVD_ITEMS, item_id=7)]
    servers[1].films = {SAMPLE_FILM.id: SAMPLE_FILM}
    settings = settings_for(*servers)
    args = ("--tmdb-token", TOKEN, "--tmdb-url", settings.tmdb_url, "--thediscdb-url", settings.thediscdb_url,
            "--musicbrainz-url", settings.musicbrainz_url, "--coverart-url", settings.coverart_url)
    stored_ms: list[float] = []
    named_ms: list[float] = []
    try:
        for n in range(ROUNDS):
            with tempfile.TemporaryDirectory(prefix="amphigory-bench-") as tmp:
                stored, named = one_round(Path(tmp) / str(n), args, image, scan.fingerprint)
            stored_ms.append(stored)
            named_ms.append(named)
    finally:
        for server in servers:
            server.stop()
    added = [n - s for s, n in zip(stored_ms, named_ms, strict=True)]
    print(f"identify latency ({ROUNDS} rounds, services answering in {LATENCY * 1000:.0f} ms)")
    print(f"  insert -> scan stored : median {statistics.median(stored_ms):7.0f} ms")
    print(f"  insert -> named disc  : median {statistics.median(named_ms):7.0f} ms")
    print(f"  added by identification: median {statistics.median(added):6.0f} ms, max {max(added):.0f} ms "
          f"(target < {TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()

"""Identification by label and title lengths on TheDiscDB's 22 labelled MakeMKV logs, against a TMDB stand-in
holding those films and series plus their look-alikes (tests/standins/catalogue.py); and its speed when the
services answer in 100 ms.

Prints one row per disc and: identified right, identified wrong (the target is none), uncertain with the right one
among the candidates, uncertain without it, unknown. Then the latency of one identification (median of several,
fresh cache each) by label through TMDB, and by content hash through TheDiscDB, with 100 ms services.
A benchmark: it prints figures and asserts nothing.

usage: python bench/identify_accuracy.py [THEDISCDB_DIR]
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the stand-ins live with the tests

from amphigory.identify.discdb_map import title_type  # noqa: E402
from amphigory.identify.identifier import Identifier  # noqa: E402
from amphigory.identify.result import Identification  # noqa: E402
from amphigory.metadata.cache import MemoryCache  # noqa: E402
from amphigory_daemon.scan.native import scan_path  # noqa: E402
from amphigory_protocol.disc import ScanResult  # noqa: E402
from standins.catalogue import FILMS, SERIES  # noqa: E402
from standins.fixtures import settings_for  # noqa: E402
from standins.musicbrainz import CoverArtStandIn, MusicBrainzStandIn  # noqa: E402
from standins.samples import BD_ITEMS, SAMPLE_FILM, discdb_record  # noqa: E402
from standins.thediscdb import TheDiscDbStandIn  # noqa: E402
from standins.tmdb import TmdbStandIn  # noqa: E402
from standins.truth import discdb_record_from_truth, load_truth  # noqa: E402

DEFAULT_DIR = REPO.parent / "shared" / "fixtures" / "thediscdb"
_WORK = re.compile(r"data/(movie|series)/(.+) \((\d{4})\)/")


def truth(disc_dir: Path) -> tuple[str, int]:
    source = json.loads((disc_dir / "truth.json").read_text())["source"]["path"]
    match = _WORK.match(source)
    assert match, source
    return match.group(2), int(match.group(3))


def _same(title: str | None, year: int | None, want: tuple[str, int]) -> bool:
    from amphigory.identify.labels import words

    return title is not None and words(title) == words(want[0].replace(" A Space", ": A Space")) and year == want[1]


def verdict(answer: Identification, want: tuple[str, int]) -> str:
    if answer.status == "identified":
        return "right" if _same(answer.title, answer.year, want) else "WRONG"
    if answer.status == "uncertain":
        return ("uncertain+right" if any(_same(c.title, c.year, want) for c in answer.candidates)
                else "uncertain-without")
    return "unknown"


def episodes_right(disc_dir: Path, scan: ScanResult, answer: Identification) -> tuple[int, int]:
    """Labelled episodes whose (season, episode) the answer gives the same title (matched by MakeMKV index)."""
    labelled = {t["makemkv_title_index"]: (t["season"], t["episode"])
                for t in json.loads((disc_dir / "truth.json").read_text())["titles"] if t["label"] == "episode"}
    index = {t.number: t.makemkv_title_index for t in scan.titles}
    given = {index[t.number]: (t.season, t.episode) for t in answer.titles if t.episode is not None}
    return sum(1 for i, numbering in labelled.items() if given.get(i) == numbering), len(labelled)


async def accuracy(root: Path, servers: dict[str, object]) -> None:
    settings = settings_for(*servers.values())  # type: ignore[arg-type]
    counts: dict[str, int] = {}
    episodes = [0, 0]
    for disc_dir in sorted((root / "dev").iterdir()):
        scan = scan_path(disc_dir / "makemkv-info.txt")
        identifier = Identifier(settings, MemoryCache())
        try:
            answer = await identifier.identify(scan)
        finally:
            await identifier.aclose()
        want = truth(disc_dir)
        result = verdict(answer, want)
        if result == "right" and answer.kind == "series":
            right, labelled = episodes_right(disc_dir, scan, answer)
            episodes[0] += right
            episodes[1] += labelled
        counts[result] = counts.get(result, 0) + 1
        shown = f"{answer.title} ({answer.year})" if answer.title else ", ".join(
            f"{c.title} ({c.year}) {c.score:.2f}" for c in answer.candidates[:3]) or "-"
        print(f"{disc_dir.name:<34} {scan.volume_name or '':<28} {result:<18} {shown}")
    total = sum(counts.values())
    print()
    print(f"discs {total}: identified right {counts.get('right', 0)}, identified WRONG {counts.get('WRONG', 0)}, "
          f"uncertain with the right candidate {counts.get('uncertain+right', 0)}, uncertain without it "
          f"{counts.get('uncertain-without', 0)}, unknown {counts.get('unknown', 0)}")
    print(f"episodes numbered right on series discs identified right: {episodes[0]} of {episodes[1]} labelled")


async def discdb_mapping(root: Path, servers: dict[str, object]) -> None:
    """Every disc as TheDiscDB knows it (its curators' labels): how many labelled titles land on the right
    scanned title with the right type, name and numbering (MakeMKV's order is not the disc's)."""
    settings = settings_for(*servers.values())  # type: ignore[arg-type]
    right = total = 0
    for n, disc_dir in enumerate(sorted((root / "dev").iterdir()), 1):
        truth = load_truth(disc_dir)
        content_hash = f"{n:032X}"
        servers["thediscdb"].items = [discdb_record_from_truth(truth, content_hash)]  # type: ignore[attr-defined]
        scan = scan_path(disc_dir / "makemkv-info.txt")
        scan = scan.model_copy(update={"public_ids": scan.public_ids.model_copy(
            update={"thediscdb_content_hash": content_hash})})
        identifier = Identifier(settings, MemoryCache())
        try:
            answer = await identifier.identify(scan)
        finally:
            await identifier.aclose()
        by_index = {t.makemkv_title_index: answer.title_info(t.number) for t in scan.titles}
        for t in truth["titles"]:
            if t["summary_type"] is None:
                continue
            total += 1
            info = by_index.get(t["makemkv_title_index"])
            numbering = None if info is None or info.episode is None else (
                f"{info.episode}-{info.episode_end}" if info.episode_end else str(info.episode))
            right += info is not None and (info.type, info.name, info.season, numbering) == (
                title_type(t["summary_type"]), t["name"], t["season"],
                None if t["episode"] is None else str(t["episode"]))
    servers["thediscdb"].items = []  # type: ignore[attr-defined]
    print(f"known to TheDiscDB by content hash: {right} of {total} labelled titles named, typed and numbered right")


async def latency(root: Path, servers: dict[str, object], runs: int = 7) -> None:
    settings = settings_for(*servers.values())  # type: ignore[arg-type]
    for server in servers.values():
        server.latency = 0.1  # type: ignore[attr-defined]
    by_label = scan_path(root / "dev" / "bd-42-d1" / "makemkv-info.txt")
    sample = scan_path(REPO / "samples" / "bluray" / "AMPHIGORY_SAMPLE_BD")
    servers["thediscdb"].items = [discdb_record(sample, BD_ITEMS, item_id=1)]  # type: ignore[attr-defined]
    for name, scan in (("by label (TMDB)", by_label), ("by content hash (TheDiscDB)", sample)):
        times = []
        for _ in range(runs):
            identifier = Identifier(settings, MemoryCache())
            started = time.perf_counter()
            answer = await identifier.identify(scan)
            times.append(time.perf_counter() - started)
            await identifier.aclose()
        print(f"latency {name}: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
              f"over {runs} runs with 100 ms services ({answer.status}: {answer.title})")


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else DEFAULT_DIR
    tmdb = TmdbStandIn([*FILMS, SAMPLE_FILM], SERIES)
    servers: dict[str, object] = {"thediscdb": TheDiscDbStandIn(), "tmdb": tmdb, "musicbrainz": MusicBrainzStandIn(),
                                  "coverart": CoverArtStandIn()}
    for server in servers.values():
        server.start()  # type: ignore[attr-defined]
    try:
        asyncio.run(accuracy(root, servers))
        asyncio.run(discdb_mapping(root, servers))
        asyncio.run(latency(root, servers))
    finally:
        for server in servers.values():
            server.stop()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

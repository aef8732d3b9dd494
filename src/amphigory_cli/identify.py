"""``amphigory identify PATH [--json]``: scan one disc (or a saved MakeMKV log) and say what it is.

The services are those of `amphigory serve` (`--tmdb-token`, `--thediscdb-url`, ..., `--offline`). Offline, nothing
is imported that talks to the network, so it stays as quick as `scan`.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from amphigory.identify.knowledge import classified, scan_json
from amphigory.identify.result import Identification
from amphigory.option_values import MetadataSettings
from amphigory_cli.scan import render_table
from amphigory_daemon.scan.native import ScanError, scan_path
from amphigory_protocol.disc import ScanResult


async def _identify(scan: ScanResult, settings: MetadataSettings) -> Identification:
    from amphigory.identify.identifier import Identifier  # only a look-up pays for httpx
    from amphigory.metadata.cache import MemoryCache

    identifier = Identifier(settings, MemoryCache())
    try:
        return await identifier.identify(scan)
    finally:
        await identifier.aclose()


def render_answer(scan: ScanResult, answer: Identification) -> str:
    lines = [render_table(scan.model_copy(update={"titles": classified(scan, answer)})), ""]
    what = " - ".join(x for x in (answer.artist, answer.title) if x)
    lines.append(f"{answer.status}: {what} ({answer.year})" if what else answer.status)
    lines.append(f"source {answer.source}, confidence {answer.confidence:.2f}" + (" (retry later)"
                                                                                   if answer.retry else ""))
    lines += [f"  because {r}" for r in answer.reasons]
    for t in answer.titles:
        numbering = f"s{t.season:02d}e{t.episode:02d}" if t.season is not None and t.episode is not None else ""
        if t.episode_end is not None:
            numbering += f"-e{t.episode_end:02d}"
        lines.append(f"  title {t.number:>3}  {t.type or '':<14} {numbering:<10} {t.name or ''}".rstrip())
    for c in answer.candidates if answer.status != "identified" else ():
        ident = c.tmdb_id or c.musicbrainz_release_id
        lines.append(f"  candidate {c.score:.2f}  {c.kind:<6} {c.title} ({c.year})  [{ident}]")
    return "\n".join(lines)


def run_identify(path: str, as_json: bool, settings: MetadataSettings, out: TextIO | None = None,
                 err: TextIO | None = None) -> int:
    stdout, stderr = out or sys.stdout, err or sys.stderr
    try:
        scan = scan_path(path)
    except ScanError as e:
        print(f"amphigory identify: {e}", file=stderr)
        return 1
    if settings.offline:
        answer = Identification(retry=True, reasons=("offline: nothing was looked up",))
    else:
        import asyncio

        answer = asyncio.run(_identify(scan, settings))
    stdout.write(json.dumps(scan_json(scan, answer), indent=2) if as_json else render_answer(scan, answer))
    stdout.write("\n")
    return 0

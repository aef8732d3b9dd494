"""``amphigory scan PATH [--json]``: scan one disc (folder, image, .cue, device or MakeMKV log) and print it."""

from __future__ import annotations

import sys
from typing import TextIO

from amphigory_daemon.scan.native import ScanError, scan_path
from amphigory_protocol.disc import ScanResult, Title


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _size(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _langs(codes: list[str]) -> str:
    return ",".join(c or "?" for c in codes) or "-"


def _row(t: Title) -> str:
    kind: str = t.classification.type
    if t.classification.duplicate_of is not None:
        kind += f" of {t.classification.duplicate_of}"
    audio = _langs([a.language for a in t.audio])
    subs = _langs([s.language for s in t.subtitles])
    return (f"{t.number:>4}  {_clock(t.duration_seconds):>8}  {t.chapters:>4}  {_size(t.size_bytes):>9}  "
            f"{audio:<14}  {subs:<14}  {kind}")


def render_table(result: ScanResult) -> str:
    """The scan as a person reads it: the disc, then one line per title."""
    lines = [
        f"{result.disc_type} {result.volume_name or '(no volume name)'}  [{result.backend}]",
        f"fingerprint {result.fingerprint}",
    ]
    lines += [f"{k} {v}" for k, v in result.public_ids.model_dump(exclude_none=True).items()]
    if result.title or result.artist:
        lines.append(" - ".join(x for x in (result.artist, result.title) if x))
    lines.append(f"{'#':>4}  {'length':>8}  {'chap':>4}  {'size':>9}  {'audio':<14}  {'subtitles':<14}  type")
    lines += [_row(t) for t in result.titles]
    return "\n".join(lines)


def run_scan(path: str, as_json: bool, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Print one disc's scan (JSON with `as_json`); exit status 1 with the reason on stderr when it is no disc."""
    stdout, stderr = out or sys.stdout, err or sys.stderr
    try:
        result = scan_path(path)
    except ScanError as e:
        print(f"amphigory scan: {e}", file=stderr)
        return 1
    stdout.write(result.model_dump_json(indent=2) if as_json else render_table(result))
    stdout.write("\n")
    return 0

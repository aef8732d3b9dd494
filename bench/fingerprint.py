"""Median time to fingerprint (and fully identify) each sample disc; DESIGN.md's target is under 50 ms.

    .venv/bin/python bench/fingerprint.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from amphigory_daemon.fingerprint import generate_fingerprint, identify

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DISCS = (
    ("DVD folder", SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD", "dvd"),
    ("DVD ISO", SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso", "dvd"),
    ("BD folder", SAMPLES / "bluray" / "AMPHIGORY_SAMPLE_BD", "bluray"),
    ("CD cue", SAMPLES / "cd" / "AMPHIGORY_SAMPLE_CD.cue", "cd"),
)


def median_ms(action: Callable[[], object], runs: int) -> float:
    """The median wall time of `runs` calls, in milliseconds (one warm-up call first)."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print(f"{'disc':<12} {'fingerprint ms':>15} {'identify ms':>12}   (median of {args.runs})")
    for label, path, kind in DISCS:
        if not path.exists():
            print(f"{label:<12} missing: {path}")
            continue
        fp = median_ms(lambda p=path, k=kind: generate_fingerprint(str(p), k), args.runs)
        ident = median_ms(lambda p=path: identify(p), args.runs)
        print(f"{label:<12} {fp:>15.2f} {ident:>12.2f}")


if __name__ == "__main__":
    main()

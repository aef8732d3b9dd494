"""Fixtures of the rip tests: the sample discs scanned for real, jobs for their titles, and a throttled ffmpeg
(the real one, reading at the title's own pace) for tests that need a rip still running."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from rip_helpers import FFMPEG, JobFactory

from amphigory_daemon.rip import RipJob
from amphigory_daemon.scan.native import scan_path
from amphigory_protocol.disc import ScanResult


@pytest.fixture(scope="session")
def dvd_iso(samples: Path) -> Path:
    return samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"


@pytest.fixture(scope="session")
def scans(samples: Path) -> dict[str, ScanResult]:
    return {
        "dvd": scan_path(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"),
        "bluray": scan_path(samples / "bluray" / "AMPHIGORY_SAMPLE_BD"),
        "cd": scan_path(samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue"),
    }


@pytest.fixture
def make_job(scans: dict[str, ScanResult], tmp_path: Path) -> JobFactory:
    """``make_job("dvd", 2, source=..., **overrides)``: a job for a sample title, output under tmp_path/out."""

    def make(kind: str, number: int, source: Path, **overrides: object) -> RipJob:
        scan = scans[kind]
        title = next(t for t in scan.titles if t.number == number)
        values: dict[str, object] = {
            "source": source, "disc_type": scan.disc_type, "title": title, "fingerprint": scan.fingerprint,
            "output_root": tmp_path / "out", "disc_title": f"Sample {kind}", "output_name": f"Title {number}",
        }
        values.update(overrides)
        return RipJob(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def slow_ffmpeg(tmp_path: Path) -> tuple[str, Path]:
    """A wrapper that execs the real ffmpeg reading its input at real-time pace, after writing its pid."""
    pidfile = tmp_path / "ffmpeg.pid"
    script = tmp_path / "slow-ffmpeg"
    script.write_text(
        "#!/bin/bash\n"
        f'echo $$ > "{pidfile}"\n'
        "args=(); seen=0\n"
        'for a in "$@"; do\n'
        '  if [ "$a" = "-i" ] && [ $seen = 0 ]; then args+=(-readrate 1); seen=1; fi\n'
        '  args+=("$a")\n'
        "done\n"
        f'exec "{FFMPEG}" "${{args[@]}}"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script), pidfile


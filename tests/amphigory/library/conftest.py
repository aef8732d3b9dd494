"""Real rips for the filing tests, made once per session by the daemon's own ripper from the sample discs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from amphigory_daemon.rip import RipJob, RipOutcome, rip_title
from amphigory_daemon.scan.native import scan_path
from amphigory_protocol.disc import ScanResult


def _rip(scan: ScanResult, source: Path, number: int, out: Path) -> RipOutcome:
    title = next(t for t in scan.titles if t.number == number)
    job = RipJob(source=source, disc_type=scan.disc_type, title=title, fingerprint=scan.fingerprint,
                 output_root=out, disc_title="ripped", output_name=f"title {number:02d}")
    return asyncio.run(rip_title(job))


@pytest.fixture(scope="session")
def dvd_rip(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[ScanResult, RipOutcome]:
    """The sample DVD's scan and its title 3 (10 s, 480 lines) ripped to MKV."""
    iso = samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
    scan = scan_path(iso)
    return scan, _rip(scan, iso, 3, tmp_path_factory.mktemp("dvd-rip"))


@pytest.fixture(scope="session")
def cd_rip(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[ScanResult, RipOutcome]:
    """The sample CD's scan and its track 2 ripped to FLAC."""
    cue = samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue"
    scan = scan_path(cue)
    return scan, _rip(scan, cue, 2, tmp_path_factory.mktemp("cd-rip"))


@pytest.fixture(scope="session")
def dvd_feature_rip(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[ScanResult, RipOutcome]:
    """The sample DVD's title 1 (48 s, 4 chapters, English and French audio) ripped to MKV."""
    iso = samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
    scan = scan_path(iso)
    return scan, _rip(scan, iso, 1, tmp_path_factory.mktemp("dvd-feature-rip"))

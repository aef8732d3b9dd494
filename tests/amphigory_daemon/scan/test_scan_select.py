"""Which scanner reads a disc: MakeMKV for an encrypted Blu-ray when it is installed, natively otherwise."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from amphigory_daemon.scan.select import has_aacs, scan_disc, wants_makemkv

FAKE = """#!/bin/sh
# A stand-in makemkvcon: progress lines, then a real `makemkvcon -r info` capture.
echo 'PRGT:5018,0,"Scanning CD-ROM devices"'
echo 'PRGV:0,16384,65536'
sleep 0.6
echo 'PRGV:32768,32768,65536'
cat "{log}"
"""


@pytest.fixture
def encrypted_bd(samples: Path, tmp_path: Path) -> Path:
    disc = tmp_path / "AMPHIGORY_SAMPLE_BD"
    shutil.copytree(samples / "bluray" / "AMPHIGORY_SAMPLE_BD", disc)
    (disc / "AACS").mkdir()
    (disc / "AACS" / "Unit_Key_RO.inf").write_bytes(b"\0" * 64)
    return disc


@pytest.fixture
def makemkvcon(tmp_path: Path, shared_fixtures: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "makemkvcon"
    script.write_text(FAKE.format(log=shared_fixtures / "makemkv" / "amphigory_makemkv_output_bluray.txt"))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return script


def test_only_an_encrypted_disc_or_a_drive_wants_makemkv(encrypted_bd: Path, samples: Path) -> None:
    assert has_aacs(encrypted_bd)
    assert not has_aacs(samples / "bluray" / "AMPHIGORY_SAMPLE_BD")
    assert wants_makemkv(encrypted_bd, makemkv_installed=True)
    assert not wants_makemkv(encrypted_bd, makemkv_installed=False)
    assert not wants_makemkv(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso", makemkv_installed=True)


async def test_encrypted_bluray_is_scanned_by_makemkv_with_progress(encrypted_bd: Path, makemkvcon: Path) -> None:
    seen: list[float] = []
    result = await scan_disc(str(encrypted_bd), lambda fraction, stage: seen.append(fraction))
    assert result.backend == "makemkv"
    assert len(result.titles) == 16 and all(t.makemkv_title_index is not None for t in result.titles)
    assert result.fingerprint.startswith("bd-")  # identified natively alongside, as the native scan would
    assert seen and max(seen) == pytest.approx(0.5)


async def test_without_makemkv_everything_is_native(encrypted_bd: Path, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    result = await scan_disc(str(encrypted_bd))
    assert result.backend == "native"
    assert [t.number for t in result.titles] == [1, 2, 3, 4]

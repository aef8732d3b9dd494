"""Scans of discs unlike the samples: a DVD whose IFOs are damaged but whose backups are fine, an Enhanced CD
(data track last, with or without the gap between its sessions in the image), a path the file system refuses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from amphigory_daemon.fingerprint import identify
from amphigory_daemon.formats.cue import SESSION_GAP, parse_cue
from amphigory_daemon.media import MediaError, open_disc
from amphigory_daemon.scan.native import ScanError, scan_path


@pytest.mark.parametrize("damaged", ["VIDEO_TS.IFO", "VTS_01_0.IFO"])
def test_damaged_ifo_is_read_from_its_bup(samples: Path, tmp_path: Path, damaged: str) -> None:
    disc = tmp_path / "AMPHIGORY_SAMPLE_DVD"
    shutil.copytree(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD", disc)
    ifo = disc / "VIDEO_TS" / damaged
    ifo.write_bytes(b"\0" * 12 + ifo.read_bytes()[12:])
    good = scan_path(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD")
    scanned = scan_path(disc)
    assert [t.model_dump(exclude={"classification"}) for t in scanned.titles] == \
        [t.model_dump(exclude={"classification"}) for t in good.titles]


def test_dvd_with_ifo_and_bup_both_damaged_is_a_scan_error(samples: Path, tmp_path: Path) -> None:
    disc = tmp_path / "BROKEN"
    shutil.copytree(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD", disc)
    for name in ("VIDEO_TS.IFO", "VIDEO_TS.BUP"):
        (disc / "VIDEO_TS" / name).write_bytes(b"\0" * 4096)
    with pytest.raises(ScanError, match="DVDVIDEO-VMG"):
        scan_path(disc)


def _enhanced(tmp_path: Path, session_marker: bool) -> Path:
    sector = 2352
    audio = [b"\x01\x00" * (sector * 150 // 2), b"\x02\x00" * (sector * 225 // 2)]
    (tmp_path / "disc.bin").write_bytes(b"".join(audio) + b"\0" * sector * 300)
    marker = "REM SESSION 02\n" if session_marker else ""
    (tmp_path / "disc.cue").write_text(
        'FILE "disc.bin" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n  TRACK 02 AUDIO\n    INDEX 01 00:02:00\n'
        f"{marker}  TRACK 03 MODE1/2352\n    INDEX 01 00:05:00\n")
    return tmp_path / "disc.cue"


@pytest.mark.parametrize("session_marker", [False, True])
def test_enhanced_cd_image_without_the_session_gap(tmp_path: Path, session_marker: bool) -> None:
    cue = _enhanced(tmp_path, session_marker)
    scan = scan_path(cue)
    assert [t.number for t in scan.titles] == [1, 2]
    assert [t.duration_seconds for t in scan.titles] == [2.0, 3.0]
    # the same audio session without the data track: the same MusicBrainz disc id
    audio_only = tmp_path / "audio"
    audio_only.mkdir()
    (audio_only / "disc.bin").write_bytes((tmp_path / "disc.bin").read_bytes()[: 2352 * 375])
    (audio_only / "disc.cue").write_text(
        'FILE "disc.bin" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n  TRACK 02 AUDIO\n    INDEX 01 00:02:00\n')
    expected = identify(audio_only / "disc.cue").public_ids.musicbrainz_disc_id
    assert identify(cue).public_ids.musicbrainz_disc_id == expected


def test_rem_session_puts_the_gap_before_the_second_session() -> None:
    sheet = parse_cue('FILE "a.bin" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\nREM SESSION 02\n'
                      '  TRACK 02 MODE1/2352\n    PREGAP 00:02:00\n    INDEX 01 00:05:00\n')
    assert sheet.tracks[0].pregap == 0
    assert sheet.tracks[1].pregap == SESSION_GAP + 150


def test_path_too_long_for_the_file_system_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / ("y" * 300 + ".iso")
    with pytest.raises(ScanError, match="too long"):
        scan_path(path)
    with pytest.raises(MediaError, match="too long"):
        open_disc(path)

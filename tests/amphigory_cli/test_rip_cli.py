"""`amphigory rip`: one title ripped from a terminal, with progress on stderr and the result on stdout."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import imageio_ffmpeg

from amphigory_cli.rip import progress_line, run_rip
from amphigory_daemon.formats.cue import parse_sheet, track_byte_ranges
from amphigory_daemon.rip import RipProgress


def test_cd_track_is_ripped_bit_exact_with_progress(samples: Path, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    cue = samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue"
    assert run_rip(str(cue), 2, str(tmp_path), "Second", err=err, out=out) == 0
    flac = Path(out.getvalue().splitlines()[0])
    assert flac.parent.parent == tmp_path and flac.name == "Second.flac"
    assert "100.0 %" in err.getvalue()
    pcm = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(flac), "-f", "s16le", "-"],
                         capture_output=True, check=True).stdout
    sheet = parse_sheet(cue.read_bytes(), name=cue.name)
    data = (samples / "cd" / "AMPHIGORY_SAMPLE_CD.bin").read_bytes()
    (track,) = [t for t in track_byte_ranges(sheet, {"AMPHIGORY_SAMPLE_CD.bin": len(data)}) if t.number == 2]
    assert pcm == b"".join(data[r.start:r.end] for r in track.ranges)


def test_unknown_title_and_non_disc_are_clear_errors(samples: Path, tmp_path: Path) -> None:
    err = io.StringIO()
    assert run_rip(str(samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue"), 9, str(tmp_path), None, err=err) == 1
    assert "has no title 9 (it has 1, 2, 3)" in err.getvalue()
    err = io.StringIO()
    assert run_rip(str(tmp_path), 1, str(tmp_path), None, err=err) == 1
    assert err.getvalue().startswith("amphigory rip: ")
    assert list(tmp_path.iterdir()) == []


def test_progress_line_reads_well() -> None:
    line = progress_line(RipProgress(percent=42.0, bytes_written=12_500_000, speed_bps=25e6, eta_seconds=3.4))
    assert line.split() == ["42.0", "%", "12.5", "MB", "25.0", "MB/s", "3", "s", "left"]

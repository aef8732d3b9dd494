"""CD tracks from a drive: cd-paranoia's ``-e`` progress parsed from real captured logs (whipper's, read from
../shared, GPL), and whole rips through a stand-in ``cd-paranoia`` on PATH (there is no drive here) that writes
a track's real PCM and replays a captured log: the FLAC holds exactly that PCM, with the image rip's tags."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
from rip_helpers import FFMPEG, JobFactory, leftovers

from amphigory_daemon.formats.cue import parse_sheet
from amphigory_daemon.rip import RipError, RipProgress, cd, rip_title
from amphigory_daemon.rip.errors import CODES
from amphigory_daemon.rip.paranoia import ParanoiaProgress, paranoia_argv, parse_callback

LOGS = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "audio_cd" / "whipper"
needs_logs = pytest.mark.usefixtures("shared_fixtures")  # fails clearly when ../shared is missing


def parsed(name: str) -> ParanoiaProgress:
    progress = ParanoiaProgress()
    for line in (LOGS / name).read_text(errors="replace").splitlines():
        progress.feed(line)
    return progress


def test_callback_lines() -> None:
    event = parse_callback("##: 0 [read] @ 54101880")
    assert event is not None and (event.code, event.name, event.sector) == (0, "read", 46005)
    event = parse_callback("##: 12 [transport error] @ -2352")
    assert event is not None and (event.code, event.sector) == (12, -2)
    assert parse_callback("outputting to cdda.wav") is None
    assert parse_callback("Ripping from sector   45990 (track  4 [0:00.00])") is None


@needs_logs
def test_a_clean_rip_log_runs_from_its_first_to_its_last_sector() -> None:
    progress = parsed("cdparanoia.progress")
    assert (progress.first_sector, progress.last_sector) == (45990, 47719)
    assert progress.fraction is not None and progress.fraction > 0.99
    assert progress.problem() is None and progress.read_errors == 0


@needs_logs
def test_progress_only_moves_forward_through_a_log() -> None:
    progress = ParanoiaProgress()
    seen: list[float] = []
    for line in (LOGS / "cdparanoia.progress").read_text().splitlines():
        if progress.feed(line) and progress.fraction is not None:
            seen.append(progress.fraction)
    assert len(seen) > 100 and seen == sorted(seen) and seen[0] < 0.05


@needs_logs
def test_a_log_with_a_skip_is_an_uncorrectable_read() -> None:
    progress = parsed("cdparanoia.progress.error")
    assert progress.skips == 1 and progress.read_errors >= 23
    assert progress.problem() is not None and "skipped 1" in str(progress.problem())


@needs_logs
@pytest.mark.parametrize("name", ["cdparanoia.progress.strokes", "cdparanoia/PX-L890SA.cdparanoia-A.stderr",
                                  "cdparanoia/MATSHITA.cdparanoia-A.log"])
def test_other_captures_parse_without_inventing_problems(name: str) -> None:
    progress = parsed(name)
    assert progress.skips == 0
    assert progress.fraction is None or 0.0 <= progress.fraction <= 1.0


def test_argv_reads_one_track_as_little_endian_pcm_with_progress_on_stderr(tmp_path: Path) -> None:
    assert paranoia_argv("cd-paranoia", "/dev/sr1", 3, tmp_path / "t.pcm") == [
        "cd-paranoia", "-e", "-r", "-d", "/dev/sr1", "3", str(tmp_path / "t.pcm")]


def test_read_error_is_a_code() -> None:
    assert "read_error" in CODES


@pytest.fixture
def fake_drive(samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in device node, the sample CD's sheet as its TOC, and a fake cd-paranoia first on PATH that
    writes $FAKE_PCM to its output file and replays $FAKE_LOG on stderr (its arguments go to args.txt)."""
    cue = samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue"
    sheet = parse_sheet(cue.read_bytes(), name=cue.name)
    sizes = {f.name: (cue.parent / f.name).stat().st_size for f in sheet.files}
    monkeypatch.setattr(cd, "is_drive", lambda source: True)
    monkeypatch.setattr(cd, "read_drive_sheet", lambda device: (sheet, sizes))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "cd-paranoia"
    script.write_text('#!/bin/bash\nprintf "%s\\n" "$@" > "$FAKE_ARGS"\ncat "$FAKE_LOG" >&2\n'
                      'sleep "${FAKE_SLEEP:-0}"\ncp "$FAKE_PCM" "${@: -1}"\nexit "${FAKE_STATUS:-0}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_ARGS", str(tmp_path / "args.txt"))
    device = tmp_path / "sr0"
    device.touch()
    return device


def track_pcm(job_factory: JobFactory, samples: Path, number: int, into: Path) -> Path:
    """What a drive reads for a sample track: its BIN range (raw little-endian PCM)."""
    cue = samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue"
    (span,) = job_factory("cd", number, cue).title.source["ranges"]
    into.write_bytes((cue.parent / span["file"]).read_bytes()[span["start"] : span["end"]])
    return into


def decode_pcm(path: Path) -> bytes:
    return subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-f", "s16le", "-"], capture_output=True,
                          check=True).stdout


@needs_logs
async def test_drive_rip_is_the_exact_pcm_cd_paranoia_read_with_the_image_rips_tags(
    make_job: JobFactory, samples: Path, fake_drive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pcm = track_pcm(make_job, samples, 2, tmp_path / "read.pcm")
    monkeypatch.setenv("FAKE_PCM", str(pcm))
    monkeypatch.setenv("FAKE_LOG", str(LOGS / "cdparanoia.progress"))
    monkeypatch.setenv("FAKE_SLEEP", "0.6")  # long enough for a report while the drive is still reading
    reports: list[RipProgress] = []
    job = make_job("cd", 2, fake_drive, disc_title="Amphigory Sample CD", output_name="02 Tone")

    outcome = await rip_title(job, reports.append)

    assert decode_pcm(outcome.path) == pcm.read_bytes()
    assert outcome.duration_seconds == pcm.stat().st_size / 176_400
    args = (tmp_path / "args.txt").read_text().split()
    assert args[:5] == ["-e", "-r", "-d", str(fake_drive), "2"]
    image = await rip_title(make_job("cd", 2, samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue",
                                     disc_title="Amphigory Sample CD", output_name="02 Tone", on_exists="rename"))
    assert flac_tags(outcome.path) == flac_tags(image.path)
    percents = [r.percent for r in reports]
    assert percents == sorted(percents) and percents[-1] == 100.0
    assert any(85 < p < 91 for p in percents)  # the log's read, done to the end, is 90 % of the rip


@needs_logs
async def test_uncorrectable_read_errors_end_in_read_error_and_leave_nothing(
    make_job: JobFactory, samples: Path, fake_drive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PCM", str(track_pcm(make_job, samples, 1, tmp_path / "read.pcm")))
    monkeypatch.setenv("FAKE_LOG", str(LOGS / "cdparanoia.progress.error"))
    job = make_job("cd", 1, fake_drive)

    with pytest.raises(RipError) as caught:
        await rip_title(job)

    assert caught.value.code == "read_error" and "skipped 1" in caught.value.message
    assert leftovers(job.output_root) == []


async def test_a_short_read_is_a_read_error(
    make_job: JobFactory, samples: Path, fake_drive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pcm = track_pcm(make_job, samples, 1, tmp_path / "read.pcm")
    pcm.write_bytes(pcm.read_bytes()[:-2352])
    monkeypatch.setenv("FAKE_PCM", str(pcm))
    monkeypatch.setenv("FAKE_LOG", "/dev/null")
    job = make_job("cd", 1, fake_drive)

    with pytest.raises(RipError) as caught:
        await rip_title(job)

    assert caught.value.code == "read_error"
    assert leftovers(job.output_root) == []


async def test_a_failing_cd_paranoia_is_tool_failed(
    make_job: JobFactory, samples: Path, fake_drive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PCM", str(track_pcm(make_job, samples, 1, tmp_path / "read.pcm")))
    monkeypatch.setenv("FAKE_LOG", "/dev/null")
    monkeypatch.setenv("FAKE_STATUS", "3")
    job = make_job("cd", 1, fake_drive)

    with pytest.raises(RipError) as caught:
        await rip_title(job)

    assert caught.value.code == "tool_failed" and "status 3" in caught.value.message
    assert leftovers(job.output_root) == []


def flac_tags(path: Path) -> dict[str, str]:
    from test_rip_native import flac_tags as read_tags

    return read_tags(path)

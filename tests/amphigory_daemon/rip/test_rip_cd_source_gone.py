"""A CD image that goes away (or cannot be read) while its FLAC is verified ends the rip with a `RipError`, never
a bare `OSError`, and leaves nothing behind."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from rip_helpers import JobFactory, leftovers

from amphigory_daemon.rip import RipError, native, rip_title
from amphigory_daemon.rip import cd as cd_module
from amphigory_daemon.rip.plans import PcmRange


@pytest.fixture
def cd_copy(samples: Path, tmp_path: Path) -> Path:
    """A copy of the sample CD image that a test may take away."""
    folder = tmp_path / "drive"
    shutil.copytree(samples / "cd", folder)
    return folder / "AMPHIGORY_SAMPLE_CD.cue"


async def test_bin_removed_between_encode_and_verify_is_disc_ejected(
    make_job: JobFactory, cd_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = make_job("cd", 2, cd_copy)
    bins = sorted(cd_copy.parent.glob("*.bin"))
    encode = native._run_ffmpeg
    encoded: list[bool] = []

    async def encode_then_take_the_disc_out(*args: Any, **kwargs: Any) -> None:
        await encode(*args, **kwargs)
        encoded.append(True)
        for b in bins:
            b.unlink()

    monkeypatch.setattr(native, "_run_ffmpeg", encode_then_take_the_disc_out)
    with pytest.raises(RipError) as info:
        await rip_title(job)
    assert encoded, "the encode ran"
    assert info.value.code == "disc_ejected", info.value.message
    assert leftovers(job.output_root) == []


async def test_unreadable_bin_during_verify_is_tool_failed(
    make_job: JobFactory, cd_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = make_job("cd", 1, cd_copy)
    chunks = cd_module._chunks

    def failing_reads(ranges: tuple[PcmRange, ...]) -> Any:
        # The same ranges, but the source is a folder now: opening it fails while it is still there.
        folder = cd_copy.parent / "not-a-file"
        folder.mkdir()
        return chunks(tuple(PcmRange(folder, r.start, r.end) for r in ranges))

    monkeypatch.setattr(cd_module, "_chunks", failing_reads)
    with pytest.raises(RipError) as info:
        await rip_title(job)
    assert info.value.code == "tool_failed", info.value.message
    assert "not-a-file" in info.value.message
    assert leftovers(job.output_root) == []


@pytest.mark.parametrize("gone", [True, False])
def test_chunks_turn_every_read_error_into_a_rip_error(tmp_path: Path, gone: bool) -> None:
    source = tmp_path / "image.bin"
    source.write_bytes(bytes(4 * 2352))
    chunks = cd_module._chunks((PcmRange(source, 0, 2352), PcmRange(source if gone else tmp_path, 2352, 4704)))
    assert len(next(chunks)) == 2352
    if gone:
        source.unlink()
    with pytest.raises(RipError) as info:
        next(chunks)
    assert info.value.code == ("disc_ejected" if gone else "tool_failed"), info.value.message


def test_unreadable_cue_sheet_is_a_rip_error(make_job: JobFactory, cd_copy: Path) -> None:
    cd_copy.unlink()
    cd_copy.mkdir()  # there, but not readable as a file
    with pytest.raises(RipError) as info:
        cd_module.read_track(make_job("cd", 1, cd_copy))
    assert info.value.code == "tool_failed", info.value.message

"""MakeMKV robot output on real captures (../shared/fixtures/makemkv and thediscdb), progress lines, fuzzing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amphigory_daemon.formats.errors import FormatError
from amphigory_daemon.formats.makemkv import (
    MakemkvError,
    MakemkvMessage,
    ProgressTitle,
    ProgressValue,
    RipProgress,
    parse_info,
    parse_progress_line,
    split_line,
)

AMPHIGORY = "amphigory_makemkv_output_bluray.txt"
DENO = "makemkvcon-deno_demo_disc_info_bluray.txt"


def _log(root: Path, name: str) -> bytes:
    return (root / "makemkv" / name).read_bytes()


def test_amphigory_capture(shared_fixtures: Path) -> None:
    disc = parse_info(_log(shared_fixtures, AMPHIGORY))
    assert (disc.disc_type, disc.name, disc.volume_name) == ("bluray", "LOGICAL_VOLUME_ID", "LOGICAL_VOLUME_ID")
    assert disc.title_count == 16 and len(disc.titles) == 16 and disc.complete
    t0 = disc.titles[0]
    assert (t0.duration_seconds, t0.chapters, t0.size_bytes) == (5996, 24, 11397666816)
    assert (t0.source_file, t0.output_file) == ("00000.mpls", "title_t00.mkv")
    assert [s.language for s in t0.streams_of("audio")] == ["eng"]
    assert [s.language for s in t0.streams_of("subtitles")] == ["eng"] * 4 + ["fra"] * 2 + ["spa"] * 2
    assert t0.streams_of("video")[0].video_size == "1920x1080"
    assert t0.streams_of("audio")[0].channels == 6
    assert [s.flags for s in t0.streams_of("subtitles")][:2] == [0, 6144]
    assert all(t.chapters is None for t in disc.titles[3:])  # bare .m2ts titles
    assert disc.titles[1].segments == ("5", "7", "8", "9", "10", "11")
    drive = disc.drive_for_device("/dev/rdisk4")
    assert drive is not None and drive.index == 0 and drive.has_disc and drive.disc_label == "LOGICAL_VOLUME_ID"
    assert len(disc.drives) == 16 and not disc.drives[1].has_disc
    assert len(disc.messages) == 33
    assert any('"BD-RE HL-DT-ST' in m.text for m in disc.messages)  # escaped quotes resolved


def test_deno_capture(shared_fixtures: Path) -> None:
    disc = parse_info(_log(shared_fixtures, DENO))
    assert (disc.name, disc.volume_name, len(disc.titles)) == ("Demo Movie", "DEMO_MOVIE", 108)
    main = disc.titles[4]
    assert (main.duration_seconds, main.chapters, main.size_bytes) == (6448, 20, 25003229184)
    assert [s.language for s in main.streams_of("audio")] == ["eng", "eng", "eng", "fra", "spa"]
    assert max(disc.titles, key=lambda t: t.size_bytes or 0).index == 4
    assert {t.angle for t in disc.titles if t.source_file == "00150.mpls"} == {1, 2, 3}  # 3-angle playlist
    assert sum(m.code == 3308 for m in disc.messages) == 3



def test_thediscdb_title_counts(shared_fixtures: Path) -> None:
    logs = sorted((shared_fixtures / "thediscdb" / "dev").glob("*/makemkv-info.txt"))
    assert len(logs) == 22
    for log in logs:
        truth = json.loads((log.parent / "truth.json").read_text())
        disc = parse_info(log.read_bytes())
        assert len(disc.titles) == truth["tcount"] == disc.title_count, log.parent.name
        assert disc.disc_type == {"uhd": "bluray"}.get(truth["disc_type_from_log"], truth["disc_type_from_log"])
        for t in truth["titles"]:
            title = disc.titles[t["makemkv_title_index"]]
            assert title.duration_seconds == t["duration_seconds"], (log.parent.name, title.index)
            assert title.size_bytes == t["bytes"]
            assert ",".join(title.segments) == (t["segment_map"] or "")


def test_main_feature_marker() -> None:
    text = 'TCOUNT:2\nTINFO:0,9,0,"0:30:00"\nTINFO:1,9,0,"1:30:00"\nTINFO:1,49,0,"FPL_MainFeature"\n'
    disc = parse_info(text)
    assert [t.main_feature for t in disc.titles] == [False, True]


@pytest.mark.parametrize(
    "text", ["", "hello\nworld\n", "TCOUNT:0\n", 'MSG:5010,0,0,"Failed to open disc","x"\n', "\x00\x01garbage" * 50]
)
def test_no_titles_is_an_error(text: str) -> None:
    with pytest.raises(MakemkvError):
        parse_info(text)


def test_split_line_escapes() -> None:
    assert split_line('MSG:1,2,3,"a \\"b\\", c","%1",""') == ("MSG", ["1", "2", "3", 'a "b", c', "%1", ""])
    with pytest.raises(MakemkvError):
        split_line("not a robot line")


def test_progress_lines() -> None:
    value = parse_progress_line("PRGV:16384,32768,65536")
    assert isinstance(value, ProgressValue) and value.fraction == 0.5 and value.current_fraction == 0.25
    title = parse_progress_line('PRGT:5018,0,"Saving to MKV file"')
    assert isinstance(title, ProgressTitle) and title.is_total and title.name == "Saving to MKV file"
    sub = parse_progress_line('PRGC:5017,0,"Saving all titles to MKV files"')
    assert isinstance(sub, ProgressTitle) and not sub.is_total
    error = parse_progress_line('MSG:2003,0,3,"Error \'Scsi error\' occurred","Error %1","Scsi error","x","0"')
    assert isinstance(error, MakemkvMessage) and error.is_error
    done = parse_progress_line('MSG:5037,0,2,"Copy complete. 0 titles saved, 1 failed.","%1 %2","0","1"')
    assert isinstance(done, MakemkvMessage) and done.is_error
    info = parse_progress_line('MSG:5011,0,0,"Operation successfully completed","x"')
    assert isinstance(info, MakemkvMessage) and not info.is_error
    assert parse_progress_line("Current operation: x") is None
    with pytest.raises(MakemkvError):
        parse_progress_line("PRGV:1,x,3")


def test_rip_progress_tracker() -> None:
    progress = RipProgress()
    for line in [
        'PRGT:5018,0,"Saving to MKV file"',
        'PRGC:5017,0,"Analyzing"',
        "PRGV:0,6553,65536",
        "PRGV:garbage",
        'MSG:2003,0,1,"Error reading","Error %1","x"',
    ]:
        progress.feed(line)
    assert progress.task == "Saving to MKV file" and progress.subtask == "Analyzing"
    assert progress.fraction == pytest.approx(0.1, abs=1e-3) and len(progress.errors) == 1


def _exercise(data: bytes) -> None:
    try:
        parse_info(data)
    except FormatError:
        pass
    for line in data.decode("utf-8", "replace").splitlines()[:50]:
        try:
            parse_progress_line(line)
        except FormatError:
            pass


_FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_FUZZ
@given(data=st.data())
def test_fuzz_mutated_real_logs(shared_fixtures: Path, data: st.DataObject) -> None:
    original = _log(shared_fixtures, AMPHIGORY)
    start = data.draw(st.integers(0, len(original)))
    mutated = bytearray(original[start : start + data.draw(st.integers(0, 6000))])
    for _ in range(data.draw(st.integers(0, 16))):
        if mutated:
            pos = data.draw(st.integers(0, len(mutated) - 1))
            mutated[pos] ^= 1 << data.draw(st.integers(0, 7))
    _exercise(bytes(mutated))


@_FUZZ
@given(blob=st.binary(max_size=3000))
def test_fuzz_random_bytes(blob: bytes) -> None:
    _exercise(blob)


@_FUZZ
@given(
    lines=st.lists(
        st.from_regex(r"(TINFO|SINFO|CINFO|MSG|DRV|TCOUNT|PRGV|PRGT|PRGC):[0-9,\"\\a-z]{0,30}", fullmatch=True),
        max_size=20,
    )
)
def test_fuzz_robot_grammar(lines: list[str]) -> None:
    _exercise("\n".join(lines).encode())

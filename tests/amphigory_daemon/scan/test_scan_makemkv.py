"""The MakeMKV scan backend, run against a fake ``makemkvcon`` that prints real captured logs.

MakeMKV itself cannot run here (proprietary, needs a drive or a licence for images), so a small script named
``makemkvcon`` on PATH stands in for it: it records its arguments and process id, then prints a real
``makemkvcon -r info`` capture from ../shared/fixtures (the two MakeMKV fixtures and TheDiscDB's 22 logs), or
exits, fails or hangs as a test asks. Everything after the process boundary is the real code.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amphigory_daemon.fingerprint import identify
from amphigory_daemon.formats.makemkv import parse_info
from amphigory_daemon.scan.makemkv import (
    MakemkvScanError,
    makemkv_available,
    makemkv_fingerprint,
    makemkv_source,
    parse_makemkv_log,
    scan_result_from_makemkv,
    scan_with_makemkv,
)
from amphigory_protocol.disc import ScanResult

FAKE = """#!{python}
import os, sys, time
state = os.environ["FAKE_MAKEMKV_STATE"]
with open(os.path.join(state, "args.json"), "w") as f:
    import json; json.dump(sys.argv[1:], f)
with open(os.path.join(state, "pid"), "w") as f:
    f.write(str(os.getpid()))
delay = float(os.environ.get("FAKE_MAKEMKV_SLEEP", "0"))
if delay:
    time.sleep(delay)
log = os.environ.get("FAKE_MAKEMKV_LOG")
if log:
    sys.stdout.buffer.write(open(log, "rb").read())
sys.stderr.write(os.environ.get("FAKE_MAKEMKV_STDERR", ""))
sys.exit(int(os.environ.get("FAKE_MAKEMKV_EXIT", "0")))
"""

THEDISCDB_IDS = sorted(
    p.name for p in (Path(__file__).resolve().parents[3].parent / "shared/fixtures/thediscdb/dev").iterdir()
)


class Fake:
    """The fake makemkvcon's controls: which log it prints, how it exits, what it was called with."""

    def __init__(self, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.state = state
        self.monkeypatch = monkeypatch

    def prints(self, log: Path | None, *, exit_code: int = 0, sleep: float = 0, stderr: str = "") -> None:
        if log is None:
            self.monkeypatch.delenv("FAKE_MAKEMKV_LOG", raising=False)
        else:
            self.monkeypatch.setenv("FAKE_MAKEMKV_LOG", str(log))
        self.monkeypatch.setenv("FAKE_MAKEMKV_EXIT", str(exit_code))
        self.monkeypatch.setenv("FAKE_MAKEMKV_SLEEP", str(sleep))
        self.monkeypatch.setenv("FAKE_MAKEMKV_STDERR", stderr)

    @property
    def args(self) -> list[str]:
        result: list[str] = json.loads((self.state / "args.json").read_text())
        return result

    def pid(self) -> int:
        for _ in range(500):
            text = (self.state / "pid").read_text() if (self.state / "pid").exists() else ""
            if text:
                return int(text)
            time.sleep(0.01)
        raise AssertionError("the fake makemkvcon never started")


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fake:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "makemkvcon"
    script.write_text(FAKE.format(python=sys.executable))
    script.chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_MAKEMKV_STATE", str(state))
    return Fake(state, monkeypatch)


def _mains(result: ScanResult) -> list[int]:
    return [t.makemkv_title_index for t in result.titles if t.classification.type == "main_feature"]  # type: ignore[misc]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child that nobody reaped yet is a zombie: dead for our purposes.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def test_available_only_when_on_path(fake: Fake, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert makemkv_available()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert not makemkv_available()


async def test_amphigory_capture(fake: Fake, shared_fixtures: Path) -> None:
    fake.prints(shared_fixtures / "makemkv" / "amphigory_makemkv_output_bluray.txt")
    result = await scan_with_makemkv("iso:/nowhere/disc.iso")
    assert fake.args == ["-r", "--cache=1", "info", "iso:/nowhere/disc.iso"]
    assert result.backend == "makemkv"
    assert result.disc_type == "bluray"
    assert result.volume_name == "LOGICAL_VOLUME_ID"
    assert len(result.titles) == 16
    assert [t.makemkv_title_index for t in result.titles] == list(range(16))
    assert [t.number for t in result.titles] == list(range(1, 17))
    assert _mains(result) == [0]
    main = result.titles[0]
    assert main.duration_seconds == 1 * 3600 + 39 * 60 + 56
    assert main.chapters == 24
    assert main.size_bytes == 11397666816
    assert main.source == {"kind": "bluray", "playlist": "00000.mpls"}
    assert main.video is not None and (main.video.width, main.video.height, main.video.codec) == (1920, 1080, "vc1")
    assert [a.language for a in main.audio] == ["eng"]
    assert [s.language for s in main.subtitles] == ["eng"] * 4 + ["fra"] * 2 + ["spa"] * 2
    assert {s.codec for s in main.subtitles} == {"pgs"}
    assert [s.index for s in main.subtitles] == list(range(8))
    extra = result.titles[3]
    assert extra.source == {"kind": "bluray", "clip": "00004.m2ts"}
    assert extra.chapters == 0
    assert extra.duration_seconds == 4 * 60 + 11
    # The disc cannot be read, so the fingerprint comes from MakeMKV's report: stable, Blu-ray prefix.
    assert result.fingerprint.startswith("bd-") and len(result.fingerprint) == 3 + 64
    assert result.scan_ms is not None and result.scan_ms > 0
    ScanResult.model_validate_json(result.model_dump_json())


async def test_deno_capture(fake: Fake, shared_fixtures: Path) -> None:
    fake.prints(shared_fixtures / "makemkv" / "makemkvcon-deno_demo_disc_info_bluray.txt")
    result = await scan_with_makemkv("disc:0")
    assert fake.args[-2:] == ["info", "disc:0"]
    assert len(result.titles) == 108
    assert result.title == "Demo Movie" and result.volume_name == "DEMO_MOVIE"
    main = result.titles[4]
    assert (main.duration_seconds, main.chapters, main.size_bytes) == (6448, 20, 25003229184)
    assert main.source["playlist"] == "00001.mpls"
    assert [a.language for a in main.audio] == ["eng", "eng", "eng", "fra", "spa"]
    assert [s.language for s in main.subtitles] == ["eng"] * 2 + ["fra"] * 2 + ["spa"] * 2 + ["fra"] * 2 + ["spa"] * 2


async def test_deno_main_title(shared_fixtures: Path) -> None:
    disc = parse_info((shared_fixtures / "makemkv" / "makemkvcon-deno_demo_disc_info_bluray.txt").read_bytes())
    assert _mains(scan_result_from_makemkv(disc)) == [4]


def test_fpl_main_feature_mark_is_trusted(shared_fixtures: Path) -> None:
    text = (shared_fixtures / "makemkv" / "amphigory_makemkv_output_bluray.txt").read_text()
    # Mark a 13-minute extra as MakeMKV's main feature: the mark wins over length.
    marked = text + 'TINFO:1,49,0,"FPL_MainFeature"\n'
    result = scan_result_from_makemkv(parse_info(marked))
    assert _mains(result) == [1]
    assert result.titles[1].classification.confidence >= 0.9


def _truth(root: Path, disc_id: str) -> dict[str, Any]:
    truth: dict[str, Any] = json.loads((root / "thediscdb" / "dev" / disc_id / "truth.json").read_text())
    return truth


@pytest.mark.parametrize("disc_id", THEDISCDB_IDS)
async def test_thediscdb_logs(fake: Fake, shared_fixtures: Path, disc_id: str) -> None:
    truth = _truth(shared_fixtures, disc_id)
    fake.prints(shared_fixtures / "thediscdb" / "dev" / disc_id / "makemkv-info.txt")
    result = await scan_with_makemkv("disc:0")
    assert len(result.titles) == truth["tcount"]
    assert result.disc_type == truth["disc_type"]
    titles = truth["titles"]
    assert isinstance(titles, list)
    by_index = {t["makemkv_title_index"]: t for t in titles}
    for title in result.titles:
        expected = by_index[title.makemkv_title_index]
        assert title.duration_seconds == expected["duration_seconds"]
        assert title.size_bytes == expected["bytes"]
        assert title.segment_map == [s.strip() for s in (expected["segment_map"] or "").split(",") if s.strip()]
    wanted = truth["main_title_indices"]
    equivalent = {t["makemkv_title_index"] for t in titles if t["equivalent_to_main"]}
    mains = _mains(result)
    if wanted:
        assert len(mains) == 1 and (mains[0] in wanted or mains[0] in equivalent), (mains, wanted)
    else:
        assert mains == []
    numbered = {t.number: t for t in result.titles}
    for title in result.titles:
        if title.classification.type == "duplicate":
            original = numbered[title.classification.duplicate_of or 0]
            assert original.segment_map == title.segment_map and original.classification.type != "duplicate"
    episodes = {t["makemkv_title_index"] for t in titles if t["label"] == "episode"}
    assert episodes <= {t.makemkv_title_index for t in result.titles if t.classification.type == "episode"}


async def test_uhd_and_dvd_shapes(shared_fixtures: Path) -> None:
    dvd = parse_info((shared_fixtures / "thediscdb/dev/dvd-27-dresses-d1/makemkv-info.txt").read_bytes())
    result = scan_result_from_makemkv(dvd, "dvd-" + "0" * 64)
    assert result.fingerprint == "dvd-" + "0" * 64 and result.disc_type == "dvd"
    main = result.titles[0]
    assert main.segment_map == ["1-25", "26-36", "37"]
    assert main.source["kind"] == "dvd" and main.source["title"] == 1
    assert main.video is not None and main.video.standard == "NTSC" and main.video.codec == "mpeg2"
    assert [(a.language, a.codec, a.channels) for a in main.audio] == [("eng", "ac3", 6), ("fre", "ac3", 2)]
    uhd = parse_info((shared_fixtures / "thediscdb/dev/uhd-fargo-shout-d1/makemkv-info.txt").read_bytes())
    uhd_result = scan_result_from_makemkv(uhd)
    assert uhd_result.disc_type == "uhd" and uhd_result.fingerprint.startswith("uhd-")
    assert uhd_result.titles[0].video is not None and uhd_result.titles[0].video.codec == "hevc"
    # Overrides from a native identification win over MakeMKV's own report.
    named = scan_result_from_makemkv(uhd, "uhd-x", "uhd", "FARGO_NATIVE")
    assert named.volume_name == "FARGO_NATIVE" and named.fingerprint == "uhd-x"


def test_fallback_fingerprint_is_stable_and_content_bound(shared_fixtures: Path) -> None:
    a = parse_info((shared_fixtures / "thediscdb/dev/bd-42-d1/makemkv-info.txt").read_bytes())
    b = parse_info((shared_fixtures / "thediscdb/dev/bd-42-d1/makemkv-info.txt").read_bytes())
    c = parse_info((shared_fixtures / "thediscdb/dev/bd-spirited-away-d1/makemkv-info.txt").read_bytes())
    assert makemkv_fingerprint(a) == makemkv_fingerprint(b) != makemkv_fingerprint(c)


async def test_fingerprint_matches_native_identity_when_the_disc_is_readable(
    fake: Fake, shared_fixtures: Path, samples: Path
) -> None:
    iso = samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
    assert iso.is_file(), f"sample DVD missing: {iso} (make it with scripts/make_samples.py)"
    # The printed log is another disc's; what is checked is that the fingerprint comes from the image itself.
    fake.prints(shared_fixtures / "thediscdb/dev/dvd-office-space-d1/makemkv-info.txt")
    result = await scan_with_makemkv(iso)
    assert fake.args[-1] == f"iso:{iso}"
    native = identify(iso)
    assert result.fingerprint == native.fingerprint
    assert result.volume_name == native.volume_name
    assert result.public_ids == native.public_ids


def test_source_mapping(tmp_path: Path) -> None:
    assert makemkv_source("disc:1") == "disc:1"
    assert makemkv_source("dev:/dev/sr0") == "dev:/dev/sr0"
    assert makemkv_source(tmp_path) == f"file:{tmp_path}"
    (tmp_path / "x.iso").write_bytes(b"")
    assert makemkv_source(tmp_path / "x.iso") == f"iso:{tmp_path / 'x.iso'}"


async def test_no_output_is_a_failed_scan(fake: Fake) -> None:
    fake.prints(None)
    with pytest.raises(MakemkvScanError) as caught:
        await scan_with_makemkv("disc:0")
    assert caught.value.code == "no_titles"


async def test_errors_without_titles_fail_with_makemkv_messages(fake: Fake, tmp_path: Path) -> None:
    log = tmp_path / "error.txt"
    log.write_text(
        'MSG:1005,0,1,"MakeMKV v1.18.2 linux(x64-release) started","%1 started","MakeMKV v1.18.2"\n'
        'MSG:5010,0,0,"Failed to open disc","Failed to open disc"\n'
        "TCOUNT:0\n"
    )
    fake.prints(log)
    with pytest.raises(MakemkvScanError) as caught:
        await scan_with_makemkv("disc:0")
    assert caught.value.code == "no_titles"
    assert "Failed to open disc" in str(caught.value)


async def test_nonzero_exit_is_a_failed_scan(fake: Fake) -> None:
    fake.prints(None, exit_code=3, stderr="boom: no such drive\n")
    with pytest.raises(MakemkvScanError) as caught:
        await scan_with_makemkv("disc:7")
    assert caught.value.code == "tool_failed"
    assert "exited with 3" in str(caught.value) and "boom: no such drive" in str(caught.value)


async def test_truncated_log_is_incomplete(fake: Fake, shared_fixtures: Path, tmp_path: Path) -> None:
    text = (shared_fixtures / "makemkv" / "amphigory_makemkv_output_bluray.txt").read_text()
    cut = tmp_path / "cut.txt"
    cut.write_text(text[: text.index("TINFO:5,")])
    fake.prints(cut)
    with pytest.raises(MakemkvScanError) as caught:
        await scan_with_makemkv("disc:0")
    assert caught.value.code == "incomplete"
    assert "16" in str(caught.value)


async def test_not_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MakemkvScanError) as caught:
        await scan_with_makemkv("disc:0")
    assert caught.value.code == "makemkv_not_found"


async def test_timeout_kills_makemkvcon(fake: Fake) -> None:
    fake.prints(None, sleep=30)
    with pytest.raises(MakemkvScanError) as caught:
        await scan_with_makemkv("disc:0", timeout=0.5)
    assert caught.value.code == "timeout"
    assert not _alive(fake.pid())


async def test_cancelling_kills_makemkvcon(fake: Fake) -> None:
    fake.prints(None, sleep=30)
    task = asyncio.create_task(scan_with_makemkv("disc:0"))
    pid = await asyncio.to_thread(fake.pid)
    assert _alive(pid)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not _alive(pid)


async def test_progress_lines_are_reported(fake: Fake, shared_fixtures: Path, tmp_path: Path) -> None:
    log = tmp_path / "progress.txt"
    log.write_text(
        'PRGT:5018,0,"Scanning CD-ROM devices"\nPRGV:0,0,65536\nPRGV:0,32768,65536\n'
        + (shared_fixtures / "makemkv" / "amphigory_makemkv_output_bluray.txt").read_text()
        + "PRGV:0,65536,65536\n"
    )
    fake.prints(log)
    seen: list[tuple[float, str]] = []
    result = await scan_with_makemkv("disc:0", progress=lambda f, task: seen.append((f, task)))
    assert "--progress=-same" in fake.args
    assert seen == [
        (0.0, "Scanning CD-ROM devices"),
        (0.5, "Scanning CD-ROM devices"),
        (1.0, "Scanning CD-ROM devices"),
    ]
    assert len(result.titles) == 16


def test_saved_log_parsing_errors_are_typed() -> None:
    with pytest.raises(MakemkvScanError):
        parse_makemkv_log(b"")
    with pytest.raises(MakemkvScanError):
        parse_makemkv_log("not a makemkv log at all\n")
    assert len(parse_makemkv_log(b'TINFO:0,9,0,"0:01:00"\n').titles) == 1


_LOG = (
    Path(__file__).resolve().parents[3].parent / "shared/fixtures/makemkv/amphigory_makemkv_output_bluray.txt"
).read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=len(_LOG)),
    flips=st.lists(st.tuples(st.integers(0, len(_LOG) - 1), st.integers(0, 7)), max_size=20),
    junk=st.binary(max_size=200),
)
def test_damaged_logs_give_a_result_or_the_typed_error(cut: int, flips: list[tuple[int, int]], junk: bytes) -> None:
    data = bytearray(_LOG[:cut])
    for pos, bit in flips:
        if pos < len(data):
            data[pos] ^= 1 << bit
    data += junk
    try:
        result = scan_result_from_makemkv(parse_makemkv_log(bytes(data)))
    except MakemkvScanError as e:
        assert e.code in {"no_titles", "incomplete", "unsupported_disc"}
        return
    assert result.titles
    ScanResult.model_validate_json(result.model_dump_json())

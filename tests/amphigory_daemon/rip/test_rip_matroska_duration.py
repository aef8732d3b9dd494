"""A Matroska rip's duration is read from the file's head (Segment > Info > Duration x TimestampScale), the same
figure ``ffmpeg -i`` prints, without starting ffmpeg; whatever the head does not answer goes to the ffmpeg probe.

Real files: the native ripper's rips of the sample discs, ffmpeg's Matroska and WebM, ffmpeg writing to a pipe
(a Segment of unknown size and no Duration) and mkvmerge's remux (libmatroska's layout, as MakeMKV writes:
CRC-32 elements, a large Void before Info)."""

from __future__ import annotations

import asyncio
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rip_helpers import FFMPEG, JobFactory

from amphigory_daemon.rip import rip_title, verify
from amphigory_daemon.rip.verify import MATROSKA_HEAD_BYTES, parse_matroska_duration, probe_duration, read_duration
from amphigory_protocol.disc import ScanResult

# ffmpeg prints durations to the hundredth, rounded
PRINTED = 0.005 + 1e-9


def _ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=60)


def _testsrc(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size=64x48:rate=25:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=f=440:r=48000:duration={seconds}"]


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MATROSKA_HEAD_BYTES)


def _probed(path: Path) -> float | None:
    return asyncio.run(probe_duration(FFMPEG, path))


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small files as ffmpeg (and mkvmerge) write them."""
    folder = tmp_path_factory.mktemp("matroska")
    files = {name: folder / name for name in ("mpeg2.mkv", "flac.mkv", "vp9.webm", "pipe.mkv", "mkvmerge.mkv")}
    _ffmpeg(*_testsrc(3.5), "-c:v", "mpeg2video", "-c:a", "ac3", str(files["mpeg2.mkv"]))
    _ffmpeg("-f", "lavfi", "-i", "sine=f=440:r=44100:duration=61.25", "-c:a", "flac", str(files["flac.mkv"]))
    _ffmpeg(*_testsrc(2.2), "-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus", str(files["vp9.webm"]))
    with files["pipe.mkv"].open("wb") as out:  # not seekable: ffmpeg cannot go back to write the Duration
        subprocess.run([FFMPEG, "-nostdin", "-v", "error", *_testsrc(1.0), "-c:v", "mpeg2video", "-c:a", "ac3", "-f",
                        "matroska", "pipe:1"], stdout=out, check=True, timeout=60)
    if shutil.which("mkvmerge") is None:
        pytest.fail("mkvmerge is not installed (Debian mkvtoolnix; ./dev test installs it)")
    subprocess.run(["mkvmerge", "-q", "-o", str(files["mkvmerge.mkv"]), str(files["mpeg2.mkv"])], check=True,
                   timeout=60)
    return files


@pytest.mark.parametrize("name", ["mpeg2.mkv", "flac.mkv", "vp9.webm", "mkvmerge.mkv"])
def test_the_head_says_what_ffmpeg_says(made: dict[str, Path], name: str) -> None:
    parsed = parse_matroska_duration(_head(made[name]))
    probed = _probed(made[name])
    assert parsed is not None and probed is not None
    assert parsed == pytest.approx(probed, abs=PRINTED)


def test_a_file_written_to_a_pipe_has_no_duration_in_its_head(made: dict[str, Path]) -> None:
    head = _head(made["pipe.mkv"])
    assert head[:4] == b"\x1a\x45\xdf\xa3"
    assert parse_matroska_duration(head) is None
    assert _probed(made["pipe.mkv"]) is None  # nor for ffmpeg: such a rip still fails verification


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the ffmpeg probe was asked about (it still runs)."""
    asked: list[Path] = []

    async def counted(ffmpeg: str, path: Path) -> float | None:
        asked.append(path)
        return await probe_duration(ffmpeg, path)

    monkeypatch.setattr(verify, "probe_duration", counted)
    return asked


@pytest.mark.parametrize(("kind", "source"), [
    ("dvd", Path("dvd") / "AMPHIGORY_SAMPLE_DVD.iso"),
    ("bluray", Path("bluray") / "AMPHIGORY_SAMPLE_BD"),
])
async def test_every_sample_rip_reads_as_ffmpeg_reads_it(make_job: JobFactory, samples: Path,
                                                         scans: dict[str, ScanResult], kind: str, source: Path,
                                                         probes: list[Path]) -> None:
    for title in scans[kind].titles:
        outcome = await rip_title(make_job(kind, title.number, samples / source, output_name=f"t{title.number}"))
        assert probes == []  # the rip's duration came from its head
        probed = await probe_duration(FFMPEG, outcome.path)
        assert probed is not None
        assert outcome.duration_seconds == pytest.approx(probed, abs=PRINTED)
        assert outcome.duration_seconds == parse_matroska_duration(_head(outcome.path))


async def test_what_the_head_cannot_answer_goes_to_ffmpeg(made: dict[str, Path], tmp_path: Path, probes: list[Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    mkv = made["mkvmerge.mkv"]
    whole = await read_duration(FFMPEG, mkv)
    assert whole is not None and probes == []
    monkeypatch.setattr(verify, "MATROSKA_HEAD_BYTES", 100)  # its Info lies past the first 100 bytes
    assert await read_duration(FFMPEG, mkv) == pytest.approx(whole, abs=PRINTED)
    flac = tmp_path / "a.flac"
    _ffmpeg("-f", "lavfi", "-i", "sine=f=440:r=44100:duration=2.5", str(flac))
    assert await read_duration(FFMPEG, flac) == 2.5
    assert await read_duration(FFMPEG, made["pipe.mkv"]) is None
    assert await read_duration(FFMPEG, tmp_path / "gone.mkv") is None
    assert probes == [mkv, flac, made["pipe.mkv"], tmp_path / "gone.mkv"]


# --- the parser on bytes made here: element by element


def _size(n: int | None) -> bytes:
    if n is None:
        return b"\x01\xff\xff\xff\xff\xff\xff\xff"  # unknown
    length = next(k for k in range(1, 9) if n < (1 << (7 * k)) - 1)
    return ((1 << (7 * length)) | n).to_bytes(length, "big")


def _el(ident: int, payload: bytes, unknown_size: bool = False) -> bytes:
    size = _size(None if unknown_size else len(payload))
    return ident.to_bytes((ident.bit_length() + 7) // 8, "big") + size + payload


def _mkv(info: bytes, doc_type: bytes = b"matroska", before_info: bytes = b"", unknown_size: bool = False) -> bytes:
    header = _el(0x1A45DFA3, _el(0x4286, b"\x01") + _el(0x4282, doc_type))
    body = before_info + _el(0x1549A966, info) + _el(0x1654AE6B, b"") + _el(0x1F43B675, b"\x00" * 10)
    return header + _el(0x18538067, body, unknown_size)


def _duration(value: float, width: int = 8) -> bytes:
    return _el(0x4489, struct.pack(">d" if width == 8 else ">f", value))


def test_timestamp_scale_default_and_float_widths() -> None:
    assert parse_matroska_duration(_mkv(_duration(48048.0))) == 48.048
    assert parse_matroska_duration(_mkv(_duration(1500.0, 4))) == 1.5
    scale_100us = _el(0x2AD7B1, (100_000).to_bytes(3, "big"))
    assert parse_matroska_duration(_mkv(scale_100us + _duration(12345.0))) == pytest.approx(1.2345)
    assert parse_matroska_duration(_mkv(_duration(3000.0), doc_type=b"webm\x00\x00")) == 3.0


def test_a_segment_of_unknown_size_void_and_crc_elements() -> None:
    void = _el(0xEC, bytes(300))
    crc = _el(0xBF, b"\x01\x02\x03\x04")
    seek_head = _el(0x114D9B74, _el(0x4DBB, _el(0x53AB, b"\x15\x49\xa9\x66") + _el(0x53AC, b"\x40")))
    mkv = _mkv(crc + _duration(90_000.0), before_info=seek_head + void, unknown_size=True)
    assert parse_matroska_duration(mkv) == 90.0


@pytest.mark.parametrize("bytes_", [
    b"", b"\x1a\x45\xdf", b"RIFF\x00\x00\x00\x00WAVE", b"fLaC\x00\x00\x00\x22" + bytes(34), bytes(64),
    _mkv(_duration(1000.0), doc_type=b"notmkv"),  # another EBML document
    _mkv(b""),  # no Duration
    _mkv(_duration(0.0)),  # ffmpeg ignores a zero Duration and estimates one: so the probe decides
    _mkv(_duration(-5.0)), _mkv(_duration(float("nan"))), _mkv(_duration(float("inf"))),
    _mkv(_el(0x2AD7B1, b"\x00") + _duration(1000.0)),  # a zero scale
    _mkv(_el(0x4489, b"\x00\x00\x00")),  # a float of 3 bytes
    _mkv(_el(0x4489, bytes(8), unknown_size=True)),  # an Info child of unknown size
])
def test_nothing_usable_is_none(bytes_: bytes) -> None:
    assert parse_matroska_duration(bytes_) is None


def test_a_cluster_before_info_or_an_info_past_the_head_is_none() -> None:
    header = _el(0x1A45DFA3, _el(0x4282, b"matroska"))
    cluster_first = header + _el(0x18538067, _el(0x1F43B675, bytes(8)) + _el(0x1549A966, _duration(1000.0)))
    assert parse_matroska_duration(cluster_first) is None
    far = _mkv(_duration(1000.0), before_info=_el(0xEC, bytes(MATROSKA_HEAD_BYTES)))
    assert parse_matroska_duration(far) == 1.0
    assert parse_matroska_duration(far[:MATROSKA_HEAD_BYTES]) is None


def test_every_truncation_of_a_real_head_is_the_duration_or_none(made: dict[str, Path]) -> None:
    head = _head(made["mkvmerge.mkv"])[:5000]
    whole = parse_matroska_duration(head)
    assert whole is not None
    answers = {parse_matroska_duration(head[:n]) for n in range(len(head))}
    assert answers <= {None, whole}
    assert whole in answers  # once its Info is whole, the rest of the file is not needed


@given(st.binary(max_size=2048))
def test_garbage_never_raises(data: bytes) -> None:
    result = parse_matroska_duration(data)
    assert result is None or isinstance(result, float)


_REAL = _mkv(_el(0xBF, b"abcd") + _el(0x2AD7B1, b"\x0f\x42\x40") + _duration(48048.0),
             before_info=_el(0x114D9B74, _el(0x4DBB, b"\x53\xab\x84\x15\x49\xa9\x66")) + _el(0xEC, bytes(50)))


@settings(max_examples=500)
@given(st.lists(st.tuples(st.integers(0, len(_REAL) - 1), st.integers(0, 255)), max_size=6),
       st.integers(0, len(_REAL)))
def test_a_damaged_head_never_raises(changes: list[tuple[int, int]], cut: int) -> None:
    damaged = bytearray(_REAL)
    for where, value in changes:
        damaged[where] = value
    result = parse_matroska_duration(bytes(damaged[:cut]))
    assert result is None or isinstance(result, float)

"""Make the committed sample discs in samples/ with real authoring tools.

Amphigory reads DVDs, Blu-rays and audio CDs; its tests, the demo and the image
drive need real discs of each kind that are small enough to commit. This script
authors them from generated test pictures and tones:

* ``samples/dvd/AMPHIGORY_SAMPLE_DVD/VIDEO_TS`` (dvdauthor, spumux) and the same
  disc as ``samples/dvd/AMPHIGORY_SAMPLE_DVD.iso`` (udfkit, UDF 1.02 + ISO 9660;
  ``--iso-tool genisoimage`` uses ``genisoimage -dvd-video -udf`` instead). Three
  titles: VTS 1 holds two of them (the main feature and a trailer, so its VOBs
  must not be concatenated), VTS 2 holds the third. The main feature has five
  chapters, English (AC-3) and French (MPEG audio) sound and English subtitles.
* ``samples/bluray/AMPHIGORY_SAMPLE_BD/BDMV`` (bdmvkit): a main feature with
  chapters, English and French sound and an English PGS subtitle, two extras and a
  duplicate playlist of the main feature's clip.
* ``samples/cd/AMPHIGORY_SAMPLE_CD.cue`` + ``.bin``: three distinct tones as raw
  CD audio (2352-byte sectors), a pregap before track 2, CD-TEXT in the CUE.

Pictures and sounds come from the ffmpeg of imageio-ffmpeg (lavfi sources), at
the lowest sizes and bitrates the formats allow. Runs are deterministic where the
tools allow it (bit-exact encoding, fixed image dates, no random input) and
rebuild samples/ from scratch each time:

    python scripts/make_samples.py [--only dvd,bluray,cd] [--iso-tool udfkit|genisoimage]
"""

from __future__ import annotations

import argparse
import datetime
import math
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"

DVD_LABEL = "AMPHIGORY_SAMPLE_DVD"
BD_LABEL = "AMPHIGORY_SAMPLE_BD"
CD_NAME = "AMPHIGORY_SAMPLE_CD"
# every image carries this date, so that two runs make the same bytes
IMAGE_DATE = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)

BITEXACT = [
    "-fflags",
    "+bitexact",
    "-flags:v",
    "+bitexact",
    "-flags:a",
    "+bitexact",
    "-map_metadata",
    "-1",
    "-map_chapters",
    "-1",
]


def ffmpeg_exe() -> str:
    """The ffmpeg of the imageio-ffmpeg wheel (ffmpeg 9, with libx264)."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def run(
    cmd: Sequence[str | Path], *, stdin: Path | None = None, stdout: Path | None = None, cwd: Path | None = None
) -> str:
    """Run a tool; on failure, exit with what it said."""
    args = [str(c) for c in cmd]
    fin = open(stdin, "rb") if stdin else None  # noqa: SIM115 - closed below
    fout = open(stdout, "wb") if stdout else None  # noqa: SIM115 - closed below
    try:
        p = subprocess.run(
            args, stdin=fin or subprocess.DEVNULL, stdout=fout or subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd
        )
    finally:
        for f in (fin, fout):
            if f:
                f.close()
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace")[-2000:]
        sys.exit(f"make_samples: {Path(args[0]).name} failed ({p.returncode}):\n{err}")
    return (p.stdout or b"").decode(errors="replace") if not stdout else ""


def need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        sys.exit(
            f"make_samples: missing tools: {', '.join(missing)} (apt-get install "
            "dvdauthor genisoimage lsdvd libbluray-bin)"
        )


# --------------------------------------------------------------------------------------
# subtitle pictures: text drawn with a small bitmap font (no font files, no PIL)

FONT: dict[str, tuple[str, ...]] = {
    "A": ("01110", "10001", "10001", "11111", "10001", "10001", "10001"),
    "C": ("01111", "10000", "10000", "10000", "10000", "10000", "01111"),
    "D": ("11110", "10001", "10001", "10001", "10001", "10001", "11110"),
    "E": ("11111", "10000", "10000", "11110", "10000", "10000", "11111"),
    "F": ("11111", "10000", "10000", "11110", "10000", "10000", "10000"),
    "H": ("10001", "10001", "10001", "11111", "10001", "10001", "10001"),
    "I": ("01110", "00100", "00100", "00100", "00100", "00100", "01110"),
    "N": ("10001", "11001", "10101", "10011", "10001", "10001", "10001"),
    "O": ("01110", "10001", "10001", "10001", "10001", "10001", "01110"),
    "P": ("11110", "10001", "10001", "11110", "10000", "10000", "10000"),
    "R": ("11110", "10001", "10001", "11110", "10100", "10010", "10001"),
    "T": ("11111", "00100", "00100", "00100", "00100", "00100", "00100"),
    "U": ("10001", "10001", "10001", "10001", "10001", "10001", "01110"),
    "V": ("10001", "10001", "10001", "10001", "10001", "01010", "00100"),
    "W": ("10001", "10001", "10001", "10101", "10101", "10101", "01010"),
    " ": ("00000",) * 7,
}


def text_mask(text: str, scale: int) -> tuple[int, int, list[list[int]]]:
    """(width, height, rows) of `text`: 0 clear, 1 outline, 2 fill (a one-pixel
    black outline round white letters, `scale` pixels a font dot)."""
    pad = 2
    w = (len(text) * 6 - 1) * scale + 2 * pad
    h = 7 * scale + 2 * pad
    rows = [[0] * w for _ in range(h)]
    for k, ch in enumerate(text):
        for y, line in enumerate(FONT[ch]):
            for x, bit in enumerate(line):
                if bit == "1":
                    for dy in range(scale):
                        for dx in range(scale):
                            rows[pad + y * scale + dy][pad + (k * 6 + x) * scale + dx] = 2
    for y in range(h):
        for x in range(w):
            if rows[y][x] == 0 and any(
                rows[yy][xx] == 2
                for yy in range(max(0, y - 1), min(h, y + 2))
                for xx in range(max(0, x - 1), min(w, x + 2))
            ):
                rows[y][x] = 1
    return w, h, rows


def write_png(path: Path, w: int, h: int, rows: list[list[int]]) -> None:
    """An indexed PNG for spumux: 0 transparent, 1 black, 2 white."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\0" + bytes(r) for r in rows)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
        + chunk(b"PLTE", bytes([0, 0, 0, 0, 0, 0, 255, 255, 255]))
        + chunk(b"tRNS", bytes([0, 255, 255]))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def rgba_frame(text: str, size: tuple[int, int], scale: int) -> bytes:
    """A transparent frame of `size` with `text` in white (black outline) near
    its bottom, as RGBA bytes (for a PGS cue)."""
    fw, fh = size
    w, h, rows = text_mask(text, scale)
    x0, y0 = (fw - w) // 2, fh - h - fh // 12
    out = bytearray(fw * fh * 4)
    colours = {1: b"\0\0\0\xff", 2: b"\xff\xff\xff\xff"}
    for y, row in enumerate(rows):
        for x, v in enumerate(row):
            if v:
                i = ((y0 + y) * fw + x0 + x) * 4
                out[i : i + 4] = colours[v]
    return bytes(out)


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


# --------------------------------------------------------------------------------------
# sources


@dataclass(frozen=True)
class Tone:
    """A sound track: a sine of `hz`, encoded as `codec` ("ac3" or "mp2")."""

    lang: str
    hz: int
    codec: str = "ac3"
    channels: int = 2
    bitrate: str = "48k"


@dataclass
class Title:
    name: str
    seconds: float
    colour: str  # its background, so titles look different
    chapters: list[float]
    audio: list[Tone]
    cues: list[Cue] = field(default_factory=list)


def picture_graph(title: Title, size: tuple[int, int], rate: str, box: int = 6) -> str:
    """A flat background with a small test pattern (moving, with a frame counter)
    in the middle: cheap to encode, yet not a still."""
    w, h = size
    bw, bh = (w // box) // 16 * 16, (h // box) // 16 * 16
    d = f"{title.seconds:.3f}"
    return (
        f"color=c={title.colour}:s={w}x{h}:r={rate}:d={d}[bg];"
        f"testsrc=s={bw}x{bh}:r={rate}:d={d}[ts];"
        f"[bg][ts]overlay={(w - bw) // 2}:{(h - bh) // 2}:shortest=1[v]"
    )


# --------------------------------------------------------------------------------------
# DVD

DVD_SIZE = (352, 240)  # NTSC "SIF": a DVD-Video size, a quarter of 720 x 480
DVD_RATE = "30000/1001"

# the main feature's subtitles (both discs): one cue in each chapter, two in the last
MAIN_CUES = [
    Cue(1.0, 5.0, "CHAPTER ONE"),
    Cue(13.0, 17.0, "CHAPTER TWO"),
    Cue(25.0, 29.0, "CHAPTER THREE"),
    Cue(37.0, 41.0, "CHAPTER FOUR"),
    Cue(44.0, 47.0, "THE END"),
]
MAIN_SECONDS = 48.0
MAIN_CHAPTERS = [0.0, 12.0, 24.0, 36.0]

# VTS 1: the main feature and the trailer (same streams); VTS 2: the featurette
DVD_VTS: list[list[Title]] = [
    [
        Title(
            "main",
            MAIN_SECONDS,
            "0x203060",
            MAIN_CHAPTERS,
            [Tone("en", 440, "ac3", 2, "32k"), Tone("fr", 660, "ac3", 1, "32k")],
            MAIN_CUES,
        ),
        Title("trailer", 8.0, "0x603020", [0.0], [Tone("en", 880, "ac3", 2, "32k"), Tone("fr", 990, "ac3", 1, "32k")]),
    ],
    [Title("featurette", 10.0, "0x206030", [0.0, 5.0], [Tone("en", 550, "mp2", 2, "64k")])],
]


def dvd_chapters(t: Title, work: Path) -> list[Path]:
    """The title as MPEG-2 program streams for dvdauthor, one per chapter (each a
    cell starting a chapter, so chapters fall exactly where they should: with
    dvdauthor's chapter times they land on whatever VOBU it finds near them):
    video, its sound tracks, and the subtitle stream spumux adds for its cues."""
    ends = [*t.chapters[1:], t.seconds]
    return [dvd_program_stream(t, k, a, b, work) for k, (a, b) in enumerate(zip(t.chapters, ends, strict=True), 1)]


def dvd_program_stream(t: Title, chapter: int, start: float, end: float, work: Path) -> Path:
    """Chapter `chapter` of title `t` (seconds `start` to `end` of it)."""
    ff = ffmpeg_exe()
    seconds = end - start
    out = work / f"{t.name}-{chapter}.mpg"
    part = Title(t.name, seconds, t.colour, [0.0], t.audio)
    graph = [picture_graph(part, DVD_SIZE, DVD_RATE)]
    cmd: list[str | Path] = [ff, "-hide_banner", "-nostdin", "-v", "error", "-y"]
    maps = ["-map", "[v]"]
    for k, tone in enumerate(t.audio):
        graph.append(f"sine=f={tone.hz}:r=48000:d={seconds:.3f}[a{k}]")
        maps += ["-map", f"[a{k}]"]
    cmd += ["-filter_complex", ";".join(graph), *maps]
    # closed GOPs of at most 18 frames (the most NTSC allows: a VOBU, with its
    # 2 KB navigation pack, each) at MPEG-2's coarsest quantiser
    cmd += [
        "-c:v",
        "mpeg2video",
        "-q:v",
        "31",
        "-qmin",
        "31",
        "-g",
        "18",
        "-bf",
        "2",
        "-flags:v",
        "+cgop",
        "-sc_threshold",
        "1000000000",
        "-aspect",
        "4:3",
        "-pix_fmt",
        "yuv420p",
    ]
    for k, tone in enumerate(t.audio):
        cmd += [
            f"-c:a:{k}",
            tone.codec,
            f"-b:a:{k}",
            tone.bitrate,
            f"-ac:a:{k}",
            str(tone.channels),
            f"-ar:a:{k}",
            "48000",
        ]
    cmd += [*BITEXACT, "-f", "dvd", "-muxrate", "10080k", "-packetsize", "2048", out]
    run(cmd)
    cues = [c for c in t.cues if start <= c.start < end]
    if not t.cues:
        return out
    # (a title with subtitles gets the stream in every chapter, even one without cues)
    spu = work / f"{t.name}-{chapter}-spu.xml"
    lines = ['<subpictures format="NTSC">', "  <stream>"]
    for k, cue in enumerate(cues):
        w, h, rows = text_mask(cue.text, 2)
        png = work / f"{t.name}-{chapter}-cue{k}.png"
        write_png(png, w, h, rows)
        x, y = (DVD_SIZE[0] - w) // 2 // 2 * 2, (DVD_SIZE[1] - h - 16) // 2 * 2
        lines.append(
            f'    <spu start="{_tc(cue.start - start)}" end="{_tc(cue.end - start)}" '
            f'image="{png}" xoffset="{x}" yoffset="{y}" force="no"/>'
        )
    lines += ["  </stream>", "</subpictures>", ""]
    spu.write_text("\n".join(lines))
    subbed = work / f"{t.name}-{chapter}-sub.mpg"
    run(["spumux", "-m", "dvd", "-s", "0", spu], stdin=out, stdout=subbed)
    return subbed


def _tc(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{round((seconds - s) * 100):02d}"


def make_dvd(out_dir: Path, iso_tool: str) -> None:
    need("dvdauthor", "spumux")
    folder = out_dir / DVD_LABEL
    with tempfile.TemporaryDirectory(prefix="amphigory-dvd-") as tmp:
        work = Path(tmp)
        xml = [
            "<dvdauthor>",
            "  <vmgm>",
            "    <fpc>jump title 1;</fpc>",
            '    <menus><video format="ntsc" aspect="4:3"/></menus>',
            "  </vmgm>",
        ]
        for titles in DVD_VTS:
            xml += ["  <titleset>", "    <titles>", '      <video format="ntsc" aspect="4:3"/>']
            xml += [f'      <audio lang="{a.lang}"/>' for a in titles[0].audio]
            if any(t.cues for t in titles):
                xml.append('      <subpicture lang="en"/>')
            for t in titles:
                xml.append("      <pgc>")
                xml += [f'        <vob file="{mpg}" chapters="0"/>' for mpg in dvd_chapters(t, work)]
                xml.append("      </pgc>")
            xml += ["    </titles>", "  </titleset>"]
        xml += ["</dvdauthor>", ""]
        (work / "dvd.xml").write_text("\n".join(xml))
        run(["dvdauthor", "-o", work / DVD_LABEL, "-x", work / "dvd.xml"], cwd=work)
        shutil.copytree(work / DVD_LABEL, folder)
    (folder / "AUDIO_TS").mkdir(exist_ok=True)
    iso = out_dir / f"{DVD_LABEL}.iso"
    if iso_tool == "genisoimage":
        need("genisoimage")
        run(["genisoimage", "-quiet", "-dvd-video", "-udf", "-V", DVD_LABEL, "-o", iso, folder])
    else:
        from udfkit import dvd

        dvd.write_image(str(folder), str(iso), DVD_LABEL, date=IMAGE_DATE)


# --------------------------------------------------------------------------------------
# Blu-ray

BD_SOURCE = (640, 360)  # fitted into 1920 x 1080 by bdmvkit
BD_FPS = (24000, 1001)
BD_CRF = "45"  # near-flat pictures at the format's smallest cost

BD_TITLES = [
    Title(
        "main",
        MAIN_SECONDS,
        "0x203060",
        MAIN_CHAPTERS,
        [Tone("en", 440, "ac3", 2, "32k"), Tone("fr", 660, "ac3", 1, "32k")],
        MAIN_CUES,
    ),
    Title("extra1", 15.0, "0x603020", [0.0, 7.5], [Tone("en", 880, "ac3", 1, "32k")]),
    Title("extra2", 10.0, "0x206030", [0.0], [Tone("en", 550, "ac3", 1, "32k")]),
]


def bd_clip(t: Title, work: Path) -> Path:
    """The title as a BDAV clip (.m2ts): H.264 1080p, AC-3 tracks with the PIDs
    bdmvkit's playlists name, PGS subtitles from its cues. Like
    bdmvkit.encode.encode_clip, with x264's settings from it, but at a much
    higher CRF (and low AC-3 bitrates) to keep the clip tiny."""
    from bdmvkit import encode, pgs
    from bdmvkit.formats import AUDIO_PID, PG_PID, PMT_PID, VIDEO_PID

    ff = ffmpeg_exe()
    rate = f"{BD_FPS[0]}/{BD_FPS[1]}"
    graph = [picture_graph(t, BD_SOURCE, rate, box=10).replace("[v]", "[p]"), f"[p]{encode.fit_filter(BD_FPS)}[v]"]
    maps = ["-map", "[v]"]
    for k, tone in enumerate(t.audio):
        graph.append(f"sine=f={tone.hz}:r=48000:d={t.seconds:.3f}[a{k}]")
        maps += ["-map", f"[a{k}]"]
    inputs: list[str | Path] = []
    if t.cues:
        size = (1920, 1080)
        pictures = []
        for cue in t.cues:
            pic = pgs.indexed(rgba_frame(cue.text, size, 6), *size)
            pictures.append((cue.start, cue.end, pic, pgs.palette("#FFFFFF", "#000000")))
        sup = work / f"{t.name}.sup"
        pgs.write_sup(str(sup), pictures, size)
        inputs = ["-f", "sup", "-i", sup]
        maps += ["-map", "0:s:0"]
    video = encode.video_args(BD_FPS, keys=[c for c in t.chapters if c > 0])
    video[video.index("-crf") + 1] = BD_CRF
    cmd: list[str | Path] = [
        ff,
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-y",
        *inputs,
        "-filter_complex",
        ";".join(graph),
        *maps,
        *video,
    ]
    for k, tone in enumerate(t.audio):
        cmd += encode.audio_args("ac3", tone.channels, k, int(tone.bitrate.rstrip("k")) * 1000)
    if t.cues:
        cmd += ["-c:s", "copy"]
    cmd += ["-streamid", f"0:{VIDEO_PID}"]
    for k in range(len(t.audio)):
        cmd += ["-streamid", f"{1 + k}:{AUDIO_PID + k}"]
    if t.cues:
        cmd += ["-streamid", f"{1 + len(t.audio)}:{PG_PID}"]
    out = work / f"{t.name}.m2ts"
    # PAT and PMT twice a second rather than ten times (a fifth of a tiny clip else)
    cmd += [
        *BITEXACT,
        "-t",
        f"{t.seconds:.3f}",
        "-f",
        "mpegts",
        "-mpegts_m2ts_mode",
        "1",
        "-mpegts_pmt_start_pid",
        str(PMT_PID),
        "-pat_period",
        "0.5",
        "-sdt_period",
        "1",
        out,
    ]
    run(cmd)
    return out


def make_bluray(out_dir: Path, with_iso: bool) -> None:
    from bdmvkit import Disc

    folder = out_dir / BD_LABEL
    with tempfile.TemporaryDirectory(prefix="amphigory-bd-") as tmp:
        work = Path(tmp)
        disc = Disc()
        for t in BD_TITLES:
            disc.add_title(
                str(bd_clip(t, work)),
                fps=BD_FPS,
                chapters=t.chapters,
                audio=[("ac3", a.channels, a.lang) for a in t.audio],
                subtitles=["en"] if t.cues else [],
            )
        # the duplicate: a second playlist of the main feature's clip, as many discs
        # carry (one for "play movie", one for "scene selection", or decoys)
        disc.add_playlist("main-again", [1])
        disc.write(str(folder))
    if with_iso:
        from udfkit import bluray

        bluray.write_image(str(folder), str(out_dir / f"{BD_LABEL}.iso"), BD_LABEL, date=IMAGE_DATE)


# --------------------------------------------------------------------------------------
# audio CD

CD_RATE = 44100
SECTOR = 2352  # bytes of a CD audio sector: 588 stereo 16-bit samples
FRAMES_PER_SECOND = 75


@dataclass(frozen=True)
class CdTrack:
    title: str
    performer: str
    hz: float
    seconds: int  # its audio after INDEX 01
    pregap: int = 0  # frames (1/75 s) of silence before it (INDEX 00)
    isrc: str = ""


CD_PERFORMER = "Amphigory Test Ensemble"
CD_TITLE = "Amphigory Sample CD"
CD_TRACKS = [
    CdTrack("Tone A (440 Hz)", CD_PERFORMER, 440.0, 2, 0, "ZZAMP2500001"),
    CdTrack("Tone C sharp (554 Hz)", "Second Soloist", 554.37, 2, 30, "ZZAMP2500002"),
    CdTrack("Tone E (659 Hz)", CD_PERFORMER, 659.26, 2, 0, "ZZAMP2500003"),
]


def _msf(frames: int) -> str:
    return f"{frames // 75 // 60:02d}:{frames // 75 % 60:02d}:{frames % 75:02d}"


def ean13(digits12: str) -> str:
    odd = sum(int(d) for d in digits12[0::2])
    even = sum(int(d) for d in digits12[1::2])
    return digits12 + str((10 - (odd + 3 * even) % 10) % 10)


def freedb_id(offsets: list[int], leadout: int) -> str:
    """The freedb (CDDB) disc id from the track offsets and the lead-out
    (frames, with the 150-frame lead-in)."""
    n = sum(sum(int(d) for d in str(o // FRAMES_PER_SECOND)) for o in offsets)
    t = leadout // FRAMES_PER_SECOND - offsets[0] // FRAMES_PER_SECOND
    return f"{(n % 255) << 24 | t << 8 | len(offsets):08x}"


def make_cd(out_dir: Path) -> None:
    pcm = array("h")
    index00: list[int | None] = []
    index01: list[int] = []
    for tr in CD_TRACKS:
        if tr.pregap:
            index00.append(len(pcm) // 2 // 588)
            pcm.extend([0] * (2 * 588 * tr.pregap))
        else:
            index00.append(None)
        index01.append(len(pcm) // 2 // 588)
        n = CD_RATE * tr.seconds
        fade = CD_RATE // 100  # 10 ms in and out, so tracks start and end quietly
        for i in range(n):
            gain = min(1.0, i / fade, (n - 1 - i) / fade)
            v = round(9000 * gain * math.sin(2 * math.pi * tr.hz * i / CD_RATE))
            pcm.extend((v, v))
    if sys.byteorder != "little":
        pcm.byteswap()
    data = pcm.tobytes()
    assert len(data) % SECTOR == 0
    bin_name = f"{CD_NAME}.bin"
    (out_dir / bin_name).write_bytes(data)
    sectors = len(data) // SECTOR
    disc_id = freedb_id([150 + o for o in index01], 150 + sectors)
    cue = [
        f"REM DISCID {disc_id}",
        'REM GENRE "Test"',
        "REM DATE 2025",
        'REM COMMENT "Made by scripts/make_samples.py"',
        f"CATALOG {ean13('000000000001')}",
        f'PERFORMER "{CD_PERFORMER}"',
        f'TITLE "{CD_TITLE}"',
        f'FILE "{bin_name}" BINARY',
    ]
    for k, (tr, i0, i1) in enumerate(zip(CD_TRACKS, index00, index01, strict=True), 1):
        cue += [
            f"  TRACK {k:02d} AUDIO",
            f'    TITLE "{tr.title}"',
            f'    PERFORMER "{tr.performer}"',
            f"    ISRC {tr.isrc}",
        ]
        if i0 is not None:
            cue.append(f"    INDEX 00 {_msf(i0)}")
        cue.append(f"    INDEX 01 {_msf(i1)}")
    (out_dir / f"{CD_NAME}.cue").write_text("\r\n".join(cue) + "\r\n")


# --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--only", default="dvd,bluray,cd", help="which samples to rebuild (comma-separated: dvd, bluray, cd)"
    )
    p.add_argument(
        "--iso-tool",
        choices=("udfkit", "genisoimage"),
        default="udfkit",
        help="what writes the DVD ISO (udfkit: deterministic)",
    )
    p.add_argument("--bluray-iso", action="store_true", help="also write a UDF 2.50 ISO of the Blu-ray (udfkit)")
    p.add_argument("--out", type=Path, default=SAMPLES, help="where (default: samples/)")
    args = p.parse_args(argv)
    kinds = {k.strip() for k in args.only.split(",") if k.strip()}
    unknown = kinds - {"dvd", "bluray", "cd"}
    if unknown:
        p.error(f"unknown sample kinds: {', '.join(sorted(unknown))}")
    for kind in sorted(kinds):
        out = args.out / kind
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        if kind == "dvd":
            make_dvd(out, args.iso_tool)
        elif kind == "bluray":
            make_bluray(out, args.bluray_iso)
        else:
            make_cd(out)
        total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        print(f"{out}: {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How each kind of title becomes one ffmpeg command: pure builders of argument lists and of the small helper
files some of them need (an ffconcat list of Blu-ray clips, ffmetadata chapters, a concatf list of CD byte ranges).

Every stream is mapped explicitly (ffmpeg otherwise keeps one per kind) and copied, never re-encoded; CD audio is
the one thing encoded, losslessly, to FLAC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from amphigory_daemon.formats.bluray import BlurayStream
from amphigory_daemon.formats.bluray_mpls import BlurayPlaylist

TICKS_PER_SECOND = 45_000
CD_BYTES_PER_SECOND = 44_100 * 4
ALL_STREAMS = ("-map", "0:v", "-map", "0:a?", "-map", "0:s?")


@dataclass(frozen=True)
class Plan:
    """One ffmpeg run: input options (ending with ``-i``), output options, the output format and extension,
    the duration the output must have, helper files to write first (name -> text), and the paths whose
    disappearance means the disc was taken out."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    muxer: str
    ext: str
    expected_duration: float
    files: dict[str, str] = field(default_factory=dict)
    watch: tuple[Path, ...] = ()


def dvd_plan(source: Path, title: int, duration: float, angle: int | None = None) -> Plan:
    """One DVD title through ffmpeg's dvdvideo demuxer (libdvdnav follows the title's own PGC and cells, so a VTS
    holding several titles gives just this one), with chapters and every stream's language."""
    inputs = ["-f", "dvdvideo", "-title", str(title)]
    if angle and angle > 1:
        inputs += ["-angle", str(angle)]
    inputs += ["-i", str(source)]
    outputs = [*ALL_STREAMS, "-map_chapters", "0", "-map_metadata", "0", "-c", "copy"]
    return Plan(tuple(inputs), tuple(outputs), "matroska", ".mkv", duration, watch=(source,))


def _quote(path: Path | str) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"


def ffconcat_text(clips: Sequence[Path | str]) -> str:
    """An ffconcat list playing ``clips`` (paths or ffmpeg URLs) in order."""
    return "ffconcat version 1.0\n" + "".join(f"file {_quote(clip)}\n" for clip in clips)


def _escape_meta(text: str) -> str:
    return "".join("\\" + c if c in "=;#\\\n" else c for c in text)


def ffmetadata_chapters(starts_ticks: Sequence[int], total_ticks: int) -> str:
    """ffmetadata chapters (45 kHz time base) starting at ``starts_ticks`` and ending at the next / the end."""
    starts = sorted({s for s in starts_ticks if 0 <= s < total_ticks})
    lines = [";FFMETADATA1"]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else total_ticks
        lines += ["[CHAPTER]", f"TIMEBASE=1/{TICKS_PER_SECOND}", f"START={start}", f"END={end}",
                  f"title={_escape_meta(f'Chapter {n + 1:02d}')}"]
    return "\n".join(lines) + "\n"


_STN_TO_FFMPEG = (("video", "v"), ("audio", "a"), ("pg", "s"))


def stn_maps(streams: Sequence[BlurayStream]) -> list[str]:
    """``-map`` and language options for a playlist's video, audio and PG streams, in the playlist's (player's)
    order. ffmpeg lists a clip's streams by PID and the concat demuxer drops PIDs, so the n-th stream of a kind is
    the one with the n-th lowest PID; the languages come from the playlist (the clips rarely carry them)."""
    args: list[str] = []
    for kind, letter in _STN_TO_FFMPEG:
        chosen = [s for s in streams if s.kind == kind]
        by_pid = sorted(s.pid for s in chosen)
        for out, stream in enumerate(chosen):
            args += ["-map", f"0:{letter}:{by_pid.index(stream.pid)}"]
            if stream.language:
                args += [f"-metadata:s:{letter}:{out}", f"language={stream.language}"]
    return args


def bluray_plan(bdmv: Path, playlist: BlurayPlaylist, tmp: Path) -> Plan:
    """A playlist's clips (files of a disc folder) remuxed in order through the concat demuxer (ffmpeg's
    ``bluray:`` protocol skips playlists under 180 s), with the playlist's entry marks as chapters."""
    clips = [bdmv / "STREAM" / f"{item.clip_id}.m2ts" for item in playlist.play_items]
    return _concat_plan([str(clip) for clip in clips], {}, playlist, tmp, (bdmv, *clips))


Extent = tuple[int, int]
IMAGE_PROTOCOLS = "file,subfile,concatf,crypto,data"


def subfile_url(image: Path, offset: int, length: int) -> str:
    """ffmpeg's URL for ``length`` bytes of ``image`` from ``offset`` (``end`` is exclusive)."""
    return f"subfile,,start,{offset},end,{offset + length},,:{image}"


def bluray_image_plan(image: Path, playlist: BlurayPlaylist, clip_extents: Sequence[Sequence[Extent]],
                      tmp: Path) -> Plan:
    """The same concat remux as `bluray_plan`, reading each clip straight out of a disc image (or device) through
    ``subfile`` URLs at its extents (``clip_extents[n]`` for play item ``n``: image offset and length, in file
    order). A clip in one extent is one ``subfile``; a fragmented one is a ``concatf:`` list of them, read as one
    stream (a split between concat entries would cut its transport packets)."""
    if len(clip_extents) != len(playlist.play_items):
        raise ValueError("one list of extents per play item")
    urls: list[str] = []
    files: dict[str, str] = {}
    for n, extents in enumerate(clip_extents):
        pieces = [subfile_url(image, offset, length) for offset, length in extents if length > 0]
        if len(pieces) == 1:
            urls.append(pieces[0])
        else:
            name = f"clip{n:03d}.concatf"
            files[name] = "".join(f"{piece}\n" for piece in pieces)
            urls.append(f"concatf:{tmp / name}")
    return _concat_plan(urls, files, playlist, tmp, (image,), IMAGE_PROTOCOLS)


def _concat_plan(urls: Sequence[str], files: dict[str, str], playlist: BlurayPlaylist, tmp: Path,
                 watch: tuple[Path, ...], protocols: str | None = None) -> Plan:
    files = {**files, "clips.ffconcat": ffconcat_text(urls)}
    inputs = ["-f", "concat", "-safe", "0"]
    if protocols:  # the concat demuxer opens its entries with only file, crypto and data allowed
        inputs += ["-protocol_whitelist", protocols]
    inputs += ["-i", str(tmp / "clips.ffconcat")]
    outputs = stn_maps(playlist.streams) or list(ALL_STREAMS)
    marks = [mark.offset_ticks for mark in playlist.chapters]
    if marks:
        files["chapters.txt"] = ffmetadata_chapters(marks, playlist.duration_ticks)
        inputs += ["-f", "ffmetadata", "-i", str(tmp / "chapters.txt")]
        outputs += ["-map_chapters", "1"]
    outputs += ["-c", "copy"]
    return Plan(tuple(inputs), tuple(outputs), "matroska", ".mkv", playlist.duration, files, watch)


@dataclass(frozen=True)
class PcmRange:
    """Bytes [start, end) of one image file holding raw CD audio."""

    path: Path
    start: int
    end: int


def concatf_text(ranges: Sequence[PcmRange]) -> str:
    """A ``concatf:`` list of ``subfile`` URLs reading exactly ``ranges`` one after another."""
    return "".join(f"subfile,,start,{r.start},end,{r.end},,:{r.path}\n" for r in ranges)


def cd_plan(ranges: Sequence[PcmRange], big_endian: bool, tags: dict[str, str], tmp: Path) -> Plan:
    """One CD track: the image's raw 16-bit stereo 44.1 kHz PCM for its byte ranges, losslessly to FLAC, tagged."""
    total = sum(r.end - r.start for r in ranges)
    files = {"track.concatf": concatf_text(ranges)}
    sample_format = "s16be" if big_endian else "s16le"
    inputs = ["-f", sample_format, "-ar", "44100", "-ch_layout", "stereo", "-i", f"concatf:{tmp / 'track.concatf'}"]
    outputs = ["-map", "0:a", "-c:a", "flac", "-compression_level", "5", "-map_metadata", "-1"]
    for key, value in tags.items():
        outputs += ["-metadata", f"{key}={value}"]
    watch = tuple(dict.fromkeys(r.path for r in ranges))
    return Plan(tuple(inputs), tuple(outputs), "flac", ".flac", total / CD_BYTES_PER_SECOND, files, watch)


def ffmpeg_argv(ffmpeg: str, plan: Plan, output: Path) -> list[str]:
    """The whole command: quiet except errors, progress blocks on stdout, then ``plan``, writing ``output``."""
    return [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
            "-stats_period", "0.5", *plan.inputs, *plan.outputs, "-fflags", "+bitexact", "-f", plan.muxer, "-y",
            str(output)]

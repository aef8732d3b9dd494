"""How each kind of title becomes one ffmpeg command: pure builders of argument lists and of the small helper
files some of them need (an ffconcat list of Blu-ray clips, ffmetadata chapters, a concatf list of CD byte ranges).

Every stream is mapped explicitly (ffmpeg otherwise keeps one per kind) and copied, never re-encoded; CD audio is
the one thing encoded, losslessly, to FLAC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # a DVD rip never loads the Blu-ray readers
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


Trim = tuple[float | None, float | None]


def ffconcat_text(clips: Sequence[Path | str], trims: Sequence[Trim] | None = None) -> str:
    """An ffconcat list playing ``clips`` (paths or ffmpeg URLs) in order; ``trims[n]``, when given, is the
    in and out point (seconds, on the clip's own time stamps; None for its start or end) of entry ``n``."""
    lines = ["ffconcat version 1.0\n"]
    for n, clip in enumerate(clips):
        lines.append(f"file {_quote(clip)}\n")
        inpoint, outpoint = trims[n] if trims is not None else (None, None)
        if inpoint is not None:
            lines.append(f"inpoint {inpoint:.6f}\n")
        if outpoint is not None:
            lines.append(f"outpoint {outpoint:.6f}\n")
    return "".join(lines)


# a play item starting (ending) this close to its clip's start (end) plays the whole clip: no trim, which would
# cost the frames from the key frame before the in point
TRIM_SLACK_TICKS = TICKS_PER_SECOND // 10


def play_item_trims(playlist: BlurayPlaylist, clip_spans: Sequence[tuple[int, int] | None]) -> list[Trim]:
    """For each play item, the in and out point to cut its clip at (seconds), None where it plays from the clip's
    start or to its end. ``clip_spans[n]`` is the clip's presentation start and end (45 kHz ticks, its CLPI's),
    None when unknown (then the item's IN and OUT are used as they are). Seamless branching playlists play parts
    of clips; the clip files hold the whole of them."""
    trims: list[Trim] = []
    for item, span in zip(playlist.play_items, clip_spans, strict=True):
        start, end = span if span is not None else (None, None)
        inpoint = None if start is not None and item.in_time <= start + TRIM_SLACK_TICKS else item.in_time
        outpoint = None if end is not None and item.out_time >= end - TRIM_SLACK_TICKS else item.out_time
        trims.append((None if inpoint is None else inpoint / TICKS_PER_SECOND,
                      None if outpoint is None else outpoint / TICKS_PER_SECOND))
    return trims


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


def bluray_plan(bdmv: Path, playlist: BlurayPlaylist, tmp: Path, clips: Sequence[Path] | None = None,
                trims: Sequence[Trim] | None = None) -> Plan:
    """A playlist's clips (files of a disc folder: ``clips``, one per play item, by default
    ``bdmv/STREAM/<clip>.m2ts``) remuxed in order through the concat demuxer (ffmpeg's ``bluray:`` protocol skips
    playlists under 180 s), cut at ``trims``, with the playlist's entry marks as chapters."""
    if clips is None:
        clips = [bdmv / "STREAM" / f"{item.clip_id}.m2ts" for item in playlist.play_items]
    return _concat_plan([str(clip) for clip in clips], {}, playlist, tmp, (bdmv, *clips), trims=trims)


Extent = tuple[int, int]
IMAGE_PROTOCOLS = "file,subfile,concatf,crypto,data"


def subfile_url(image: Path, offset: int, length: int) -> str:
    """ffmpeg's URL for ``length`` bytes of ``image`` from ``offset`` (``end`` is exclusive)."""
    return f"subfile,,start,{offset},end,{offset + length},,:{image}"


def bluray_image_plan(image: Path, playlist: BlurayPlaylist, clip_extents: Sequence[Sequence[Extent]],
                      tmp: Path, trims: Sequence[Trim] | None = None) -> Plan:
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
    return _concat_plan(urls, files, playlist, tmp, (image,), IMAGE_PROTOCOLS, trims)


def _concat_plan(urls: Sequence[str], files: dict[str, str], playlist: BlurayPlaylist, tmp: Path,
                 watch: tuple[Path, ...], protocols: str | None = None, trims: Sequence[Trim] | None = None) -> Plan:
    if trims is not None and len(trims) != len(urls):
        raise ValueError("one trim per play item")
    # a play item that plays nothing (OUT at or before IN) is left out
    keep = [n for n, item in enumerate(playlist.play_items) if item.out_time > item.in_time] \
        if len(urls) == len(playlist.play_items) else list(range(len(urls)))
    if not keep:
        raise ValueError("the playlist plays no clip")
    files = {**files, "clips.ffconcat": ffconcat_text([urls[n] for n in keep],
                                                      None if trims is None else [trims[n] for n in keep])}
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


class PcmRange(NamedTuple):
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
    """The whole command: quiet except errors, progress blocks on stdout, then ``plan``, writing ``output``.

    ``output`` is the empty partial file the rip made for it, which ffmpeg writes without truncating
    (``-truncate 0``): on ext4, opening an existing file with O_TRUNC marks it as replaced, and closing it then
    allocates and starts writing out all of it at once (auto_da_alloc), which held ffmpeg's last close() for
    0.4 s per GB and left the disk writing the file under the checksum's reads; a file ffmpeg creates itself, as
    a bare ffmpeg run does, is written out later like any other."""
    return [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
            "-stats_period", "0.5", *plan.inputs, *plan.outputs, "-fflags", "+bitexact", "-f", plan.muxer,
            "-truncate", "0", "-y", str(output)]

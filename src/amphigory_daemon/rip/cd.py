"""CD tracks from a cue/bin image or a drive: which bytes of which files a track is (for a drive, the raw PCM
cd-paranoia reads), its tags (CD-TEXT and the MusicBrainz disc id), and the check that the FLAC holds exactly
those samples."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from amphigory_daemon.formats.cue import (
    RAW_SECTOR,
    ByteRange,
    CueError,
    CueSheet,
    CueTrack,
    compute_toc,
    parse_sheet,
    track_byte_ranges,
)
from amphigory_daemon.formats.discid import DiscIdError, musicbrainz_disc_id
from amphigory_daemon.media import MediaError
from amphigory_daemon.media.cdimage import read_drive_toc, wave_data_span
from amphigory_daemon.media.iso import is_block_device
from amphigory_daemon.rip.errors import RipError
from amphigory_daemon.rip.models import RipJob
from amphigory_daemon.rip.plans import PcmRange, Plan, cd_plan
from amphigory_daemon.rip.verify import parse_flac_streaminfo, pcm_md5

_PCM_FILE_KINDS = frozenset({"BINARY", "MOTOROLA", "WAVE"})
_CHUNK = 1 << 20


@dataclass(frozen=True)
class CdTrack:
    """One track of a cue/bin image: its byte ranges, byte order, tags."""

    number: int
    ranges: tuple[PcmRange, ...]
    big_endian: bool
    tags: dict[str, str]


def _read_sheet_spans(cue: Path) -> tuple[CueSheet, dict[str, tuple[int, int]]]:
    """The sheet and, for each file it names, where its audio lies in it: (byte offset, size); a WAVE file's
    audio is its ``data`` chunk, never its RIFF header."""
    try:
        sheet = parse_sheet(cue.read_bytes(), name=cue.name)
    except FileNotFoundError as exc:
        raise RipError("disc_ejected", f"{cue} is not there") from exc
    except OSError as exc:
        raise RipError("disc_ejected" if not cue.exists() else "tool_failed",
                       f"cannot read {cue.name}: {exc.strerror or exc}") from exc
    except CueError as exc:
        raise RipError("invalid_job", f"unreadable cue sheet {cue.name}: {exc}") from exc
    spans: dict[str, tuple[int, int]] = {}
    for f in sheet.files:
        path = cue.parent / f.name
        try:
            spans[f.name] = wave_data_span(path) if f.kind.upper() == "WAVE" else (0, path.stat().st_size)
        except FileNotFoundError as exc:
            raise RipError("disc_ejected", f"{f.name} (named by {cue.name}) is not there") from exc
        except (OSError, MediaError) as exc:
            raise RipError("invalid_job", f"cannot read {f.name} (named by {cue.name}): {exc}") from exc
    return sheet, spans


def read_track(job: RipJob) -> CdTrack:
    """The track ``job`` names (``title.source["track"]``, else the title number) as read from its cue sheet."""
    cue = job.source
    sheet, data = _read_sheet_spans(cue)
    sizes = {name: size for name, (_, size) in data.items()}
    number = _number(job)
    track = _audio_track(sheet, number, cue.name)
    kinds = {sheet.files[i.file].kind.upper() for i in track.indexes}
    if not kinds <= _PCM_FILE_KINDS:
        raise RipError("invalid_job", f"track {number} is in a {'/'.join(sorted(kinds))} file, not raw PCM")
    spans = _spans(sheet, sizes, track.number)
    ranges = tuple(_pcm_range(cue.parent, sheet.files[r.file].name, r, data) for r in spans)
    return CdTrack(track.number, ranges, kinds == {"MOTOROLA"}, _tags(job, sheet, sizes, track.number))


def _pcm_range(folder: Path, name: str, r: ByteRange, data: dict[str, tuple[int, int]]) -> PcmRange:
    """A track's range of one file as bytes of that file: shifted past a WAVE header, and running on to the end
    of the audio when it ends at the file's last whole sector (a WAVE file need not hold whole sectors)."""
    offset, size = data[name]
    end = size if r.end == size // RAW_SECTOR * RAW_SECTOR and size - r.end < RAW_SECTOR else r.end
    return PcmRange(folder / name, offset + r.start, offset + end)


def _number(job: RipJob) -> object:
    return job.title.source.get("track", job.title.number)


def _audio_track(sheet: CueSheet, number: object, where: str) -> CueTrack:
    track = next((t for t in sheet.tracks if t.number == number), None)
    if track is None or not track.is_audio:
        raise RipError("invalid_job", f"{where} has no audio track {number}")
    return track


def _spans(sheet: CueSheet, sizes: dict[str, int], number: int) -> tuple[ByteRange, ...]:
    try:
        return next(t for t in track_byte_ranges(sheet, sizes) if t.number == number).ranges
    except CueError as exc:
        raise RipError("invalid_job", f"cannot place track {number}: {exc}") from exc


def is_drive(source: Path) -> bool:
    """Whether a CD job's source is a drive (read with cd-paranoia) rather than a cue/bin image."""
    return is_block_device(source)


def read_drive_sheet(device: Path) -> tuple[CueSheet, dict[str, int]]:
    """The TOC of the CD in ``device`` as a sheet (no CD-TEXT: tags come from the job), and its file sizes."""
    try:
        return read_drive_toc(device).cue_sheet, {}
    except MediaError as exc:
        raise RipError("disc_ejected" if not device.exists() else "invalid_job", str(exc)) from exc


def drive_track(job: RipJob, pcm: Path) -> CdTrack:
    """The track ``job`` names on the CD in its drive, to be read by cd-paranoia into ``pcm`` (raw, little-endian)."""
    sheet, sizes = read_drive_sheet(job.source)
    number = _number(job)
    track = _audio_track(sheet, number, str(job.source))
    total = sum(r.end - r.start for r in _spans(sheet, sizes, track.number))
    return CdTrack(track.number, (PcmRange(pcm, 0, total),), False, _tags(job, sheet, sizes, track.number))


def _tags(job: RipJob, sheet: CueSheet, sizes: dict[str, int], number: int) -> dict[str, str]:
    track = next(t for t in sheet.tracks if t.number == number)
    artist = job.artist or track.cdtext.performer or sheet.cdtext.performer
    album = job.album or sheet.cdtext.title or job.disc_title
    title = track.cdtext.title or job.title.name
    disc_id = job.musicbrainz_disc_id
    if disc_id is None:
        try:
            disc_id = musicbrainz_disc_id(compute_toc(sheet, sizes))
        except (CueError, DiscIdError):
            disc_id = None
    tags = {"ARTIST": artist, "ALBUM": album, "TITLE": title, "TRACKNUMBER": str(number),
            "TRACKTOTAL": str(len(sheet.tracks)), "MUSICBRAINZ_DISCID": disc_id}
    return {key: value for key, value in tags.items() if value}


def track_plan(track: CdTrack, tmp: Path) -> Plan:
    """The FLAC encode of ``track``."""
    return cd_plan(track.ranges, track.big_endian, track.tags, tmp)


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn an `OSError` reading the track's source ``path`` into a `RipError`: ``disc_ejected`` when the file
    is gone (the image taken out of its drive folder, the disc out of its drive), else ``tool_failed``."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) or not path.exists():
            raise RipError("disc_ejected", f"{path.name} went away while verifying the rip") from exc
        raise RipError("tool_failed", f"cannot read {path.name}: {exc.strerror or exc}") from exc


def _chunks(ranges: tuple[PcmRange, ...]) -> Iterator[bytes]:
    """The track's bytes, read again from its source; every read error is a `RipError` (see `_reading`)."""
    for r in ranges:
        with _reading(r.path):
            handle = r.path.open("rb")
        with handle:
            with _reading(r.path):
                handle.seek(r.start)
            left = r.end - r.start
            while left > 0:
                with _reading(r.path):
                    data = handle.read(min(_CHUNK, left))
                if not data:
                    raise RipError("disc_ejected", f"{r.path.name} ended early")
                left -= len(data)
                yield data


async def verify_flac(track: CdTrack, output: Path) -> float:
    """Check the FLAC holds exactly the track's samples (count, and the MD5 FLAC keeps of its decoded PCM);
    returns its duration in seconds."""
    with output.open("rb") as handle:
        info = parse_flac_streaminfo(handle.read(42))
    if info is None:
        raise RipError("verify_failed", f"{output.name} is not a FLAC file")
    expected = sum(r.end - r.start for r in track.ranges) // 4
    if info.total_samples != expected:
        raise RipError("verify_failed", f"the FLAC has {info.total_samples} samples, the track {expected}")
    md5 = await asyncio.to_thread(lambda: pcm_md5(_chunks(track.ranges), track.big_endian))
    if md5 != info.md5:
        raise RipError("verify_failed", "the FLAC's audio differs from the image's")
    return info.total_samples / info.sample_rate

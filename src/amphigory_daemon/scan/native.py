"""The native scan: a disc's own navigation files (IFO, MPLS/CLPI, CUE/TOC) read into the normalised `ScanResult`.

The format readers in `amphigory_daemon.formats` do the parsing and `scan.classify` labels the titles; this
module only opens the files through `media`, turns the readers' values into `Title`s and attaches the disc's
identity. `scan_path` also takes a saved ``makemkvcon -r info`` log (DESIGN.md: `amphigory scan` accepts one).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from amphigory_daemon.fingerprint import FingerprintError, identify_media
from amphigory_daemon.formats.dvd_ifo import SECTOR, DvdTitle, read_dvd
from amphigory_daemon.formats.errors import FormatError
from amphigory_daemon.media import DiscMedia, MediaError, open_disc
from amphigory_daemon.scan.classify import Classification as Verdict
from amphigory_daemon.scan.classify import TitleFacts, classify_titles
from amphigory_protocol.disc import (
    AudioStream,
    Classification,
    ScanResult,
    SubtitleStream,
    Title,
    VideoInfo,
)

if TYPE_CHECKING:  # the Blu-ray and CD parsers are imported by their own scans only: a DVD never loads them
    from amphigory_daemon.formats.bluray import BlurayStream
    from amphigory_daemon.formats.bluray_clpi import BlurayClip
    from amphigory_daemon.formats.bluray_mpls import BlurayPlaylist

_VTS_IFO = re.compile(r"VTS_(\d\d)_0\.IFO", re.IGNORECASE)
_VTS_BUP = re.compile(r"VTS_(\d\d)_0\.BUP", re.IGNORECASE)
_ROBOT_LINE = re.compile(r"^(?:MSG|CINFO|TINFO|SINFO|TCOUNT|DRV):", re.MULTILINE)
_DISC_SUFFIXES = frozenset({".iso", ".img", ".udf", ".cue", ".toc", ".bin"})
_BD_SIZES = {"480i": (720, 480), "480p": (720, 480), "576i": (720, 576), "576p": (720, 576),
             "720p": (1280, 720), "1080i": (1920, 1080), "1080p": (1920, 1080), "2160p": (3840, 2160)}
_BD_RATES = {1: 23.976, 2: 24.0, 3: 25.0, 4: 29.97, 6: 50.0, 7: 59.94}
MAX_LOG_BYTES = 64 << 20
# the codec names the MakeMKV backend reports, so both backends describe a stream alike
CODECS = {"AVC": "h264", "HEVC": "hevc", "VC1": "vc1", "MPEG2": "mpeg2", "MPEG1": "mpeg1", "AC3": "ac3",
          "EAC3": "eac3", "DTS": "dts", "DTS-HD": "dts", "DTS-HD HR": "dts", "DTS-HD MA": "dts", "TrueHD": "truehd",
          "LPCM": "lpcm", "MPEG1-Audio": "mp2", "MPEG2-Audio": "mp2", "PGS": "pgs", "TextST": "text",
          "mpeg1": "mp2", "mpeg2": "mp2"}


def _codec(name: str) -> str:
    return CODECS.get(name, name.lower())


class ScanError(Exception):
    """A path that could not be scanned into a result with at least one title, with the reason."""


def _dvd_title(t: DvdTitle) -> Title:
    cells = [c for c in t.cells if c.angle_block < 2]  # one angle's cells: what a rip of the title reads
    v = t.video
    return Title(
        number=t.number,
        duration_seconds=t.duration_ms / 1000,
        chapters=t.chapter_count or len(t.chapters),
        size_bytes=sum((c.last_sector - c.first_sector + 1) * SECTOR for c in cells),
        video=VideoInfo(codec=f"mpeg{v.mpeg_version}", width=v.width, height=v.height, standard=v.standard,
                        aspect=v.aspect, frame_rate=t.frame_rate),
        audio=[AudioStream(language=a.language, codec=_codec(a.codec), channels=a.channels, index=a.stream_index)
               for a in t.audio],
        subtitles=[SubtitleStream(language=s.language, codec="vobsub", index=s.stream_index) for s in t.subtitles],
        angles=max(t.angles, 1),
        source={"kind": "dvd", "title": t.number, "vts": t.vts, "ttn": t.ttn, "pgc": t.pgc},
        segment_map=[f"{s.vts}/{s.vob_id}.{s.cell_id}:{s.first_sector}-{s.last_sector}" for s in t.segment_map],
    )


def _scan_dvd(media: DiscMedia) -> list[Title]:
    if not media.exists("VIDEO_TS/VIDEO_TS.IFO") and not media.exists("VIDEO_TS/VIDEO_TS.BUP"):
        raise ScanError(f"{media.source}: VIDEO_TS has no VIDEO_TS.IFO, so its titles cannot be read")
    names = ["VIDEO_TS"]
    for name in media.listdir("VIDEO_TS"):
        match = _VTS_BUP.fullmatch(name) or _VTS_IFO.fullmatch(name)
        if match and f"VTS_{match.group(1)}_0" not in names:
            names.append(f"VTS_{match.group(1)}_0")
    first = {n: _ifo(media, n, "IFO") for n in names}
    try:
        return _dvd_titles(first)
    except FormatError as damaged:
        # as libdvdread does: a damaged (or missing) IFO is read from its backup copy, the .BUP
        backup = {n: _ifo(media, n, "BUP") or data for n, data in first.items()}
        if backup == first:
            raise
        try:
            return _dvd_titles(backup)
        except FormatError:
            raise damaged from None


def _ifo(media: DiscMedia, name: str, ext: str) -> bytes | None:
    """``VIDEO_TS/<name>.<ext>`` (the other of IFO and BUP when it is missing), None when neither is there."""
    for suffix in (ext, "BUP" if ext == "IFO" else "IFO"):
        rel = f"VIDEO_TS/{name}.{suffix}"
        if media.exists(rel):
            try:
                return media.read(rel)
            except MediaError:
                continue
    return None


def _dvd_titles(files: dict[str, bytes | None]) -> list[Title]:
    vmg = files.get("VIDEO_TS")
    if vmg is None:
        raise FormatError("VIDEO_TS.IFO cannot be read")
    vts = {int(n[4:6]): data for n, data in files.items() if n != "VIDEO_TS" and data is not None}
    return [_dvd_title(t) for t in read_dvd(vmg, vts).titles]


class _Clips:
    """Clip sizes and lengths, read once each: the .m2ts size where the stream file is there, else its CLPI's."""

    def __init__(self, media: DiscMedia) -> None:
        self._media = media
        self._info: dict[str, BlurayClip | None] = {}
        names = media.listdir("BDMV/STREAM") if media.exists("BDMV/STREAM") else []
        self._streams = {n.split(".", 1)[0]: n for n in names if n.lower().endswith((".m2ts", ".mts"))}

    def info(self, clip: str) -> BlurayClip | None:
        from amphigory_daemon.formats.bluray_clpi import parse_clpi
        from amphigory_daemon.media.bdmv_backup import parse_with_backup

        if clip not in self._info:
            try:
                self._info[clip] = parse_with_backup(self._media, f"BDMV/CLIPINF/{clip}.clpi", parse_clpi)
            except (FormatError, MediaError, OSError):
                self._info[clip] = None  # a missing or damaged clip info (and copy) costs only its size estimate
        return self._info[clip]

    def stretch_size(self, clip: str, in_time: int, out_time: int) -> int:
        """Bytes of a clip's IN..OUT stretch: its whole size scaled by the share of its length played."""
        info = self.info(clip)
        whole = self._media.size(f"BDMV/STREAM/{self._streams[clip]}") if clip in self._streams else (
            info.size_bytes if info else 0)
        span = (info.end_time - info.start_time) if info else 0
        played = max(0, out_time - in_time)
        return whole if span <= 0 or played >= span else whole * played // span


def _bd_video(streams: Iterable[BlurayStream]) -> VideoInfo | None:
    video = next((s for s in streams if s.kind == "video"), None)
    if video is None:
        return None
    width, height = _BD_SIZES.get(video.resolution, (None, None))
    return VideoInfo(codec=_codec(video.codec), width=width, height=height, frame_rate=_BD_RATES.get(video.rate))


def _bd_title(number: int, name: str, p: BlurayPlaylist, clips: _Clips) -> Title:
    from amphigory_daemon.formats.bluray import TICKS_PER_SECOND

    audio = [s for s in p.streams if s.kind == "audio"]
    subs = [s for s in p.streams if s.kind == "pg"]
    return Title(
        number=number,
        duration_seconds=p.duration_ticks / TICKS_PER_SECOND,
        chapters=len(p.chapters),
        size_bytes=sum(clips.stretch_size(i.clip_id, i.in_time, i.out_time) for i in p.play_items),
        video=_bd_video(p.streams),
        audio=[AudioStream(language=s.language, codec=_codec(s.codec), index=n) for n, s in enumerate(audio)],
        subtitles=[SubtitleStream(language=s.language, codec=_codec(s.codec), index=n) for n, s in enumerate(subs)],
        angles=p.angles,
        source={"kind": "bluray", "playlist": name, "clips": [f"{c}.m2ts" for c in p.clip_ids]},
        # clip numbers, as MakeMKV writes a Blu-ray title's segment map
        segment_map=[str(int(c)) if c.isdigit() else c for c in p.clip_ids],
    )


def _scan_bluray(media: DiscMedia) -> list[Title]:
    from amphigory_daemon.formats.bluray_mpls import parse_mpls, playlist_number
    from amphigory_daemon.media.bdmv_backup import names_with_backup, parse_with_backup

    if not media.exists("BDMV/PLAYLIST") and not media.exists("BDMV/BACKUP/PLAYLIST"):
        raise ScanError(f"{media.source}: BDMV has no PLAYLIST folder, so its titles cannot be read")
    clips = _Clips(media)
    titles: list[Title] = []
    errors: list[str] = []
    for name in names_with_backup(media, "PLAYLIST", ".mpls"):
        try:
            # a damaged playlist is read from BDMV/BACKUP, as a player does: its title keeps its number
            read = partial(parse_mpls, number=playlist_number(name))
            playlist = parse_with_backup(media, f"BDMV/PLAYLIST/{name}", read)
        except (FormatError, MediaError, OSError) as e:
            errors.append(f"{name}: {e}")  # one damaged playlist must not hide the others
            continue
        if playlist.duration_ticks <= 0:
            continue  # no play item, or none with a length: nothing a player (or a rip) could play
        titles.append(_bd_title(len(titles) + 1, name, playlist, clips))
    if not titles and errors:
        raise ScanError(f"{media.source}: no playlist could be read ({'; '.join(errors[:3])})")
    return titles


def _scan_cd(media: DiscMedia) -> list[Title]:
    from amphigory_daemon.formats.cue import FRAMES_PER_SECOND, LEAD_IN, compute_toc, track_byte_ranges
    from amphigory_daemon.formats.discid import audio_session

    sheet = media.cue_sheet
    if sheet is None:
        raise ScanError(f"{media.source}: a CD without a TOC")
    toc = compute_toc(sheet, media.file_sizes)
    audio_toc = audio_session(toc)
    ranges = {r.number: r.ranges for r in track_byte_ranges(sheet, media.file_sizes)} if media.file_sizes else {}
    titles = []
    for n, track in enumerate(sheet.tracks):
        if not track.is_audio or track.number > audio_toc.last:
            continue
        offset = toc.offsets[n]
        end = toc.offsets[n + 1] if track.number < audio_toc.last else audio_toc.leadout
        pieces = ranges.get(track.number, ())
        titles.append(Title(
            number=track.number,
            name=track.cdtext.title,
            duration_seconds=(end - offset) / FRAMES_PER_SECOND,
            size_bytes=sum(r.end - r.start for r in pieces),
            audio=[AudioStream(codec="pcm_s16le", channels=4 if "4CH" in track.flags else 2, index=0)],
            source={
                "kind": "cd", "track": track.number, "start_sector": offset - LEAD_IN,
                "file": sheet.files[track.start.file].name,
                "ranges": [{"file": sheet.files[r.file].name, "start": r.start, "end": r.end} for r in pieces],
            },
            segment_map=[f"cd:{offset - LEAD_IN}-{end - LEAD_IN}"],
            classification=Classification(type="other", confidence=1.0, reason="audio track"),
        ))
    return titles


def _with_verdicts(titles: list[Title], verdicts: Iterable[Verdict]) -> list[Title]:
    by_number = {v.number: v for v in verdicts}
    return [
        t.model_copy(update={"classification": Classification(
            type=by_number[t.number].type, confidence=by_number[t.number].confidence,
            duplicate_of=by_number[t.number].duplicate_of)})
        for t in titles
    ]


def _classify(titles: list[Title]) -> list[Title]:
    facts = [
        TitleFacts(number=t.number, duration_seconds=round(t.duration_seconds), chapters=t.chapters,
                   size_bytes=t.size_bytes or None, segment_map=tuple(t.segment_map), source=str(t.source),
                   name=t.name, audio_count=len(t.audio))
        for t in titles
    ]
    return _with_verdicts(titles, classify_titles(facts))


def _meta_title(media: DiscMedia) -> str | None:
    from amphigory_daemon.formats.bluray_meta import meta_title

    return meta_title(media)


def scan_media(media: DiscMedia) -> ScanResult:
    """Every title of an opened disc, classified, with the disc's identity; `ScanError` when there is none."""
    started = time.perf_counter()
    try:
        identity = identify_media(media)
        if media.disc_type == "cd":
            titles = _scan_cd(media)
        else:
            titles = _scan_dvd(media) if media.disc_type == "dvd" else _scan_bluray(media)
            titles = _classify(titles)
    except (FormatError, MediaError, FingerprintError) as e:
        raise ScanError(f"cannot scan {media.source}: {e}") from e
    if not titles:
        raise ScanError(f"{media.source}: the disc lists no titles")
    sheet = media.cue_sheet
    return ScanResult(
        fingerprint=identity.fingerprint, disc_type=identity.disc_type, volume_name=identity.volume_name,
        public_ids=identity.public_ids, backend="native", titles=titles,
        title=sheet.cdtext.title if sheet else None, artist=sheet.cdtext.performer if sheet else None,
        meta_title=_meta_title(media) if media.disc_type in ("bluray", "uhd") else None,
        scan_ms=round((time.perf_counter() - started) * 1000, 3),
    )


def looks_like_makemkv_log(path: Path) -> bool:
    """Whether a file is saved ``makemkvcon -r info`` output rather than a disc image."""
    if not path.is_file() or path.suffix.lower() in _DISC_SUFFIXES:
        return False
    with open(path, "rb") as f:
        head = f.read(8192)
    if b"\x00" in head:
        return False
    return bool(_ROBOT_LINE.search(head.decode("utf-8", errors="replace")))


def scan_makemkv_log(path: Path) -> ScanResult:
    """The scan result a saved ``makemkvcon -r info`` log describes (backend ``makemkv``), via `scan.makemkv`."""
    from amphigory_daemon.scan.makemkv import (  # only a log pays for the MakeMKV backend
        MakemkvScanError,
        parse_makemkv_log,
        scan_result_from_makemkv,
    )

    started = time.perf_counter()
    if path.stat().st_size > MAX_LOG_BYTES:
        raise ScanError(f"{path} is too large to be a MakeMKV log")
    try:
        result = scan_result_from_makemkv(parse_makemkv_log(path.read_bytes()))
    except MakemkvScanError as e:
        raise ScanError(f"{path} is not a usable MakeMKV log: {e.message}") from e
    return result.model_copy(update={"scan_ms": round((time.perf_counter() - started) * 1000, 3)})


def scan_path(path: str | Path) -> ScanResult:
    """Scan a disc folder, image, .cue/.toc, device, or saved MakeMKV robot log; `ScanError` on anything else."""
    p = Path(path)
    try:
        there = p.exists()
    except OSError as e:  # a name too long for the file system, and the like
        raise ScanError(f"cannot look at {p}: {e.strerror or e}") from e
    if not there:
        raise ScanError(f"{p} does not exist")
    try:
        if looks_like_makemkv_log(p):
            return scan_makemkv_log(p)
    except OSError as e:
        raise ScanError(f"cannot read {p}: {e.strerror or e}") from e
    try:
        media = open_disc(p)
    except MediaError as e:
        raise ScanError(str(e)) from e
    except OSError as e:
        raise ScanError(f"cannot read {p}: {e.strerror or e}") from e
    with media:
        return scan_media(media)

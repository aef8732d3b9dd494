"""The MakeMKV scan backend: ``makemkvcon -r --cache=1 info SOURCE`` to a normalised `ScanResult`.

Two layers:

- `scan_result_from_makemkv(disc, fingerprint, ...)` is pure: a parsed ``makemkvcon -r info`` log
  (`amphigory_daemon.formats.makemkv.MakemkvDisc`) in, a `ScanResult` out, with every title's streams
  normalised, ``makemkv_title_index`` set (the number ``makemkvcon mkv`` takes) and a classification from
  `amphigory_daemon.scan.classify` (which trusts MakeMKV's ``FPL_MainFeature`` mark). Title ``number`` is the
  MakeMKV index plus one, so numbers start at 1 as DVD titles and CD tracks do.
- `scan_with_makemkv(source)` runs ``makemkvcon`` as a child process (asyncio; cancelling the awaiting task
  kills it) and identifies the disc alongside (`amphigory_daemon.fingerprint.identify`) when its files can be
  read, so a disc scanned natively or through MakeMKV gets the same fingerprint. When they cannot (a ``disc:N``
  whose drive MakeMKV does not name, a disc whose navigation files are unreadable), the fingerprint falls back to
  a hash of what MakeMKV reported (`makemkv_fingerprint`).

A scan that lists no titles is a failed scan, never an empty success: it raises `MakemkvScanError` carrying
MakeMKV's own error messages. So does a log that announced more titles (``TCOUNT``) than it listed, a
``makemkvcon`` that exits non-zero, times out, or is not installed. Error messages next to a complete title list
(a scratched sector in one title) do not fail the scan.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path

from amphigory_daemon.formats.makemkv import (
    MakemkvDisc,
    MakemkvError,
    MakemkvMessage,
    MakemkvStream,
    MakemkvTitle,
    ProgressTitle,
    ProgressValue,
    parse_info,
    parse_progress_line,
)
from amphigory_daemon.scan.classify import classify_titles, facts_from_makemkv
from amphigory_protocol.disc import (
    AudioStream,
    Classification,
    DiscType,
    PublicIds,
    ScanResult,
    SubtitleStream,
    Title,
    VideoInfo,
)

MAKEMKVCON = "makemkvcon"
# Where the macOS app keeps its command-line tool when it is not on PATH.
_MAC_MAKEMKVCON = "/Applications/MakeMKV.app/Contents/MacOS/makemkvcon"
_PREFIXES: dict[str, str] = {"dvd": "dvd", "bluray": "bd", "uhd": "uhd", "cd": "cd"}
_SOURCE = re.compile(r"(iso|file|dev|disc):(.+)", re.S)
_SIZE = re.compile(r"(\d{2,5})\s*x\s*(\d{2,5})")
_STDERR_KEEP = 4000

ProgressCallback = Callable[[float, str], None]


class MakemkvScanError(Exception):
    """A MakeMKV scan that failed: ``code`` says how (for ``scan_failed``'s ``error.code``), the message why.

    Codes: ``makemkv_not_found``, ``invalid_source``, ``no_titles``, ``incomplete``, ``unsupported_disc``,
    ``tool_failed``, ``timeout``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- the pure layer --------------------------------------------------------------------------------------------

_VIDEO_CODECS = {"V_MPEG2": "mpeg2", "V_MPEG4/ISO/AVC": "h264", "V_MPEGH/ISO/HEVC": "hevc", "V_VC1": "vc1"}
_AUDIO_CODECS = {
    "A_AC3": "ac3",
    "A_EAC3": "eac3",
    "A_DTS": "dts",
    "A_TRUEHD": "truehd",
    "A_LPCM": "lpcm",
    "A_PCM/INT/LIT": "lpcm",
    "A_PCM/INT/BIG": "lpcm",
    "A_MPEG/L2": "mp2",
    "A_MPEG/L3": "mp3",
    "A_AAC": "aac",
    "A_FLAC": "flac",
}
_SUBTITLE_CODECS = {"S_VOBSUB": "vobsub", "S_HDMV/PGS": "pgs", "S_CC608/DVD": "cc608", "S_TEXT/UTF8": "text"}


def _codec(stream: MakemkvStream, table: dict[str, str]) -> str:
    """A short lower-case codec name from MakeMKV's codec id, the names the native backend uses (DTS-HD is dts)."""
    short = (stream.codec or "").strip()
    name = table.get(stream.codec_id or "")
    if name == "ac3" and short.upper() in ("DD+", "E-AC3", "EAC3"):
        return "eac3"
    if name is not None:
        return name
    return (short or stream.codec_id or "").lower()


def _video(title: MakemkvTitle, disc_type: str) -> VideoInfo | None:
    streams = title.streams_of("video")
    if not streams:
        return None
    first = streams[0]
    width = height = None
    match = _SIZE.search(first.video_size or "")
    if match is not None:
        width, height = int(match.group(1)), int(match.group(2))
    standard = None
    if disc_type == "dvd" and height in (480, 576):
        standard = "NTSC" if height == 480 else "PAL"
    return VideoInfo(codec=_codec(first, _VIDEO_CODECS), width=width, height=height, standard=standard)


def _source(title: MakemkvTitle, disc_type: str) -> dict[str, object]:
    """Where the title lives, in the native backend's shape where MakeMKV says enough."""
    source: dict[str, object] = {"kind": "dvd" if disc_type == "dvd" else "bluray"}
    name = title.source_file or ""
    lowered = name.lower()
    if lowered.endswith(".mpls"):
        source["playlist"] = name
    elif lowered.endswith(".m2ts"):
        source["clip"] = name
    elif name:
        source["file"] = name
    if disc_type == "dvd":
        number = (title.original_title_id or "").strip()
        if number.isdigit():
            source["title"] = int(number)
    if title.angle is not None:
        source["angle"] = title.angle
    return source


def makemkv_disc_type(disc: MakemkvDisc) -> DiscType:
    """The normalised disc type of a MakeMKV log: DVD, Blu-ray, or UHD (a Blu-ray with 2160-line video)."""
    if disc.disc_type == "dvd":
        return "dvd"
    if disc.disc_type == "bluray":
        for title in disc.titles:
            for stream in title.streams_of("video"):
                match = _SIZE.search(stream.video_size or "")
                if match is not None and int(match.group(2)) >= 2160:
                    return "uhd"
        return "bluray"
    raise MakemkvScanError(
        "unsupported_disc", f"MakeMKV reports a {disc.disc_type or 'unknown'} disc; only DVDs and Blu-rays are scanned"
    )


def makemkv_fingerprint(disc: MakemkvDisc, disc_type: DiscType | None = None) -> str:
    """A fingerprint from MakeMKV's report alone, for discs whose files cannot be read to identify them.

    It hashes the disc type, volume name and every title's source, duration, size and segment map, so the same
    disc scanned again gives the same value; it differs from the native fingerprint of the same disc (which
    hashes the navigation files), which is why `scan_with_makemkv` prefers that one whenever it can.
    """
    kind = disc_type or makemkv_disc_type(disc)
    hasher = hashlib.sha256(f"type:{kind}\x00makemkv-volume:{disc.volume_name or disc.name or ''}\x00".encode())
    for t in disc.titles:
        line = f"{t.index}|{t.source_file}|{t.duration_seconds}|{t.size_bytes}|{t.segment_map}|{t.angle}\x00"
        hasher.update(line.encode())
    return f"{_PREFIXES[kind]}-{hasher.hexdigest()}"


def _error_text(messages: tuple[MakemkvMessage, ...] | list[MakemkvMessage]) -> str:
    errors = [m.text for m in messages if m.is_error]
    return "; ".join(dict.fromkeys(errors))[:1000]


def _title(title: MakemkvTitle, disc_type: str, verdict: Classification) -> Title:
    return Title(
        number=title.index + 1,
        name=title.name,
        duration_seconds=float(title.duration_seconds or 0),
        chapters=title.chapters or 0,
        size_bytes=title.size_bytes or 0,
        video=_video(title, disc_type),
        audio=[
            AudioStream(language=s.language or "", codec=_codec(s, _AUDIO_CODECS), channels=s.channels, index=i)
            for i, s in enumerate(title.streams_of("audio"))
        ],
        subtitles=[
            SubtitleStream(language=s.language or "", codec=_codec(s, _SUBTITLE_CODECS), index=i)
            for i, s in enumerate(title.streams_of("subtitles"))
        ],
        source=_source(title, disc_type),
        segment_map=list(title.segments),
        makemkv_title_index=title.index,
        classification=verdict,
    )


def scan_result_from_makemkv(
    disc: MakemkvDisc,
    fingerprint: str | None = None,
    disc_type: DiscType | None = None,
    volume_name: str | None = None,
    public_ids: PublicIds | None = None,
) -> ScanResult:
    """The normalised scan result of a parsed ``makemkvcon -r info`` log.

    ``fingerprint`` defaults to `makemkv_fingerprint`; ``disc_type`` and ``volume_name`` default to what MakeMKV
    reports. `MakemkvScanError` when the log lists no titles or fewer than it announced.
    """
    if not disc.titles:
        detail = _error_text(disc.messages)
        raise MakemkvScanError("no_titles", "MakeMKV found no titles" + (f": {detail}" if detail else ""))
    if not disc.complete:
        raise MakemkvScanError(
            "incomplete", f"MakeMKV announced {disc.title_count} titles but listed {len(disc.titles)}"
        )
    kind = disc_type or makemkv_disc_type(disc)
    verdicts = classify_titles([facts_from_makemkv(t) for t in disc.titles])
    by_index = {t.index: t.index + 1 for t in disc.titles}
    titles = [
        _title(
            t,
            kind,
            Classification(
                type=v.type,
                confidence=v.confidence,
                duplicate_of=by_index.get(v.duplicate_of) if v.duplicate_of is not None else None,
            ),
        )
        for t, v in zip(disc.titles, verdicts, strict=True)
    ]
    volume = volume_name if volume_name is not None else (disc.volume_name or disc.name)
    return ScanResult(
        fingerprint=fingerprint or makemkv_fingerprint(disc, kind),
        disc_type=kind,
        volume_name=volume,
        public_ids=public_ids or PublicIds(),
        backend="makemkv",
        title=disc.name,
        # On a Blu-ray MakeMKV names the disc from BDMV/META/DL/bdmt_*.xml when it has one: "Spirited Away"
        # where the volume label says SPIRITED_AWAY. A name that is only the label again says nothing more.
        meta_title=disc.name if kind in ("bluray", "uhd") and disc.name and disc.name != volume else None,
        titles=titles,
    )


def parse_makemkv_log(data: str | bytes) -> MakemkvDisc:
    """`parse_info`, with a log that holds no titles turned into `MakemkvScanError` carrying its errors."""
    try:
        return parse_info(data)
    except MakemkvError as e:
        text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
        detail = _error_text(_messages(text))
        raise MakemkvScanError("no_titles", f"MakeMKV found no titles ({e})" + (f": {detail}" if detail else "")) from e


def _messages(text: str) -> list[MakemkvMessage]:
    """The MSG lines of robot output (read even when it holds no titles)."""
    found: list[MakemkvMessage] = []
    for line in text.splitlines():
        if line.startswith("MSG:"):
            with contextlib.suppress(MakemkvError):
                event = parse_progress_line(line)
                if isinstance(event, MakemkvMessage):
                    found.append(event)
    return found


# --- running makemkvcon ----------------------------------------------------------------------------------------


def makemkvcon_path() -> str | None:
    """The ``makemkvcon`` to run: the one on PATH, else the macOS app's; None when MakeMKV is not installed."""
    found = shutil.which(MAKEMKVCON)
    if found is not None:
        return found
    return _MAC_MAKEMKVCON if os.access(_MAC_MAKEMKVCON, os.X_OK) else None


def makemkv_available() -> bool:
    """True when ``makemkvcon`` can be run."""
    return makemkvcon_path() is not None


def makemkv_source(path: str | Path) -> str:
    """The MakeMKV source for a path: ``iso:`` for an image, ``file:`` for a disc folder, ``dev:`` for a drive.

    A string that already is a source (``iso:``, ``file:``, ``dev:``, ``disc:N``) is returned unchanged.
    """
    text = str(path)
    if _SOURCE.fullmatch(text):
        return text
    p = Path(text)
    if p.is_dir():
        return f"file:{p}"
    try:
        if stat.S_ISBLK(p.stat().st_mode):
            return f"dev:{p}"
    except OSError as e:
        raise MakemkvScanError("invalid_source", f"{p}: {e.strerror or e}") from e
    return f"iso:{p}"


def _local_path(source: str, disc: MakemkvDisc | None) -> str | None:
    """The file, folder or device behind a MakeMKV source, when there is one to read."""
    match = _SOURCE.fullmatch(source)
    if match is None:
        return None
    kind, rest = match.groups()
    if kind != "disc":
        return rest
    if disc is None or not rest.strip().isdigit():
        return None
    drive = next((d for d in disc.drives if d.index == int(rest)), None)
    return drive.device if drive is not None and drive.device else None


def _identify(path: str) -> tuple[str, DiscType, str, PublicIds] | None:
    """The native identity of the disc at ``path`` (fingerprint, type, volume, ids), None when unreadable."""
    from amphigory_daemon.fingerprint import FingerprintError, identify
    from amphigory_daemon.media import MediaError

    try:
        found = identify(path)
    except (FingerprintError, MediaError, OSError, ValueError):
        return None
    return found.fingerprint, found.disc_type, found.volume_name, found.public_ids


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    with contextlib.suppress(Exception):
        await process.wait()


async def _read_stdout(process: asyncio.subprocess.Process, progress: ProgressCallback | None) -> bytes:
    """All of stdout; PRGT/PRGV lines reported to ``progress`` as (fraction 0..1, task name) as they come."""
    assert process.stdout is not None
    if progress is None:
        return await process.stdout.read()
    chunks: list[bytes] = []
    task = ""
    while line := await process.stdout.readline():
        chunks.append(line)
        if line.startswith((b"PRGV:", b"PRGT:")):
            try:
                event = parse_progress_line(line.decode("utf-8", errors="replace"))
            except MakemkvError:
                continue
            if isinstance(event, ProgressTitle):
                task = event.name
            elif isinstance(event, ProgressValue):
                progress(event.fraction, task)
    return b"".join(chunks)


async def run_makemkv_info(
    source: str, *, timeout: float | None = None, progress: ProgressCallback | None = None
) -> bytes:
    """The raw robot output of ``makemkvcon -r --cache=1 info SOURCE``.

    Cancelling the awaiting task kills ``makemkvcon``. `MakemkvScanError` when it is not installed, exits
    non-zero with no titles listed, or runs past ``timeout`` seconds.
    """
    exe = makemkvcon_path()
    if exe is None:
        raise MakemkvScanError("makemkv_not_found", "makemkvcon is not installed (not on PATH)")
    if _SOURCE.fullmatch(source) is None:
        raise MakemkvScanError("invalid_source", f"not a MakeMKV source: {source!r} (use iso:, file:, dev: or disc:N)")
    args = [exe, "-r", "--cache=1"]
    if progress is not None:
        args.append("--progress=-same")
    args += ["info", source]
    try:
        from amphigory_protocol.children import DIE_WITH_US

        process = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            preexec_fn=DIE_WITH_US,  # a daemon that crashes mid-scan leaves no makemkvcon behind
        )
    except OSError as e:
        raise MakemkvScanError("tool_failed", f"cannot run {exe}: {e.strerror or e}") from e
    assert process.stderr is not None
    try:
        async with asyncio.timeout(timeout):
            out, err = await asyncio.gather(_read_stdout(process, progress), process.stderr.read())
            code = await process.wait()
    except TimeoutError as e:
        raise MakemkvScanError("timeout", f"makemkvcon info {source} took longer than {timeout:g} s") from e
    finally:
        await _kill(process)
    if code != 0 and b"\nTINFO:" not in b"\n" + out:
        messages = _error_text(_messages(out.decode("utf-8", errors="replace")))
        detail = messages or err.decode("utf-8", errors="replace").strip()[-_STDERR_KEEP:]
        raise MakemkvScanError("tool_failed", f"makemkvcon info {source} exited with {code}: {detail or 'no output'}")
    return out


async def scan_with_makemkv(
    source: str | Path, *, timeout: float | None = None, progress: ProgressCallback | None = None
) -> ScanResult:
    """Scan a disc through MakeMKV: ``source`` is ``iso:PATH``, ``file:FOLDER``, ``dev:/dev/sr0``, ``disc:N``
    or a plain path (mapped by `makemkv_source`).

    The disc is identified natively alongside (in a thread) so the fingerprint matches the native backend's.
    `MakemkvScanError` on any failure, including a scan that lists no titles.
    """
    started = time.perf_counter()
    src = makemkv_source(source)
    local = _local_path(src, None)
    identity_task = asyncio.create_task(asyncio.to_thread(_identify, local)) if local else None
    try:
        out = await run_makemkv_info(src, timeout=timeout, progress=progress)
        disc = parse_makemkv_log(out)
        if identity_task is None:
            local = _local_path(src, disc)
            identity = await asyncio.to_thread(_identify, local) if local else None
        else:
            identity = await identity_task
    finally:
        if identity_task is not None and not identity_task.done():
            identity_task.cancel()
    kind = makemkv_disc_type(disc)
    if identity is not None and identity[1] in ("dvd", "bluray", "uhd"):
        fingerprint, native_type, volume, ids = identity
        result = scan_result_from_makemkv(disc, fingerprint, native_type, volume or None, ids)
    else:
        result = scan_result_from_makemkv(disc, None, kind)
    result.scan_ms = (time.perf_counter() - started) * 1000
    return result

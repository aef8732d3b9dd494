"""An audio CD stored as a CUE sheet (or cdrdao ``.toc``) with its BIN/WAV image files.

The sheet is parsed by `formats.cue`; this module only finds the files it names (next to the sheet; a name
that would lead outside the sheet's folder is refused) and measures them. The volume name is the sheet's
file name without its extension, the convention of CD rips (audio CDs carry no volume label).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from pathlib import Path

from amphigory_daemon.formats.cue import LEAD_IN, CueError, CueFile, CueIndex, CueSheet, CueTrack, parse_sheet
from amphigory_daemon.media.base import DiscType, MediaBase, MediaError, split_relpath

MAX_SHEET_BYTES = 1 << 20


def wave_data_span(path: Path) -> tuple[int, int]:
    """Where a RIFF/WAVE file's ``data`` chunk lies: (byte offset, size); (0, the whole size) when it is not RIFF."""
    total = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return 0, total
        pos = 12
        while pos + 8 <= total:
            f.seek(pos)
            chunk_id, length = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"data":
                return pos + 8, min(int(length), total - pos - 8)
            pos += 8 + length + (length & 1)
    raise MediaError(f"{path} is a WAVE file without a data chunk")


def wave_data_size(path: Path) -> int:
    """The size of a RIFF/WAVE file's ``data`` chunk, or the whole file's size when it is not RIFF."""
    return wave_data_span(path)[1]


class CueMedia(MediaBase):
    """A CD image: the sheet, the image files it names and their sizes."""

    def __init__(self, sheet_path: Path) -> None:
        self._source = sheet_path
        self._folder = sheet_path.parent
        try:
            if sheet_path.stat().st_size > MAX_SHEET_BYTES:
                raise MediaError(f"{sheet_path} is too large to be a CUE or TOC sheet")
            data = sheet_path.read_bytes()
        except OSError as e:
            raise MediaError(f"cannot read {sheet_path}: {e.strerror or e}") from e
        try:
            self._sheet = parse_sheet(data, name=sheet_path.name)
        except CueError as e:
            raise MediaError(f"{sheet_path} is not a valid CUE/TOC sheet: {e}") from e
        self._bins = tuple(self._image_file(f.name) for f in self._sheet.files)
        self._sizes = {f.name: self._audio_size(f.name, f.kind, p) for f, p in zip(self._sheet.files, self._bins,
                                                                                   strict=True)}

    def _image_file(self, name: str) -> Path:
        try:
            parts = split_relpath(name)
        except MediaError as e:
            raise MediaError(f"{self._source} names an image file outside its folder: {name!r}") from e
        path = self._folder.joinpath(*parts) if parts else self._folder
        if not path.is_file():
            # EAC and others often write the name of a file that was later renamed: accept the one image
            # beside the sheet that shares its stem
            alt = self._source.with_suffix(".bin")
            if len(self._sheet.files) == 1 and alt.is_file():
                return alt
            raise MediaError(
                f"{self._source} names the image file {name!r}, which is not in {self._folder} "
                "(keep the .bin/.wav next to the .cue, under the name the sheet gives)"
            )
        return path

    @staticmethod
    def _audio_size(name: str, kind: str, path: Path) -> int:
        try:
            return wave_data_size(path) if kind == "WAVE" else path.stat().st_size
        except OSError as e:
            raise MediaError(f"cannot read the image file {path}: {e.strerror or e}") from e

    @property
    def disc_type(self) -> DiscType:
        return "cd"

    @property
    def volume_name(self) -> str:
        return self._source.stem

    @property
    def source(self) -> Path:
        return self._source

    @property
    def cue_sheet(self) -> CueSheet:
        return self._sheet

    @property
    def bin_paths(self) -> tuple[Path, ...]:
        return self._bins

    @property
    def file_sizes(self) -> Mapping[str, int]:
        return dict(self._sizes)

    def _known(self) -> dict[str, Path]:
        return {self._source.name: self._source, **{p.name: p for p in self._bins}}

    def read(self, relpath: str) -> bytes:
        path = self._known().get("/".join(split_relpath(relpath)))
        if path is None:
            raise MediaError(f"{relpath} is not part of the CD image {self._source}")
        try:
            return path.read_bytes()
        except OSError as e:
            raise MediaError(f"cannot read {path}: {e.strerror or e}") from e

    def listdir(self, relpath: str = "") -> list[str]:
        if split_relpath(relpath):
            raise MediaError(f"a CD image has no folder {relpath!r}")
        return sorted(self._known())

    def size(self, relpath: str) -> int:
        path = self._known().get("/".join(split_relpath(relpath)))
        if path is None:
            raise MediaError(f"{relpath} is not part of the CD image {self._source}")
        return path.stat().st_size

    def exists(self, relpath: str) -> bool:
        return "/".join(split_relpath(relpath)) in self._known()


def sheet_from_toc(first: int, last: int, leadout: int, offsets: tuple[int, ...], name: str) -> CueSheet:
    """A one-file sheet laid out like a disc's TOC (offsets and lead-out counting the 150-sector lead-in).

    A drive read through libdiscid gives only the TOC; as a sheet it goes through the same code as an image.
    """
    if not offsets or len(offsets) != last - first + 1 or offsets[0] < LEAD_IN or leadout < offsets[-1]:
        raise MediaError(f"{name}: the drive reported an unusable TOC ({first}..{last}, lead-out {leadout})")
    tracks = tuple(
        CueTrack(number=first + n, mode="AUDIO", indexes=(CueIndex(1, 0, offset - LEAD_IN),))
        for n, offset in enumerate(offsets)
    )
    return CueSheet(files=(CueFile(name, "BINARY", leadout - LEAD_IN),), tracks=tracks)


class TocMedia(MediaBase):
    """An audio CD in a drive, known by its TOC alone (read with libdiscid); it has no files to read."""

    def __init__(self, device: Path, sheet: CueSheet) -> None:
        self._source = device
        self._sheet = sheet

    @property
    def disc_type(self) -> DiscType:
        return "cd"

    @property
    def volume_name(self) -> str:
        return "Audio CD"

    @property
    def source(self) -> Path:
        return self._source

    @property
    def cue_sheet(self) -> CueSheet:
        return self._sheet

    def read(self, relpath: str) -> bytes:
        raise MediaError(f"an audio CD in {self._source} has no files ({relpath})")

    def listdir(self, relpath: str = "") -> list[str]:
        return []

    def size(self, relpath: str) -> int:
        raise MediaError(f"an audio CD in {self._source} has no files ({relpath})")

    def exists(self, relpath: str) -> bool:
        return False


def read_drive_toc(device: Path) -> TocMedia:
    """The audio CD in a drive, through libdiscid; `MediaError` when there is none or libdiscid is missing."""
    try:
        import discid
    except (ImportError, OSError) as e:
        raise MediaError(f"{device}: no filesystem found and libdiscid is not available to read a CD TOC") from e
    try:
        disc = discid.read(str(device))
    except Exception as e:  # discid raises DiscError and, for a non-drive, OSError-like errors
        raise MediaError(f"{device} holds no readable disc (no filesystem, and no CD TOC: {e})") from e
    offsets = tuple(int(t.offset) for t in disc.tracks)
    sheet = sheet_from_toc(int(disc.first_track_num), int(disc.last_track_num), int(disc.sectors), offsets,
                           str(device))
    return TocMedia(device, sheet)

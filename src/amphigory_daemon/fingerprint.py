"""Disc fingerprints (the primary key everywhere) and the public ids computed alongside them.

A fingerprint is a readable prefix (``dvd-``, ``bd-``, ``uhd-``, ``cd-``) and a SHA-256: for a DVD over the disc
type, the volume name and the bytes of every VIDEO_TS/*.IFO; for a Blu-ray over the type, the volume name and
every BDMV/PLAYLIST/*.mpls (files in name order, each with its name and length). Only the small navigation
files are read, so it takes milliseconds, and a folder copy named like the disc's label, its ISO and the disc
in a drive all give the same value. A CD's fingerprint comes from its TOC (the numbers its MusicBrainz disc id
is computed over), never from a volume name.

Public ids: libdvdread's DVD disc id (what DVDDiscID computes: MD5 over VIDEO_TS.IFO and VTS_01_0.IFO... up to
the tenth IFO, each read as whole 2048-byte blocks), TheDiscDB's content hash (MD5 over the sizes of the VIDEO_TS
files, or of BDMV/STREAM/*.m2ts, as little-endian 64-bit numbers in name order, upper-case hex), the AACS disc
hash (SHA-1 of AACS/Unit_Key_RO.inf, upper-case hex as KEYDB.cfg writes it), and for CDs the MusicBrainz and
freedb ids.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from amphigory_daemon.media import DiscMedia, MediaError, open_disc
from amphigory_protocol.disc import DiscType, PublicIds

if TYPE_CHECKING:  # the CD layout and disc-id code is imported by a CD's fingerprint only: a DVD never pays for it
    from amphigory_daemon.formats.cue import DiscToc

PREFIXES: dict[str, str] = {"dvd": "dvd", "bluray": "bd", "uhd": "uhd", "cd": "cd"}
_FAMILY = {"dvd": "dvd", "bluray": "bluray", "uhd": "bluray", "cd": "cd"}
_LB = 2048
_DISCID_MAX_FILES = 10


class FingerprintError(Exception):
    """A disc that cannot be fingerprinted, with what was missing and what to do about it."""


@dataclass(frozen=True)
class DiscIdentity:
    """Who a disc is: its type, volume name, fingerprint, and the ids public databases know it by."""

    disc_type: DiscType
    volume_name: str
    fingerprint: str
    public_ids: PublicIds


def _check_type(disc_type: str) -> str:
    if disc_type not in _FAMILY:
        raise FingerprintError(f"unknown disc type {disc_type!r}: expected one of dvd, bluray, uhd, cd")
    return disc_type


def _nav_files(media: DiscMedia) -> list[tuple[str, str]]:
    """(name to hash, relpath) of the navigation files that identify a DVD or Blu-ray, in name order."""
    folder, suffix = ("VIDEO_TS", ".IFO") if media.disc_type == "dvd" else ("BDMV/PLAYLIST", ".MPLS")
    if not media.exists(folder):
        what = "VIDEO_TS folder" if media.disc_type == "dvd" else "BDMV/PLAYLIST folder"
        raise FingerprintError(f"{media.source}: no {what}, so this is not a complete {media.disc_type} disc")
    names = sorted((n.upper(), f"{folder}/{n}") for n in media.listdir(folder) if n.upper().endswith(suffix))
    if not names:
        what = "IFO files in VIDEO_TS" if media.disc_type == "dvd" else "MPLS playlists in BDMV/PLAYLIST"
        raise FingerprintError(f"{media.source}: no {what}; the disc copy is incomplete or damaged")
    return names


def _disc_toc(media: DiscMedia) -> DiscToc:
    from amphigory_daemon.formats.cue import CueError, compute_toc

    sheet = media.cue_sheet
    if sheet is None:
        raise FingerprintError(f"{media.source}: a CD without a TOC")
    try:
        return compute_toc(sheet, media.file_sizes)
    except CueError as e:
        raise FingerprintError(f"{media.source}: cannot lay out the CD's tracks from its sheet: {e}") from e


def _cd_fingerprint(media: DiscMedia) -> str:
    from amphigory_daemon.formats.discid import DiscIdError, musicbrainz_toc_string

    try:
        toc_text = musicbrainz_toc_string(_disc_toc(media))
    except DiscIdError as e:
        raise FingerprintError(f"{media.source}: the CD's TOC is not valid: {e}") from e
    hasher = hashlib.sha256(b"type:cd\x00toc:" + toc_text.encode("ascii"))
    return f"cd-{hasher.hexdigest()}"


def fingerprint_media(media: DiscMedia, volume_name: str | None = None) -> str:
    """The fingerprint of an opened disc; `volume_name` overrides the one the media reports."""
    if media.disc_type == "cd":
        return _cd_fingerprint(media)
    name = media.volume_name if volume_name is None else volume_name
    hasher = hashlib.sha256()
    hasher.update(f"type:{media.disc_type}\x00volume:{name}\x00".encode())
    try:
        for hashed_name, rel in _nav_files(media):
            data = media.read(rel)
            hasher.update(f"file:{hashed_name}\x00{len(data)}\x00".encode())
            hasher.update(data)
    except MediaError as e:
        raise FingerprintError(f"{media.source}: {e}") from e
    return f"{PREFIXES[media.disc_type]}-{hasher.hexdigest()}"


def _volume_fallback(disc_type: str, volume_name: str) -> str:
    """A CD known only by a volume name (no TOC to read): weak, but stable for that name."""
    hasher = hashlib.sha256(f"type:{disc_type}\x00cd_volume:{volume_name}".encode())
    return f"{PREFIXES[disc_type]}-{hasher.hexdigest()}"


def generate_fingerprint(volume_path: str, disc_type: str, volume_name: str | None = None) -> str:
    """The fingerprint of the disc at `volume_path` (a folder, an image, a .cue or a device).

    `disc_type` says what the caller expects ("dvd", "bluray", "uhd" or "cd"); a disc of another kind is an
    error, except that a Blu-ray path may turn out to be UHD (the prefix then says ``uhd-``).
    """
    expected = _check_type(disc_type)
    try:
        media = open_disc(volume_path)
    except MediaError as e:
        if expected == "cd" and volume_name:
            return _volume_fallback("cd", volume_name)
        raise FingerprintError(f"cannot fingerprint {volume_path}: {e}") from e
    with media:
        if _FAMILY[media.disc_type] != _FAMILY[expected]:
            raise FingerprintError(f"{volume_path} holds a {media.disc_type} disc, not a {expected} one")
        return fingerprint_media(media, volume_name)


def dvd_disc_id(media: DiscMedia) -> str | None:
    """libdvdread's DVDDiscID as hex: MD5 over VIDEO_TS.IFO and VTS_nn_0.IFO for the first 10 title sets.

    None when VIDEO_TS.IFO is missing or is not a VMG (no title-set count to go by).
    """
    if not media.exists("VIDEO_TS/VIDEO_TS.IFO"):
        return None
    vmg = media.read("VIDEO_TS/VIDEO_TS.IFO")
    if vmg[:12] != b"DVDVIDEO-VMG" or len(vmg) < 0x40:
        return None
    sets = min(struct.unpack_from(">H", vmg, 0x3E)[0] + 1, _DISCID_MAX_FILES)
    md5 = hashlib.md5(usedforsecurity=False)
    for n in range(sets):
        rel = "VIDEO_TS/VIDEO_TS.IFO" if n == 0 else f"VIDEO_TS/VTS_{n:02d}_0.IFO"
        if n and not media.exists(rel):
            continue  # libdvdread skips a title set whose IFO it cannot open
        data = vmg if n == 0 else media.read(rel)
        md5.update(data[: len(data) // _LB * _LB])
    return md5.hexdigest()


def thediscdb_content_hash(media: DiscMedia) -> str | None:
    """TheDiscDB's content hash: MD5 over the file sizes (int64, little-endian) in name order; None if no files."""
    folder, suffix = ("VIDEO_TS", "") if media.disc_type == "dvd" else ("BDMV/STREAM", ".m2ts")
    if not media.exists(folder):
        return None
    names = sorted(n for n in media.listdir(folder) if n.lower().endswith(suffix))
    if not names:
        return None
    md5 = hashlib.md5(usedforsecurity=False)
    for name in names:
        md5.update(struct.pack("<q", media.size(f"{folder}/{name}")))
    return md5.hexdigest().upper()


def aacs_disc_hash(media: DiscMedia) -> str | None:
    """SHA-1 of AACS/Unit_Key_RO.inf (the disc id libaacs and KEYDB.cfg use), or None when the disc has none."""
    rel = "AACS/Unit_Key_RO.inf"
    if not media.exists(rel):
        return None
    return hashlib.sha1(media.read(rel), usedforsecurity=False).hexdigest().upper()


def public_ids(media: DiscMedia) -> PublicIds:
    """Every public id that applies to the disc's kind."""
    try:
        if media.disc_type == "cd":
            return _cd_ids(media)
        if media.disc_type == "dvd":
            return PublicIds(dvd_disc_id=dvd_disc_id(media), thediscdb_content_hash=thediscdb_content_hash(media))
        return PublicIds(thediscdb_content_hash=thediscdb_content_hash(media), aacs_disc_hash=aacs_disc_hash(media))
    except MediaError as e:
        raise FingerprintError(f"{media.source}: {e}") from e


def _cd_ids(media: DiscMedia) -> PublicIds:
    from amphigory_daemon.formats.discid import DiscIdError, freedb_disc_id, musicbrainz_disc_id

    try:
        toc = _disc_toc(media)
        return PublicIds(musicbrainz_disc_id=musicbrainz_disc_id(toc), freedb_id=freedb_disc_id(toc))
    except DiscIdError as e:
        raise FingerprintError(f"{media.source}: {e}") from e


def identify_media(media: DiscMedia) -> DiscIdentity:
    """Type, volume name, fingerprint and public ids of an opened disc."""
    return DiscIdentity(media.disc_type, media.volume_name, fingerprint_media(media), public_ids(media))


def identify(path: str | Path) -> DiscIdentity:
    """Open the disc at `path` and say who it is; every failure is a `FingerprintError`."""
    try:
        media = open_disc(path)
    except MediaError as e:
        raise FingerprintError(f"cannot identify {path}: {e}") from e
    with media:
        return identify_media(media)

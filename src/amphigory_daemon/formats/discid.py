"""CD disc ids from a TOC: MusicBrainz (libdiscid's algorithm) and freedb/CDDB.

MusicBrainz: SHA-1 over the upper-case hex of the first and last track numbers (2 digits each), the lead-out
and 99 track offsets (8 digits each, missing tracks 0), then base64 with ``+/=`` replaced by ``._-``. Only the
audio session counts: on an Enhanced CD the data track at the end is dropped and the lead-out is put 11,400
sectors before it, where the audio session ended. freedb: the sum of the digit sums of every track's start in
whole seconds (mod 255), the disc length in seconds, and the track count, over all tracks, data included.
Offsets and lead-out include the 150-sector lead-in, as `DiscToc` holds them.
"""

from __future__ import annotations

import base64
import hashlib
import itertools

from amphigory_daemon.formats.cue import FRAMES_PER_SECOND, SESSION_GAP, DiscToc
from amphigory_daemon.formats.errors import FormatError

_MAX_TRACKS = 99


class DiscIdError(FormatError):
    """A TOC that no disc id can be computed for (no tracks, offsets out of order, too many tracks)."""


def _check(first: int, last: int, leadout: int, offsets: tuple[int, ...]) -> None:
    if not offsets or not 1 <= first <= last <= _MAX_TRACKS or len(offsets) != last - first + 1:
        raise DiscIdError(f"bad track range {first}..{last} for {len(offsets)} offsets")
    if any(b < a for a, b in itertools.pairwise(offsets)) or leadout < offsets[-1] or offsets[0] < 0:
        raise DiscIdError("offsets must increase and end before the lead-out")
    if leadout >= 1 << 32:
        raise DiscIdError("lead-out out of range")


def audio_session(toc: DiscToc) -> DiscToc:
    """The TOC a MusicBrainz id is computed over: trailing data tracks dropped, lead-out where audio ended."""
    last, leadout = toc.last, toc.leadout
    while last > toc.first and last in toc.data_tracks and (last - 1) not in toc.data_tracks:
        data_start = toc.offsets[last - toc.first]
        leadout = data_start - SESSION_GAP
        if leadout <= toc.offsets[last - 1 - toc.first]:
            # an image laid out without the gap between the sessions (a sheet for burning, a data track appended
            # to the audio): the audio session ends where the data track starts in it
            leadout = data_start
        last -= 1
    offsets = toc.offsets[: last - toc.first + 1]
    return DiscToc(toc.first, last, leadout, offsets, frozenset(toc.data_tracks & set(range(toc.first, last + 1))))


def musicbrainz_id_from(first: int, last: int, leadout: int, offsets: tuple[int, ...]) -> str:
    """MusicBrainz disc id of exactly these numbers (no data-track handling)."""
    _check(first, last, leadout, offsets)
    slots = [0] * (first - 1) + list(offsets)  # slot n holds track n's offset, as libdiscid's table does
    table = [leadout, *slots, *[0] * (_MAX_TRACKS - len(slots))]
    text = f"{first:02X}{last:02X}" + "".join(f"{value:08X}" for value in table)
    digest = hashlib.sha1(text.encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii").translate(str.maketrans("+/=", "._-"))


def musicbrainz_disc_id(toc: DiscToc) -> str:
    """MusicBrainz disc id of a disc, over its audio session."""
    audio = audio_session(toc)
    return musicbrainz_id_from(audio.first, audio.last, audio.leadout, audio.offsets)


def musicbrainz_toc_string(toc: DiscToc) -> str:
    """The ``first last leadout offsets...`` string MusicBrainz's web service takes (``toc=``)."""
    audio = audio_session(toc)
    return " ".join(str(v) for v in (audio.first, audio.last, audio.leadout, *audio.offsets))


def freedb_id_from(leadout: int, offsets: tuple[int, ...]) -> str:
    """freedb/CDDB disc id (8 lower-case hex digits) of these offsets and lead-out."""
    _check(1, len(offsets), leadout, offsets)
    checksum = sum(sum(int(d) for d in str(offset // FRAMES_PER_SECOND)) for offset in offsets) % 255
    seconds = leadout // FRAMES_PER_SECOND - offsets[0] // FRAMES_PER_SECOND
    return f"{(checksum << 24) | ((seconds & 0xFFFF) << 8) | len(offsets):08x}"


def freedb_disc_id(toc: DiscToc) -> str:
    """freedb/CDDB disc id of a disc, over all its tracks."""
    return freedb_id_from(toc.leadout, toc.offsets)

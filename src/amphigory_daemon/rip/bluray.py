"""A Blu-ray title's ffmpeg plan: its playlist read (from BDMV/BACKUP when damaged) and its clips found in a disc
folder, or their extents in an image's UDF file system, read in place; imported only for Blu-ray jobs."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from amphigory_daemon.formats.bluray import BlurayError
from amphigory_daemon.formats.bluray_clpi import parse_clpi
from amphigory_daemon.formats.bluray_mpls import BlurayPlaylist, parse_mpls, playlist_number
from amphigory_daemon.formats.errors import FormatError
from amphigory_daemon.media import DiscMedia, FolderMedia, MediaError, UdfMedia
from amphigory_daemon.media.bdmv_backup import parse_with_backup
from amphigory_daemon.rip.errors import RipError
from amphigory_daemon.rip.models import RipJob
from amphigory_daemon.rip.plans import Plan, bluray_image_plan, bluray_plan, play_item_trims


def bluray_title_plan(job: RipJob, playlist: object, tmp: Path) -> Plan:
    """The plan for ``job``'s playlist (``source.playlist``: a name or a number); `RipError` ``invalid_job`` when
    it is missing or unreadable, ``disc_ejected`` when the disc went away."""
    if not isinstance(playlist, str | int):
        raise RipError("invalid_job", "a Blu-ray title needs source.playlist")
    name = f"{int(playlist):05d}.mpls" if isinstance(playlist, int) else playlist
    if not job.source.is_dir():
        return _bluray_image(job.source, name, tmp)
    try:
        # a disc folder, its BDMV folder, or a copy whose names a tool lower-cased: found as a scan finds them
        with FolderMedia(job.source) as media:
            parsed = _read_playlist(media, name)
            _plays_something(parsed, name)
            clips = [media.locate(f"BDMV/STREAM/{item.clip_id}.m2ts") for item in parsed.play_items]
            trims = play_item_trims(parsed, _clip_spans(media, parsed))
            bdmv = media.locate("BDMV/index.bdmv").parent if media.exists("BDMV/index.bdmv") else clips[0].parent.parent
    except (BlurayError, ValueError) as exc:
        raise RipError("invalid_job", f"unreadable playlist {name}: {exc}") from exc
    except MediaError as exc:
        raise RipError("disc_ejected" if not job.source.exists() else "invalid_job", str(exc)) from exc
    return bluray_plan(bdmv, parsed, tmp, clips, trims)


def _read_playlist(media: DiscMedia, name: str) -> BlurayPlaylist:
    """The playlist `name`, from BDMV/BACKUP when the file itself is damaged (as a scan reads it)."""
    return parse_with_backup(media, f"BDMV/PLAYLIST/{name}", partial(parse_mpls, number=playlist_number(name)))


def _plays_something(playlist: BlurayPlaylist, name: str) -> None:
    if not any(item.out_time > item.in_time for item in playlist.play_items):
        raise RipError("invalid_job", f"playlist {name} plays nothing (it has no play item with a length)")


def _clip_spans(media: DiscMedia, playlist: BlurayPlaylist) -> list[tuple[int, int] | None]:
    """Each play item's clip's presentation start and end (its CLPI's), None where the CLPI is missing or bad."""
    spans: list[tuple[int, int] | None] = []
    for item in playlist.play_items:
        try:
            info = parse_with_backup(media, f"BDMV/CLIPINF/{item.clip_id}.clpi", parse_clpi)
        except (FormatError, MediaError, OSError):
            info = None
        spans.append((info.start_time, info.end_time) if info is not None else None)
    return spans


def _bluray_image(image: Path, name: str, tmp: Path) -> Plan:
    """A playlist of a Blu-ray image (or device): its clips' extents from the UDF file system, read in place."""
    try:
        with UdfMedia(image) as media:
            parsed = _read_playlist(media, name)
            _plays_something(parsed, name)
            extents = [media.extents(f"BDMV/STREAM/{item.clip_id}.m2ts") for item in parsed.play_items]
            trims = play_item_trims(parsed, _clip_spans(media, parsed))
    except (BlurayError, ValueError) as exc:
        raise RipError("invalid_job", f"unreadable playlist {name}: {exc}") from exc
    except MediaError as exc:
        raise RipError("disc_ejected" if not image.exists() else "invalid_job", str(exc)) from exc
    return bluray_image_plan(image, parsed, extents, tmp, trims)

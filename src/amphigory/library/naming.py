"""Plex/Jellyfin library paths (DESIGN.md "Transcode and file"): disc and track in, a library-relative path out.

    Movies/Title (Year)/Title (Year).mkv                  main feature
    Movies/Title (Year)/Title (Year) - Director's Cut.mkv alternate feature (Plex/Jellyfin "versions")
    Movies/Title (Year)/Trailers/<name>.mkv               extras: Trailers, Featurettes, Deleted Scenes,
                                                          Behind The Scenes, Interviews, Other
    TV Shows/Show (Year)/Featurettes/<name>.mkv           a series disc's extras
    TV Shows/Show (Year)/Season 01/Show (Year) - s01e01 - Episode Name.mkv
    TV Shows/Show (Year)/Season 01/Show (Year) - s01e01-e02.mkv   a title holding two episodes
    TV Shows/Show (Year)/Season 00/Show (Year) - s00e03.mkv       a special
    Music/Artist/Album (Year)/01 Title.flac

Pure: no file system. Every component comes from `safe_name`, so nothing a disc or a person supplies can add a
separator, a `..` or a hidden name; `unique_path` picks `Name (2).mkv` when a path is taken (never overwrite).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from amphigory_protocol.naming import safe_name

MOVIES, TV_SHOWS, MUSIC = "Movies", "TV Shows", "Music"
EXTRA_FOLDERS: Mapping[str, str] = {
    "trailer": "Trailers",
    "featurette": "Featurettes",
    "deleted_scene": "Deleted Scenes",
    "behind_the_scenes": "Behind The Scenes",
    "interview": "Interviews",
}
OTHER_FOLDER = "Other"  # extra, other, and anything else (play_all, duplicate) a person chose to keep
_LABELS = {"trailer": "Trailer", "featurette": "Featurette", "deleted_scene": "Deleted Scene",
           "behind_the_scenes": "Behind The Scenes", "interview": "Interview"}
# "s02e05", "S2E5", "2x05", optionally followed by " - Title": a person's explicit episode numbering.
_EPISODE = re.compile(r"^\s*(?:[sS](\d{1,3})\s*[eE](\d{1,4})|(\d{1,3})[xX](\d{1,4}))\b\s*(?:[-–—:.]\s*)?(.*)$")
_YEAR_SUFFIX = re.compile(r"\s*\((\d{4})\)\s*$")
# Extensions the library accepts; a ripped file's own suffix is used only when it is one of these.
MEDIA_EXTENSIONS = frozenset({".mkv", ".mp4", ".m4v", ".flac", ".wav", ".mka"})


@dataclass(frozen=True)
class DiscInfo:
    """What naming needs of a disc: its (person-given) title and year, type, and for CDs the artist."""

    title: str
    year: int | None = None
    disc_type: str | None = None
    artist: str | None = None
    series: bool = False  # a series disc: its extras go beside the show's seasons, not under Movies


@dataclass(frozen=True)
class TrackInfo:
    """What naming needs of a track: number, the person's name (or the disc's, for CD tracks), its type, and its
    season and episode(s) where identification numbered it."""

    number: int
    name: str | None = None
    type: str = "other"
    season: int | None = None
    episode: int | None = None
    episode_end: int | None = None


@dataclass(frozen=True)
class Episode:
    season: int
    episode: int
    title: str | None = None
    episode_end: int | None = None  # the last episode of a title holding several (s01e01-e02)


def titled(title: str, year: int | None) -> str:
    """``Title (Year)`` (or ``Title``), made safe; a title already ending in the same ``(Year)`` keeps one."""
    text = title.strip()
    match = _YEAR_SUFFIX.search(text)
    if match and (year is None or int(match.group(1)) == year):
        text = text[: match.start()]
        year = int(match.group(1))
    base = safe_name(text, "Untitled")
    return safe_name(f"{base} ({year})" if year else base, "Untitled")


def parse_episode(name: str | None) -> Episode | None:
    """The person's explicit numbering in a name (``s02e05 - Pilot``, ``2x05``), else None."""
    if not name:
        return None
    match = _EPISODE.match(name)
    if match is None:
        return None
    season = int(match.group(1) or match.group(3))
    episode = int(match.group(2) or match.group(4))
    rest = match.group(5).strip()
    return Episode(season, episode, rest or None)


def episode_numbers(tracks: Iterable[TrackInfo]) -> dict[int, Episode]:
    """Season and episode of every episode track: the person's numbering where the name sets one, else the
    track's own (from identification, the name being the episode's), else season 1 and the next number in track
    order that no explicit season-1 episode has taken."""
    episodes = sorted((t for t in tracks if t.type == "episode"), key=lambda t: t.number)
    explicit = {t.number: e for t in episodes if (e := parse_episode(t.name) or _numbered(t)) is not None}
    taken = {n for e in explicit.values() if e.season == 1 for n in range(e.episode, (e.episode_end or e.episode) + 1)}
    out: dict[int, Episode] = {}
    counter = 0
    for track in episodes:
        if track.number in explicit:
            out[track.number] = explicit[track.number]
            continue
        counter += 1
        while counter in taken:
            counter += 1
        out[track.number] = Episode(1, counter, track.name.strip() if track.name and track.name.strip() else None)
    return out


def _numbered(track: TrackInfo) -> Episode | None:
    if track.season is None or track.episode is None:
        return None
    end = track.episode_end if track.episode_end is not None and track.episode_end > track.episode else None
    return Episode(track.season, track.episode, _chosen(track.name), end)


def library_path(disc: DiscInfo, track: TrackInfo, ext: str = ".mkv", episode: Episode | None = None) -> PurePosixPath:
    """The track's path relative to the library root. ``episode`` is the track's numbering (`episode_numbers`);
    an episode without one is episode ``track.number`` of season 1."""
    ext = ext.lower() if ext.lower() in MEDIA_EXTENSIONS else ".mkv"
    if disc.disc_type == "cd":
        return _music_path(disc, track, ext)
    name = titled(disc.title, disc.year)
    if track.type == "episode":
        ep = episode or _numbered(track) or Episode(1, track.number, None)
        stem = f"{name} - s{ep.season:02d}e{ep.episode:02d}"
        if ep.episode_end is not None:
            stem = f"{stem}-e{ep.episode_end:02d}"
        if ep.title:
            stem = f"{stem} - {ep.title}"
        return PurePosixPath(TV_SHOWS, name, f"Season {ep.season:02d}", _file(stem, ext, "episode"))
    if track.type == "main_feature":
        return PurePosixPath(MOVIES, name, _file(name, ext, "movie"))
    if track.type == "alternate_feature":
        version = _chosen(track.name) or f"Alternate {track.number:02d}"
        return PurePosixPath(MOVIES, name, _file(f"{name} - {version}", ext, "movie"))
    folder = EXTRA_FOLDERS.get(track.type, OTHER_FOLDER)
    label = _LABELS.get(track.type, "Extra")
    stem = _chosen(track.name) or f"{label} {track.number:02d}"
    return PurePosixPath(TV_SHOWS if disc.series else MOVIES, name, folder,
                         _file(stem, ext, f"title {track.number:02d}"))


def _music_path(disc: DiscInfo, track: TrackInfo, ext: str) -> PurePosixPath:
    artist = safe_name(disc.artist or "", "Unknown Artist")
    album = titled(disc.title, disc.year)
    title = _chosen(track.name) or f"Track {track.number:02d}"
    return PurePosixPath(MUSIC, artist, album, _file(f"{track.number:02d} {title}", ext, f"{track.number:02d}"))


def _chosen(name: str | None) -> str | None:
    return name.strip() if name and name.strip() else None


def _file(stem: str, ext: str, fallback: str) -> str:
    return safe_name(stem, fallback) + ext


def numbered(path: PurePosixPath, n: int) -> PurePosixPath:
    """``path`` with `` (n)`` before its extension; n = 1 is the path itself."""
    return path if n <= 1 else path.with_name(f"{path.stem} ({n}){path.suffix}")


def unique_path(path: PurePosixPath, taken: Callable[[PurePosixPath], bool], limit: int = 999) -> PurePosixPath:
    """The first of ``path``, ``path (2)``, ``path (3)``... that is not ``taken``."""
    for n in range(1, limit + 1):
        candidate = numbered(path, n)
        if not taken(candidate):
            return candidate
    raise FileExistsError(f"{path} and {limit - 1} numbered variants are all taken")


def is_safe_relative(path: PurePosixPath) -> bool:
    """True when every component of ``path`` is a harmless name (no root, no ``..``, nothing hidden)."""
    return not path.is_absolute() and bool(path.parts) and all(
        part == safe_name(part, "", max_bytes=255) and not part.startswith(".") for part in path.parts)

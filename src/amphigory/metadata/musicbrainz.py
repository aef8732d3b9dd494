"""MusicBrainz: the releases that hold a CD, by its disc id (`/ws/2/discid/{id}?inc=recordings+artist-credits`).

The JSON web service answers a disc id with `{"id", "sectors", "offsets", "releases": [...]}`; each release has
`id`, `title`, `date`, `country`, `artist-credit` (`[{"name", "joinphrase", "artist": {...}}]`) and `media`
(`position`, `format`, `discs: [{"id"}]`, `tracks: [{"position", "number", "title", "length" (ms),
"artist-credit", "recording": {...}}]`). An unknown disc id is a 404. Several releases are reissues: candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from amphigory.metadata.cache import LookupCache, cached
from amphigory.metadata.http import MUSICBRAINZ_INTERVAL, Http
from amphigory.metadata.shapes import ParseError, as_dict, as_int, as_list

SERVICE = "musicbrainz"


@dataclass(frozen=True)
class Track:
    position: int
    title: str
    artist: str | None
    length_seconds: float | None


@dataclass(frozen=True)
class Release:
    id: str
    title: str
    artist: str | None
    year: int | None
    date: str | None
    country: str | None
    medium: int  # which disc of the release this disc id is (1-based)
    media_count: int
    tracks: tuple[Track, ...]
    front_cover: bool  # the release's cover-art-archive block says it has a front image


def artist_credit(credits: Any) -> str | None:
    """A credit list as MusicBrainz prints it: names joined by their join phrases ("A feat. B")."""
    if not isinstance(credits, list) or not credits:
        return None
    text = "".join(f"{c.get('name') or (c.get('artist') or {}).get('name') or ''}{c.get('joinphrase') or ''}"
                   for c in credits if isinstance(c, dict))
    return text.strip() or None


def _medium(media: list[Any], disc_id: str) -> tuple[int, dict[str, Any]] | None:
    for n, medium in enumerate(media, 1):
        if isinstance(medium, dict) and any(isinstance(d, dict) and d.get("id") == disc_id
                                            for d in medium.get("discs") or []):
            return as_int(medium.get("position")) or n, medium
    return None


def _track(raw: Any, album_artist: str | None) -> Track:
    if not isinstance(raw, dict):
        raise ParseError(SERVICE, "a track is not an object")
    recording = as_dict(raw.get("recording"))
    artist = artist_credit(raw.get("artist-credit")) or artist_credit(recording.get("artist-credit"))
    length = raw.get("length") if isinstance(raw.get("length"), int) else recording.get("length")
    return Track(position=as_int(raw.get("position")) or 0, title=str(raw.get("title") or recording.get("title") or ""),
                 artist=artist if artist != album_artist else None,
                 length_seconds=length / 1000 if isinstance(length, int) else None)


def parse_release(raw: Any, disc_id: str | None) -> Release | None:
    """One release (of a disc id answer or a release lookup) with the tracks of the medium that holds `disc_id`
    (the first medium when none says so); None when it lists no medium."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise ParseError(SERVICE, "a release without an id")
    media = as_list(raw.get("media"))
    found = ((_medium(media, disc_id) if disc_id else None) or (1, as_dict(media[0]))) if media else None
    if found is None:
        return None
    position, medium = found
    artist = artist_credit(raw.get("artist-credit"))
    date = raw.get("date") if isinstance(raw.get("date"), str) and raw.get("date") else None
    caa = as_dict(raw.get("cover-art-archive"))
    return Release(
        id=raw["id"], title=str(raw.get("title") or ""), artist=artist,
        year=int(date[:4]) if date and date[:4].isdigit() else None, date=date,
        country=raw.get("country") or None, medium=position, media_count=len(media),
        tracks=tuple(_track(t, artist) for t in as_list(medium.get("tracks"))),
        front_cover=caa.get("front") in (True, "true"),
    )


def parse_discid(data: Any, disc_id: str) -> list[Release]:
    """Every release in a disc id answer that holds this disc, with the tracks of the medium that is it."""
    if not isinstance(data, dict):
        raise ParseError(SERVICE, "answer is not an object")
    releases = data.get("releases")
    if releases is None:
        return []  # a disc id that matched a CD stub only
    if not isinstance(releases, list):
        raise ParseError(SERVICE, "releases is not a list")
    return [r for r in (parse_release(raw, disc_id) for raw in releases) if r is not None]


@dataclass(frozen=True)
class Found:
    """One result of a release search (`/ws/2/release?query=`): `score` is MusicBrainz's own, 0..100."""

    id: str
    title: str
    artist: str | None
    year: int | None
    score: int


def parse_search(data: Any) -> list[Found]:
    """A release search answer: `{"created", "count", "offset", "releases": [{"id", "score", "title",
    "artist-credit", "date", ...}]}`."""
    releases = as_dict(data).get("releases")
    if not isinstance(releases, list):
        raise ParseError(SERVICE, "search answer without releases")
    out = []
    for raw in releases:
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            date = str(raw.get("date") or "")
            out.append(Found(id=raw["id"], title=str(raw.get("title") or ""),
                             artist=artist_credit(raw.get("artist-credit")),
                             year=int(date[:4]) if date[:4].isdigit() else None,
                             score=as_int(raw.get("score"), 0) or 0))
    return out


class MusicBrainz:
    def __init__(self, http: Http, base_url: str, cache: LookupCache | None = None) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._cache = cache
        http.pace(self._base, MUSICBRAINZ_INTERVAL)

    # "inc" is written out, not passed as params: "+" separates its values, and an encoded "%2B" would not.
    async def releases(self, disc_id: str) -> list[Release]:
        url = f"{self._base}/discid/{quote(disc_id, safe='')}?inc=recordings+artist-credits&fmt=json"
        data = await cached(self._cache, f"{SERVICE}:discid:{disc_id}",
                            lambda: self._http.request_json(SERVICE, "GET", url))
        return [] if data is None else parse_discid(data, disc_id)

    async def release(self, release_id: str, disc_id: str | None = None) -> Release | None:
        """A release looked up by its id (a person's pick from a search), with the medium holding `disc_id`."""
        url = f"{self._base}/release/{quote(release_id, safe='')}?inc=recordings+artist-credits+discids&fmt=json"
        data = await cached(self._cache, f"{SERVICE}:release:{release_id}",
                            lambda: self._http.request_json(SERVICE, "GET", url))
        return None if data is None else parse_release(data, disc_id)

    async def search(self, query: str, limit: int = 10) -> list[Found]:
        params = {"query": query, "fmt": "json", "limit": str(limit)}
        data = await cached(self._cache, f"{SERVICE}:search:{query}:{limit}",
                            lambda: self._http.request_json(SERVICE, "GET", f"{self._base}/release", params=params))
        return [] if data is None else parse_search(data)

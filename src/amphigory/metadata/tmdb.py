"""TMDB v3: movie and TV search, movie details, TV and season details, and the image base URL.

Shapes as TMDB documents them: `/search/movie` and `/search/tv` answer `{"page", "results": [...],
"total_pages", "total_results"}` (a movie result has `title`, `release_date` "YYYY-MM-DD", a TV result `name`,
`first_air_date`); `/movie/{id}` has `runtime` (minutes) and `imdb_id`; `/tv/{id}` has `seasons`
(`season_number`, `episode_count`) and `episode_run_time`; `/tv/{id}/season/{n}` has `episodes` (`episode_number`,
`name`, `runtime`); `/configuration` has `images.secure_base_url` and `images.poster_sizes`. The token goes in
`Authorization: Bearer` and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amphigory.metadata.cache import LookupCache, cached
from amphigory.metadata.http import Http
from amphigory.metadata.shapes import ParseError, as_int, as_list

SERVICE = "tmdb"


@dataclass(frozen=True)
class Hit:
    """One search result, a film or a series."""

    id: int
    title: str
    year: int | None
    series: bool
    poster_path: str | None = None
    overview: str | None = None
    original_title: str | None = None


@dataclass(frozen=True)
class Movie:
    id: int
    title: str
    year: int | None
    runtime_minutes: int | None
    imdb_id: str | None
    poster_path: str | None = None


@dataclass(frozen=True)
class Episode:
    season: int
    number: int
    name: str
    runtime_minutes: int | None


@dataclass(frozen=True)
class Show:
    id: int
    name: str
    year: int | None
    seasons: tuple[tuple[int, int], ...]  # (season number, episode count), specials (0) included
    episode_run_time: tuple[int, ...]
    poster_path: str | None = None


def _year(date: Any) -> int | None:
    if isinstance(date, str) and len(date) >= 4 and date[:4].isdigit():
        return int(date[:4])
    return None


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ParseError(SERVICE, f"{what}: answer is not an object")
    return data


def _id(raw: dict[str, Any], what: str) -> int:
    value = raw.get("id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ParseError(SERVICE, f"{what} without an id")
    return value


def _minutes(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def parse_search(data: Any, series: bool) -> list[Hit]:
    """`/search/movie` (series=False) or `/search/tv` (series=True) results."""
    results = _object(data, "search").get("results")
    if not isinstance(results, list):
        raise ParseError(SERVICE, "search answer without results")
    hits = []
    for raw in results:
        raw = _object(raw, "search result")
        name = raw.get("name" if series else "title")
        if not isinstance(name, str) or not name:
            continue
        hits.append(Hit(
            id=_id(raw, "search result"), title=name, series=series,
            year=_year(raw.get("first_air_date" if series else "release_date")),
            poster_path=raw.get("poster_path") or None, overview=raw.get("overview") or None,
            original_title=raw.get("original_name" if series else "original_title") or None,
        ))
    return hits


def parse_movie(data: Any) -> Movie:
    raw = _object(data, "movie")
    return Movie(id=_id(raw, "movie"), title=str(raw.get("title") or ""), year=_year(raw.get("release_date")),
                 runtime_minutes=_minutes(raw.get("runtime")), imdb_id=raw.get("imdb_id") or None,
                 poster_path=raw.get("poster_path") or None)


def parse_show(data: Any) -> Show:
    raw = _object(data, "tv")
    seasons = tuple(
        (s["season_number"], as_int(s.get("episode_count"), 0) or 0) for s in as_list(raw.get("seasons"))
        if isinstance(s, dict) and isinstance(s.get("season_number"), int))
    return Show(id=_id(raw, "tv"), name=str(raw.get("name") or ""), year=_year(raw.get("first_air_date")),
                seasons=seasons, poster_path=raw.get("poster_path") or None,
                episode_run_time=tuple(m for m in as_list(raw.get("episode_run_time")) if _minutes(m)))


def parse_season(data: Any) -> list[Episode]:
    raw = _object(data, "season")
    episodes = raw.get("episodes")
    if not isinstance(episodes, list):
        raise ParseError(SERVICE, "season without episodes")
    out = []
    for e in episodes:
        e = _object(e, "episode")
        if isinstance(e.get("episode_number"), int):
            out.append(Episode(season=as_int(e.get("season_number")) or as_int(raw.get("season_number")) or 0,
                               number=e["episode_number"], name=str(e.get("name") or ""),
                               runtime_minutes=_minutes(e.get("runtime"))))
    return out


def parse_image_base(data: Any) -> str:
    """The poster URL prefix: `images.secure_base_url` + a middle poster size ("w342" when offered)."""
    images = _object(_object(data, "configuration").get("images"), "configuration images")
    base = images.get("secure_base_url") or images.get("base_url")
    if not isinstance(base, str) or not base:
        raise ParseError(SERVICE, "configuration without an image base URL")
    sizes = [s for s in images.get("poster_sizes") or [] if isinstance(s, str)]
    size = "w342" if "w342" in sizes else (sizes[len(sizes) // 2] if sizes else "original")
    return base.rstrip("/") + "/" + size


class Tmdb:
    """The TMDB look-ups identification needs, each cached."""

    def __init__(self, http: Http, base_url: str, token: str, cache: LookupCache | None = None) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._cache = cache

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        key = f"{SERVICE}:{path}?" + "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
        return await cached(self._cache, key, lambda: self._http.request_json(
            SERVICE, "GET", self._base + path, params=params, headers=self._headers))

    async def search(self, query: str, series: bool, year: int | None = None) -> list[Hit]:
        params = {"query": query, "include_adult": "false", "page": "1"}
        if year is not None:
            params["first_air_date_year" if series else "year"] = str(year)
        data = await self._get("/search/tv" if series else "/search/movie", params)
        return [] if data is None else parse_search(data, series)

    async def movie(self, movie_id: int) -> Movie | None:
        data = await self._get(f"/movie/{movie_id}")
        return None if data is None else parse_movie(data)

    async def show(self, show_id: int) -> Show | None:
        data = await self._get(f"/tv/{show_id}")
        return None if data is None else parse_show(data)

    async def season(self, show_id: int, number: int) -> list[Episode]:
        data = await self._get(f"/tv/{show_id}/season/{number}")
        return [] if data is None else parse_season(data)

    async def image_base(self) -> str | None:
        data = await self._get("/configuration")
        return None if data is None else parse_image_base(data)

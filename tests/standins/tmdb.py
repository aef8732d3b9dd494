"""TMDB v3: search, movie, TV and season details, configuration, in the shapes TMDB documents.

Search works as TMDB's does for these purposes: every query word must begin a word of the title (or original
title), case, accents and punctuation ignored; results by popularity. A request without `Authorization: Bearer
<token>` gets TMDB's 401.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from standins.server import Answer, StandIn, json_answer

TOKEN = "test-tmdb-token"


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace("'", "")
    return re.sub(r"[^a-z0-9]+", " ", plain).split()


@dataclass
class Film:
    id: int
    title: str
    release_date: str
    runtime: int
    imdb_id: str | None = None
    popularity: float = 10.0
    original_title: str | None = None


@dataclass
class Series:
    id: int
    name: str
    first_air_date: str
    seasons: dict[int, list[tuple[str, int | None]]] = field(default_factory=dict)  # n -> [(name, runtime)]
    popularity: float = 10.0


def _matches(query: str, *titles: str | None) -> bool:
    wanted = _words(query)
    for title in titles:
        have = _words(title or "")
        if wanted and all(any(h.startswith(w) for h in have) for w in wanted):
            return True
    return False


class TmdbStandIn(StandIn):
    def __init__(self, films: list[Film] | None = None, series: list[Series] | None = None) -> None:
        super().__init__()
        self.films = {f.id: f for f in films or []}
        self.series = {s.id: s for s in series or []}

    def _film_result(self, f: Film) -> dict[str, Any]:
        return {"adult": False, "backdrop_path": None, "genre_ids": [18], "id": f.id, "original_language": "en",
                "original_title": f.original_title or f.title, "overview": f"About {f.title}.",
                "popularity": f.popularity, "poster_path": f"/poster{f.id}.jpg", "release_date": f.release_date,
                "title": f.title, "video": False, "vote_average": 7.0, "vote_count": 100}

    def _series_result(self, s: Series) -> dict[str, Any]:
        return {"adult": False, "backdrop_path": None, "genre_ids": [35], "id": s.id, "origin_country": ["US"],
                "original_language": "en", "original_name": s.name, "overview": f"About {s.name}.",
                "popularity": s.popularity, "poster_path": f"/tvposter{s.id}.jpg",
                "first_air_date": s.first_air_date, "name": s.name, "vote_average": 7.5, "vote_count": 100}

    @staticmethod
    def _page(results: list[dict[str, Any]]) -> dict[str, Any]:
        return {"page": 1, "results": results[:20], "total_pages": 1 if results else 0,
                "total_results": len(results)}

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer:
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return json_answer({"status_code": 7, "status_message": "Invalid API key: You must be granted a "
                                "valid key.", "success": False}, 401)
        text = (query.get("query") or [""])[0]
        parts = path.strip("/").split("/")
        if parts[-2:] == ["search", "movie"]:
            year = (query.get("year") or [None])[0]
            found = [f for f in self.films.values() if _matches(text, f.title, f.original_title)
                     and (year is None or f.release_date.startswith(year))]
            return json_answer(self._page([self._film_result(f) for f in
                                           sorted(found, key=lambda f: -f.popularity)]))
        if parts[-2:] == ["search", "tv"]:
            found_tv = [s for s in self.series.values() if _matches(text, s.name)]
            return json_answer(self._page([self._series_result(s) for s in
                                           sorted(found_tv, key=lambda s: -s.popularity)]))
        if parts[-1] == "configuration":
            return json_answer({"images": {
                "base_url": "http://image.tmdb.org/t/p/", "secure_base_url": "https://image.tmdb.org/t/p/",
                "backdrop_sizes": ["w300", "w780", "w1280", "original"], "logo_sizes": ["w45", "original"],
                "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
                "profile_sizes": ["w45", "original"], "still_sizes": ["w92", "original"]},
                "change_keys": ["adult", "title"]})
        if len(parts) >= 2 and parts[-2] == "movie" and parts[-1].isdigit() and int(parts[-1]) in self.films:
            f = self.films[int(parts[-1])]
            return json_answer({**self._film_result(f), "runtime": f.runtime, "imdb_id": f.imdb_id,
                                "status": "Released", "tagline": "", "budget": 0, "revenue": 0,
                                "genres": [{"id": 18, "name": "Drama"}], "homepage": ""})
        if len(parts) >= 2 and parts[-2] == "tv" and parts[-1].isdigit() and int(parts[-1]) in self.series:
            s = self.series[int(parts[-1])]
            seasons = [{"air_date": s.first_air_date, "episode_count": len(eps), "id": s.id * 100 + n,
                        "name": "Specials" if n == 0 else f"Season {n}", "overview": "", "poster_path": None,
                        "season_number": n, "vote_average": 0} for n, eps in sorted(s.seasons.items())]
            runtimes = sorted({r for eps in s.seasons.values() for _, r in eps if r})
            return json_answer({**self._series_result(s), "seasons": seasons, "episode_run_time": runtimes[:1],
                                "number_of_seasons": len([n for n in s.seasons if n > 0]),
                                "number_of_episodes": sum(len(e) for n, e in s.seasons.items() if n > 0),
                                "status": "Ended", "type": "Scripted"})
        if (len(parts) >= 4 and parts[-4] == "tv" and parts[-2] == "season" and parts[-3].isdigit()
                and parts[-1].isdigit() and int(parts[-3]) in self.series):
            s, n = self.series[int(parts[-3])], int(parts[-1])
            if n not in s.seasons:
                return json_answer({"success": False, "status_code": 34,
                                    "status_message": "The resource you requested could not be found."}, 404)
            episodes = [{"air_date": s.first_air_date, "episode_number": i, "episode_type": "standard",
                         "id": s.id * 10000 + n * 100 + i, "name": name, "overview": "", "production_code": "",
                         "runtime": runtime, "season_number": n, "show_id": s.id, "still_path": None,
                         "vote_average": 0.0, "vote_count": 0, "crew": [], "guest_stars": []}
                        for i, (name, runtime) in enumerate(s.seasons[n], 1)]
            return json_answer({"_id": f"s{s.id}{n}", "air_date": s.first_air_date, "episodes": episodes,
                                "name": f"Season {n}", "overview": "", "id": s.id * 100 + n, "poster_path": None,
                                "season_number": n, "vote_average": 0})
        return json_answer({"success": False, "status_code": 34,
                            "status_message": "The resource you requested could not be found."}, 404)

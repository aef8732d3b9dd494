"""Each service's JSON parser on answers shaped exactly as the service documents them, and on garbage."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_schema, parse, validate

from amphigory.metadata.coverart import parse_front
from amphigory.metadata.http import ServiceError
from amphigory.metadata.musicbrainz import parse_discid
from amphigory.metadata.musicbrainz import parse_search as parse_mb_search
from amphigory.metadata.shapes import ParseError
from amphigory.metadata.thediscdb import DISC_BY_CONTENT_HASH, parse_disc, parse_duration
from amphigory.metadata.tmdb import parse_image_base, parse_movie, parse_search, parse_season, parse_show
from standins.thediscdb import SCHEMA_SDL

# TheDiscDB: the answer to DISC_BY_CONTENT_HASH for "42" (TheDiscDb/data, 42 (2013)/2013-blu-ray/disc01).
DISCDB_42: dict[str, Any] = {"data": {"mediaItems": {"nodes": [{
    "title": "42", "year": 2013, "type": "Movie", "imageUrl": "Movie/42-2013/cover.jpg",
    "externalids": {"tmdb": "109410", "imdb": "tt0453562"},
    "releases": [{"title": "2013 Blu-ray", "year": 2013, "discs": [{
        "index": 1, "name": "42", "format": "Blu-Ray", "contentHash": "1A2B3C4D5E6F708192A3B4C5D6E7F801",
        "titles": [
            {"index": 0, "duration": "0:00:50", "size": 53932032, "sourceFile": "00053.mpls", "segmentMap": "13",
             "item": None},
            {"index": 3, "duration": "2:08:14", "size": 28990119936, "sourceFile": "00100.mpls", "segmentMap": "54",
             "item": {"title": "42", "type": "MainMovie", "season": None, "episode": None}},
            {"index": 7, "duration": "0:09:14", "size": 963946496, "sourceFile": "00057.m2ts", "segmentMap": "57",
             "item": {"title": "Stepping Into History", "type": "Extra", "season": None, "episode": None}},
        ]}]}]}]}}}


def test_the_discdb_query_is_valid_against_the_published_schema() -> None:
    assert validate(build_schema(SCHEMA_SDL), parse(DISC_BY_CONTENT_HASH)) == []


def test_a_discdb_answer_gives_the_work_and_every_title() -> None:
    disc = parse_disc(DISCDB_42, "1a2b3c4d5e6f708192a3b4c5d6e7f801")
    assert disc is not None
    assert (disc.work_title, disc.year, disc.series, disc.tmdb_id, disc.imdb_id) == ("42", 2013, False, 109410,
                                                                                     "tt0453562")
    assert [(t.index, t.item_type, t.name) for t in disc.titles] == [
        (0, None, None), (3, "MainMovie", "42"), (7, "Extra", "Stepping Into History")]
    assert disc.titles[1].duration_seconds == 2 * 3600 + 8 * 60 + 14


def test_discdb_episodes_seasons_and_ranges() -> None:
    answer = {"data": {"mediaItems": {"nodes": [{
        "title": "24", "year": 2001, "type": "Series", "externalids": {"tmdb": "1973", "imdb": None},
        "releases": [{"title": "Season 1", "year": 2002, "discs": [{"index": 1, "contentHash": "AB", "titles": [
            {"index": 0, "duration": "1:25:00", "size": 1, "sourceFile": "01", "segmentMap": "1",
             "item": {"title": "Pilot", "type": "Episode", "season": "1", "episode": "1-2"}}]}]}]}]}}}
    disc = parse_disc(answer, "ab")
    assert disc is not None and disc.series
    assert (disc.titles[0].season, disc.titles[0].episode, disc.titles[0].episode_end) == (1, 1, 2)


def test_unknown_hash_errors_and_garbage() -> None:
    assert parse_disc({"data": {"mediaItems": {"nodes": []}}}, "FF") is None
    assert parse_disc(DISCDB_42, "FF") is None
    with pytest.raises(ServiceError, match="GraphQL errors"):
        parse_disc({"errors": [{"message": "The field `foo` does not exist"}], "data": None}, "FF")
    with pytest.raises(ParseError):
        parse_disc({"data": {"mediaItems": {"nodes": "x"}}}, "FF")
    with pytest.raises(ParseError):
        parse_disc("<html>", "FF")
    assert parse_duration("1:02") == 62 and parse_duration("soon") is None


def test_tmdb_search_movie_and_tv() -> None:
    movies = parse_search({"page": 1, "results": [
        {"adult": False, "backdrop_path": "/p7KSFYzBHvBGSfuJIpSoTSG8AGu.jpg", "genre_ids": [18], "id": 109410,
         "original_language": "en", "original_title": "42", "overview": "The powerful story of Jackie Robinson.",
         "popularity": 12.563, "poster_path": "/iZ7jVGQWj3eBUdqwAPUlKk0BaS2.jpg", "release_date": "2013-04-12",
         "title": "42", "video": False, "vote_average": 7.1, "vote_count": 1329},
        {"id": 5, "title": "No Date", "release_date": "", "poster_path": None}],
        "total_pages": 1, "total_results": 2}, series=False)
    assert [(m.id, m.title, m.year, m.poster_path) for m in movies] == [
        (109410, "42", 2013, "/iZ7jVGQWj3eBUdqwAPUlKk0BaS2.jpg"), (5, "No Date", None, None)]
    shows = parse_search({"page": 1, "results": [
        {"id": 2316, "name": "The Office", "original_name": "The Office", "first_air_date": "2005-03-24",
         "origin_country": ["US"], "poster_path": "/7DJKHzAi83BmQrWLrYYOqcoKfhR.jpg", "popularity": 300.1}],
        "total_pages": 1, "total_results": 1}, series=True)
    assert (shows[0].id, shows[0].title, shows[0].year, shows[0].series) == (2316, "The Office", 2005, True)
    with pytest.raises(ParseError):
        parse_search({"status_code": 7, "status_message": "Invalid API key"}, series=False)


def test_tmdb_details_season_and_configuration() -> None:
    movie = parse_movie({"id": 109410, "title": "42", "release_date": "2013-04-12", "runtime": 128,
                         "imdb_id": "tt0453562", "poster_path": "/x.jpg"})
    assert (movie.runtime_minutes, movie.imdb_id, movie.year) == (128, "tt0453562", 2013)
    assert parse_movie({"id": 1, "title": "Unreleased", "runtime": 0}).runtime_minutes is None
    show = parse_show({"id": 2316, "name": "The Office", "first_air_date": "2005-03-24", "episode_run_time": [22],
                       "seasons": [{"season_number": 0, "episode_count": 30}, {"season_number": 1,
                                                                                "episode_count": 6}]})
    assert show.seasons == ((0, 30), (1, 6)) and show.episode_run_time == (22,)
    season = parse_season({"_id": "5256c89f19c2956ff6046d47", "air_date": "2005-03-24", "season_number": 1,
                           "episodes": [{"episode_number": 1, "name": "Pilot", "runtime": 23, "season_number": 1},
                                        {"episode_number": 2, "name": "Diversity Day", "runtime": None,
                                         "season_number": 1}]})
    assert [(e.number, e.name, e.runtime_minutes) for e in season] == [(1, "Pilot", 23), (2, "Diversity Day", None)]
    base = parse_image_base({"images": {"base_url": "http://image.tmdb.org/t/p/",
                                        "secure_base_url": "https://image.tmdb.org/t/p/",
                                        "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"]},
                             "change_keys": []})
    assert base == "https://image.tmdb.org/t/p/w342"


MB_DISCID = {
    "id": "BdEV9K45yZw6X5RqOrWFZ7ojBK0-", "sectors": 1000, "offset-count": 2, "offsets": [150, 600],
    "releases": [{
        "id": "410f99f8-a876-3416-bd8e-42233a00a477", "title": "Mama Said", "status": "Official", "date": "1991-04-01",
        "country": "XE", "barcode": "0077778620921",
        "cover-art-archive": {"artwork": True, "count": 8, "front": True, "back": True, "darkened": False},
        "artist-credit": [{"name": "Lenny Kravitz", "joinphrase": "",
                           "artist": {"id": "0ef3f425-9bd2-4216-9dd2-219d2fe90f1f", "name": "Lenny Kravitz",
                                      "sort-name": "Kravitz, Lenny"}}],
        "media": [{"position": 1, "format": "CD", "track-count": 2, "track-offset": 0,
                   "discs": [{"id": "BdEV9K45yZw6X5RqOrWFZ7ojBK0-", "sectors": 1000}],
                   "tracks": [
                       {"id": "t1", "number": "1", "position": 1, "title": "Fields of Joy", "length": 233000,
                        "recording": {"id": "r1", "title": "Fields of Joy", "length": 233000},
                        "artist-credit": [{"name": "Lenny Kravitz", "joinphrase": ""}]},
                       {"id": "t2", "number": "2", "position": 2, "title": "Always on the Run", "length": 235000,
                        "recording": {"id": "r2", "title": "Always on the Run", "length": 235000},
                        "artist-credit": [{"name": "Lenny Kravitz", "joinphrase": " feat. "},
                                          {"name": "Slash", "joinphrase": ""}]}]}]}]}


def test_musicbrainz_disc_id_releases_tracks_and_credits() -> None:
    [release] = parse_discid(MB_DISCID, "BdEV9K45yZw6X5RqOrWFZ7ojBK0-")
    assert (release.title, release.artist, release.year, release.front_cover) == ("Mama Said", "Lenny Kravitz", 1991,
                                                                                  True)
    assert [(t.position, t.title, t.artist, t.length_seconds) for t in release.tracks] == [
        (1, "Fields of Joy", None, 233.0), (2, "Always on the Run", "Lenny Kravitz feat. Slash", 235.0)]
    assert parse_discid({"id": "x", "sectors": 1, "offsets": []}, "x") == []  # a CD stub only
    with pytest.raises(ParseError):
        parse_discid({"releases": [{"title": "no id"}]}, "x")


def test_cover_art_front_thumbnail() -> None:
    listing = {"images": [
        {"approved": True, "back": True, "front": False, "id": 1, "image": "http://x/back.jpg", "types": ["Back"],
         "thumbnails": {"250": "http://x/back-250.jpg", "500": "http://x/back-500.jpg"}},
        {"approved": True, "back": False, "front": True, "id": 2, "image": "http://x/front.jpg", "types": ["Front"],
         "thumbnails": {"250": "http://x/front-250.jpg", "500": "http://x/front-500.jpg",
                        "1200": "http://x/front-1200.jpg", "large": "http://x/front-500.jpg",
                        "small": "http://x/front-250.jpg"}}],
        "release": "https://musicbrainz.org/release/410f99f8-a876-3416-bd8e-42233a00a477"}
    assert parse_front(listing) == "http://x/front-500.jpg"
    assert parse_front({"images": []}) is None
    with pytest.raises(ParseError):
        parse_front([])


def test_musicbrainz_release_search() -> None:
    found = parse_mb_search({"created": "2026-11-30T10:00:00.000Z", "count": 2, "offset": 0, "releases": [
        {"id": "410f99f8-a876-3416-bd8e-42233a00a477", "score": 100, "status-id": "4e304316", "count": 1,
         "title": "Mama Said", "status": "Official", "artist-credit": [
             {"name": "Lenny Kravitz", "artist": {"id": "0ef3f425", "name": "Lenny Kravitz",
                                                  "sort-name": "Kravitz, Lenny"}}],
         "release-group": {"id": "f27cadab", "title": "Mama Said", "primary-type": "Album"},
         "date": "1991-04-01", "country": "XE", "track-count": 14,
         "media": [{"format": "CD", "disc-count": 3, "track-count": 14}]},
        {"id": "b", "score": 61, "title": "Mama Said Knock You Out", "date": ""}]})
    assert [(f.id, f.title, f.artist, f.year, f.score) for f in found] == [
        ("410f99f8-a876-3416-bd8e-42233a00a477", "Mama Said", "Lenny Kravitz", 1991, 100),
        ("b", "Mama Said Knock You Out", None, None, 61)]
    with pytest.raises(ParseError):
        parse_mb_search({"error": "Invalid query"})

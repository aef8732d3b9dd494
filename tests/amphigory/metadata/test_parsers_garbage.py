"""Any JSON at all, fed to any parser, gives an answer or a ServiceError: never another exception."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from amphigory.metadata.coverart import parse_front
from amphigory.metadata.http import ServiceError
from amphigory.metadata.musicbrainz import parse_discid, parse_release
from amphigory.metadata.musicbrainz import parse_search as parse_mb_search
from amphigory.metadata.thediscdb import parse_disc
from amphigory.metadata.tmdb import parse_image_base, parse_movie, parse_search, parse_season, parse_show

KEYS = st.sampled_from(["data", "mediaItems", "nodes", "releases", "discs", "titles", "contentHash", "index",
                        "item", "episode", "season", "results", "id", "title", "name", "runtime", "episodes",
                        "episode_number", "images", "secure_base_url", "poster_sizes", "media", "tracks",
                        "position", "length", "recording", "artist-credit", "front", "thumbnails", "errors",
                        "externalids", "tmdb", "duration", "size", "date", "seasons", "season_number", "x"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**12) | st.floats(allow_nan=False) | st.text(max_size=8)
    | st.just("AB"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25)

PARSERS: list[Callable[[Any], Any]] = [
    lambda d: parse_disc(d, "AB"), lambda d: parse_search(d, False), lambda d: parse_search(d, True), parse_movie,
    parse_show, parse_season, parse_image_base, lambda d: parse_discid(d, "AB"), parse_front,
    lambda d: parse_release(d, "AB"), parse_mb_search]


@pytest.mark.parametrize("parser", PARSERS)
@settings(max_examples=int(os.environ.get("AMPHIGORY_FUZZ_EXAMPLES", "60")), deadline=None)
@example(data={"errors": True})
@given(data=JSON)
def test_garbage_is_an_answer_or_a_service_error(parser: Callable[[Any], Any], data: Any) -> None:
    try:
        parser(data)
    except ServiceError:
        pass


def test_numbers_written_as_words_are_no_crash() -> None:
    [episode] = parse_season({"season_number": "one", "episodes": [{"episode_number": 1, "season_number": "x"}]})
    assert episode.season == 0
    [release] = parse_discid({"releases": [{"id": "r", "media": [{"position": "first", "discs": [{"id": "AB"}],
                                                                   "tracks": [{"position": "x"}]}]}]}, "AB")
    assert release.medium == 1 and release.tracks[0].position == 0

"""What a hands-free rip takes: a film's main feature and labelled extras, every episode of a series, every track of
a CD; never duplicates, play-all titles or titles under 15 s; nothing ripped twice."""

from __future__ import annotations

from typing import Any

from amphigory.api.disc_models import StoredDisc, StoredTrack
from amphigory.handsfree.selection import pick, still_to_rip
from amphigory.identify.result import Identification, TitleInfo


def disc(disc_type: str = "bluray", *tracks: dict[str, Any]) -> StoredDisc:
    return StoredDisc(fingerprint="fp", title="T", disc_type=disc_type,
                      tracks=[StoredTrack(number=i + 1, **t) for i, t in enumerate(tracks)])


def test_a_film_gives_its_main_feature_and_labelled_extras_only() -> None:
    film = disc("bluray",
                {"classification": "main_feature", "duration_seconds": 5400},
                {"classification": "trailer", "duration_seconds": 15.0},
                {"classification": "other", "duration_seconds": 600},  # not labelled: a person decides
                {"classification": "duplicate", "duration_seconds": 5400, "duplicate_of": 1},
                {"classification": "play_all", "duration_seconds": 9000},
                {"classification": "featurette", "duration_seconds": 14.9},  # menu junk
                {"classification": "deleted_scene", "duration_seconds": 120, "present": False},  # gone from the disc
                {"classification": "alternate_feature", "duration_seconds": 5500})
    assert pick(film) == [1, 2, 8]


def test_the_persons_type_and_identifications_labels_win_over_the_classification() -> None:
    film = disc("dvd", {"classification": "main_feature", "duration_seconds": 5400},
                {"classification": "other", "duration_seconds": 300},
                {"classification": "other", "duration_seconds": 200, "track_type": "interview"},
                {"classification": "trailer", "duration_seconds": 100, "track_type": "other"})
    labels = Identification(status="identified", kind="movie", titles=(TitleInfo(2, type="featurette"),))
    assert pick(film, labels) == [1, 2, 3]
    assert pick(film) == [1, 3]


def test_a_series_gives_every_episode_and_nothing_else() -> None:
    series = disc("dvd", {"classification": "play_all", "duration_seconds": 5400},
                  {"classification": "episode", "duration_seconds": 1800},
                  {"classification": "episode", "duration_seconds": 1800},
                  {"classification": "featurette", "duration_seconds": 600},
                  {"classification": "other", "duration_seconds": 1790})
    assert pick(series) == [2, 3]
    identified = Identification(status="identified", kind="series", titles=(TitleInfo(5, type="episode"),))
    assert pick(series, identified) == [2, 3, 5]


def test_a_cd_gives_every_track_however_short() -> None:
    cd = disc("cd", *({"classification": "other", "duration_seconds": 2.0} for _ in range(3)))
    assert pick(cd) == [1, 2, 3]


def test_tracks_ripped_or_on_their_way_are_not_ripped_again() -> None:
    film = disc("bluray", {"classification": "main_feature", "status": "ripped"},
                {"classification": "trailer", "status": "ripping"}, {"classification": "trailer", "status": "queued"},
                {"classification": "trailer", "status": "failed"}, {"classification": "trailer"})
    assert still_to_rip(film, [1, 2, 3, 4, 5]) == [4, 5]

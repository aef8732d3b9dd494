"""TheDiscDB titles mapped by source and duration (never position); series episodes from runtimes, disc numbers
and episodes already filed; double-length episodes and specials."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from amphigory.identify.discdb_map import map_titles
from amphigory.identify.series import EpisodeTitle, map_episodes, map_specials
from amphigory.metadata.thediscdb import DiscDbTitle
from amphigory.metadata.tmdb import Episode
from amphigory_daemon.scan.native import scan_path
from amphigory_protocol.disc import Title


def bd_title(number: int, playlist: str, seconds: float) -> Title:
    return Title(number=number, duration_seconds=seconds, source={"kind": "bluray", "playlist": playlist},
                 segment_map=[playlist[:5].lstrip("0") or "0"])


def known(index: int, source: str, seconds: float, name: str, kind: str, season: int | None = None,
          episode: int | None = None) -> DiscDbTitle:
    return DiscDbTitle(index=index, duration_seconds=seconds, size=0, source_file=source, segment_map=None,
                       name=name, item_type=kind, season=season, episode=episode)


def test_titles_map_by_playlist_not_position() -> None:
    # The Office S1 D1 as MakeMKV lists it: episodes in reverse playlist order.
    scanned = [bd_title(1, "00000.mpls", 1405), bd_title(2, "00001.mpls", 1331), bd_title(3, "00005.mpls", 1349)]
    discdb = [known(0, "00005.mpls", 1349, "Hot Girl", "Episode", 1, 6),
              known(1, "00001.mpls", 1331, "Diversity Day", "Episode", 1, 2),
              known(2, "00000.mpls", 1405, "Pilot", "Episode", 1, 1)]
    mapped = {t.number: (t.name, t.type, t.season, t.episode) for t in map_titles(scanned, discdb)}
    assert mapped == {1: ("Pilot", "episode", 1, 1), 2: ("Diversity Day", "episode", 1, 2),
                      3: ("Hot Girl", "episode", 1, 6)}


def test_a_source_whose_length_disagrees_is_not_mapped() -> None:
    scanned = [bd_title(1, "00800.mpls", 6000)]
    assert map_titles(scanned, [known(0, "00800.mpls", 5400, "The Film", "MainMovie")]) == []


def test_unlabelled_titles_and_angles() -> None:
    scanned = [bd_title(1, "00007.mpls", 23)]
    assert map_titles(scanned, [known(0, "00007.mpls(1)", 23, "Logo", "Extra")])[0].type == "extra"
    assert map_titles(scanned, [DiscDbTitle(0, 23.0, 0, "00007.mpls", None)]) == []


def test_dvd_titles_map_by_title_number(samples: Path) -> None:
    scan = scan_path(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso")
    discdb = [known(0, "03", 10, "Making Of", "Featurette"), known(1, "01", 48, "Sample", "MainMovie")]
    assert [(t.number, t.type) for t in map_titles(scan.titles, discdb)] == [(1, "main_feature"), (3, "featurette")]


@settings(deadline=None)  # a loaded CI machine is no reason to fail
@given(st.permutations(range(6)))
def test_mapping_ignores_the_order_theDiscDB_lists_titles_in(order: list[int]) -> None:
    scanned = [bd_title(n + 1, f"{n:05d}.mpls", 1300 + 7 * n) for n in range(6)]
    discdb = [known(i, f"{n:05d}.mpls", 1300 + 7 * n, f"Episode {n + 1}", "Episode", 1, n + 1)
              for i, n in enumerate(order)]
    assert [(t.number, t.episode) for t in map_titles(scanned, discdb)] == [(n + 1, n + 1) for n in range(6)]


SEASON = [Episode(1, n, f"Hour {n}", 43) for n in range(1, 25)]


def test_disc_two_continues_where_the_filed_episodes_stopped() -> None:
    titles = [EpisodeTitle(n, 43 * 60 + n) for n in range(1, 5)]
    assert [t.episode for t in map_episodes(titles, SEASON, filed_last=4)] == [5, 6, 7, 8]
    assert [t.episode for t in map_episodes(titles, SEASON, disc=3)] == [9, 10, 11, 12]
    assert [t.episode for t in map_episodes(titles, SEASON)] == [1, 2, 3, 4]


def test_a_double_length_pilot_holds_two_episodes() -> None:
    season = [Episode(1, 1, "Pilot (1)", 22), Episode(1, 2, "Pilot (2)", 22), Episode(1, 3, "Three", 22)]
    mapped = map_episodes([EpisodeTitle(1, 44 * 60), EpisodeTitle(2, 22 * 60)], season)
    assert [(t.episode, t.episode_end) for t in mapped] == [(1, 2), (3, None)]
    assert mapped[0].name == "Pilot (1) / Pilot (2)"


def test_titles_that_do_not_fit_the_season_are_not_numbered() -> None:
    assert map_episodes([EpisodeTitle(1, 60 * 60), EpisodeTitle(2, 90 * 60)], SEASON) == []
    assert map_episodes([EpisodeTitle(1, 43 * 60)], SEASON, filed_last=24) == []


def test_specials_match_one_runtime_each() -> None:
    specials = [Episode(0, 1, "Making of", 30), Episode(0, 2, "Reunion", 60)]
    mapped = map_specials([EpisodeTitle(5, 60 * 60), EpisodeTitle(6, 45 * 60)], specials)
    assert [(t.number, t.season, t.episode, t.name) for t in mapped] == [(5, 0, 2, "Reunion")]


def test_a_multi_angle_film_maps_to_one_angle() -> None:
    angles = [Title(number=n, duration_seconds=7475, source={"kind": "bluray", "playlist": "00200.mpls", "angle": n})
              for n in (1, 2)]
    assert [t.number for t in map_titles(angles, [known(4, "00200.mpls", 7475, "Spirited Away", "MainMovie")])] == [1]
    assert [t.number for t in map_titles(angles, [known(4, "00200.mpls(2)", 7475, "Alt", "MainMovie")])] == [2]


@settings(deadline=None)  # a loaded CI machine is no reason to fail
@given(st.lists(st.sampled_from([1, 2]), min_size=1, max_size=8), st.integers(0, 6))
def test_numbering_is_consecutive_from_where_the_filed_episodes_stopped(spans: list[int], filed: int) -> None:
    """Titles holding one or two 22-minute episodes each are numbered on without gaps or repeats."""
    season = [Episode(1, n, f"E{n}", 22) for n in range(1, 40)]
    titles = [EpisodeTitle(i + 1, span * 22 * 60 + 20) for i, span in enumerate(spans)]
    mapped = map_episodes(titles, season, filed_last=filed)
    covered = [n for t in mapped for n in range(t.episode or 0, (t.episode_end or t.episode or 0) + 1)]
    assert covered == list(range(filed + 1, filed + 1 + sum(spans)))

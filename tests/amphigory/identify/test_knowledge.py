"""Knowledge over heuristics: an identified answer's names and types win over the scan's guesses."""

from __future__ import annotations

from amphigory.identify.knowledge import classified, identification_json, scan_json
from amphigory.identify.result import Candidate, Identification, TitleInfo
from amphigory_protocol.disc import Classification, ScanResult, Title


def scan(*titles: tuple[int, float, str]) -> ScanResult:
    return ScanResult(fingerprint="bd-x", disc_type="bluray", volume_name="X", titles=[
        Title(number=n, duration_seconds=s, classification=Classification(type=kind, confidence=0.5))  # type: ignore[arg-type]
        for n, s, kind in titles])


def types(titles: list[Title]) -> list[str]:
    return [t.classification.type for t in titles]


def test_the_runtime_matched_title_is_the_main_feature_and_the_decoy_an_alternate() -> None:
    disc = scan((1, 7000, "main_feature"), (2, 6500, "other"), (3, 120, "trailer"))
    answer = Identification(status="identified", source="tmdb", kind="movie", title="Film",
                            titles=(TitleInfo(number=2, name="Film", type="main_feature"),))
    assert types(classified(disc, answer)) == ["alternate_feature", "main_feature", "trailer"]
    assert classified(disc, answer)[1].name == "Film"


def test_an_uncertain_answer_changes_nothing() -> None:
    disc = scan((1, 7000, "main_feature"))
    answer = Identification(status="uncertain", candidates=(Candidate(kind="movie", title="Film"),),
                            titles=(TitleInfo(number=1, name="Film", type="episode"),))
    assert classified(disc, answer) == disc.titles


def test_a_series_disc_has_episodes_and_a_play_all_not_a_main_feature() -> None:
    disc = scan((1, 8000, "main_feature"), (2, 1320, "other"), (3, 1330, "other"), (4, 1500, "main_feature"))
    answer = Identification(status="identified", source="tmdb", kind="series", title="Show", season=1, titles=(
        TitleInfo(number=2, name="Pilot", type="episode", season=1, episode=1),
        TitleInfo(number=3, name="Two", type="episode", season=1, episode=2)))
    assert types(classified(disc, answer)) == ["play_all", "episode", "episode", "episode"]
    data = scan_json(disc, answer)
    assert [(t["name"], t["season"], t["episode"]) for t in data["titles"]][1:3] == [("Pilot", 1, 1), ("Two", 1, 2)]
    assert data["identification"]["kind"] == "series"


def test_identification_json_has_designs_fields_and_candidate_ids_by_kind() -> None:
    answer = Identification(status="uncertain", source="musicbrainz", kind="music", candidates=(
        Candidate(kind="music", title="Album", year=1991, musicbrainz_release_id="r1", artist="A", score=0.5),))
    data = identification_json(answer)
    assert data["candidates"] == [{"kind": "music", "title": "Album", "year": 1991, "musicbrainz_release_id": "r1",
                                   "artist": "A", "score": 0.5}]
    assert Identification.from_json(answer.to_json()) == answer

"""What an identification changes on a stored disc (pure): only certain answers or the person's pick, never over a
person's naming or a track name the person typed; TheDiscDB's labels replace the heuristic classification."""

from __future__ import annotations

from amphigory.api.disc_models import StoredDisc, StoredTrack
from amphigory.identify.applying import applied, is_applicable, plan_naming
from amphigory.identify.result import Identification, TitleInfo

FILM = Identification(
    status="identified", source="thediscdb", kind="movie", title="Heat", year=1995, imdb_id="tt0113277",
    tmdb_id=949, confidence=1.0,
    titles=(TitleInfo(1, "Heat", "main_feature"), TitleInfo(2, "Theatrical Trailer", "trailer"),
            TitleInfo(3, "Making Heat", "featurette")),
)


def disc(named_by: str | None = None, names: tuple[str | None, ...] = (None, None, None),
         untouched: bool = True, identification: Identification | None = None) -> StoredDisc:
    kinds = ("main_feature", "main_feature", "other")
    return StoredDisc(
        fingerprint="fp", title="Heat Disc 1", disc_type="dvd", named_by=named_by, scanned_at="t0",
        updated_at="t0" if untouched else "t1",
        identification=identification.to_json() if identification is not None else None,
        tracks=[StoredTrack(number=n, name=names[n - 1], classification=kinds[n - 1]) for n in (1, 2, 3)],
    )


def test_a_certain_answer_names_the_disc_titles_and_types() -> None:
    naming = plan_naming(disc(), FILM)
    assert naming is not None
    assert (naming.title, naming.year, naming.imdb_id, naming.named_by) == ("Heat", 1995, "tt0113277",
                                                                             "identification")
    by_number = {t.number: t for t in naming.tracks}
    assert by_number[2].name == "Theatrical Trailer"
    # the label wins over the heuristic, and a trailer is no longer ripped by default
    assert (by_number[2].classification, by_number[2].selected) == ("trailer", False)
    assert (by_number[1].classification, by_number[1].selected) == ("main_feature", None)  # as it was
    assert (by_number[3].classification, by_number[3].selected) == ("featurette", False)


def test_uncertain_and_unknown_answers_change_nothing() -> None:
    for status in ("uncertain", "unknown"):
        answer = Identification(status=status, source="tmdb", title="Heat")  # type: ignore[arg-type]
        assert not is_applicable(answer)
        assert plan_naming(disc(), answer) is None


def test_a_persons_naming_is_final_but_their_pick_applies() -> None:
    assert plan_naming(disc(named_by="person"), FILM) is None
    pick = Identification(status="identified", source="person", kind="movie", title="Heat", year=1995,
                          titles=(TitleInfo(2, "Trailer", "trailer"),))
    naming = plan_naming(disc(named_by="person"), pick)
    assert naming is not None and naming.named_by == "person" and naming.title == "Heat"


def test_track_names_the_person_typed_stay_and_earlier_identifications_are_replaced() -> None:
    earlier = Identification(status="identified", source="tmdb", titles=(TitleInfo(3, "Old Name"),))
    naming = plan_naming(disc(names=("Mine", "CD-TEXT name", "Old Name")), FILM, earlier, {2: "CD-TEXT name"})
    assert naming is not None
    assert [t.name for t in naming.tracks] == [None, "Theatrical Trailer", "Making Heat"]


def test_selection_is_left_alone_once_the_person_saved_choices() -> None:
    naming = plan_naming(disc(untouched=False), FILM)
    assert naming is not None and all(t.selected is None for t in naming.tracks)


def test_episodes_carry_season_and_episode_numbers() -> None:
    series = Identification(status="identified", source="thediscdb", kind="series", title="The Show", season=1,
                            titles=(TitleInfo(1, "Pilot", "episode", 1, 1, 2), TitleInfo(2, "Two", "episode", 1, 3)))
    naming = plan_naming(disc(), series)
    assert naming is not None
    assert [(t.season, t.episode, t.episode_end) for t in naming.tracks] == [(1, 1, 2), (1, 3, None)]
    assert naming.tracks[1].selected is True  # an episode is ripped by default


def test_applied_is_the_answer_the_naming_came_from() -> None:
    assert applied(disc(named_by="identification", identification=FILM)) == FILM
    assert applied(disc(named_by=None, identification=FILM)) is None
    uncertain = Identification(status="uncertain", source="tmdb")
    assert applied(disc(named_by="person", identification=uncertain)) is None

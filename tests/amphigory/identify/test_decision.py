"""The decision: identified only when a runtime agrees, the label names it, and the best is clearly ahead."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from amphigory.identify.decision import decide
from amphigory.identify.labels import clean_label
from amphigory.identify.result import Candidate, ScorePart
from amphigory.identify.scoring import episodes_part, runtime_fit, runtime_part, score, series_part


def film(title: str, year: int, label: float, runtime: float | None) -> Candidate:
    parts = [ScorePart("label_words", label, 0.45, "label")]
    if runtime is not None:
        parts.append(ScorePart("runtime", runtime, 0.45, "runtime"))
    total, kept = score(parts)
    return Candidate(kind="movie", title=title, year=year, score=total, parts=kept)


def test_runtime_fit_allows_rounding_and_pal_speedup_but_not_another_film() -> None:
    assert runtime_fit(128 * 60 + 14, 128) == 1.0
    assert runtime_fit(124 * 60 * 24 / 25, 124, pal=True) == 1.0  # a PAL DVD plays 4 % fast
    assert runtime_fit(124 * 60 * 24 / 25, 124) < 1.0
    assert runtime_fit(124 * 60, 132) < 0.9  # Die Hard 2 is not Die Hard


def test_one_film_whose_runtime_and_label_agree_is_identified() -> None:
    decision = decide([film("Die Hard 2", 1990, 1.0, 1.0), film("Die Hard", 1988, 0.67, 0.0)])
    assert decision.status == "identified" and decision.best is not None and decision.best.title == "Die Hard 2"
    assert any("runtime" in r for r in decision.reasons)


def test_two_versions_that_both_fit_are_uncertain_with_both_as_candidates() -> None:
    decision = decide([film("Brazil", 1985, 1.0, 1.0), film("Brazil", 1985, 1.0, 0.95)])
    assert decision.status == "uncertain" and decision.best is None
    assert [c.title for c in decision.candidates] == ["Brazil", "Brazil"]


def test_no_runtime_means_no_certainty() -> None:
    decision = decide([film("Brazil", 1985, 1.0, None)])
    assert decision.status == "uncertain" and "no runtime to confirm it" in decision.reasons


def test_nothing_plausible_is_unknown() -> None:
    assert decide([film("Unrelated", 2000, 0.0, 0.2)]).status == "unknown"
    assert decide([]).status == "unknown"


def test_episode_runtimes_and_series_words_make_parts() -> None:
    part = episodes_part([22 * 60, 21.5 * 60, 23 * 60], [22, 22, 23, 30])
    assert part is not None and part.value == 1.0
    other = episodes_part([22 * 60, 21.5 * 60, 23 * 60], [30, 31, 29])
    assert other is not None and other.value == 0.0
    shape = series_part(clean_label("THE OFFICE S1"), series=False, episode_titles=6, has_main=False)
    assert shape is not None and shape.value == 0.0
    assert runtime_part(None, 120) is None
    unknown_runtime = runtime_part(5400, None)
    assert unknown_runtime is not None and unknown_runtime.value == 0.5


@settings(deadline=None)  # a loaded CI machine is no reason to fail
@given(st.lists(st.tuples(st.floats(0, 1), st.one_of(st.none(), st.floats(0, 1))), max_size=6))
def test_never_identified_without_matching_runtime_evidence(parts: list[tuple[float, float | None]]) -> None:
    candidates = [film(f"Film {n}", 2000 + n, label, runtime) for n, (label, runtime) in enumerate(parts)]
    decision = decide(candidates)
    if decision.status == "identified":
        best = decision.best
        assert best is not None
        runtime = next(p.value for p in best.parts if p.name == "runtime")
        assert runtime >= 0.9
        others = [c.score for c in decision.candidates if c is not best]
        assert all(best.score - s >= 0.15 for s in others)

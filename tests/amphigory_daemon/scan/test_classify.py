"""Title classification, measured on TheDiscDB's 22 hand-labelled MakeMKV logs with the fixtures' own scorer.

Reference figures stated in thediscdb/README.md (same scorer): longest-is-main gets main 15/16, extra recall
0.99, episodes 0/25, mains claimed on 6/6 no-main discs; the original weighted scorer 14/16, 0.77, 0/25, 0/6.
Measured with this classifier: main 16/16, extra recall 96/98 (0.98; the two misses are Die Hard 2's
two-clip playlists taken for play-all titles), episodes 25/25, no main claimed on the 6 no-main discs, no
labelled title dropped as a duplicate. The floors below are those figures, so a regression fails.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from amphigory_daemon.formats.makemkv import parse_info
from amphigory_daemon.scan.classify import THEDISCDB_LABELS, TYPES, TitleFacts, classify_titles, facts_from_makemkv

SCORER_LABELS = THEDISCDB_LABELS


def _scorer(root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("thediscdb_score", root / "thediscdb" / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_accuracy_on_thediscdb(shared_fixtures: Path) -> None:
    scorer = _scorer(shared_fixtures)
    truths = scorer.load_truths(str(shared_fixtures / "thediscdb" / "dev"))
    preds: dict[str, dict[str, str]] = {}
    for did in truths:
        disc = parse_info((shared_fixtures / "thediscdb" / "dev" / did / "makemkv-info.txt").read_bytes())
        verdicts = classify_titles([facts_from_makemkv(t) for t in disc.titles])
        assert all(v.type in TYPES and 0 <= v.confidence <= 1 for v in verdicts)
        preds[did] = {str(v.number): SCORER_LABELS.get(v.type, "other") for v in verdicts}
    result = scorer.score(truths, preds, quiet=True)
    assert result["main_ok"] == result["main_n"] == 16
    assert result["extra_recall"] >= 0.97
    assert result["ep_hit"] == result["ep_n"] == 25
    assert result["main_fp_discs"] == 0
    assert result["harmful_dups"] == 0


def _t(number: int, minutes: float, segments: tuple[str, ...] = (), **kw: object) -> TitleFacts:
    return TitleFacts(number=number, duration_seconds=int(minutes * 60), segment_map=segments or (str(number),), **kw)  # type: ignore[arg-type]


def test_duplicate_keeps_the_better_title() -> None:
    verdicts = classify_titles(
        [_t(0, 100, ("a",), chapters=None, size_bytes=10), _t(1, 100, ("a",), chapters=12, size_bytes=10)]
    )
    assert [(v.type, v.duplicate_of) for v in verdicts] == [("duplicate", 1), ("main_feature", None)]


def test_fpl_mark_wins_main() -> None:
    verdicts = classify_titles([_t(0, 110), _t(1, 100, main_feature_flag=True), _t(2, 5)])
    assert [v.type for v in verdicts] == ["alternate_feature", "main_feature", "extra"]


def test_play_all_and_episodes() -> None:
    titles = [_t(1, 22), _t(2, 23), _t(3, 22.5), _t(4, 67.5, ("1", "2", "3")), _t(5, 2)]
    assert [v.type for v in classify_titles(titles)] == ["episode", "episode", "episode", "play_all", "trailer"]


def test_names_give_extra_types() -> None:
    titles = [
        _t(0, 95),
        _t(1, 4, name="Theatrical Trailer"),
        _t(2, 6, name="Deleted Scenes"),
        _t(3, 12, name="Making of"),
        _t(4, 0.1),
    ]
    assert [v.type for v in classify_titles(titles)] == [
        "main_feature",
        "trailer",
        "deleted_scene",
        "behind_the_scenes",
        "other",
    ]


def test_bonus_disc_has_no_main() -> None:
    titles = [_t(0, 23), _t(1, 7), _t(2, 8), _t(3, 2)]
    assert "main_feature" not in {v.type for v in classify_titles(titles)}


def test_clip_disc_feature_is_the_long_chaptered_title_with_low_confidence() -> None:
    from amphigory_daemon.scan.classify import TitleFacts, classify_titles

    sample = [TitleFacts(1, 48, chapters=4, segment_map=("a",)), TitleFacts(2, 8, chapters=1, segment_map=("b",)),
              TitleFacts(3, 10, chapters=2, segment_map=("c",))]
    first, second, third = classify_titles(sample)
    assert (first.type, first.confidence) == ("main_feature", 0.4)
    assert second.type == "other" and third.type == "other"  # under 15 s: logos and menus


def test_a_disc_of_similar_trailers_has_no_main_feature() -> None:
    from amphigory_daemon.scan.classify import TitleFacts, classify_titles

    trailers = [TitleFacts(n, 120 + n, chapters=2, segment_map=(str(n),)) for n in range(1, 5)]
    assert {c.type for c in classify_titles(trailers)} == {"trailer"}


def test_hundreds_of_decoy_playlists_fold_into_duplicates_of_the_film() -> None:
    from amphigory_daemon.scan.classify import TitleFacts, classify_titles

    film = TitleFacts(800, 7200, chapters=24, segment_map=tuple(f"{n:05d}" for n in range(1, 40)))
    decoys = [TitleFacts(n, 7200 + (n % 2), chapters=24,
                         segment_map=tuple(f"{(n * 7 + k) % 97:05d}" for k in range(39))) for n in range(1, 300)]
    cut = TitleFacts(900, 6500, chapters=22, segment_map=("01000", "01001"))  # a shorter cut of the film
    verdicts = {c.number: c for c in classify_titles([film, *decoys, cut])}
    # Without MakeMKV's mark nothing tells the film from its decoys: one of them is offered, not 300.
    mains = [n for n, v in verdicts.items() if v.type == "main_feature"]
    assert len(mains) == 1
    same_length = [film, *decoys]
    assert sorted(verdicts[t.number].type for t in same_length).count("duplicate") == len(same_length) - 1
    assert verdicts[900].type == "alternate_feature"
    # With MakeMKV's FPL_MainFeature mark the real one wins.
    marked = TitleFacts(800, 7200, chapters=24, segment_map=film.segment_map, main_feature_flag=True)
    verdicts = {c.number: c for c in classify_titles([marked, *decoys, cut])}
    assert verdicts[800].type == "main_feature"
    assert {verdicts[t.number].type for t in decoys} == {"duplicate"}


def test_the_films_clips_in_another_order_are_a_decoy_but_a_few_same_length_cuts_are_not() -> None:
    from amphigory_daemon.scan.classify import TitleFacts, classify_titles

    film = TitleFacts(1, 6000, chapters=20, segment_map=("a", "b", "c"))
    shuffled = TitleFacts(2, 6000, chapters=20, segment_map=("c", "a", "b"))
    other_angle = TitleFacts(3, 6000, chapters=20, segment_map=("a", "x", "c"))
    verdicts = classify_titles([film, shuffled, other_angle])
    assert [v.type for v in verdicts] == ["main_feature", "duplicate", "alternate_feature"]

"""The named parts of a candidate's score (beets' "distance" parts), each 0..1 with a weight and a reason.

Pure. `score` is the weighted mean of a candidate's parts; `decision.decide` turns scored candidates into an
answer. Durations: the disc's in seconds, TMDB's in whole minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from amphigory.identify.labels import LabelHints, label_similarity
from amphigory.identify.result import ScorePart

W_LABEL = 0.45
W_RUNTIME = 0.45
W_YEAR = 0.10
W_SERIES = 0.15
# A disc's title and the film's TMDB runtime agree within this (TMDB rounds to minutes; a disc adds logos).
RUNTIME_TOLERANCE = 0.025
RUNTIME_SLACK_MINUTES = 2.0
PAL_SPEEDUP = 25 / 24  # a PAL DVD plays a 24 fps film at 25 fps: 4 % shorter


def clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def runtime_fit(seconds: float, minutes: float, pal: bool = False) -> float:
    """1 when a duration matches a runtime (on a PAL disc, or its PAL speed-up), falling to 0 at four times the
    tolerance. The speed-up is only allowed on PAL discs: it would let a film match its 4 % longer sequel."""
    best = 0.0
    for played in (seconds / 60, seconds / 60 * PAL_SPEEDUP) if pal else (seconds / 60,):
        allowed = max(RUNTIME_SLACK_MINUTES, minutes * RUNTIME_TOLERANCE)
        off = abs(played - minutes)
        best = max(best, 1.0 if off <= allowed else max(0.0, 1 - (off - allowed) / (3 * allowed)))
    return best


def label_part(hints: LabelHints, *titles: str | None) -> ScorePart:
    value, best = 0.0, ""
    for title in titles:
        if title:
            fit = label_similarity(hints.words, title)
            if fit > value:
                value, best = fit, title
    return ScorePart("label_words", round(value, 3), W_LABEL,
                     f"label {hints.label!r} vs {best!r}" if best else f"label {hints.label!r} names nothing here")


def runtime_part(main_seconds: float | None, runtime_minutes: int | None, pal: bool = False) -> ScorePart | None:
    """The main title against the film's runtime; None when the disc has no main title. A film without a
    runtime on TMDB gets half: no evidence either way, but less than a film whose runtime matches."""
    if main_seconds is None:
        return None
    if not runtime_minutes:
        return ScorePart("runtime", 0.5, W_RUNTIME, "TMDB does not know the film's runtime")
    fit = runtime_fit(main_seconds, runtime_minutes, pal)
    off = (main_seconds / 60 - runtime_minutes) / runtime_minutes * 100
    return ScorePart("runtime", round(fit, 3), W_RUNTIME,
                     f"main title {clock(main_seconds)} vs film {runtime_minutes} min ({off:+.1f} %)")


def episodes_part(episode_seconds: Sequence[float], runtimes: Iterable[int | None],
                  pal: bool = False) -> ScorePart | None:
    """The disc's episode-length titles against the season's episode runtimes: the share that match one. A
    season TMDB does not list (or lists without runtimes) is no match: a series without that season is not it."""
    known = [r for r in runtimes if r]
    if len(episode_seconds) < 2:
        return None
    if not known:
        return ScorePart("episode_runtimes", 0.0, W_RUNTIME, "TMDB lists no runtimes for this season")
    matched = sum(1 for s in episode_seconds if max(runtime_fit(s, r, pal) for r in known) >= 0.9)
    value = matched / len(episode_seconds)
    typical = sorted(known)[len(known) // 2]
    return ScorePart("episode_runtimes", round(value, 3), W_RUNTIME,
                     f"{matched} of {len(episode_seconds)} episode titles match the season's runtimes "
                     f"(typically {typical} min)")


def year_part(hints: LabelHints, year: int | None) -> ScorePart | None:
    if hints.year is None:
        return None
    value = 1.0 if year == hints.year else 0.0
    return ScorePart("year", value, W_YEAR, f"label says {hints.year}, candidate {year or 'has no year'}")


def series_part(hints: LabelHints, series: bool, episode_titles: int, has_main: bool) -> ScorePart | None:
    """Whether the disc looks like a series disc (label words "S1"/"SEASON 2", several episode-length titles and
    no feature-length one) and the candidate is a series, or neither."""
    says_series = bool(hints.series_words) or (episode_titles >= 3 and not has_main)
    says_movie = has_main and not hints.series_words
    if not says_series and not says_movie:
        return None
    fits = series == says_series
    shape = "a series disc" if says_series else "a film disc"
    why = " ".join(hints.series_words) or (f"{episode_titles} episode-length titles" if says_series else
                                            "one feature-length title")
    return ScorePart("series_words", 1.0 if fits else 0.0, W_SERIES,
                     f"{why}: {shape}; candidate is {'a series' if series else 'a film'}")


def score(parts: Iterable[ScorePart | None]) -> tuple[float, tuple[ScorePart, ...]]:
    kept = tuple(p for p in parts if p is not None)
    weight = sum(p.weight for p in kept)
    return (round(sum(p.value * p.weight for p in kept) / weight, 3) if weight else 0.0), kept

"""A series disc's titles as episodes when TheDiscDB does not know the disc: from the season's episode runtimes,
the disc number in the label and the episodes already filed from the same season's earlier discs.

Episodes are taken in title order starting after the last filed one (or, without that, after the episodes the
earlier discs must have held when every disc holds as many as this one). A title as long as two episodes holds
two (`episode_end`). Nothing is numbered unless every episode title fits the runtime of the episode(s) it is
given: a numbering that does not fit is a guess, and a guess is worse than none. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from amphigory.identify.result import TitleInfo
from amphigory.identify.scoring import runtime_fit
from amphigory.metadata.tmdb import Episode

EPISODE_MIN_SECONDS = 15 * 60
EPISODE_MAX_SECONDS = 100 * 60
FIT = 0.75  # looser than a film's runtime: TMDB's episode runtimes are often a season's typical length


@dataclass(frozen=True)
class EpisodeTitle:
    number: int
    seconds: float


def episode_titles(titles: Sequence[tuple[int, float, str]]) -> list[EpisodeTitle]:
    """(number, seconds, classification type) → the titles that may be episodes, in title order: episode-length,
    not a duplicate nor a play-all."""
    return [EpisodeTitle(n, s) for n, s, kind in titles
            if EPISODE_MIN_SECONDS <= s <= EPISODE_MAX_SECONDS and kind not in ("duplicate", "play_all")]


def _fits(seconds: float, episodes: Sequence[Episode], pal: bool) -> bool:
    runtimes = [e.runtime_minutes for e in episodes]
    if any(r is None for r in runtimes):
        return True  # TMDB does not know how long: no evidence against it
    return runtime_fit(seconds, sum(r for r in runtimes if r is not None), pal) >= FIT


def map_episodes(titles: Sequence[EpisodeTitle], season: Sequence[Episode], *, disc: int | None = None,
                 filed_last: int | None = None, pal: bool = False) -> list[TitleInfo]:
    """Season `season`'s episodes onto `titles`; [] when they do not fit (then nothing is numbered)."""
    regular = sorted((e for e in season if e.number > 0), key=lambda e: e.number)
    if not titles or not regular:
        return []
    if filed_last is not None:
        start = filed_last + 1
    elif disc is not None and disc > 1:
        start = (disc - 1) * len(titles) + 1
    else:
        start = 1
    index = next((i for i, e in enumerate(regular) if e.number >= start), None)
    if index is None:
        return []
    out = []
    loose, max_loose = 0, max(1, len(titles) // 4)  # a few titles may run long or short; most must fit
    for t in titles:
        if index >= len(regular):
            return []
        one, two = regular[index:index + 1], regular[index:index + 2]
        if len(two) == 2 and not _fits(t.seconds, one, pal) and _fits(t.seconds, two, pal):
            out.append(TitleInfo(number=t.number, name=f"{two[0].name} / {two[1].name}", type="episode",
                                 season=two[0].season, episode=two[0].number, episode_end=two[1].number))
            index += 2
        elif _fits(t.seconds, one, pal) or (_near(t.seconds, one[0]) and (loose := loose + 1) <= max_loose):
            out.append(TitleInfo(number=t.number, name=one[0].name, type="episode", season=one[0].season,
                                 episode=one[0].number))
            index += 1
        else:
            return []
    return out


def _near(seconds: float, episode: Episode) -> bool:
    """Longer or shorter than its runtime, but far nearer one episode than two (an extended cut, a long pilot)."""
    return episode.runtime_minutes is None or 0.75 <= seconds / 60 / episode.runtime_minutes <= 1.35


def map_specials(titles: Sequence[EpisodeTitle], specials: Sequence[Episode]) -> list[TitleInfo]:
    """Season 0 episodes onto titles that match exactly one special's runtime (and no two titles the same one)."""
    out: list[TitleInfo] = []
    used: set[int] = set()
    for t in titles:
        fitting = [e for e in specials if e.runtime_minutes and runtime_fit(t.seconds, e.runtime_minutes) >= 0.95]
        if len(fitting) == 1 and fitting[0].number not in used:
            used.add(fitting[0].number)
            out.append(TitleInfo(number=t.number, name=fitting[0].name, type="episode", season=0,
                                 episode=fitting[0].number))
    return out

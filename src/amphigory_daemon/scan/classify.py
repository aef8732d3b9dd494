"""Classify every title of a disc: main feature, episodes, extras, duplicates, play-all titles.

The rules, applied in this order to the titles of one disc:

1. **Duplicates.** Titles are ranked best first (MakeMKV's ``FPL_MainFeature`` mark, then first angle, then
   longer, more chapters, more audio tracks, larger, lower number). A title with the same segment map as a
   better-ranked kept title, the same duration (within 1 s) and the same size (within 0.1 %, when both are
   known) is a ``duplicate`` of it. Duration and size are compared too because DVD segment maps number cells
   per title, so two different episodes can both read ``1-7,8``.
2. **Play-all.** A title whose segment map is the concatenation of the maps of two or more other kept titles,
   and whose duration is their sum, is ``play_all``.
3. **Episodes.** Three or more remaining titles of 18-65 minutes whose lengths lie within -20 % / +30 % of
   their median make a series disc: they are ``episode``; so are titles of about half that length that have
   chapters (single episodes next to double ones). A series disc has no main feature.
4. **Main feature.** Otherwise, among the longest titles (within 1 %), the first angle with the most chapters
   (then the rest of the ranking above) is the ``main_feature``: a few seconds of length say less than a chapter
   list, and a one-chapter angle playlist a little longer than the film is not the film. It must run at least
   an hour, or at least 20 minutes with nothing else over 5 minutes on the disc (a short film alone on its disc).
   A bonus disc, whose longest title is a 23-minute documentary among others, has none. On a disc of nothing but
   short clips (under 5 minutes each), a title with chapters three times longer than any other is the main
   feature, with low confidence (0.4).
5. **Decoys.** Titles playing the main's own clips in another order, or (when there are more than three of them)
   any title as long as the main to within a second, are ``duplicate`` of it with confidence 0.6: the hundreds of
   near-identical playlists some Blu-rays carry to confuse rippers. Real alternate cuts differ in length.
6. **Alternate features.** Other titles within 15 % of the main's length, with a different segment map, are
   ``alternate_feature`` (another cut, another angle, another language's credits).
7. **The rest.** Under 15 s: ``other`` (logos, menus). Names containing trailer/teaser/spot, deleted,
   behind the scenes/making of, interview or featurette give that type; unnamed titles under 3.5 minutes are
   ``trailer``, longer ones ``extra``.

Confidence (0..1) says how sure each rule is; it is a ranking aid, not a calibrated probability.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, NamedTuple, get_args

from amphigory_protocol.disc import TitleType

if TYPE_CHECKING:  # the native scan classifies without loading the MakeMKV reader
    from amphigory_daemon.formats.makemkv import MakemkvTitle

TYPES: tuple[str, ...] = get_args(TitleType)
# Our types as TheDiscDB's hand labels name them (its scorer, in ../shared/fixtures/thediscdb, is what the bench and
# the tests measure the rules with).
THEDISCDB_LABELS = {
    "main_feature": "main",
    "episode": "episode",
    "trailer": "trailer",
    "deleted_scene": "deleted_scene",
    "featurette": "extra",
    "behind_the_scenes": "extra",
    "interview": "extra",
    "extra": "extra",
    "duplicate": "duplicate",
}  # the scan contract's classification types
_NAME_TYPES: tuple[tuple[tuple[str, ...], TitleType], ...] = (
    (("trailer", "teaser", "tv spot", "tv spots"), "trailer"),
    (("deleted", "extended scene"), "deleted_scene"),
    (("behind the scenes", "making of", "making-of"), "behind_the_scenes"),
    (("interview",), "interview"),
    (("featurette",), "featurette"),
)
EPISODE_MIN, EPISODE_MAX = 18 * 60, 65 * 60
FEATURE_MIN = 60 * 60
SHORT_FILM_MIN = 20 * 60
TRAILER_MAX = 210
JUNK_MAX = 15
DECOY_CROWD = 3


# The records are NamedTuples (immutable, compared by value): creating frozen dataclasses when the module loads
# cost ~1 ms of every scan's start-up, a NamedTuple a tenth of that.
class TitleFacts(NamedTuple):
    """What the classifier needs to know about one title, whichever backend read it."""

    number: int
    duration_seconds: int
    chapters: int | None = None
    size_bytes: int | None = None
    segment_map: tuple[Hashable, ...] = ()
    source: str | None = None
    main_feature_flag: bool | None = None
    name: str | None = None
    audio_count: int = 0
    angle: int | None = None


class Classification(NamedTuple):
    """The verdict for one title; ``duplicate_of`` names the kept title a duplicate repeats."""

    number: int
    type: TitleType
    confidence: float
    duplicate_of: int | None = None


def facts_from_makemkv(title: MakemkvTitle) -> TitleFacts:
    """`TitleFacts` of a title read from ``makemkvcon -r info`` (numbered by its MakeMKV title index)."""
    return TitleFacts(
        number=title.index,
        duration_seconds=title.duration_seconds or 0,
        chapters=title.chapters,
        size_bytes=title.size_bytes,
        segment_map=title.segments,
        source=title.source_file,
        main_feature_flag=title.main_feature or None,
        name=None,  # MakeMKV's TINFO name is the disc's name, not the title's
        audio_count=len(title.streams_of("audio")),
        angle=title.angle,
    )


def _rank(t: TitleFacts) -> tuple[int, int, int, int, int, int, int]:
    """Sort key, best title first."""
    return (
        0 if t.main_feature_flag else 1,
        (t.angle or 1),
        -t.duration_seconds,
        -(t.chapters or 0),
        -t.audio_count,
        -(t.size_bytes or 0),
        t.number,
    )


def _main_rank(t: TitleFacts) -> tuple[int, ...]:
    """Sort key among titles of nearly the same length: first angle, then more chapters, then `_rank`."""
    return ((t.angle or 1), -(t.chapters or 0), *_rank(t))


def _same_content(a: TitleFacts, b: TitleFacts) -> bool:
    if not a.segment_map or a.segment_map != b.segment_map:
        return False
    if abs(a.duration_seconds - b.duration_seconds) > 1:
        return False
    if a.size_bytes and b.size_bytes:
        return abs(a.size_bytes - b.size_bytes) <= 0.001 * max(a.size_bytes, b.size_bytes)
    return True


def _play_all_parts(t: TitleFacts, others: Sequence[TitleFacts]) -> list[TitleFacts] | None:
    """The titles whose maps, one after another, make up ``t``'s map (greedy, longest piece first)."""
    pieces = sorted((o for o in others if o.number != t.number and o.segment_map), key=lambda o: -len(o.segment_map))
    parts: list[TitleFacts] = []
    pos = 0
    while pos < len(t.segment_map):
        found = next(
            (
                o
                for o in pieces
                if t.segment_map[pos : pos + len(o.segment_map)] == o.segment_map
                and len(o.segment_map) < len(t.segment_map)
            ),
            None,
        )
        if found is None:
            return None
        parts.append(found)
        pos += len(found.segment_map)
    total = sum(p.duration_seconds for p in parts)
    if len(parts) < 2 or abs(total - t.duration_seconds) > 2 * len(parts) + 0.01 * t.duration_seconds:
        return None
    return parts


def _episodes(titles: Sequence[TitleFacts]) -> set[int]:
    """Numbers of the episodes when the titles look like a series disc, else nothing."""
    mid = [t for t in titles if EPISODE_MIN <= t.duration_seconds <= EPISODE_MAX]
    best: list[TitleFacts] = []
    for anchor in mid:
        group = [t for t in mid if 0.8 * anchor.duration_seconds <= t.duration_seconds <= 1.3 * anchor.duration_seconds]
        if len(group) > len(best):
            best = group
    if len(best) < 3:
        return set()
    median = _median([t.duration_seconds for t in best])
    group = [t for t in mid if 0.8 * median <= t.duration_seconds <= 1.3 * median]
    if len(group) < 3 or any(t.duration_seconds > 1.6 * median for t in titles):
        return set()
    halves = [t for t in titles if 0.4 * median <= t.duration_seconds < 0.8 * median and (t.chapters or 0) >= 2]
    return {t.number for t in group} | {t.number for t in halves}


def _median(values: Sequence[float]) -> float:
    """statistics.median, without importing statistics (decimal, fractions, random: a tenth of a scan's start-up)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _by_name(name: str | None) -> TitleType | None:
    lowered = (name or "").lower()
    return next((kind for words, kind in _NAME_TYPES if any(w in lowered for w in words)), None)


def _short(t: TitleFacts) -> Classification:
    if t.duration_seconds < JUNK_MAX:
        return Classification(t.number, "other", 0.6)
    named = _by_name(t.name)
    if named is not None:
        return Classification(t.number, named, 0.8)
    if t.duration_seconds < TRAILER_MAX:
        return Classification(t.number, "trailer", 0.4)
    return Classification(t.number, "extra", 0.6)


def classify_titles(titles: Sequence[TitleFacts]) -> tuple[Classification, ...]:
    """One `Classification` per title, in the order given."""
    out: dict[int, Classification] = {}
    kept: list[TitleFacts] = []
    for t in sorted(titles, key=_rank):
        original = next((k for k in kept if _same_content(k, t)), None)
        if original is None:
            kept.append(t)
        else:
            out[t.number] = Classification(t.number, "duplicate", 0.95, original.number)
    rest: list[TitleFacts] = []
    for t in kept:
        if _play_all_parts(t, kept):
            out[t.number] = Classification(t.number, "play_all", 0.85)
        else:
            rest.append(t)
    episodes = _episodes(rest)
    for t in rest:
        if t.number in episodes:
            out[t.number] = Classification(t.number, "episode", 0.8)
    main = None if episodes else _main(rest)
    if main is not None:
        sure = 0.95 if main.main_feature_flag else 0.85 if main.duration_seconds >= SHORT_FILM_MIN else 0.4
        out[main.number] = Classification(main.number, "main_feature", sure)
    decoys = _decoys(main, rest) if main is not None else set()
    for t in rest:
        if t.number in out:
            continue
        if main is not None and t.number in decoys:
            out[t.number] = Classification(t.number, "duplicate", 0.6, main.number)
        elif main is not None and t.duration_seconds >= 0.85 * main.duration_seconds:
            out[t.number] = Classification(t.number, "alternate_feature", 0.7)
        else:
            out[t.number] = _short(t)
    return tuple(out[t.number] for t in titles)


def _decoys(main: TitleFacts, titles: Sequence[TitleFacts]) -> set[int]:
    """Playlists that pose as the film: the main's own clips in another order, or, on a disc with more than
    `DECOY_CROWD` such titles, any playing as long as the main to within a second (copy protection's hundreds of
    near-identical playlists; real alternate cuts differ in length)."""
    same_length = [t for t in titles if t is not main and not t.main_feature_flag
                   and abs(t.duration_seconds - main.duration_seconds) <= 1]
    reordered = {t.number for t in same_length
                 if t.segment_map and sorted(map(str, t.segment_map)) == sorted(map(str, main.segment_map))}
    if len(same_length) > DECOY_CROWD:
        return {t.number for t in same_length}
    return reordered


def _main(titles: Sequence[TitleFacts]) -> TitleFacts | None:
    """The main feature among non-duplicate, non-play-all titles, or None on a disc without one."""
    if not titles:
        return None
    flagged = [t for t in titles if t.main_feature_flag]
    if flagged:
        return min(flagged, key=_rank)
    longest = max(t.duration_seconds for t in titles)
    best = min((t for t in titles if t.duration_seconds >= 0.99 * longest), key=_main_rank)
    if best.duration_seconds >= FEATURE_MIN:
        return best
    alone = all(t is best or t.duration_seconds < 300 for t in titles)
    if best.duration_seconds >= SHORT_FILM_MIN and alone:
        return best
    return best if _clip_disc_feature(best, titles) else None


def _clip_disc_feature(best: TitleFacts, titles: Sequence[TitleFacts]) -> bool:
    """On a disc of nothing but short clips (a sample disc, a promo disc), a title with chapters that runs at
    least three times as long as anything else is what the disc is for."""
    if best.duration_seconds >= 300 or (best.chapters or 0) < 2 or best.duration_seconds <= JUNK_MAX:
        return False
    return all(t is best or 3 * t.duration_seconds <= best.duration_seconds for t in titles)

"""From scored candidates to an answer: identified only when the evidence agrees and the best is clearly ahead.

A wrong name is worse than no name (DESIGN.md): "identified" needs a runtime part (the film's runtime or the
season's episode runtimes) that matches, label words that name it, a score of at least `CERTAIN`, and a gap of
at least `GAP` to the next candidate. Anything less with a plausible candidate is "uncertain" with candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from amphigory.identify.result import Candidate, Status

CERTAIN = 0.8
GAP = 0.15
PLAUSIBLE = 0.3  # below this a candidate is not worth showing
MAX_CANDIDATES = 5
# How well each kind of runtime evidence must fit: a film's one runtime closely; a season's episodes mostly (a
# longer pilot or an extended episode among them is normal).
_EVIDENCE = {"runtime": 0.9, "episode_runtimes": 0.75}


@dataclass(frozen=True)
class Decision:
    status: Status
    best: Candidate | None
    candidates: tuple[Candidate, ...]
    reasons: tuple[str, ...]


def _part(candidate: Candidate, name: str) -> float | None:
    return next((p.value for p in candidate.parts if p.name == name), None)


def decide(candidates: Sequence[Candidate]) -> Decision:
    ranked = sorted((c for c in candidates if c.score >= PLAUSIBLE), key=lambda c: -c.score)[:MAX_CANDIDATES]
    if not ranked:
        return Decision("unknown", None, (), ("no candidate fits the label",))
    best = ranked[0]
    gap = best.score - (ranked[1].score if len(ranked) > 1 else 0.0)
    fits = [(v, _EVIDENCE[n]) for n in _EVIDENCE if (v := _part(best, n)) is not None]
    label = _part(best, "label_words") or 0.0
    doubts = []
    if not fits:
        doubts.append("no runtime to confirm it")
    elif not any(value >= needed for value, needed in fits):
        doubts.append("runtime does not match")
    if label < 0.5:
        doubts.append("label names it only in part")
    if best.score < CERTAIN:
        doubts.append(f"best score {best.score:.2f} < {CERTAIN}")
    if gap < GAP:
        doubts.append(f"{ranked[1].title} ({ranked[1].year}) fits nearly as well")
    if doubts:
        return Decision("uncertain", None, tuple(ranked), tuple(doubts))
    why = tuple(p.why for p in best.parts if p.value >= 0.9)
    return Decision("identified", best, tuple(ranked), why)

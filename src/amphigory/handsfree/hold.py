"""Rip first, review later: nothing is filed under a guessed name.

A disc nobody named (`named_by` NULL: only its volume label) keeps its rips in ripped/, each track noting why; a
person naming it (a title on the review page or `PATCH /api/discs/{fingerprint}`) files everything held. The
filing code calls `ensure_named`; the discs API calls `named_by_person`.
"""

from __future__ import annotations

from amphigory.api.disc_models import StoredDisc
from amphigory.tasks.models import TaskProblem

HELD_NOTE = "held until the disc is named"


def is_held(disc: StoredDisc) -> bool:
    return disc.named_by is None


def ensure_named(disc: StoredDisc) -> None:
    """`TaskProblem("held")` for a disc nobody named: its rips are not filed yet."""
    if is_held(disc):
        raise TaskProblem("held", HELD_NOTE)


def held_tracks(disc: StoredDisc) -> list[int]:
    """Tracks ripped but not in the library: filed once the disc is named."""
    return [t.number for t in disc.tracks if t.status == "ripped" and t.ripped_path and not t.library_path]

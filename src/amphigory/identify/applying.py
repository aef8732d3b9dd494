"""What a stored identification changes on a stored disc: pure, so the rules are tested without a database.

An answer is applied only when it is certain (`identified`) or the person chose it (`source == "person"`), and a
disc a person named (`named_by == "person"`) keeps its naming whatever a later look-up says. Track names a person
typed are kept too: a track's name is replaced only when it is empty, the disc's own (CD-TEXT), or what an
earlier identification gave it. Where the source labels a title (TheDiscDB), its type replaces the heuristic
classification.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from amphigory.api.disc_models import StoredDisc, StoredTrack
from amphigory.identify.result import Identification, TitleInfo

PERSON: Final = "person"
IDENTIFICATION: Final = "identification"
# Classifications ripped by default (as `disc_sql._SELECTED_BY_DEFAULT`): a relabelled title follows them.
_SELECTED_TYPES = ("main_feature", "episode")


@dataclass(frozen=True)
class TrackNaming:
    """The changes to one track; None leaves a field as it is."""

    number: int
    name: str | None = None
    classification: str | None = None
    selected: bool | None = None
    season: int | None = None
    episode: int | None = None
    episode_end: int | None = None


@dataclass(frozen=True)
class DiscNaming:
    """The changes identification makes to a disc and its tracks."""

    title: str | None
    year: int | None
    imdb_id: str | None
    named_by: str
    tracks: tuple[TrackNaming, ...] = ()


def is_applicable(answer: Identification) -> bool:
    """Whether the answer names the disc: certain, or the person's choice."""
    return answer.source == PERSON or answer.status == "identified"


def applied(disc: StoredDisc) -> Identification | None:
    """The disc's stored identification when it is the one its naming came from (else None)."""
    if disc.identification is None or disc.named_by not in (IDENTIFICATION, PERSON):
        return None
    answer = Identification.from_json(disc.identification)
    return answer if is_applicable(answer) else None


def plan_naming(
    disc: StoredDisc, answer: Identification, previous: Identification | None = None,
    disc_names: dict[int, str] | None = None,
) -> DiscNaming | None:
    """The changes `answer` makes to `disc` (None: none at all). `previous` is the identification stored before
    (its track names may be replaced), `disc_names` the names the disc itself gave its titles (CD-TEXT)."""
    if not is_applicable(answer):
        return None
    person = answer.source == PERSON
    if disc.named_by == PERSON and not person:
        return None
    untouched = disc.updated_at is not None and disc.updated_at == disc.scanned_at
    replaceable = dict(disc_names or {})
    tracks = []
    for track in disc.tracks:
        info = answer.title_info(track.number)
        if info is None:
            continue
        earlier = previous.title_info(track.number) if previous is not None else None
        tracks.append(_track_naming(track, info, earlier, replaceable.get(track.number), untouched, disc.disc_type))
    return DiscNaming(
        title=answer.title or None,
        year=answer.year,
        imdb_id=answer.imdb_id,
        named_by=PERSON if person else IDENTIFICATION,
        tracks=tuple(tracks),
    )


def _track_naming(track: StoredTrack, info: TitleInfo, earlier: TitleInfo | None, disc_name: str | None,
                  untouched: bool, disc_type: str | None) -> TrackNaming:
    ours = {None, "", disc_name, earlier.name if earlier is not None else None}
    name = info.name if info.name and track.name in ours else None
    classification = info.type or None  # a label: certain even where the heuristic agreed
    selected = None
    if classification is not None and classification != track.classification and untouched and disc_type != "cd":
        selected = classification in _SELECTED_TYPES
    return TrackNaming(track.number, name, classification, selected, info.season, info.episode, info.episode_end)

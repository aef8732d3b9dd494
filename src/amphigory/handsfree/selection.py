"""Which titles a hands-free rip takes (pure): a film's main feature and labelled extras, every episode of a series,
every track of a CD; never duplicates, play-all titles or titles under 15 seconds (menus' junk)."""

from __future__ import annotations

from amphigory.api.disc_models import StoredDisc, StoredTrack
from amphigory.identify.result import Identification

SHORTEST_SECONDS = 15.0
FEATURES = frozenset({"main_feature", "alternate_feature"})
EXTRAS = frozenset({"trailer", "featurette", "deleted_scene", "behind_the_scenes", "interview", "extra"})


def track_type(track: StoredTrack, identification: Identification | None) -> str:
    """The person's type, else what identification says, else the scan's classification."""
    info = identification.title_info(track.number) if identification is not None else None
    return track.track_type or (info.type if info is not None and info.type else None) or track.classification


def is_series(disc: StoredDisc, identification: Identification | None) -> bool:
    if identification is not None and identification.kind == "series":
        return True
    return any(track_type(t, identification) == "episode" for t in disc.tracks if t.present)


def pick(disc: StoredDisc, identification: Identification | None = None) -> list[int]:
    """The track numbers to rip, in order."""
    present = [t for t in disc.tracks if t.present]
    if disc.disc_type == "cd":
        return [t.number for t in present]
    wanted = {"episode"} if is_series(disc, identification) else FEATURES | EXTRAS
    return [t.number for t in present if track_type(t, identification) in wanted and _not_junk(t, identification)]


def _not_junk(track: StoredTrack, identification: Identification | None) -> bool:
    if track.duplicate_of is not None or track.classification == "duplicate":
        return False
    if track_type(track, identification) in ("play_all", "duplicate"):
        return False
    return track.duration_seconds is None or track.duration_seconds >= SHORTEST_SECONDS


def still_to_rip(disc: StoredDisc, picked: list[int]) -> list[int]:
    """The picked tracks not ripped yet and not being ripped (a disc put in again is not ripped twice)."""
    done = {t.number for t in disc.tracks if t.status in ("ripped", "queued", "ripping")}
    return [n for n in picked if n not in done]

"""TheDiscDB's titles onto the scanned ones: by source (DVD title number, Blu-ray playlist or clip file) and
duration, never by position. A title whose source matches but whose length does not is left alone: two readers
that disagree about a title's length are not talking about the same title.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from amphigory.identify.result import TitleInfo
from amphigory.metadata.thediscdb import DiscDbTitle
from amphigory_protocol.disc import Title, TitleType

# TheDiscDB item types onto ours (TheDiscDB's "Extra" and "Other" are both our `extra`).
ITEM_TYPES: dict[str, TitleType] = {
    "mainmovie": "main_feature", "episode": "episode", "trailer": "trailer", "deletedscene": "deleted_scene",
    "featurette": "featurette", "interview": "interview", "extra": "extra", "other": "extra",
    "behindthescenes": "behind_the_scenes",
}
DURATION_SLACK = 2.5  # seconds: readers round differently, and MakeMKV drops a trailing frame or two


def source_key(source: dict[str, Any]) -> str | None:
    """A scanned title's source as TheDiscDB writes it: "01" (DVD title 1), "00800.mpls", "00012.m2ts"."""
    if isinstance(source.get("playlist"), str):
        return str(source["playlist"]).lower()
    if isinstance(source.get("clip"), str):
        return str(source["clip"]).lower()
    if source.get("kind") == "dvd" and isinstance(source.get("title"), int):
        return f"{source['title']:02d}"
    return None


def discdb_key(source_file: str | None) -> str | None:
    """TheDiscDB's `sourceFile` the same way ("00007.mpls(1)" is angle 1 of 00007.mpls: the playlist)."""
    if not source_file:
        return None
    key = source_file.strip().lower().split("(")[0]
    return f"{int(key):02d}" if key.isdigit() else key


def title_type(item_type: str | None) -> TitleType | None:
    return ITEM_TYPES.get((item_type or "").replace(" ", "").lower()) if item_type else None


def _same_length(a: float, b: float | None) -> bool:
    return b is not None and abs(a - b) <= max(DURATION_SLACK, a * 0.002)


def _one_angle(matches: list[Title], source_file: str | None) -> list[Title]:
    """Several scanned titles of one playlist are its angles: the one TheDiscDB names ("00200.mpls(2)"), else the
    first angle (a multi-angle film is one film)."""
    wanted = 1
    if source_file and "(" in source_file:
        inside = source_file.split("(", 1)[1].rstrip(")")
        wanted = int(inside) if inside.isdigit() else 1
    angled = [t for t in matches if t.source.get("angle", 1) == wanted]
    return angled if len(angled) == 1 else matches


def map_titles(scanned: Sequence[Title], known: Sequence[DiscDbTitle]) -> list[TitleInfo]:
    """One `TitleInfo` per scanned title that a labelled TheDiscDB title matches by source and duration (or, where
    the scan has no source name, by segment map and duration when exactly one title fits)."""
    by_key: dict[str, list[Title]] = {}
    for t in scanned:
        key = source_key(t.source)
        if key:
            by_key.setdefault(key, []).append(t)
    out: dict[int, TitleInfo] = {}
    for k in known:
        if not k.item_type:
            continue  # the curator did not label it: menus, logos, duplicate playlists
        key = discdb_key(k.source_file)
        matches = [t for t in by_key.get(key or "", []) if _same_length(t.duration_seconds, k.duration_seconds)]
        if not by_key.get(key or ""):  # the scan names no such source: fall back on the segment map
            segments = [s for s in (k.segment_map or "").split(",") if s]
            matches = [t for t in scanned if segments and t.segment_map == segments
                       and _same_length(t.duration_seconds, k.duration_seconds)]
        if len(matches) > 1:
            matches = _one_angle(matches, k.source_file)
        if len(matches) != 1 or matches[0].number in out:
            continue
        t = matches[0]
        out[t.number] = TitleInfo(number=t.number, name=k.name, type=title_type(k.item_type), season=k.season,
                                  episode=k.episode, episode_end=k.episode_end)
    return [out[n] for n in sorted(out)]

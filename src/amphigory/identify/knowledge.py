"""Knowledge over heuristics: a scan's titles as identification names and classifies them. Pure.

Where the answer labels a title (TheDiscDB's item type, a series' episode, the film's runtime-matched main
feature), that label wins over the scan's guess; another title the scan called the main feature is then an
alternate. Each title gains `name`, `season` and `episode` (and `episode_end`) where they are known.
"""

from __future__ import annotations

from typing import Any, cast

from amphigory.identify.result import Identification
from amphigory_protocol.disc import Classification, ScanResult, Title, TitleType


def classified(scan: ScanResult, answer: Identification) -> list[Title]:
    """The scan's titles with the answer's names and types (only an identified answer is applied)."""
    if answer.status != "identified":
        return list(scan.titles)
    named_main = any(t.type == "main_feature" for t in answer.titles)
    episode_lengths = sorted(t.duration_seconds for t in scan.titles
                             if (i := answer.title_info(t.number)) is not None and i.type == "episode")
    out = []
    for title in scan.titles:
        info = answer.title_info(title.number)
        update: dict[str, Any] = {}
        if info is not None and info.name:
            update["name"] = info.name
        if info is not None and info.type:
            # the type is checked when the Classification is made (ValueError for one that is not a TitleType)
            update["classification"] = Classification(type=cast(TitleType, info.type), confidence=1.0,
                                                      reason=f"named by {answer.source}")
        elif named_main and title.classification.type == "main_feature":
            update["classification"] = title.classification.model_copy(
                update={"type": "alternate_feature", "reason": "the film's runtime matches another title"})
        elif answer.kind == "series" and title.classification.type == "main_feature":
            update["classification"] = _on_a_series_disc(title, episode_lengths)
        out.append(title.model_copy(update=update) if update else title)
    return out


def _on_a_series_disc(title: Title, episode_lengths: list[float]) -> Classification:
    """A series disc has no main feature: a title much longer than its episodes plays them all, one as long is an
    episode the answer could not number."""
    typical = episode_lengths[len(episode_lengths) // 2] if episode_lengths else None
    if typical is not None and title.duration_seconds >= 1.5 * typical:
        return Classification(type="play_all", confidence=0.7, reason="a series disc: longer than its episodes")
    return Classification(type="episode", confidence=0.7, reason="a series disc has no main feature")


def scan_json(scan: ScanResult, answer: Identification) -> dict[str, Any]:
    """`amphigory identify --json`: the scan, its titles named and numbered, and DESIGN.md's `identification`."""
    data = scan.model_dump(mode="json")
    titles = []
    for title in classified(scan, answer):
        item = title.model_dump(mode="json")
        info = answer.title_info(title.number) if answer.status == "identified" else None
        item["season"] = info.season if info else None
        item["episode"] = info.episode if info else None
        if info is not None and info.episode_end is not None:
            item["episode_end"] = info.episode_end
        if info is not None and info.artist:
            item["artist"] = info.artist
        titles.append(item)
    data["titles"] = titles
    data["identification"] = identification_json(answer)
    return data


def identification_json(answer: Identification) -> dict[str, Any]:
    """DESIGN.md's `identification` object: exactly its fields (plus where it came from and why, for a person)."""
    def candidate(c: Any) -> dict[str, Any]:
        one: dict[str, Any] = {"kind": c.kind, "title": c.title, "year": c.year}
        if c.kind == "music":
            one["musicbrainz_release_id"] = c.musicbrainz_release_id
            one["artist"] = c.artist
        else:
            one["tmdb_id"] = c.tmdb_id
        one["score"] = c.score
        return one

    return {
        "status": answer.status, "source": answer.source, "kind": answer.kind, "title": answer.title,
        "year": answer.year, "tmdb_id": answer.tmdb_id, "imdb_id": answer.imdb_id,
        "musicbrainz_release_id": answer.musicbrainz_release_id, "artist": answer.artist, "season": answer.season,
        "confidence": answer.confidence, "candidates": [candidate(c) for c in answer.candidates],
        "poster_url": answer.poster_url, "reasons": list(answer.reasons), "retry": answer.retry,
    }

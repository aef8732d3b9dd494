"""What a scan offers as evidence, read once: the label's hints, the main feature, the episode-length titles.

Pure. The main feature for runtime matching is the title the film's runtime fits (preferring the one the scan
classified as the main feature), which also sees through decoy playlists of nearly the same length.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from amphigory.identify.discdb_map import source_key
from amphigory.identify.labels import LabelHints, clean_label
from amphigory.identify.scoring import runtime_fit
from amphigory.identify.series import EpisodeTitle, episode_titles
from amphigory_protocol.disc import ScanResult, Title

FEATURE_MIN_SECONDS = 40 * 60


@dataclass(frozen=True)
class DiscEvidence:
    hints: LabelHints  # from the volume label (season and disc numbers live there)
    meta_hints: LabelHints | None  # from the Blu-ray meta title, a better query when there is one
    main: tuple[int, float] | None  # (title number, seconds) of the scan's main feature
    features: tuple[tuple[int, float], ...]  # every feature-length title, longest first
    episodes: tuple[EpisodeTitle, ...]
    pal: bool = False  # a PAL DVD: films run 4 % fast

    @property
    def has_main(self) -> bool:
        return self.main is not None

    def feature_for(self, runtime_minutes: int | None) -> tuple[int, float] | None:
        """The title a film of this runtime is: the scan's main when it fits, else the longest that fits."""
        if not runtime_minutes:
            return self.main
        if self.main and runtime_fit(self.main[1], runtime_minutes, self.pal) >= 0.9:
            return self.main
        fitting = [f for f in self.features if runtime_fit(f[1], runtime_minutes, self.pal) >= 0.9]
        return fitting[0] if fitting else self.main


def _authored_order(title: Title) -> tuple[int, str, int]:
    """Episodes follow the disc's own order (DVD title number, Blu-ray playlist number), which MakeMKV's title
    order need not keep (it lists some discs' episodes in reverse)."""
    key = source_key(title.source)
    if key is None:
        return (1, "", title.number)
    return (0, key.zfill(12), title.number)


def read_evidence(scan: ScanResult, meta_title: str | None = None) -> DiscEvidence:
    usable = [t for t in scan.titles if t.classification.type not in ("duplicate", "play_all")]
    mains = [t for t in usable if t.classification.type == "main_feature"]
    main = max(mains, key=lambda t: t.duration_seconds) if mains else None
    features = sorted(((t.number, t.duration_seconds) for t in usable if t.duration_seconds >= FEATURE_MIN_SECONDS),
                      key=lambda f: -f[1])
    title = meta_title or scan.meta_title
    hints = clean_label(scan.volume_name or "")
    meta = clean_label(title) if title else None
    if meta is not None:  # "The Office: Season 2" says what a label "OFFICE_D1" does not
        hints = replace(hints, season=hints.season if hints.season is not None else meta.season,
                        disc=hints.disc if hints.disc is not None else meta.disc,
                        year=hints.year if hints.year is not None else meta.year,
                        series_words=hints.series_words or meta.series_words)
    return DiscEvidence(
        hints=hints,
        meta_hints=meta,
        main=(main.number, main.duration_seconds) if main else None,
        features=tuple(features),
        episodes=tuple(episode_titles([(t.number, t.duration_seconds, t.classification.type)
                                       for t in sorted(scan.titles, key=_authored_order)])),
        pal=any(t.video is not None and (t.video.standard == "PAL" or t.video.height == 576) for t in scan.titles),
    )

"""Identification by a disc's volume label (and Blu-ray meta title) against TMDB: search with step-by-step
relaxation, score each candidate's named parts, decide, then name the titles (the runtime-matched main feature,
or a series' episodes numbered by `series`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

from amphigory.identify.context import IdentifyContext, Trouble
from amphigory.identify.decision import decide
from amphigory.identify.evidence import DiscEvidence, read_evidence
from amphigory.identify.labels import LabelHints, label_similarity, relaxed_queries, words
from amphigory.identify.result import Candidate, Identification, TitleInfo
from amphigory.identify.scoring import episodes_part, label_part, runtime_part, score, series_part, year_part
from amphigory.identify.series import map_episodes, map_specials
from amphigory.metadata.http import ServiceError
from amphigory.metadata.tmdb import Episode, Hit, Movie, Tmdb
from amphigory_protocol.disc import ScanResult

MOVIE_HITS = 5  # search results looked at in detail (each costs a request)
SHOW_HITS = 3


def hit_candidate(hit: Hit, base: str | None) -> Candidate:
    return Candidate(kind="series" if hit.series else "movie", title=hit.title, year=hit.year, tmdb_id=hit.id,
                     poster_url=f"{base}{hit.poster_path}" if base and hit.poster_path else None,
                     overview=hit.overview)


class LabelSearch:
    def __init__(self, tmdb: Tmdb, posters: Callable[[], Awaitable[str | None]]) -> None:
        self._tmdb = tmdb
        self._posters = posters

    async def _search_relaxed(self, queries: list[str]) -> list[Hit]:
        """Search each query in turn until one finds a title it names well; the hits of every query tried."""
        hits: dict[tuple[bool, int], Hit] = {}
        for query in queries:
            movies, shows = await asyncio.gather(self._tmdb.search(query, False), self._tmdb.search(query, True))
            for hit in movies[:MOVIE_HITS] + shows[:SHOW_HITS]:
                hits.setdefault((hit.series, hit.id), hit)
            if any(label_similarity(words(query), h.title) >= 0.5 for h in movies + shows):
                break
        return list(hits.values())[:MOVIE_HITS + SHOW_HITS + 2]

    async def identify(self, scan: ScanResult, context: IdentifyContext, trouble: Trouble) -> Identification:
        evidence = read_evidence(scan, context.bdmt_title)
        queries = [*(relaxed_queries(evidence.meta_hints)[:3] if evidence.meta_hints else []),
                   *relaxed_queries(evidence.hints)]
        hits = await self._search_relaxed(list(dict.fromkeys(queries)))
        if not hits:
            return Identification(reasons=(f"nothing on TMDB is called {evidence.hints.query or 'that'}",))
        # The image base URL is asked alongside the details, not before them: one round trip less.
        async def every_hit() -> list[tuple[Candidate, Movie | list[Episode] | None]]:
            return list(await asyncio.gather(*(self._score_hit(h, evidence) for h in hits)))

        base, plain = await asyncio.gather(self._posters(), every_hit())
        scored = [(replace(c, poster_url=f"{base}{h.poster_path}" if base and h.poster_path else None), d)
                  for h, (c, d) in zip(hits, plain, strict=True)]
        candidates = [c for c, _ in scored]
        decision = decide(candidates)
        if decision.best is None:
            return Identification(status=decision.status, source="tmdb" if decision.candidates else "none",
                                  candidates=decision.candidates, reasons=decision.reasons,
                                  confidence=decision.candidates[0].score if decision.candidates else 0.0)
        best = decision.best
        details = next(d for c, d in scored if c is best)
        titles = await self.titles_for(best, details, evidence, context, trouble)
        return Identification(
            status="identified", source="tmdb", kind=best.kind, title=best.title, year=best.year,
            tmdb_id=best.tmdb_id, imdb_id=best.imdb_id, season=best.season, confidence=best.score,
            candidates=decision.candidates, titles=tuple(titles), poster_url=best.poster_url,
            reasons=decision.reasons)

    async def _score_hit(self, hit: Hit, evidence: DiscEvidence) -> tuple[Candidate, Movie | list[Episode] | None]:
        hints: LabelHints = evidence.hints
        label = label_part(hints, hit.title, hit.original_title)
        if evidence.meta_hints is not None:
            meta = label_part(evidence.meta_hints, hit.title, hit.original_title)
            label = meta if meta.value > label.value else label
        candidate = hit_candidate(hit, None)
        shape = series_part(hints, hit.series, len(evidence.episodes), evidence.has_main)
        if not hit.series:
            movie = await self._tmdb.movie(hit.id)
            runtime = movie.runtime_minutes if movie else None
            feature = evidence.feature_for(runtime)
            total, parts = score([label, runtime_part(feature[1] if feature else None, runtime, evidence.pal),
                                  year_part(hints, hit.year), shape])
            return replace(candidate, imdb_id=movie.imdb_id if movie else None, score=total, parts=parts), movie
        season = hints.season or 1
        episodes = await self._tmdb.season(hit.id, season)
        total, parts = score([label, episodes_part([e.seconds for e in evidence.episodes],
                                                   [e.runtime_minutes for e in episodes], evidence.pal),
                              year_part(hints, hit.year), shape])
        return replace(candidate, season=season, score=total, parts=parts), episodes

    async def titles_for(self, best: Candidate, details: Movie | list[Episode] | None, evidence: DiscEvidence,
                          context: IdentifyContext, trouble: Trouble) -> list[TitleInfo]:
        if best.kind == "movie":
            runtime = details.runtime_minutes if isinstance(details, Movie) else None
            feature = evidence.feature_for(runtime)
            return [TitleInfo(number=feature[0], name=best.title, type="main_feature")] if feature else []
        episodes = details if isinstance(details, list) else []
        filed = context.filed_episodes.get((best.tmdb_id or 0, best.season or 1))
        mapped = map_episodes(evidence.episodes, episodes, disc=evidence.hints.disc, filed_last=filed, pal=evidence.pal)
        if mapped:
            return mapped
        # Not the season's run of episodes: perhaps specials (season 0), each matching one special's runtime.
        specials: list[TitleInfo] = []
        if best.tmdb_id is not None and best.season != 0:
            try:
                specials = map_specials(evidence.episodes, await self._tmdb.season(best.tmdb_id, 0))
            except ServiceError as e:
                trouble.note(e)
        named = {t.number for t in specials}
        # Known to be a series: its episode-length titles are episodes even when they cannot be numbered.
        return specials + [TitleInfo(number=e.number, type="episode", season=best.season)
                           for e in evidence.episodes if e.number not in named]

"""`Identifier`: what a scanned disc holds, asking the services in DESIGN.md's order.

TheDiscDB by content hash (exact), MusicBrainz by disc id for a CD (exact when one release), else TMDB by the
label (and a Blu-ray's meta title) with the decision in `decision`. A person's pick (`IdentifyContext.chosen`)
is looked up and answered with source "person". `identify` never raises for service trouble: a service that is
down, slow, rate-limiting or answering garbage gives an answer with `retry=True`, logged once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import httpx

from amphigory.config import MetadataSettings
from amphigory.identify.decision import decide
from amphigory.identify.discdb_map import map_titles
from amphigory.identify.evidence import DiscEvidence, read_evidence
from amphigory.identify.labels import LabelHints, label_similarity, relaxed_queries, words
from amphigory.identify.result import Candidate, Identification, Kind, ScorePart, TitleInfo
from amphigory.identify.scoring import (
    episodes_part,
    label_part,
    runtime_part,
    score,
    series_part,
    year_part,
)
from amphigory.identify.series import map_episodes, map_specials
from amphigory.metadata import coverart, thediscdb
from amphigory.metadata.cache import LookupCache
from amphigory.metadata.http import Http, HttpPolicy, ServiceError
from amphigory.metadata.musicbrainz import MusicBrainz, Release
from amphigory.metadata.tmdb import Episode, Hit, Movie, Show, Tmdb
from amphigory_protocol.disc import ScanResult

log = logging.getLogger(__name__)

MOVIE_HITS = 5  # search results looked at in detail (each costs a request)
SHOW_HITS = 3


@dataclass(frozen=True)
class IdentifyContext:
    bdmt_title: str | None = None  # a Blu-ray's BDMV/META/DL/bdmt_*.xml title, if known (else the scan's)
    # (show tmdb_id, season) -> last episode number already filed from that season's earlier discs
    filed_episodes: Mapping[tuple[int, int], int] = field(default_factory=dict)
    chosen: Candidate | None = None  # a person's pick: looked up and answered with source="person"


@dataclass
class _Trouble:
    """Services that could not answer during one identification (each logged once)."""

    errors: list[ServiceError] = field(default_factory=list)

    def note(self, error: ServiceError) -> None:
        if all(e.service != error.service for e in self.errors):
            log.warning("identification: %s (will retry later)", error)
        self.errors.append(error)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f"{e.service} unavailable: {e.message}" for e in self.errors))


class Identifier:
    def __init__(self, settings: MetadataSettings, cache: LookupCache | None = None,
                 client: httpx.AsyncClient | None = None, policy: HttpPolicy = HttpPolicy()) -> None:
        self.settings = settings
        self._cache = cache
        self._http = Http(client, policy)
        self._tmdb = Tmdb(self._http, settings.tmdb_url, settings.tmdb_token, cache) if settings.tmdb_token else None
        self._mb = MusicBrainz(self._http, settings.musicbrainz_url, cache)
        self._image_base: str | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Identifier:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the answer ------------------------------------------------------------------------------------------

    async def identify(self, scan: ScanResult, context: IdentifyContext = IdentifyContext()) -> Identification:
        if self.settings.offline:
            return Identification(retry=True, reasons=("offline: nothing was looked up",))
        trouble = _Trouble()
        try:
            if context.chosen is not None:
                answer = await self._chosen(scan, context, trouble)
            elif scan.disc_type == "cd":
                answer = await self._cd(scan, trouble)
            else:
                answer = await self._by_content_hash(scan, trouble) or await self._by_label(scan, context, trouble)
        except ServiceError as e:  # a service failing where nothing else can answer
            trouble.note(e)
            answer = Identification()
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as e:
            # An answer shaped in a way no parser foresaw is garbage too: it must not break a scan or a page.
            log.debug("identification: unexpected answer", exc_info=True)
            trouble.note(ServiceError("metadata", f"unexpected answer ({type(e).__name__})"))
            answer = Identification()
        if trouble.errors:
            answer = replace(answer, retry=True, reasons=(*answer.reasons, *trouble.reasons))
        return answer

    async def search(self, query: str, kind: Kind | None = None, year: int | None = None) -> list[Candidate]:
        """A person's search box: TMDB for films and series (`kind` None: both), MusicBrainz releases for music.
        Unlike `identify`, a service that cannot answer raises `ServiceError` (the person is waiting to hear it)."""
        if self.settings.offline or not query.strip():
            return []
        if kind == "music":
            return [Candidate(kind="music", title=f.title, year=f.year, artist=f.artist, musicbrainz_release_id=f.id,
                              score=round(f.score / 100, 3)) for f in await self._mb.search(query)]
        if self._tmdb is None:
            return []
        kinds = [kind == "series"] if kind else [False, True]
        found = await asyncio.gather(*(self._tmdb.search(query, series, year) for series in kinds))
        base = await self._posters()
        query_words = words(query)
        out = [replace(self._hit_candidate(h, base), score=round(label_similarity(query_words, h.title), 3))
               for hits in found for h in hits]
        return sorted(out, key=lambda c: -c.score)

    # -- TheDiscDB -------------------------------------------------------------------------------------------

    async def _by_content_hash(self, scan: ScanResult, trouble: _Trouble) -> Identification | None:
        content_hash = scan.public_ids.thediscdb_content_hash
        if not content_hash:
            return None
        try:
            disc = await thediscdb.find_disc(self._http, self.settings.thediscdb_url, content_hash, self._cache)
        except ServiceError as e:
            trouble.note(e)  # the label may still find it; the exact answer is worth asking for again later
            return None
        if disc is None:
            return None
        titles = map_titles(scan.titles, disc.titles)
        kind: Kind = "series" if disc.series else "movie"
        seasons = [t.season for t in titles if t.season is not None and t.type == "episode"]
        season = max(set(seasons), key=seasons.count) if seasons else None
        part = ScorePart("content_hash", 1.0, 1.0, f"TheDiscDB knows this disc ({disc.release_title or 'a release'})")
        candidate = Candidate(kind=kind, title=disc.work_title, year=disc.year, tmdb_id=disc.tmdb_id,
                              imdb_id=disc.imdb_id, season=season, score=1.0, parts=(part,))
        poster = await self._poster_for(kind, disc.tmdb_id, trouble)
        return Identification(
            status="identified", source="thediscdb", kind=kind, title=disc.work_title, year=disc.year,
            tmdb_id=disc.tmdb_id, imdb_id=disc.imdb_id, season=season, confidence=1.0,
            candidates=(replace(candidate, poster_url=poster),), titles=tuple(titles), poster_url=poster,
            reasons=("found by content hash", f"{len(titles)} titles named by TheDiscDB"))

    async def _poster_for(self, kind: Kind, tmdb_id: int | None, trouble: _Trouble) -> str | None:
        if self._tmdb is None or tmdb_id is None:
            return None
        try:
            details: Movie | Show | None
            base, details = await asyncio.gather(
                self._posters(), self._tmdb.show(tmdb_id) if kind == "series" else self._tmdb.movie(tmdb_id))
        except ServiceError as e:
            trouble.note(e)
            return None
        return f"{base}{details.poster_path}" if base and details and details.poster_path else None

    async def _posters(self) -> str | None:
        if self._image_base is None and self._tmdb is not None:
            self._image_base = await self._tmdb.image_base()
        return self._image_base

    # -- TMDB by label ---------------------------------------------------------------------------------------

    def _hit_candidate(self, hit: Hit, base: str | None) -> Candidate:
        return Candidate(kind="series" if hit.series else "movie", title=hit.title, year=hit.year, tmdb_id=hit.id,
                         poster_url=f"{base}{hit.poster_path}" if base and hit.poster_path else None,
                         overview=hit.overview)

    async def _search_relaxed(self, queries: list[str]) -> list[Hit]:
        """Search each query in turn until one finds a title it names well; the hits of every query tried."""
        assert self._tmdb is not None
        hits: dict[tuple[bool, int], Hit] = {}
        for query in queries:
            movies, shows = await asyncio.gather(self._tmdb.search(query, False), self._tmdb.search(query, True))
            for hit in movies[:MOVIE_HITS] + shows[:SHOW_HITS]:
                hits.setdefault((hit.series, hit.id), hit)
            if any(label_similarity(words(query), h.title) >= 0.5 for h in movies + shows):
                break
        return list(hits.values())[:MOVIE_HITS + SHOW_HITS + 2]

    async def _by_label(self, scan: ScanResult, context: IdentifyContext, trouble: _Trouble) -> Identification:
        if self._tmdb is None:
            return Identification(reasons=("no TMDB token: the label was not looked up",))
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
        titles = await self._titles_for(best, details, evidence, context, trouble)
        return Identification(
            status="identified", source="tmdb", kind=best.kind, title=best.title, year=best.year,
            tmdb_id=best.tmdb_id, imdb_id=best.imdb_id, season=best.season, confidence=best.score,
            candidates=decision.candidates, titles=tuple(titles), poster_url=best.poster_url,
            reasons=decision.reasons)

    async def _score_hit(self, hit: Hit, evidence: DiscEvidence) -> tuple[Candidate, Movie | list[Episode] | None]:
        assert self._tmdb is not None
        hints: LabelHints = evidence.hints
        label = label_part(hints, hit.title, hit.original_title)
        if evidence.meta_hints is not None:
            meta = label_part(evidence.meta_hints, hit.title, hit.original_title)
            label = meta if meta.value > label.value else label
        candidate = self._hit_candidate(hit, None)
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

    async def _titles_for(self, best: Candidate, details: Movie | list[Episode] | None, evidence: DiscEvidence,
                          context: IdentifyContext, trouble: _Trouble) -> list[TitleInfo]:
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
        if self._tmdb is not None and best.tmdb_id is not None and best.season != 0:
            try:
                specials = map_specials(evidence.episodes, await self._tmdb.season(best.tmdb_id, 0))
            except ServiceError as e:
                trouble.note(e)
        named = {t.number for t in specials}
        # Known to be a series: its episode-length titles are episodes even when they cannot be numbered.
        return specials + [TitleInfo(number=e.number, type="episode", season=best.season)
                           for e in evidence.episodes if e.number not in named]

    # -- CDs -------------------------------------------------------------------------------------------------

    async def _cd(self, scan: ScanResult, trouble: _Trouble) -> Identification:
        disc_id = scan.public_ids.musicbrainz_disc_id
        if not disc_id:
            return Identification(reasons=("no MusicBrainz disc id",))
        releases = await self._mb.releases(disc_id)
        if not releases:
            return Identification(reasons=("MusicBrainz does not know this disc id",))
        candidates = tuple(self._release_candidate(r, 1.0 / len(releases)) for r in releases)
        if len(releases) > 1:
            return Identification(status="uncertain", source="musicbrainz", kind="music", candidates=candidates,
                                  confidence=round(1.0 / len(releases), 3),
                                  reasons=(f"{len(releases)} releases hold this disc (reissues): pick one",))
        return await self._release_answer(releases[0], "musicbrainz", candidates, trouble)

    def _release_candidate(self, release: Release, confidence: float) -> Candidate:
        part = ScorePart("disc_id", 1.0, 1.0, "MusicBrainz lists this disc id on the release")
        return Candidate(kind="music", title=release.title, year=release.year, artist=release.artist,
                         musicbrainz_release_id=release.id, score=round(confidence, 3), parts=(part,),
                         overview=" ".join(x for x in (release.country, release.date) if x) or None)

    async def _release_answer(self, release: Release, source: str, candidates: tuple[Candidate, ...],
                              trouble: _Trouble) -> Identification:
        cover = None
        try:
            cover = await coverart.front_cover(self._http, self.settings.coverart_url, release.id, self._cache)
        except ServiceError as e:
            trouble.note(e)
        titles = tuple(TitleInfo(number=t.position, name=t.title, artist=t.artist) for t in release.tracks)
        return Identification(
            status="identified", source="musicbrainz" if source == "musicbrainz" else "person", kind="music",
            title=release.title, year=release.year, musicbrainz_release_id=release.id, artist=release.artist,
            confidence=1.0, candidates=candidates, titles=titles, poster_url=cover,
            reasons=("found by MusicBrainz disc id",) if source == "musicbrainz" else ("chosen by a person",))

    # -- a person's pick -------------------------------------------------------------------------------------

    async def _chosen(self, scan: ScanResult, context: IdentifyContext, trouble: _Trouble) -> Identification:
        chosen = context.chosen
        assert chosen is not None
        plain = Identification(
            status="identified", source="person", kind=chosen.kind, title=chosen.title, year=chosen.year,
            tmdb_id=chosen.tmdb_id, imdb_id=chosen.imdb_id, musicbrainz_release_id=chosen.musicbrainz_release_id,
            artist=chosen.artist, season=chosen.season, confidence=1.0, candidates=(chosen,),
            poster_url=chosen.poster_url, reasons=("chosen by a person",))
        try:
            if chosen.kind == "music":
                disc_id = scan.public_ids.musicbrainz_disc_id
                releases = await self._mb.releases(disc_id) if disc_id else []
                release = next((r for r in releases if r.id == chosen.musicbrainz_release_id), None)
                if release is None and chosen.musicbrainz_release_id:  # picked from a search, not the disc id's
                    release = await self._mb.release(chosen.musicbrainz_release_id, disc_id)
                if release is None:
                    return plain
                return await self._release_answer(release, "person", (chosen,), trouble)
            if self._tmdb is None or chosen.tmdb_id is None:
                return plain
            evidence = read_evidence(scan, context.bdmt_title)
            details: Movie | list[Episode] | None
            if chosen.kind == "movie":
                details = await self._tmdb.movie(chosen.tmdb_id)
                if details is not None:
                    plain = replace(plain, imdb_id=details.imdb_id or plain.imdb_id, year=details.year or plain.year)
            else:
                season = chosen.season or evidence.hints.season or 1
                plain = replace(plain, season=season)
                details = await self._tmdb.season(chosen.tmdb_id, season)
            titles = await self._titles_for(replace(chosen, season=plain.season), details, evidence, context, trouble)
            return replace(plain, titles=tuple(titles))
        except ServiceError as e:
            trouble.note(e)  # the person's choice stands; the details are looked up again later
            return plain

"""`Identifier`: what a scanned disc holds, asking the services in DESIGN.md's order.

TheDiscDB by content hash (exact), MusicBrainz by disc id for a CD (exact when one release), else TMDB by the
label (and a Blu-ray's meta title) with the decision in `decision`. A person's pick (`IdentifyContext.chosen`)
is looked up and answered with source "person". `identify` never raises for service trouble: a service that is
down, slow, rate-limiting or answering garbage gives an answer with `retry=True`, logged once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import httpx

from amphigory.identify.by_label import LabelSearch, hit_candidate
from amphigory.identify.context import IdentifyContext, Trouble
from amphigory.identify.discdb_map import map_titles
from amphigory.identify.evidence import read_evidence
from amphigory.identify.labels import label_similarity, words
from amphigory.identify.result import Candidate, Identification, Kind, ScorePart, TitleInfo
from amphigory.metadata import coverart, thediscdb
from amphigory.metadata.cache import LookupCache
from amphigory.metadata.http import Http, HttpPolicy, ServiceError
from amphigory.metadata.musicbrainz import MusicBrainz, Release
from amphigory.metadata.tmdb import Episode, Movie, Show, Tmdb
from amphigory.option_values import MetadataSettings
from amphigory_protocol.disc import ScanResult

log = logging.getLogger(__name__)

__all__ = ["Identifier", "IdentifyContext"]


class Identifier:
    def __init__(self, settings: MetadataSettings, cache: LookupCache | None = None,
                 client: httpx.AsyncClient | None = None, policy: HttpPolicy = HttpPolicy()) -> None:
        self.settings = settings
        self._cache = cache
        self._http = Http(client, policy)
        self._tmdb = Tmdb(self._http, settings.tmdb_url, settings.tmdb_token, cache) if settings.tmdb_token else None
        self._label = LabelSearch(self._tmdb, self._posters) if self._tmdb is not None else None
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
        trouble = Trouble()
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
        Like `identify`, it never raises for service trouble: a service that cannot answer finds nothing (logged)."""
        if self.settings.offline or not query.strip():
            return []
        try:
            return await self._search(query, kind, year)
        except ServiceError as e:
            log.warning("search: %s", e)
            return []

    async def _search(self, query: str, kind: Kind | None, year: int | None) -> list[Candidate]:
        if kind == "music":
            return [Candidate(kind="music", title=f.title, year=f.year, artist=f.artist, musicbrainz_release_id=f.id,
                              score=round(f.score / 100, 3)) for f in await self._mb.search(query)]
        if self._tmdb is None:
            return []
        kinds = [kind == "series"] if kind else [False, True]
        found = await asyncio.gather(*(self._tmdb.search(query, series, year) for series in kinds))
        base = await self._posters()
        query_words = words(query)
        out = [replace(hit_candidate(h, base), score=round(label_similarity(query_words, h.title), 3))
               for hits in found for h in hits]
        return sorted(out, key=lambda c: -c.score)

    # -- TheDiscDB -------------------------------------------------------------------------------------------

    async def _by_content_hash(self, scan: ScanResult, trouble: Trouble) -> Identification | None:
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

    async def _poster_for(self, kind: Kind, tmdb_id: int | None, trouble: Trouble) -> str | None:
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

    async def _by_label(self, scan: ScanResult, context: IdentifyContext, trouble: Trouble) -> Identification:
        if self._label is None:
            return Identification(reasons=("no TMDB token: the label was not looked up",))
        return await self._label.identify(scan, context, trouble)

    # -- CDs -------------------------------------------------------------------------------------------------

    async def _cd(self, scan: ScanResult, trouble: Trouble) -> Identification:
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
                              trouble: Trouble) -> Identification:
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

    async def _chosen(self, scan: ScanResult, context: IdentifyContext, trouble: Trouble) -> Identification:
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
            if self._tmdb is None or self._label is None or chosen.tmdb_id is None:
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
            titles = await self._label.titles_for(replace(chosen, season=plain.season), details, evidence, context,
                                                  trouble)
            return replace(plain, titles=tuple(titles))
        except ServiceError as e:
            trouble.note(e)  # the person's choice stands; the details are looked up again later
            return plain

"""`IdentificationService`: the webapp identifies every disc after its scan, in the background.

When a scan is stored (a `TaskService` scan listener) the disc is looked up in a task of its own, so neither the
scan nor the event loop ever waits on a service. The answer is stored with the disc (`discs.identification`) and,
when certain or chosen by the person, applied (`applying.plan_naming`) in the same unit of work, so a person's
edit can never slip in between. A look-up that could not reach a service (`retry`) is made again later, with
backoff, and again for every such disc when the webapp starts. A person's pick is stored with source "person": it
is final, and a re-scan re-applies it without asking anyone. Listeners (hands-free ripping) hear every answer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx

from amphigory.api.disc_repository import DiscRepository, StoredDisc
from amphigory.api.disc_sql import select_discs
from amphigory.identify.applying import PERSON, plan_naming
from amphigory.identify.covers import Covers
from amphigory.identify.identifier import IdentifyContext
from amphigory.identify.result import Candidate, Identification, Kind
from amphigory.identify.sql import select_filed_episodes, select_to_identify, write_identification, write_naming
from amphigory_protocol.disc import ScanResult

log = logging.getLogger(__name__)

# Told every answer once it is stored (and applied): (fingerprint, answer).
IdentificationListener = Callable[[str, Identification], Awaitable[None]]
Broadcast = Callable[[dict[str, Any]], Awaitable[None]]


class Identifies(Protocol):
    """What the service needs of `amphigory.identify.identifier.Identifier`."""

    async def identify(self, scan: ScanResult, context: IdentifyContext = ...) -> Identification: ...

    async def search(self, query: str, kind: Kind | None = None, year: int | None = None) -> list[Candidate]: ...

    async def aclose(self) -> None: ...


class UnknownDisc(LookupError):
    """No stored, scanned disc with that fingerprint."""


class IdentificationService:
    """Looks discs up after their scan, stores and applies the answers, and takes the person's picks."""

    AT_ONCE = 4

    def __init__(
        self, discs: DiscRepository, identifier: Identifies, broadcast: Broadcast | None = None, *,
        retry_after: float = 60.0, retry_max: float = 3600.0, retry: bool = True,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.discs = discs
        self.identifier = identifier
        self.broadcast = broadcast
        self.retry_after = retry_after
        self.retry_max = retry_max
        self.retry = retry  # off when offline: nothing would answer later (or at start) either
        self.covers = Covers(client)
        self._listeners: list[IdentificationListener] = []
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._waiting: set[asyncio.Task[Any]] = set()  # jobs sleeping until their next try
        self._running = False
        # Look-ups at once: a webapp starting with many discs to look up must not flood the services.
        self._slots = asyncio.Semaphore(self.AT_ONCE)

    def add_listener(self, listener: IdentificationListener) -> None:
        self._listeners.append(listener)

    async def start(self) -> None:
        """Look up every scanned disc that was never looked up or whose look-up is to be tried again (unless
        offline: nothing would answer)."""
        self._running = True
        if not self.retry:
            return
        async with self.discs.db.connection() as conn:
            pending = await select_to_identify(conn)
        for fingerprint in pending:
            self.schedule(fingerprint)

    async def stop(self) -> None:
        self._running = False
        jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        self._jobs.clear()
        await self.identifier.aclose()
        await self.covers.aclose()

    async def on_scan_stored(self, fingerprint: str) -> None:
        """A scan listener: look the disc up (or re-apply its stored answer) in the background, now."""
        job = self._jobs.get(fingerprint)
        if job is not None and job in self._waiting:  # a retry sleeping until later: the new scan goes first
            del self._jobs[fingerprint]
            self._waiting.discard(job)
            job.cancel()
        self.schedule(fingerprint)

    def schedule(self, fingerprint: str) -> None:
        """Identify the disc in its own task (once: a job already under way covers it)."""
        if not self._running or fingerprint in self._jobs:
            return
        job = asyncio.ensure_future(self._job(fingerprint))
        self._jobs[fingerprint] = job
        job.add_done_callback(lambda done: self._jobs.pop(fingerprint) if self._jobs.get(fingerprint) is done
                              else None)

    async def wait(self, fingerprint: str) -> None:
        """Until the disc's current job (if any) has an answer or is waiting to try again (tests, benchmarks)."""
        while (job := self._jobs.get(fingerprint)) is not None and job not in self._waiting:
            await asyncio.wait([job], timeout=0.05)

    async def _job(self, fingerprint: str) -> None:
        """Look the disc up until a look-up reaches the services, waiting longer after each that did not."""
        attempt = 0
        while True:
            try:
                answer = await self.identify(fingerprint)
            except Exception:  # never let a look-up take anything else down; try again later
                log.exception("identifying %s failed", fingerprint)
                answer = Identification(retry=True)
            if answer is None or not answer.retry or not self.retry:
                return
            later = min(self.retry_max, self.retry_after * 2 ** attempt)
            attempt += 1
            log.info("identifying %s: a service did not answer; trying again in %g s", fingerprint, later)
            me = asyncio.current_task()
            assert me is not None
            self._waiting.add(me)
            try:
                await asyncio.sleep(later)
            finally:
                self._waiting.discard(me)

    async def identify(self, fingerprint: str) -> Identification | None:
        """Look the disc up now (a person's stored pick is re-applied instead); None when it was never scanned."""
        disc = await self.discs.get(fingerprint)
        scan = await self.discs.scan_result(fingerprint)
        if disc is None or scan is None:
            return None
        stored = Identification.from_json(disc.identification) if disc.identification else None
        if stored is not None and stored.source == PERSON:
            if not stored.retry or not stored.candidates:
                answer = stored
            else:  # the pick's details (episodes, tracks) could not be had then: ask again
                answer = await self._pick(fingerprint, scan, stored.candidates[0])
        else:
            async with self._slots:
                answer = await self.identifier.identify(scan, await self._context(fingerprint, scan))
        await self._store(fingerprint, scan, answer)
        return answer

    async def search(self, query: str, kind: Kind | None = None, year: int | None = None) -> list[Candidate]:
        return await self.identifier.search(query, kind, year)

    async def choose(self, fingerprint: str, candidate: Candidate) -> StoredDisc:
        """The person's pick: looked up (episodes, track names), stored with source "person" and applied."""
        scan = await self.discs.scan_result(fingerprint)
        if scan is None or await self.discs.get(fingerprint) is None:
            raise UnknownDisc(f"no scanned disc with fingerprint {fingerprint}")
        answer = await self._pick(fingerprint, scan, candidate)
        disc = await self._store(fingerprint, scan, answer)
        if answer.retry and self.retry:  # the details are looked up again later
            self.schedule(fingerprint)
        return disc

    async def _pick(self, fingerprint: str, scan: ScanResult, candidate: Candidate) -> Identification:
        context = dataclasses.replace(await self._context(fingerprint, scan), chosen=candidate)
        try:
            answer = await self.identifier.identify(scan, context)
        except Exception:
            log.exception("looking up the pick for %s failed", fingerprint)
            answer = Identification(retry=True)
        # Whatever the services said, the person's pick names the disc (and is remembered as the first candidate).
        return dataclasses.replace(
            answer, source=PERSON, status="identified", kind=answer.kind or candidate.kind,
            title=answer.title or candidate.title, year=answer.year or candidate.year,
            tmdb_id=answer.tmdb_id or candidate.tmdb_id,
            musicbrainz_release_id=answer.musicbrainz_release_id or candidate.musicbrainz_release_id,
            candidates=(candidate, *(c for c in answer.candidates if c != candidate)),
        )

    async def front_cover(self, disc: StoredDisc) -> bytes | None:
        """The front cover of the album the disc was identified as (None when there is none or it cannot be had)."""
        return await self.covers.front_cover(disc)

    async def _context(self, fingerprint: str, scan: ScanResult) -> IdentifyContext:
        async with self.discs.db.connection() as conn:
            filed = await select_filed_episodes(conn, fingerprint)
        return IdentifyContext(filed_episodes=filed)  # the Blu-ray meta title comes with the scan (meta_title)

    async def _store(self, fingerprint: str, scan: ScanResult, answer: Identification) -> StoredDisc:
        """Store the answer and apply it where it may be, in one unit of work; then tell listeners and browsers."""
        disc_names = {t.number: t.name for t in scan.titles if t.name} if scan.disc_type == "cd" else {}
        async with self.discs.db.connection() as conn:
            disc = (await select_discs(conn, [fingerprint]))[fingerprint]
            previous = Identification.from_json(disc.identification) if disc.identification else None
            await write_identification(conn, fingerprint, answer.to_json())
            naming = plan_naming(disc, answer, previous, disc_names)
            if naming is not None:
                await write_naming(conn, fingerprint, naming)
            self.discs.forget(fingerprint)
            disc = (await select_discs(conn, [fingerprint]))[fingerprint]
        log.info("disc %s: %s (%s) %s", fingerprint, answer.status, answer.source,
                 f"named {disc.title!r}" if naming is not None else "not applied")
        for listener in self._listeners:
            try:
                await listener(fingerprint, answer)
            except Exception:
                log.exception("identification listener failed for %s", fingerprint)
        if self.broadcast is not None:
            await self.broadcast({"type": "disc", "fingerprint": fingerprint, "title": disc.title,
                                  "identification": answer.status})
        return disc

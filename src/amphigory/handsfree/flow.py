"""`HandsFree`: insert a disc, walk away. One entry point, `disc_ready(daemon_id, drive_id, fingerprint)`, called
once a disc is stored (and, with identification, identified); then, in `rip` mode, a cancellable countdown, the
rips the rules pick, filing (or holding, until a person names the disc), eject, and a notification.

State lives in memory (countdowns, batches, the discs seen), except a person's cancel, which is kept in the database
(`declined`). After a restart, a stored disc found in a drive when its daemon connects is ready again (`first_sight`):
a countdown cut short by the restart starts over, one a person cancelled does not, and what was ripped already is
not ripped again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from amphigory.api.disc_repository import DiscRepository, DiscUpdate, StoredDisc
from amphigory.config import WebappSettings
from amphigory.handsfree import declined, hold, review
from amphigory.handsfree.batch import FILING, RIPPING, Batch
from amphigory.handsfree.selection import pick, still_to_rip, track_type
from amphigory.identify.result import Identification
from amphigory.notify import Notifier
from amphigory.notify import messages as say
from amphigory.notify.media_servers import refresh
from amphigory.tasks import Task, TaskProblem, TaskService

log = logging.getLogger(__name__)

Filing = Callable[[str, int, str], Awaitable[Task]]  # Filer.file(fingerprint, number, drive_id)

CANCELLED = "Hands-free rip cancelled: the disc waits for you"


@dataclass
class Countdown:
    drive_id: str
    fingerprint: str
    title: str
    tracks: list[dict[str, Any]]
    seconds: float
    ends_at: float  # time.time()
    go: asyncio.Event = field(default_factory=asyncio.Event)
    job: asyncio.Task[None] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"drive_id": self.drive_id, "fingerprint": self.fingerprint, "title": self.title,
                "tracks": self.tracks, "seconds": self.seconds, "ends_at": self.ends_at,
                "remaining": max(0.0, self.ends_at - time.time())}


class HandsFree:
    def __init__(self, settings: Callable[[], WebappSettings], discs: DiscRepository, tasks: TaskService,
                 filing: Filing, notifier: Notifier) -> None:
        self.settings = settings
        self.discs = discs
        self.tasks = tasks
        self.filing = filing
        self.notifier = notifier
        self._publishing = asyncio.Lock()  # states reach browsers in the order they were made
        self._seq = 0  # of the last state made
        self.countdowns: dict[str, Countdown] = {}  # by drive
        self.batches: dict[str, Batch] = {}  # by fingerprint
        self.notes: dict[str, str] = {}  # by drive: what hands-free mode last did there, in words
        self._seen: dict[str, str] = {}  # by drive: the disc in it that hands-free mode has already looked at
        self._jobs: set[asyncio.Task[Any]] = set()

    # -- the entry point -------------------------------------------------------------------------------------

    async def disc_ready(self, daemon_id: str, drive_id: str, fingerprint: str) -> None:
        """A stored (identified) disc is in a drive: in `rip` mode, count down and rip what the rules pick."""
        if self.settings().on_insert_for(drive_id) != "rip" or drive_id in self.countdowns:
            return
        drive = self.tasks.manager.drive(drive_id)
        disc = await self.discs.get(fingerprint)
        if drive is None or drive.get("fingerprint") != fingerprint or disc is None:
            return
        self._seen[drive_id] = fingerprint
        if await declined.is_declined(self.discs.db, drive_id, fingerprint):
            self.notes[drive_id] = CANCELLED
            log.info("hands-free: %s in %s: a person cancelled its countdown; not counting down", fingerprint, drive_id)
            await self.publish()
            return
        await declined.forget(self.discs.db, drive_id)  # a mark left by another disc (swapped while we were down)
        identification = _identification(disc)
        picked = pick(disc, identification)
        todo = still_to_rip(disc, picked)
        if not todo:
            self.notes[drive_id] = ("Already ripped: not ripping it again (the review page rips it again if you ask)"
                                    if picked else "Nothing to rip by the rules: choose the titles on the review page")
            log.info("hands-free: %s in %s: %s", fingerprint, drive_id, self.notes[drive_id])
            await self.publish()
            if not picked:  # a person has to choose: tell them
                name = say.disc_name(disc.title, disc.year)
                await self.notifier.notify(say.needs_review(name, fingerprint, 0, self.page_url(fingerprint),
                                                            "the rules picked no title to rip"))
            return
        seconds = max(0.0, self.settings().auto_rip_delay)
        countdown = Countdown(drive_id, fingerprint, disc.title, [
            {"number": n, "type": track_type(t, identification), "duration_seconds": t.duration_seconds}
            for n in todo if (t := disc.track(n)) is not None], seconds, time.time() + seconds)
        self.countdowns[drive_id] = countdown
        self.notes.pop(drive_id, None)
        countdown.job = self._spawn(self._count_down(countdown))
        log.info("hands-free: ripping %d title(s) of %s in %s in %g s", len(todo), fingerprint, drive_id, seconds)
        await self.publish()

    # -- the countdown ---------------------------------------------------------------------------------------

    async def rip_now(self, drive_id: str) -> bool:
        countdown = self.countdowns.get(drive_id)
        if countdown is None:
            return False
        countdown.go.set()
        return True

    async def cancel(self, drive_id: str) -> bool:
        countdown = self.countdowns.pop(drive_id, None)
        if countdown is None:
            return False
        if countdown.job is not None:
            countdown.job.cancel()
        self.notes[drive_id] = CANCELLED
        try:
            await declined.remember(self.discs.db, drive_id, countdown.fingerprint)
        except Exception:  # cancelled all the same; only a restart would not know it
            log.exception("hands-free: could not keep the cancel of %s in %s", countdown.fingerprint, drive_id)
        log.info("hands-free: countdown of %s in %s cancelled", countdown.fingerprint, drive_id)
        await self.publish()
        return True

    async def _count_down(self, countdown: Countdown) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(countdown.go.wait(), countdown.seconds)
        if self.countdowns.get(countdown.drive_id) is not countdown:
            return
        del self.countdowns[countdown.drive_id]
        numbers = [t["number"] for t in countdown.tracks]
        batch = Batch(countdown.fingerprint, countdown.drive_id, dict.fromkeys(numbers, RIPPING))
        self.batches[countdown.fingerprint] = batch
        try:
            await self.tasks.rip(countdown.drive_id, numbers, countdown.fingerprint)
        except TaskProblem as problem:
            started = {t.track_number for t in [await self.tasks.get(i) for i in problem.task_ids] if t}
            for number in numbers:
                if number not in started and batch.tracks[number] == RIPPING:
                    batch.tracks[number] = "rip_failed"
            batch.problems.append(f"the rip could not start: {problem.message}")
            await self._progress(batch)
        await self.publish()

    # -- following the rips and filings ----------------------------------------------------------------------

    async def on_task_finished(self, task: Task) -> None:
        """A `TaskService` finish listener: moves the disc's batch on; the slow parts run in the background."""
        if task.fingerprint is None or task.type not in ("rip", "file"):
            return
        batch = self.batches.get(task.fingerprint)
        if batch is not None and batch.apply(task):
            await self._progress(batch)

    async def _progress(self, batch: Batch) -> None:
        if batch.rips_done and not batch.ejected:
            batch.ejected = True
            # Out once something was ripped; a disc whose every rip failed or was cancelled stays in for a retry.
            if batch.count("rip_failed", "cancelled") < len(batch.tracks) and self.settings().eject_when_done:
                self._spawn(self._eject(batch))
        if batch.done and self.batches.get(batch.fingerprint) is batch:
            del self.batches[batch.fingerprint]
            self._spawn(self._announce(batch))

    async def _eject(self, batch: Batch) -> None:
        drive = self.tasks.manager.drive(batch.drive_id)
        if drive is None or drive.get("fingerprint") != batch.fingerprint:
            return
        try:
            await self.tasks.eject(batch.drive_id)
        except TaskProblem as problem:
            log.warning("hands-free: could not eject %s: %s", batch.drive_id, problem.message)

    async def _announce(self, batch: Batch) -> None:
        disc = await self.discs.get(batch.fingerprint)
        name = say.disc_name(disc.title, disc.year) if disc is not None else batch.fingerprint
        url = self.page_url(batch.fingerprint)
        if batch.problems:
            in_drive = (self.tasks.manager.drive(batch.drive_id) or {}).get("fingerprint") == batch.fingerprint
            await self.notifier.notify(say.failed(name, batch.fingerprint, batch.problems, url, in_drive))
        elif batch.count("held"):
            why = "nobody has named the disc yet (it is known only by its volume label)"
            await self.notifier.notify(say.needs_review(name, batch.fingerprint, batch.count("held"), url, why))
        elif batch.filed:
            settings = self.settings()
            await self.notifier.notify(say.done(name, batch.fingerprint, batch.filed, str(settings.library_dir), url))
            folders = sorted({str((settings.library_dir / p).parent) for p in batch.filed})
            await refresh(settings, folders)
        await self.publish()

    # -- naming a held disc ----------------------------------------------------------------------------------

    async def disc_changed(self, fingerprint: str, changes: DiscUpdate) -> StoredDisc | None:
        """After `PATCH /api/discs/{fingerprint}` (which names the disc when it changes its title or year): a named
        disc's held rips go to the library. The disc as it is now (None when unknown)."""
        await self.file_held(fingerprint)
        return await self.discs.get(fingerprint)

    async def file_held(self, fingerprint: str) -> list[Task]:
        """File every held rip of a disc that was just named; the batch announces them once filed."""
        disc = await self.discs.get(fingerprint)
        if disc is None or hold.is_held(disc):
            return []
        numbers = hold.held_tracks(disc)
        if not numbers or fingerprint in self.batches:
            return []
        batch = Batch(fingerprint, "", dict.fromkeys(numbers, FILING), ejected=True)
        self.batches[fingerprint] = batch
        started: list[Task] = []
        for number in numbers:
            try:
                started.append(await self.filing(fingerprint, number, ""))
            except TaskProblem as problem:
                batch.tracks[number] = "not_filed"
                await self.discs.record_library_note(fingerprint, number, problem.message)
        await self._progress(batch)
        await self.publish()
        return started

    # -- what the dashboard shows ----------------------------------------------------------------------------

    async def state(self) -> dict[str, Any]:
        # The database first: countdowns and notes are read after it, so none that starts meanwhile is left out.
        needs_review = await review.needs_review(self.discs.db)
        settings = self.settings()
        # A state answered to GET /api/handsfree can reach a browser after a newer one pushed on the feed; the
        # browser keeps the state with the highest `seq` (increasing, also across restarts on one machine).
        self._seq = max(self._seq + 1, time.monotonic_ns())
        return {"seq": self._seq, "countdowns": [c.to_json() for c in self.countdowns.values()],
                "notes": dict(self.notes), "needs_review": needs_review, "on_insert": settings.on_insert,
                "drive_rules": dict(settings.drive_on_insert)}

    async def publish(self) -> None:
        """Push the state to browsers. One at a time: a state made before a countdown started must never reach a
        browser after the one that shows it (the dashboard would hide a running countdown)."""
        async with self._publishing:
            try:
                await self.tasks.manager.broadcast_browser({"type": "handsfree", **await self.state()})
            except Exception:
                log.exception("could not push the hands-free state to browsers")

    def first_sight(self, drive_id: str, fingerprint: str) -> bool:
        """Whether hands-free mode has not looked at this disc in this drive since the webapp started (a daemon
        reconnecting after a network blip brings nothing new: a cancelled countdown stays cancelled)."""
        return self._seen.get(drive_id) != fingerprint

    async def forget_drive(self, drive_id: str) -> None:
        """The disc left the drive: its note, any countdown and a person's cancel go."""
        self._seen.pop(drive_id, None)
        self.notes.pop(drive_id, None)
        countdown = self.countdowns.pop(drive_id, None)
        if countdown is not None and countdown.job is not None:
            countdown.job.cancel()
        await declined.forget(self.discs.db, drive_id)

    def page_url(self, fingerprint: str) -> str:
        settings = self.settings()
        host = settings.host if settings.host not in ("0.0.0.0", "::", "") else socket.gethostname()
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{settings.port}/discs/{urllib.parse.quote(fingerprint, safe='')}"

    async def stop(self) -> None:
        for job in list(self._jobs):
            job.cancel()
        self.countdowns.clear()

    def _spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        job = asyncio.ensure_future(coro)
        self._jobs.add(job)
        job.add_done_callback(self._done)
        return job

    def _done(self, job: asyncio.Task[Any]) -> None:
        self._jobs.discard(job)
        if not job.cancelled() and job.exception() is not None:
            log.error("hands-free job failed", exc_info=job.exception())


def _identification(disc: StoredDisc) -> Identification | None:
    if not disc.identification:
        return None
    try:
        return Identification.from_json(disc.identification)
    except (TypeError, ValueError):
        return None

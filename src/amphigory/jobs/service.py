"""`JobService`: filing and transcoding jobs on the queue engine, with the webapp as the record of each.

- `submit` writes the job (`jobs` row, next to its `tasks` row) and puts "task T, attempt 1" on the queue.
- A worker `claim`s the attempt it dequeued and gets a lease and the job's spec; a claim for an attempt that is
  not current (a stale or repeated message) is refused, so a job never runs twice at once.
- The worker's `progress` reports are its heartbeat; a job whose worker is silent for `worker_timeout` seconds
  (killed, powered off, cut off) runs again as the next attempt on whichever worker takes it. A report or result
  for a lease that is no longer current is refused, and that is how cancel reaches the worker.
- `complete` accepts one result per job (`JobRecords.close` under the lease), then the `Placer` (the `Filer`)
  writes it into the library; only this process ever writes the library.
- After a restart nothing is lost or run twice: claimed jobs get a fresh `worker_timeout` to report in, queued
  ones whose message is missing from the queue are put on it again, and a job whose result was being filed when
  the webapp stopped runs again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from amphigory.database import Database
from amphigory.jobs.local import LocalWorkers
from amphigory.jobs.records import Job, JobRecords
from amphigory.tasks import Task, TaskProblem, TaskService
from amphigory.tasks.models import ACTIVE
from amphigory_protocol.checksum import Algorithm, Checksum, hash_file
from amphigory_worker.queue import Queue, open_queue

log = logging.getLogger(__name__)
FORGET_WORKERS_AFTER = 3600.0  # the dashboard stops listing a worker not heard from for an hour


class JobRefused(TaskProblem):
    """A claim, report or result the webapp does not accept (`code`: not_claimable, lease_lost, bad_upload): a
    409 `Problem`, which tells a worker to drop the job."""


class Placer(Protocol):
    """What files a job's result into the library (`amphigory.library.filing.Filer`)."""

    progress_interval: float

    @property
    def staging(self) -> Path: ...

    async def place(self, task: Task, staged: Path | None, transcoded: bool, method: str,
                    notes: list[str]) -> dict[str, Any]: ...

    async def give_up(self, task: Task, code: str, message: str) -> None: ...


@dataclass
class WorkerSeen:
    """A worker as the webapp last heard from it (the dashboard's list)."""

    id: str
    host: str
    pid: int
    concurrency: int = 1
    task_id: str | None = None
    phase: str | None = None
    percent: float | None = None
    fps: float | None = None
    eta_seconds: float | None = None
    last_seen: float = field(default_factory=time.time)


class JobService:
    def __init__(self, db: Database, tasks: TaskService, queue_url: str, data_dir: Path, worker_timeout: float,
                 local: LocalWorkers | None = None) -> None:
        self.tasks = tasks
        self.records = JobRecords(db)
        self.queue_url = queue_url
        self.data_dir = data_dir
        self.worker_timeout = worker_timeout
        self.local = local
        self.queue: Queue | None = None
        self.placer: Placer | None = None
        self.workers: dict[str, WorkerSeen] = {}
        self._heard: dict[str, float] = {}  # task id -> monotonic time of its worker's last report
        self._queued_seen: dict[tuple[str, int], float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._checksums: dict[tuple[str, int, int, str], Checksum] = {}

    async def start(self, placer: Placer) -> None:
        self.placer = placer
        self.queue = await asyncio.to_thread(open_queue, self.queue_url, self.data_dir)
        if await self.records.unfinished() and self.local is not None:
            self.local.start()
        self._watcher = asyncio.ensure_future(self._watch())

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self.local is not None:
            await asyncio.to_thread(self.local.stop)

    def _lock(self, task_id: str) -> asyncio.Lock:
        return self._locks.setdefault(task_id, asyncio.Lock())

    # -- the webapp's side ------------------------------------------------------------------------------------

    async def submit(self, task: Task, spec: dict[str, Any]) -> None:
        """Record the job of `task` and put its first attempt on the queue."""
        job = await self.records.create(task.id, spec)
        try:
            await self._enqueue(job.task_id, job.attempt)
        except Exception as exc:  # Redis down: `reconcile` puts it on the queue once it answers again
            log.warning("job %s could not be put on the queue yet (%s): trying again in %g s", task.id, exc,
                        self.worker_timeout)
        if self.local is not None:
            self.local.start()

    async def _enqueue(self, task_id: str, attempt: int) -> None:
        assert self.queue is not None
        self._queued_seen[(task_id, attempt)] = time.monotonic()
        await asyncio.to_thread(self.queue.enqueue, task_id, attempt)

    async def cancel(self, task_id: str) -> None:
        """The job ends here: its lease is void (the worker hears it at its next report) and its upload goes."""
        async with self._lock(task_id):
            job = await self.records.get(task_id)
            if job is not None and await self.records.close(task_id):
                self._forget(job)
        self._drop_lock(task_id)

    def _drop_lock(self, task_id: str) -> None:
        """A job that ended needs its lock no more (kept while anyone holds it)."""
        lock = self._locks.get(task_id)
        if lock is not None and not lock.locked():
            del self._locks[task_id]

    def _forget(self, job: Job) -> None:
        self._heard.pop(job.task_id, None)
        self._queued_seen.pop((job.task_id, job.attempt), None)
        if self.placer is not None:
            with contextlib.suppress(FileNotFoundError):
                self.upload_path(job).unlink()

    # -- the worker's side ------------------------------------------------------------------------------------

    async def claim(self, task_id: str, attempt: int, worker: WorkerSeen) -> dict[str, Any]:
        """The job's spec under a new lease, or `JobRefused` (the attempt is not current, or the task ended)."""
        job = await self.records.claim(task_id, attempt, worker.id)
        if job is None:
            raise JobRefused("not_claimable", f"job {task_id} attempt {attempt} is not waiting for a worker")
        assert self.placer is not None and job.lease is not None
        self._heard[task_id] = time.monotonic()
        self._queued_seen.pop((task_id, attempt), None)
        worker.task_id, worker.phase, worker.percent = task_id, "claimed", 0.0
        self._see(worker)
        await self.tasks.local_progress(task_id, 0)
        log.info("job %s attempt %d claimed by worker %s", task_id, attempt, worker.id)
        result_path = self.upload_path(job)
        await asyncio.to_thread(result_path.parent.mkdir, parents=True, exist_ok=True)
        # `result_path`: a worker that can write there (this machine's) moves its result in instead of uploading it.
        return {**job.spec, "task_id": task_id, "attempt": job.attempt, "lease": job.lease,
                "heartbeat_seconds": self.placer.progress_interval, "result_path": str(result_path)}

    async def held(self, task_id: str, lease: str) -> Job:
        job = await self.records.holds(task_id, lease)
        if job is None:
            raise JobRefused("lease_lost", f"job {task_id} is no longer yours (cancelled, or run again elsewhere)")
        return job

    async def progress(self, task_id: str, lease: str, worker: WorkerSeen) -> None:
        """A worker's report (its heartbeat): `JobRefused` tells it to stop."""
        await self.held(task_id, lease)
        self._heard[task_id] = time.monotonic()
        worker.task_id = task_id
        self._see(worker)
        if worker.percent is not None:
            await self.tasks.local_progress(task_id, int(worker.percent))

    def _see(self, worker: WorkerSeen) -> None:
        worker.last_seen = time.time()
        self.workers[worker.id] = worker
        for gone in [w.id for w in self.workers.values() if worker.last_seen - w.last_seen > FORGET_WORKERS_AFTER]:
            del self.workers[gone]

    def idle(self, worker: WorkerSeen) -> None:
        """An idle worker says it is there (the dashboard lists it)."""
        worker.task_id = worker.phase = None
        worker.percent = worker.fps = worker.eta_seconds = None
        self._see(worker)

    def upload_path(self, job: Job) -> Path:
        assert self.placer is not None
        return self.placer.staging / f"{job.task_id}.{job.attempt}.upload"

    async def complete(self, task_id: str, lease: str, size: int | None, checksum: str | None, method: str,
                       notes: list[str], transcoded: bool,
                       verify: Callable[[Path, int, str | None], Awaitable[None]],
                       transcode_seconds: float | None = None, moved: bool = False) -> Task | None:
        """Accept the job's one result and file it; `JobRefused` for a lease that is not current or a bad upload."""
        try:
            return await self._complete(task_id, lease, size, None if moved else checksum, method, notes, transcoded,
                                        verify, transcode_seconds, moved)
        finally:
            self._drop_lock(task_id)

    async def _complete(self, task_id: str, lease: str, size: int | None, checksum: str | None, method: str,
                        notes: list[str], transcoded: bool, verify: Callable[[Path, int, str | None], Awaitable[None]],
                        transcode_seconds: float | None, moved: bool) -> Task | None:
        assert self.placer is not None
        async with self._lock(task_id):
            job = await self.held(task_id, lease)
            staged: Path | None = None
            if transcoded:
                staged = self.upload_path(job)
                if size is None or (checksum is None and not moved):
                    raise JobRefused("bad_upload", "a transcoded result needs its size and checksum")
                await verify(staged, size, checksum)  # JobRefused when it is not the file the worker made
            if not await self.records.close(task_id, lease):
                raise JobRefused("lease_lost", f"job {task_id} already has its result")
            self._forget_times(job)
            task = await self.tasks.get(task_id)
            assert task is not None
            try:
                result = await self.placer.place(task, staged, transcoded, method, notes)
                if transcode_seconds is not None:
                    result["transcode_seconds"] = round(transcode_seconds, 3)
                if transcoded:
                    result["delivery"] = "moved" if moved else "uploaded"
            except Exception as exc:  # the placer already noted why on the track and failed the task
                log.info("job %s: filing its result failed: %s", task_id, exc)
                return await self.tasks.get(task_id)
            finally:
                if staged is not None:
                    with contextlib.suppress(FileNotFoundError):
                        staged.unlink()
            return await self.tasks.local_finish(task_id, "complete", result=result)

    def _forget_times(self, job: Job) -> None:
        self._heard.pop(job.task_id, None)
        self._queued_seen.pop((job.task_id, job.attempt), None)

    async def fail(self, task_id: str, lease: str, code: str, message: str) -> None:
        """The worker could not do the job (a transcode that fails fails again elsewhere): the task fails."""
        assert self.placer is not None
        async with self._lock(task_id):
            job = await self.held(task_id, lease)
            if not await self.records.close(task_id, lease):
                raise JobRefused("lease_lost", f"job {task_id} already has its result")
            self._forget(job)
            task = await self.tasks.get(task_id)
            if task is not None:
                await self.placer.give_up(task, code, message)
        self._drop_lock(task_id)

    # -- noticing silent workers and lost messages --------------------------------------------------------------

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(max(0.05, min(1.0, self.worker_timeout / 4)))
            try:
                await self.reconcile()
            except Exception:
                log.exception("could not check the job queue")

    async def reconcile(self) -> None:
        """Run again the jobs whose worker went silent, and queue again messages the queue lost."""
        now = time.monotonic()
        pending: set[tuple[str, int]] | None = None
        unfinished = await self.records.unfinished()
        if unfinished and self.local is not None:
            self.local.start()  # a local worker that died is replaced while there is work
        for job in unfinished:
            task = await self.tasks.get(job.task_id)
            if task is None or task.status not in ACTIVE:
                await self.records.close(job.task_id)
                continue
            if job.state == "queued":
                first = self._queued_seen.setdefault((job.task_id, job.attempt), now)
                if now - first < self.worker_timeout:
                    continue
                if pending is None:
                    assert self.queue is not None
                    pending = await asyncio.to_thread(self.queue.pending)
                if (job.task_id, job.attempt) not in pending:
                    log.warning("job %s attempt %d was not on the queue: queued again", job.task_id, job.attempt)
                    await self.records.touch(job.task_id, job.attempt)
                    await self._enqueue(job.task_id, job.attempt)
                else:
                    self._queued_seen[(job.task_id, job.attempt)] = now
                continue
            heard = self._heard.setdefault(job.task_id, now)  # first look after a restart: time to report in
            if job.state == "claimed" and now - heard < self.worker_timeout:
                continue
            async with self._lock(job.task_id):  # a result being filed holds it until its task has ended
                current = await self.tasks.get(job.task_id)
                if current is None or current.status not in ACTIVE:
                    continue
                attempt = await self.records.requeue(job.task_id, job.attempt)
            if attempt is None:
                continue
            self._forget(job)
            why = (f"worker {job.worker} went silent for {self.worker_timeout:g} s" if job.state == "claimed"
                   else "the webapp stopped while filing its result")
            log.warning("job %s: %s; running it again (attempt %d)", job.task_id, why, attempt)
            await self.tasks.local_waiting_again(job.task_id)  # the queue page shows it waiting, not running
            await self._enqueue(job.task_id, attempt)
            if self.local is not None:
                self.local.start()

    # -- sources --------------------------------------------------------------------------------------------------

    def source_path(self, job: Job) -> Path:
        return Path(str(job.spec["source"]["path"]))

    async def source_checksum(self, path: Path, algorithm: Algorithm) -> tuple[Checksum, int]:
        """A job source's checksum and size, hashed once per file (as long as its size and time stay)."""
        stat = await asyncio.to_thread(path.stat)
        key = (str(path), stat.st_size, stat.st_mtime_ns, algorithm)
        checksum = self._checksums.get(key)
        if checksum is None:
            checksum = self._checksums[key] = await asyncio.to_thread(hash_file, path, algorithm)
        return checksum, stat.st_size

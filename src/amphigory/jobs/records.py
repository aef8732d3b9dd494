"""The `jobs` table: one row per queued filing/transcoding task, its attempt, state and current lease.

Every change is one guarded UPDATE (`WHERE state = ... AND lease = ...`), so two workers racing for a job, or a
result arriving for an attempt that is no longer current, are decided by SQLite, not by timing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from amphigory.database import Database, now

JobState = Literal["queued", "claimed", "done"]


@dataclass(frozen=True)
class Job:
    task_id: str
    attempt: int
    state: JobState
    lease: str | None
    worker: str | None
    spec: dict[str, Any]
    enqueued_at: str


class JobRecords:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, task_id: str) -> Job | None:
        async with self.db.connection() as conn:
            cur = await conn.execute("SELECT * FROM jobs WHERE task_id = ?", (task_id,))
            row = await cur.fetchone()
        return _job(row) if row is not None else None

    async def unfinished(self) -> list[Job]:
        """Jobs not done, and done jobs whose task is still unfinished (the webapp stopped while filing one)."""
        async with self.db.connection() as conn:
            cur = await conn.execute(
                "SELECT jobs.* FROM jobs JOIN tasks ON tasks.id = jobs.task_id "
                "WHERE jobs.state != 'done' OR tasks.status IN ('queued', 'running')")
            return [_job(r) for r in await cur.fetchall()]

    async def create(self, task_id: str, spec: dict[str, Any]) -> Job:
        stamp = now()
        async with self.db.connection() as conn:
            await conn.execute("INSERT INTO jobs (task_id, spec, enqueued_at, updated_at) VALUES (?, ?, ?, ?)",
                               (task_id, json.dumps(spec), stamp, stamp))
        job = await self.get(task_id)
        assert job is not None
        return job

    async def claim(self, task_id: str, attempt: int, worker: str) -> Job | None:
        """Give the queued `attempt` of a job to `worker` under a new lease; None when it is not to be had."""
        lease = uuid.uuid4().hex
        async with self.db.connection() as conn:
            cur = await conn.execute(
                "UPDATE jobs SET state = 'claimed', lease = ?, worker = ?, updated_at = ? "
                "WHERE task_id = ? AND attempt = ? AND state = 'queued' "
                "AND task_id IN (SELECT id FROM tasks WHERE status IN ('queued', 'running'))",
                (lease, worker, now(), task_id, attempt))
            if cur.rowcount == 0:
                return None
        return await self.get(task_id)

    async def holds(self, task_id: str, lease: str) -> Job | None:
        """The job when `lease` is its current claim (and the job is neither requeued, done nor cancelled)."""
        job = await self.get(task_id)
        return job if job is not None and job.state == "claimed" and job.lease == lease else None

    async def requeue(self, task_id: str, attempt: int) -> int | None:
        """The job's next attempt, queued (its current lease void); None when `attempt` is no longer current."""
        async with self.db.connection() as conn:
            cur = await conn.execute(
                "UPDATE jobs SET attempt = attempt + 1, state = 'queued', lease = NULL, worker = NULL, "
                "enqueued_at = ?, updated_at = ? WHERE task_id = ? AND attempt = ? RETURNING attempt",
                (now(), now(), task_id, attempt))
            row = await cur.fetchone()
        return int(row[0]) if row is not None else None

    async def touch(self, task_id: str, attempt: int) -> None:
        """The queued attempt's message was put on the queue again (it was missing)."""
        async with self.db.connection() as conn:
            await conn.execute("UPDATE jobs SET enqueued_at = ?, updated_at = ? WHERE task_id = ? AND attempt = ? "
                               "AND state = 'queued'", (now(), now(), task_id, attempt))

    async def close(self, task_id: str, lease: str | None = None) -> bool:
        """The job is done (its result accepted for `lease`, or, with no lease, cancelled); True when this call
        closed it (a second result for the same job is refused here)."""
        condition, params = ("state = 'claimed' AND lease = ?", (lease,)) if lease else ("state != 'done'", ())
        async with self.db.connection() as conn:
            cur = await conn.execute(
                f"UPDATE jobs SET state = 'done', updated_at = ? WHERE task_id = ? AND {condition}",
                (now(), task_id, *params))
            return cur.rowcount > 0


def _job(row: Any) -> Job:
    return Job(row["task_id"], int(row["attempt"]), row["state"], row["lease"], row["worker"], json.loads(row["spec"]),
               row["enqueued_at"])

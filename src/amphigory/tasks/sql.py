"""The `tasks` table as plain functions of a connection: insert, guarded update, select, and bulk failing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aiosqlite

from amphigory.database import now
from amphigory.tasks.models import ASSUMED_FAILURES, Task

_TASK_COLUMNS = frozenset({"status", "progress", "result", "error", "error_code", "started_at", "finished_at",
                           "fingerprint"})


async def insert_task(
    conn: aiosqlite.Connection, task_id: str, kind: str, daemon_id: str, drive_id: str, fingerprint: str | None,
    track_number: int | None, params: dict[str, Any], retry_of: str | None,
) -> None:
    stamp = now()
    await conn.execute(
        "INSERT INTO tasks (id, type, status, progress, daemon_id, drive_id, fingerprint, track_number, params, "
        "retry_of, created_at, updated_at) VALUES (?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?, ?, ?)",
        (task_id, kind, daemon_id, drive_id, fingerprint, track_number, json.dumps(params), retry_of, stamp, stamp),
    )


async def update_task(
    conn: aiosqlite.Connection, task_id: str, daemon_id: str, values: dict[str, Any], only: Sequence[str],
    revive: bool = False,
) -> bool:
    """Set columns of a task of `daemon_id` whose status is in `only` (or, with `revive`, whose failure was
    assumed); True when it changed."""
    bad = set(values) - _TASK_COLUMNS
    if bad:
        raise ValueError(f"not a task column: {sorted(bad)}")
    condition = f"status IN ({','.join('?' * len(only))})"
    params: list[Any] = [*only]
    if revive:
        condition = f"({condition} OR (status = 'failed' AND error_code IN ({','.join('?' * len(ASSUMED_FAILURES))})))"
        params += ASSUMED_FAILURES
    # A task starts once: a later start (a revived task, a repeated event) keeps the first time.
    sets = ", ".join("started_at = coalesce(started_at, ?)" if c == "started_at" else f"{c} = ?" for c in values)
    cur = await conn.execute(
        f"UPDATE tasks SET {sets}, updated_at = ? "
        f"WHERE id = ? AND daemon_id = ? AND {condition}",
        (*values.values(), now(), task_id, daemon_id, *params),
    )
    return cur.rowcount > 0


async def fail_tasks(
    conn: aiosqlite.Connection, where: str, params: tuple[Any, ...], code: str, message: str
) -> list[str]:
    """Fail every task matching `where` (an SQL condition with `params`); the ids of those it failed."""
    cur = await conn.execute(
        f"UPDATE tasks SET status = 'failed', error = ?, error_code = ?, finished_at = ?, updated_at = ? "
        f"WHERE {where} RETURNING id",
        (message, code, now(), now(), *params),
    )
    return [r["id"] for r in await cur.fetchall()]


async def select_task(conn: aiosqlite.Connection, task_id: str) -> Task | None:
    cur = await conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,))
    row = await cur.fetchone()
    return _task(row) if row is not None else None


async def select_tasks(
    conn: aiosqlite.Connection, status: str | None, drive_id: str | None, fingerprint: str | None, limit: int,
    offset: int,
) -> list[Task]:
    filters = {"status": status, "drive_id": drive_id, "fingerprint": fingerprint}
    given = {k: v for k, v in filters.items() if v is not None}
    where = ("WHERE " + " AND ".join(f"{k} = ?" for k in given)) if given else ""
    cur = await conn.execute(
        f"SELECT * FROM tasks {where} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
        (*given.values(), limit, offset),
    )
    return [_task(r) for r in await cur.fetchall()]


async def select_active_scan_id(conn: aiosqlite.Connection, drive_id: str, fingerprint: str | None) -> str | None:
    """The newest unfinished scan of this disc (`fingerprint`, None for no disc) in this drive."""
    cur = await conn.execute(
        "SELECT id FROM tasks WHERE type = 'scan' AND drive_id = ? AND fingerprint IS ? "
        "AND status IN ('queued', 'running') ORDER BY created_at DESC LIMIT 1", (drive_id, fingerprint))
    row = await cur.fetchone()
    return str(row["id"]) if row is not None else None


def _task(row: aiosqlite.Row) -> Task:
    values = {k: row[k] for k in row.keys()}  # noqa: SIM118 (sqlite3.Row iterates over values)
    values["params"] = json.loads(values["params"] or "{}")
    values["result"] = json.loads(values["result"]) if values["result"] else None
    return Task.model_validate(values)


async def delete_finished_tasks(conn: aiosqlite.Connection, statuses: tuple[str, ...],
                                task_id: str | None = None) -> list[str]:
    """Delete the finished tasks with one of `statuses` (only `task_id`, when given); the ids deleted. Tasks that
    are retries of a deleted one lose their `retry_of` (the history they pointed at is gone)."""
    marks = ",".join("?" * len(statuses))
    where, params = f"status IN ({marks})", statuses
    if task_id is not None:
        where, params = f"{where} AND id = ?", (*statuses, task_id)
    cur = await conn.execute(f"SELECT id FROM tasks WHERE {where}", params)
    ids = [str(r["id"]) for r in await cur.fetchall()]
    for start in range(0, len(ids), 500):  # SQLite's limit on parameters
        chunk = tuple(ids[start:start + 500])
        marks = ",".join("?" * len(chunk))
        await conn.execute(f"UPDATE tasks SET retry_of = NULL WHERE retry_of IN ({marks})", chunk)
        await conn.execute(f"DELETE FROM tasks WHERE id IN ({marks})", chunk)
    return ids

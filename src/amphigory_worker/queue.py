"""The job queue on Huey: `open_queue(url)` is a SQLite file (one machine) or Redis (workers anywhere), holding one
kind of message, "run the job of task T, attempt A".

A message carries only those two values: what to do is asked from the webapp when a worker claims the job (it is
the record of every job), so a stale or repeated message is simply refused there. Messages are JSON, not Huey's
default pickle: a Redis that others can write to must not be a way to run code on every worker.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.registry import Message
from huey.serializer import Serializer

JOB = "amphigory.job"
JOB_NAME = f"{__name__}.{JOB}"  # how Huey names the task registered here
QUEUE_FILE = "queue.db"
# An idle SQLite worker looks for work at most this often (Redis workers block until a message comes).
POLL_SECONDS = 0.05


class QueueError(ValueError):
    """A queue URL that is neither sqlite nor redis, or a message that is not one of ours."""


class JsonSerializer(Serializer):  # type: ignore[misc]
    """Huey messages as JSON, accepting only job messages: (task id, attempt)."""

    def _serialize(self, data: Any) -> bytes:
        if not isinstance(data, Message):
            raise QueueError("only job messages go on the queue")
        if data.name != JOB_NAME or data.eta is not None or data.on_complete or data.on_error or data.chord_config:
            raise QueueError(f"not a plain job message: {data.name}")
        return json.dumps({"id": data.id, "args": list(data.args)}).encode()

    def _deserialize(self, data: bytes) -> Message:
        try:
            body = json.loads(data)
            message_id, (task_id, attempt) = str(body["id"]), body["args"]
        except (ValueError, KeyError, TypeError) as exc:
            raise QueueError(f"not a job message: {data[:80]!r}") from exc
        if not isinstance(task_id, str) or not isinstance(attempt, int) or len(task_id) > 100:
            raise QueueError(f"not a job message: {data[:80]!r}")
        return Message(message_id, JOB_NAME, None, 0, 0, None, (task_id, attempt), {}, None, None, None, None, None,
                       None, None)


def sqlite_file(url: str, data_dir: Path) -> Path | None:
    """The SQLite queue's file for `url` (`sqlite`: in `data_dir`; `sqlite:///abs/path`), or None for Redis."""
    if url == "sqlite":
        return data_dir / QUEUE_FILE
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite://"))
    if url.startswith(("redis://", "rediss://", "unix://")):
        return None
    raise QueueError(f"not a queue (sqlite, sqlite:///path or redis://host:port/db): {url!r}")


@dataclass
class Queue:
    """The Huey and its one task; `enqueue` and `pending` block (call them off an event loop)."""

    huey: Huey
    job: Any  # huey.api.TaskWrapper

    def enqueue(self, task_id: str, attempt: int) -> None:
        self.huey.enqueue(self.job.s(task_id, attempt))

    def pending(self) -> set[tuple[str, int]]:
        """The (task id, attempt) of every message still waiting; messages that are not ours are skipped."""
        found: set[tuple[str, int]] = set()
        for raw in self.huey.storage.enqueued_items():
            try:
                message = self.huey.serializer.deserialize(raw)
            except QueueError:
                continue
            found.add((str(message.args[0]), int(message.args[1])))
        return found


def open_queue(url: str, data_dir: Path, run: Callable[[str, int], None] | None = None) -> Queue:
    """The queue for `url`, with the job task registered (`run(task_id, attempt)` on workers; the webapp, which
    only enqueues, passes nothing)."""
    path = sqlite_file(url, data_dir)
    options: dict[str, Any] = {"results": False, "serializer": JsonSerializer()}
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        huey: Huey = SqliteHuey("amphigory", filename=str(path), timeout=30, **options)
    else:
        huey = RedisHuey("amphigory", url=url, read_timeout=1, **options)

    def job(task_id: str, attempt: int) -> None:
        if run is None:
            raise RuntimeError("this process only enqueues jobs")
        run(task_id, attempt)

    return Queue(huey, huey.task(name=JOB, retries=0)(job))

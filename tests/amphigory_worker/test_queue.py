"""The queue on Huey: job messages as JSON only, SQLite by default, what is pending, and the worker's URLs."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from amphigory_worker.client import http_base
from amphigory_worker.queue import QueueError, open_queue, sqlite_file


def test_a_job_goes_from_the_webapp_to_a_worker_through_sqlite(tmp_path: Path) -> None:
    webapp = open_queue("sqlite", tmp_path)
    webapp.enqueue("task-1", 1)
    webapp.enqueue("task-2", 3)
    assert webapp.pending() == {("task-1", 1), ("task-2", 3)}
    ran: list[tuple[str, int]] = []
    worker = open_queue(f"sqlite://{tmp_path / 'queue.db'}", tmp_path / "elsewhere", lambda t, a: ran.append((t, a)))
    message = worker.huey.dequeue()
    worker.huey.execute(message)
    assert ran == [("task-1", 1)] and webapp.pending() == {("task-2", 3)}
    assert (tmp_path / "queue.db").is_file() and not (tmp_path / "elsewhere" / "queue.db").exists()


def test_messages_are_json_and_anything_else_is_refused(tmp_path: Path) -> None:
    queue = open_queue("sqlite", tmp_path)
    queue.enqueue("task-1", 1)
    stored = list(queue.huey.storage.enqueued_items())
    assert len(stored) == 1 and stored[0].startswith(b"{") and b"task-1" in stored[0]

    for bad in (pickle.dumps(("task", 1)), b'{"id": "x", "args": ["t", "one"]}', b"not json"):
        with pytest.raises(QueueError):
            queue.huey.serializer.deserialize(bad)
    queue.huey.storage.enqueue(pickle.dumps({"evil": True}), 0)
    assert queue.pending() == {("task-1", 1)}  # someone else's message is skipped, never unpickled


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite", "data/queue.db"), ("sqlite:///srv/q.db", "/srv/q.db"), ("redis://h:6379/0", None)])
def test_queue_urls(url: str, expected: str | None) -> None:
    found = sqlite_file(url, Path("data"))
    assert (found.as_posix() if found else None) == expected


def test_queue_url_that_is_neither_is_refused() -> None:
    with pytest.raises(QueueError):
        sqlite_file("postgres://x", Path("data"))


@pytest.mark.parametrize(("given", "base"), [
    ("http://host:6199", "http://host:6199"), ("ws://host:6199/ws", "http://host:6199"),
    ("wss://example.org/amphigory/ws", "https://example.org/amphigory"), ("http://h:1/", "http://h:1")])
def test_webapp_url_forms(given: str, base: str) -> None:
    assert http_base(given) == base


def test_a_webapp_url_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="not a webapp URL"):
        http_base("ftp://host")

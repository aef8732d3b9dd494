"""`amphigory worker`: a Huey consumer with `concurrency` threads, each running one job at a time for the webapp.

Jobs left half-done in the scratch folder by a worker that died are removed when it starts; the encoder of a job
dies with the worker (DIE_WITH_US), and the webapp runs the job again elsewhere once the worker goes silent.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
from typing import Any

import httpx

from amphigory_worker.client import Identity, WebappClient
from amphigory_worker.job import run_job
from amphigory_worker.queue import POLL_SECONDS, Queue, open_queue
from amphigory_worker.settings import WorkerSettings

log = logging.getLogger("amphigory_worker")
IDLE_REPORT_SECONDS = 5.0


class _Busy:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()


def run_worker(settings: WorkerSettings) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("huey").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    scratch = settings.data_dir / "worker-jobs"
    shutil.rmtree(scratch, ignore_errors=True)  # what a worker that died here left behind
    scratch.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname()
    identity = Identity(f"{host}:{os.getpid()}", host, os.getpid(), settings.concurrency)
    client = WebappClient(settings.webapp_url, settings.token, identity)
    busy = _Busy()

    def run(task_id: str, attempt: int) -> None:
        with busy.lock:
            busy.count += 1
        try:
            run_job(client, scratch, task_id, attempt)
        finally:
            with busy.lock:
                busy.count -= 1

    queue = open_queue(settings.queue, settings.data_dir, run)
    stop = threading.Event()
    threading.Thread(target=_say_idle, args=(client, busy, stop), daemon=True, name="idle-report").start()
    consumer = consumer_for(queue, settings.concurrency)
    print(f"amphigory worker {identity.id}: queue {_safe(settings.queue)}, webapp {client.base}, "
          f"{settings.concurrency} at a time", flush=True)
    try:
        consumer.run()
    finally:
        stop.set()
        client.close()
    return 0


def consumer_for(queue: Queue, concurrency: int) -> Any:
    """Huey's consumer as workers run it: `concurrency` threads, polling an idle SQLite queue every POLL_SECONDS."""
    return queue.huey.create_consumer(workers=concurrency, worker_type="thread", periodic=False,
                                      initial_delay=POLL_SECONDS, backoff=1.0, max_delay=POLL_SECONDS)


def _say_idle(client: WebappClient, busy: _Busy, stop: threading.Event) -> None:
    """An idle worker still shows on the dashboard: it says so now and then."""
    while True:
        if busy.count == 0:
            try:
                client.idle()
            except httpx.HTTPError as exc:
                log.warning("webapp not reachable: %s", exc)
        if stop.wait(IDLE_REPORT_SECONDS):
            return


def _safe(url: str) -> str:
    """A queue URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url

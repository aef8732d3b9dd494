"""One job on a worker: claim it, get the rip (its own path when this machine can open it, else streamed from the
webapp), transcode it, hand the result back, and say how it ended; a reporter thread sends progress (the heartbeat)
and stops the job when the webapp says it is no longer ours.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from amphigory_protocol.disk_full import DISK_FULL, is_disk_full
from amphigory_worker.client import LeaseLost, TransferError, WebappClient
from amphigory_worker.transcode import Progress, Recipe, Stopped, TranscodeError, commands, run_blocking

log = logging.getLogger(__name__)


@dataclass
class _Latest:
    phase: str = "claimed"
    percent: float = 0.0
    fps: float | None = None
    eta: float | None = None


class Reporter(threading.Thread):
    """Sends the latest progress every `interval` seconds (also when nothing moved: it is the heartbeat); a 409
    sets `stop`, which kills the encoder."""

    def __init__(self, client: WebappClient, task_id: str, lease: str, interval: float) -> None:
        super().__init__(name=f"report-{task_id}", daemon=True)
        self.client, self.task_id, self.lease, self.interval = client, task_id, lease, max(0.05, interval)
        self.latest = _Latest()
        self.stop = threading.Event()  # set: the job must stop (lease lost)
        self.done = threading.Event()  # set: the job ended, stop reporting

    def update(self, phase: str, progress: Progress | None = None) -> None:
        self.latest.phase = phase
        if progress is not None:
            self.latest.percent = max(self.latest.percent, progress.percent)
            self.latest.fps, self.latest.eta = progress.fps, progress.eta_seconds

    def run(self) -> None:
        while not self.done.wait(self.interval):
            latest = self.latest
            try:
                self.client.report(self.task_id, self.lease, latest.phase, latest.percent, latest.fps, latest.eta)
            except LeaseLost:
                log.info("job %s is no longer ours: stopping it", self.task_id)
                self.stop.set()
                return
            except httpx.HTTPError as exc:  # the webapp restarting: keep working, keep trying
                log.warning("could not report job %s: %s", self.task_id, exc)


def can_open(path: Path, size: int) -> bool:
    """Whether this machine sees the rip itself (same path, same size, readable)."""
    try:
        with path.open("rb"):
            return path.stat().st_size == size
    except OSError:
        return False


def run_job(client: WebappClient, scratch: Path, task_id: str, attempt: int) -> None:
    """Do one job (see the module docstring); never raises for the job's own failures, which go to the webapp."""
    spec = client.claim(task_id, attempt)
    if spec is None:
        log.info("job %s attempt %d is not ours to run (done, cancelled or run elsewhere)", task_id, attempt)
        return
    lease = str(spec["lease"])
    reporter = Reporter(client, task_id, lease, float(spec.get("heartbeat_seconds") or 1.0))
    reporter.start()
    folder = scratch / f"{task_id}-{attempt}"
    try:
        _run(client, spec, folder, reporter)
    except Stopped:
        log.info("job %s stopped: it is no longer ours", task_id)
    except LeaseLost as refused:
        if refused.code == "lease_lost":
            log.info("job %s stopped: it is no longer ours", task_id)
        else:
            _fail(client, task_id, lease, "transfer_failed", f"the webapp refused the result: {refused}")
    except TranscodeError as exc:
        _fail(client, task_id, lease, exc.code, str(exc))
    except TransferError as exc:
        _fail(client, task_id, lease, exc.code, str(exc))
    except OSError as exc:
        code = DISK_FULL if is_disk_full(exc) else "io_error"
        _fail(client, task_id, lease, code, f"{exc.strerror or exc} ({exc.filename or 'no file'})")
    except Exception as exc:
        log.exception("job %s failed", task_id)
        _fail(client, task_id, lease, "worker_error", f"{type(exc).__name__}: {exc}")
    finally:
        reporter.done.set()
        reporter.join()
        _remove(folder)


def _run(client: WebappClient, spec: dict[str, Any], folder: Path, reporter: Reporter) -> None:
    task_id, lease = str(spec["task_id"]), str(spec["lease"])
    mode = spec["transcode"]
    if mode == "none":  # the webapp links the rip itself
        client.complete(task_id, lease, {"transcoded": False, "method": "hard link"})
        return
    folder.mkdir(parents=True, exist_ok=True)
    source_info = spec["source"]
    source = Path(str(source_info["path"]))
    notes: list[str] = []
    if not can_open(source, int(source_info["size"])):
        reporter.update("fetching")
        fetched = folder / f"source{source_info['suffix']}"
        client.download(task_id, lease, fetched, lambda done, size: reporter.update("fetching"))
        source = fetched
        notes.append("the rip was streamed from the webapp")
    recipe_json = dict(spec.get("recipe") or {})
    recipe = Recipe(preset=str(recipe_json.get("preset") or "auto"), preset_json=recipe_json.get("preset_json"),
                    languages=tuple(recipe_json.get("languages") or ()))
    preset_file = None
    if recipe.preset_json:
        preset_file = folder / "preset.json"
        preset_file.write_text(recipe.preset_json, encoding="utf-8")
    target = folder / f"result{spec.get('output_suffix') or '.mkv'}"
    job, more = commands(mode, source, target, spec.get("height"), spec.get("duration"), recipe, preset_file)
    notes += more
    reporter.update("transcoding")
    started = time.monotonic()
    run_blocking(job, lambda p: reporter.update("transcoding", p), reporter.stop)
    if not target.is_file() or target.stat().st_size == 0:
        raise TranscodeError(f"{job.description} wrote no output")
    seconds = time.monotonic() - started
    log.info("job %s transcoded in %.1f s", task_id, seconds)
    reporter.update("uploading")
    result: dict[str, Any] = {"transcoded": True, "method": job.description, "notes": notes,
                              "size": target.stat().st_size, "transcode_seconds": seconds}
    result_path = Path(str(spec.get("result_path") or ""))
    if spec.get("result_path") and move_into(target, result_path):
        try:  # this machine's staging folder: the result is there already, nothing to send
            client.complete(task_id, lease, {**result, "moved": True})
            return
        except LeaseLost as refused:
            if refused.code != "bad_upload":
                raise
            target = result_path  # the same path, but not the webapp's machine after all: send it
    for tries_left in (1, 0):
        result["checksum"] = client.upload(task_id, lease, target, lambda done, size: None)
        try:
            client.complete(task_id, lease, result)
            return
        except LeaseLost as refused:
            if refused.code != "bad_upload" or not tries_left:
                raise
            log.warning("job %s: the webapp got a damaged copy of the result; sending it again", task_id)


def move_into(target: Path, result_path: Path) -> bool:
    """Move the result to the webapp's staging path when this machine can (same file system, writable)."""
    if not result_path.parent.is_dir() or result_path.exists():
        return False
    try:
        os.rename(target, result_path)  # never copies: across file systems it fails, and the result is uploaded
    except OSError:
        return False
    return True


def _fail(client: WebappClient, task_id: str, lease: str, code: str, message: str) -> None:
    log.warning("job %s failed: %s", task_id, message)
    with contextlib.suppress(LeaseLost, httpx.HTTPError):
        client.fail(task_id, lease, code, message)


def _remove(folder: Path) -> None:
    if folder.is_dir():
        for child in folder.iterdir():
            with contextlib.suppress(OSError):
                os.unlink(child)
        with contextlib.suppress(OSError):
            folder.rmdir()

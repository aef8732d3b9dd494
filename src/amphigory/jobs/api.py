"""/api/jobs (what workers call, always with `Authorization: Bearer <token>`, even from loopback) and /api/workers
(the dashboard's list of workers).

A worker claims the job it dequeued, reports progress (its heartbeat; a 409 says stop), streams the rip when it
cannot open its path (`GET .../source`, HTTP Range, with `.../source/checksum` to verify it as it arrives; older
workers ask `.../source/sha256`), uploads its result
(`PUT .../result?offset=N`: append from N; `GET .../result` says how much arrived, to resume after a cut), and
then completes or fails the job, once, under its lease.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from amphigory.api.deps import problem_responses
from amphigory.auth import same_secret
from amphigory.jobs.service import JobRefused, JobService, WorkerSeen
from amphigory.tasks import Task
from amphigory_protocol.checksum import ChecksumError, hash_file, parse_checksum
from amphigory_protocol.disk_full import DISK_FULL, is_disk_full

_ID = Field(min_length=1, max_length=200)
Lease = Annotated[str, Query(min_length=1, max_length=64, description="the lease the claim gave")]


def _worker_token(request: Request) -> None:
    """Workers always present the token: the rips and the library are behind these routes."""
    token = request.app.state.settings.token
    given = request.headers.get("authorization", "")
    if token is None or not given.startswith("Bearer ") or not same_secret(given[7:].strip(), token):
        raise HTTPException(status_code=401, detail="a worker must send Authorization: Bearer <token>")


def _jobs(request: Request) -> JobService:
    jobs: JobService = request.app.state.jobs
    return jobs


Jobs = Annotated[JobService, Depends(_jobs)]
router = APIRouter(prefix="/api/jobs", tags=["workers"], dependencies=[Depends(_worker_token)],
                   responses={401: {"description": "no or wrong token"}})
workers_router = APIRouter(prefix="/api/workers", tags=["workers"])


class WorkerInfo(BaseModel):
    id: str = _ID
    host: str = Field(min_length=1, max_length=255)
    pid: int = Field(ge=0)
    concurrency: int = Field(1, ge=1, le=64)


class ClaimRequest(BaseModel):
    attempt: int = Field(ge=1)
    worker: WorkerInfo


class ProgressReport(BaseModel):
    lease: str = Field(min_length=1, max_length=64)
    worker: WorkerInfo
    phase: str = Field("transcoding", max_length=40)
    percent: float | None = Field(None, ge=0, le=100)
    fps: float | None = Field(None, ge=0)
    eta_seconds: float | None = Field(None, ge=0)


class Completion(BaseModel):
    lease: str = Field(min_length=1, max_length=64)
    transcoded: bool
    method: str = Field(max_length=200)
    notes: list[str] = Field(default_factory=list, max_length=20)
    size: int | None = Field(None, ge=0)
    checksum: str | None = Field(None, max_length=80, description="the result's `algorithm:hex` checksum (BLAKE3)")
    sha256: str | None = Field(None, pattern="^[0-9a-f]{64}$", description="what older workers send instead")
    transcode_seconds: float | None = Field(None, ge=0)
    moved: bool = Field(False, description="the worker moved its result to the claim's `result_path` itself "
                                           "(same machine) instead of uploading it: only its size is checked")


class Failure(BaseModel):
    lease: str = Field(min_length=1, max_length=64)
    code: str = Field(max_length=60)
    message: str = Field(max_length=2000)


class Received(BaseModel):
    received: int


class Checksum(BaseModel):
    sha256: str
    size: int


class SourceChecksum(BaseModel):
    checksum: str = Field(description="`algorithm:hex` (BLAKE3), as `amphigory_protocol.checksum` records it")
    size: int


class WorkersList(BaseModel):
    workers: list[dict[str, Any]]


def _seen(info: WorkerInfo, report: ProgressReport | None = None) -> WorkerSeen:
    seen = WorkerSeen(info.id, info.host, info.pid, info.concurrency)
    if report is not None:
        seen.phase, seen.percent, seen.fps, seen.eta_seconds = (report.phase, report.percent, report.fps,
                                                                report.eta_seconds)
    return seen


@router.post("/{task_id}/claim", responses=problem_responses(409))
async def claim(task_id: str, body: ClaimRequest, jobs: Jobs) -> dict[str, Any]:
    """Take the job's `attempt` (the queue message's); its spec and the lease every later call names."""
    return await jobs.claim(task_id, body.attempt, _seen(body.worker))


@router.post("/{task_id}/progress", status_code=204, responses=problem_responses(409))
async def progress(task_id: str, body: ProgressReport, jobs: Jobs) -> None:
    """Progress, and the worker's heartbeat; 409 means stop (cancelled, or the job runs elsewhere now)."""
    await jobs.progress(task_id, body.lease, _seen(body.worker, body))


class RipResponse(FileResponse):
    """A rip sent in 1 MiB pieces (Starlette's 64 KiB make a thread hop per 64 KiB: a third of the speed)."""

    chunk_size = 1 << 20


@router.get("/{task_id}/source", response_class=RipResponse, responses=problem_responses(409))
async def source(task_id: str, lease: Lease, jobs: Jobs) -> RipResponse:
    """The rip, for a worker that cannot open its path (HTTP Range supported, so a cut download resumes)."""
    job = await jobs.held(task_id, lease)
    return RipResponse(jobs.source_path(job), media_type="application/octet-stream")


@router.get("/{task_id}/source/checksum", response_model=SourceChecksum, responses=problem_responses(409))
async def source_checksum(task_id: str, lease: Lease, jobs: Jobs) -> SourceChecksum:
    """The rip's checksum (BLAKE3, computed once per file), to verify a download as it arrives."""
    path = jobs.source_path(await jobs.held(task_id, lease))
    checksum, size = await jobs.source_checksum(path, "blake3")
    return SourceChecksum(checksum=str(checksum), size=size)


@router.get("/{task_id}/source/sha256", response_model=Checksum, responses=problem_responses(409))
async def source_sha256(task_id: str, lease: Lease, jobs: Jobs) -> Checksum:
    """The rip's SHA-256, for workers older than `source/checksum` (a machine not upgraded yet)."""
    path = jobs.source_path(await jobs.held(task_id, lease))
    checksum, size = await jobs.source_checksum(path, "sha256")
    return Checksum(sha256=checksum.hexdigest, size=size)


@router.get("/{task_id}/result", response_model=Received, responses=problem_responses(409))
async def received(task_id: str, lease: Lease, jobs: Jobs) -> Received:
    """How many bytes of the result have arrived (to resume an upload)."""
    path = jobs.upload_path(await jobs.held(task_id, lease))
    return Received(received=path.stat().st_size if path.exists() else 0)


def is_result_upload(method: str, path: str) -> bool:
    """A worker's result upload: it streams to disk (gigabytes), so the body limit does not apply (token needed)."""
    return method == "PUT" and path.startswith("/api/jobs/") and path.endswith("/result")


@router.put("/{task_id}/result", response_model=Received, responses=problem_responses(409, 507),
            openapi_extra={"requestBody": {"content": {"application/octet-stream": {"schema": {
                "type": "string", "format": "binary"}}}, "required": True}})
async def upload(task_id: str, request: Request, lease: Lease, jobs: Jobs,
                 offset: Annotated[int, Query(ge=0, le=1 << 50)] = 0) -> Received:
    """Append the body to the result from byte `offset` (which must be what has arrived so far); 507 `disk_full`
    when the library's disk has no room for it (the part that arrived is removed)."""
    path = jobs.upload_path(await jobs.held(task_id, lease))
    path.parent.mkdir(parents=True, exist_ok=True)
    have = path.stat().st_size if path.exists() else 0
    if offset != have:
        raise JobRefused("bad_offset", f"the result has {have} bytes; send from there")
    full = await _append(request, path)
    if full is not None:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise JobRefused(DISK_FULL, f"the library's disk is full ({full.strerror}): the result does not fit")
    return Received(received=path.stat().st_size)


async def _append(request: Request, path: Path) -> OSError | None:
    """Append the request's body to `path`; the disk-full error that stopped it, if one did (the rest of the body
    is then read and dropped, so the worker hears the answer rather than a connection reset)."""
    handle = await asyncio.to_thread(open, path, "ab")
    full: OSError | None = None
    buffer = bytearray()

    async def write() -> None:
        nonlocal full
        try:
            await asyncio.to_thread(handle.write, bytes(buffer))
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            full = exc
        buffer.clear()

    try:
        async for chunk in request.stream():
            if full is None:
                buffer += chunk
                if len(buffer) >= 1 << 20:
                    await write()
        if buffer and full is None:
            await write()
    finally:
        try:
            await asyncio.to_thread(handle.close)
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            full = full or exc
    return full


@router.post("/{task_id}/complete", response_model=Task | None, responses=problem_responses(409))
async def complete(task_id: str, body: Completion, jobs: Jobs) -> Task | None:
    """The job's result (accepted once per job): the webapp files it into the library and ends the task."""
    return await jobs.complete(task_id, body.lease, body.size, body.checksum or body.sha256, body.method, body.notes,
                               body.transcoded, _verify, body.transcode_seconds, body.moved)


@router.post("/{task_id}/fail", status_code=204, responses=problem_responses(409))
async def fail(task_id: str, body: Failure, jobs: Jobs) -> None:
    """The worker could not do the job: the task fails with its reason."""
    await jobs.fail(task_id, body.lease, body.code, body.message)


@workers_router.post("/heartbeat", status_code=204, dependencies=[Depends(_worker_token)],
                     responses={401: {"description": "no or wrong token"}})
async def worker_heartbeat(body: WorkerInfo, jobs: Jobs) -> None:
    """An idle worker is there (the dashboard lists it)."""
    jobs.idle(_seen(body))


@workers_router.get("", response_model=WorkersList)
async def list_workers(jobs: Jobs) -> WorkersList:
    """Workers heard from since the webapp started: host, current job, speed and when each was last seen."""
    return WorkersList(workers=[
        {**vars(w), "last_seen_seconds_ago": round(max(0.0, time.time() - w.last_seen), 1)}
        for w in sorted(jobs.workers.values(), key=lambda w: w.id)])


async def _verify(path: Path, size: int, record: str | None) -> None:
    """The uploaded result is the worker's file (its size, and its checksum unless the worker moved it here
    itself), else `JobRefused` and the upload goes."""
    actual = path.stat().st_size if path.exists() else -1
    if actual != size or (record is not None and not await _same(path, record)):
        with_size = f"{actual} bytes" if actual >= 0 else "nothing"
        if actual >= 0:
            os.unlink(path)
        raise JobRefused("bad_upload", f"the uploaded result ({with_size}) is not the worker's file: send it again")


async def _same(path: Path, record: str) -> bool:
    try:
        expected = parse_checksum(record)
    except ChecksumError:
        return False
    return await asyncio.to_thread(hash_file, path, expected.algorithm) == expected

"""The worker's side of /api/jobs: claim, report, fetch the rip, upload the result, complete or fail.

Every call sends the token. A 409 means the job is no longer this worker's (`LeaseLost`): it stops at once.
Transfers survive a cut connection: a download resumes with an HTTP Range from what is on disk, an upload asks
how much arrived and goes on from there; both are checked against a SHA-256 before they count.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from amphigory_protocol.checksum import Algorithm, Hasher, feed_file, hash_file, new_hasher, parse_checksum

CHUNK = 1 << 20
TRANSFER_TRIES = 5


class LeaseLost(Exception):
    """The webapp refused (409): the job was cancelled or runs elsewhere now (`code` lease_lost), or what was
    sent was refused (`code` bad_upload, bad_offset, ...)."""

    def __init__(self, message: str, code: str = "lease_lost") -> None:
        super().__init__(message)
        self.code = code


def _refusal(response: httpx.Response) -> LeaseLost:
    try:
        body = response.json()
    except ValueError:
        body = {}
    return LeaseLost(str(body.get("detail", "refused")), str(body.get("code", "lease_lost")))


class TransferError(Exception):
    """A download or upload that could not be completed and verified; `code` is the task's error code
    (`disk_full` when the webapp has no room for the result)."""

    def __init__(self, message: str, code: str = "transfer_failed") -> None:
        super().__init__(message)
        self.code = code


def http_base(url: str) -> str:
    """The webapp's HTTP base from `http://host:port` or its daemon form `ws://host:port/ws`."""
    parts = urlsplit(url.strip())
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    if scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not a webapp URL (http://host:port or ws://host:port/ws): {url!r}")
    path = parts.path.removesuffix("/ws").rstrip("/")
    return urlunsplit((scheme, parts.netloc, path, "", ""))


@dataclass(frozen=True)
class Identity:
    id: str
    host: str
    pid: int
    concurrency: int

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "host": self.host, "pid": self.pid, "concurrency": self.concurrency}


class WebappClient:
    def __init__(self, webapp_url: str, token: str, identity: Identity, timeout: float = 30.0) -> None:
        self.base = http_base(webapp_url)
        self.identity = identity
        self.http = httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {token}"},
                                 timeout=timeout, trust_env=False)

    def close(self) -> None:
        self.http.close()

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        response = self.http.post(path, json=body)
        if response.status_code == 409:
            raise _refusal(response)
        response.raise_for_status()
        return response

    def claim(self, task_id: str, attempt: int) -> dict[str, Any] | None:
        """The job's spec with its lease, or None when the job is not to be had (stale or repeated message)."""
        try:
            spec: dict[str, Any] = self._post(f"/api/jobs/{task_id}/claim",
                                              {"attempt": attempt, "worker": self.identity.as_json()}).json()
        except LeaseLost:
            return None
        return spec

    def report(self, task_id: str, lease: str, phase: str, percent: float | None, fps: float | None,
               eta: float | None) -> None:
        self._post(f"/api/jobs/{task_id}/progress", {
            "lease": lease, "worker": self.identity.as_json(), "phase": phase, "percent": percent, "fps": fps,
            "eta_seconds": eta})

    def idle(self) -> None:
        self.http.post("/api/workers/heartbeat", json=self.identity.as_json()).raise_for_status()

    def complete(self, task_id: str, lease: str, body: dict[str, Any]) -> None:
        self._post(f"/api/jobs/{task_id}/complete", {"lease": lease, **body})

    def fail(self, task_id: str, lease: str, code: str, message: str) -> None:
        self._post(f"/api/jobs/{task_id}/fail", {"lease": lease, "code": code, "message": message[:2000]})

    # -- transfers --------------------------------------------------------------------------------------------

    def download(self, task_id: str, lease: str, target: Path, on_bytes: Callable[[int, int], None]) -> None:
        """The rip into `target`, resuming what is there, verified by its checksum as the bytes arrive (one pass:
        no second read of the file); `TransferError` if it never comes intact."""
        expected = self._get_json(f"/api/jobs/{task_id}/source/checksum", lease)
        size, wanted = int(expected["size"]), parse_checksum(str(expected["checksum"]))
        for _ in range(TRANSFER_TRIES):
            hasher = new_hasher(wanted.algorithm)
            have = target.stat().st_size if target.exists() else 0
            if have > size:
                target.unlink()
                have = 0
            if have:
                have = feed_file(hasher, target)  # what an earlier try fetched, hashed once on resuming
            if have < size:
                try:
                    hasher = self._fetch(task_id, lease, target, have, size, on_bytes, hasher, wanted.algorithm)
                except httpx.TransportError:
                    time.sleep(0.5)
                    continue
            if hasher.hexdigest() == wanted.hexdigest:
                return
            target.unlink()  # a wrong byte somewhere: fetch it all again
        raise TransferError(f"could not fetch the rip of job {task_id} intact in {TRANSFER_TRIES} tries")

    def _fetch(self, task_id: str, lease: str, target: Path, start: int, size: int,
               on_bytes: Callable[[int, int], None], hasher: Hasher, algorithm: Algorithm) -> Hasher:
        """Append the rip from `start` to `target`, feeding `hasher` (fed with the first `start` bytes); the hasher
        that has seen the whole file so far."""
        headers = {"Range": f"bytes={start}-"} if start else {}
        with self.http.stream("GET", f"/api/jobs/{task_id}/source", params={"lease": lease},
                              headers=headers, timeout=httpx.Timeout(60.0)) as response:
            if response.status_code == 409:
                raise LeaseLost("lease lost while fetching")
            if response.status_code not in (200, 206):
                response.raise_for_status()
            if response.status_code == 200 and start:
                start = 0  # the server sent it all: what was hashed so far goes
                hasher = new_hasher(algorithm)
            done = start
            with target.open("r+b" if start else "wb") as handle:
                handle.seek(start)
                handle.truncate()
                for chunk in response.iter_raw():  # as it arrives (a chunk size makes httpx re-buffer: 3x slower)
                    handle.write(chunk)
                    hasher.update(chunk)
                    done += len(chunk)
                    on_bytes(done, size)
        return hasher

    def upload(self, task_id: str, lease: str, source: Path, on_bytes: Callable[[int, int], None]) -> str:
        """Send `source` as the job's result, resuming after a cut; its checksum (`algorithm:hex`, BLAKE3)."""
        size = source.stat().st_size
        for _ in range(TRANSFER_TRIES):
            have = int(self._get_json(f"/api/jobs/{task_id}/result", lease)["received"])
            if have == size:
                return str(hash_file(source))
            try:
                response = self.http.put(f"/api/jobs/{task_id}/result", params={"lease": lease, "offset": have},
                                         content=_read_from(source, have, on_bytes, size),
                                         headers={"Content-Type": "application/octet-stream"},
                                         timeout=httpx.Timeout(60.0))
            except httpx.TransportError:
                time.sleep(0.5)
                continue
            if response.status_code == 409 and _refusal(response).code != "bad_offset":
                raise _refusal(response)
            if response.status_code == 507:
                refused = _refusal(response)
                raise TransferError(str(refused), refused.code)
        raise TransferError(f"could not upload the result of job {task_id} in {TRANSFER_TRIES} tries")

    def _get_json(self, path: str, lease: str) -> dict[str, Any]:
        response = self.http.get(path, params={"lease": lease})
        if response.status_code == 409:
            raise _refusal(response)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


def _read_from(path: Path, start: int, on_bytes: Callable[[int, int], None], size: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        done = start
        while chunk := handle.read(CHUNK):
            done += len(chunk)
            on_bytes(done, size)
            yield chunk

"""A finished rip's checksum as both sides record it: ``"<algorithm>:<hex digest>"``, so that a digest always says
how it was made. New rips use BLAKE3 (several times faster than SHA-256 on CPUs without SHA extensions, and it
spreads over cores); records made before it are bare SHA-256 hex (``rip_sha256``, the event's ``sha256``) and
still verify as ``sha256:<hex>``.

The hashers returned here are fed by whoever reads the bytes; `hash_file` reads a whole file (the one way every
part hashes a file: daemon rips, the webapp's job sources and uploads, workers' results).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

Algorithm = Literal["blake3", "sha256"]
ALGORITHMS: tuple[Algorithm, ...] = ("blake3", "sha256")
DEFAULT_ALGORITHM: Algorithm = "blake3"
_HEX = re.compile(r"[0-9a-f]{64}")


class ChecksumError(ValueError):
    """A checksum record that is not ``algorithm:hex`` with a known algorithm and a 256-bit digest."""


class Hasher(Protocol):
    def update(self, data: bytes | memoryview, /) -> object: ...

    def hexdigest(self) -> str: ...


@dataclass(frozen=True)
class Checksum:
    """A digest and the algorithm that made it."""

    algorithm: Algorithm
    hexdigest: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hexdigest}"

    @property
    def sha256(self) -> str | None:
        """The bare SHA-256 hex for old readers (``rip_sha256``, the event's ``sha256``); None for other algorithms."""
        return self.hexdigest if self.algorithm == "sha256" else None


def parse_checksum(record: str) -> Checksum:
    """``"blake3:<hex>"`` or ``"sha256:<hex>"``; a bare 64-digit hex is an old record, SHA-256."""
    text = record.strip().lower()
    algorithm, sep, digest = text.partition(":")
    if not sep:
        algorithm, digest = "sha256", text
    if algorithm not in ALGORITHMS:
        raise ChecksumError(f"unknown checksum algorithm {algorithm!r} (known: {', '.join(ALGORITHMS)})")
    if not _HEX.fullmatch(digest):
        raise ChecksumError(f"not a 256-bit hex digest: {digest[:80]!r}")
    return Checksum(algorithm, digest)


def new_hasher(algorithm: Algorithm, threads: int = 1) -> Hasher:
    """A fresh hasher for ``algorithm``; BLAKE3 may use up to ``threads`` threads on large updates (-1: all cores)."""
    if algorithm == "sha256":
        return hashlib.sha256()
    import blake3  # imported here: only a rip or a verification needs it

    return blake3.blake3(max_threads=threads)


def hash_file(path: Path, algorithm: Algorithm = DEFAULT_ALGORITHM) -> Checksum:
    """The checksum of a whole file. Blocking (call it on a worker thread: both hashers release the GIL)."""
    if algorithm == "blake3":
        import blake3

        # mmap and every core: about 5 GB/s here against SHA-256's 1.3 GB/s (no SHA extensions on this CPU)
        fast = blake3.blake3(max_threads=blake3.blake3.AUTO)
        if path.stat().st_size > 0:  # an empty file cannot be mapped
            fast.update_mmap(path)
        return Checksum(algorithm, fast.hexdigest())
    digest = new_hasher(algorithm)
    feed_file(digest, path)
    return Checksum(algorithm, digest.hexdigest())


def feed_file(hasher: Hasher, path: Path, chunk: int = 4 << 20) -> int:
    """Feed a file's bytes to `hasher` (a download resumed after them goes on from there); how many."""
    done = 0
    with path.open("rb", buffering=0) as handle:
        buffer = bytearray(chunk)
        view = memoryview(buffer)
        while n := handle.readinto(buffer):
            hasher.update(view[:n])
            done += n
    return done


def checksum_fields(checksum: Checksum) -> dict[str, str]:
    """The checksum as ``rip_completed`` carries it: ``checksum`` always, and ``sha256`` too when it is one (what
    webapps before BLAKE3 read)."""
    fields = {"checksum": str(checksum)}
    if checksum.sha256 is not None:
        fields["sha256"] = checksum.sha256
    return fields


def event_checksum(data: Mapping[str, Any]) -> Checksum | None:
    """The checksum of a ``rip_completed`` event's data: its ``checksum``, or an older daemon's ``sha256``; None
    when it carries neither, or nothing readable."""
    for key in ("checksum", "sha256"):
        value = data.get(key)
        if isinstance(value, str):
            try:
                return parse_checksum(value if key == "checksum" else f"sha256:{value}")
            except ChecksumError:
                continue
    return None

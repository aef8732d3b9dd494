"""A rip's file checksum: BLAKE3 by default, SHA-256 records made before it still verify."""

from __future__ import annotations

import hashlib
from pathlib import Path

import blake3
import pytest

from amphigory_daemon.rip.verify import checksum_matches, file_checksum, sha256_file
from amphigory_protocol.checksum import Checksum, ChecksumError


@pytest.fixture
def rip(tmp_path: Path) -> Path:
    path = tmp_path / "title.mkv"
    path.write_bytes(bytes(range(256)) * 40_000)  # ~10 MB: several BLAKE3 chunks and hashing threads
    return path


async def test_the_default_is_blake3_of_the_whole_file(rip: Path) -> None:
    assert await file_checksum(rip) == Checksum("blake3", blake3.blake3(rip.read_bytes()).hexdigest())


async def test_an_empty_file_has_a_checksum(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.touch()
    assert await file_checksum(empty) == Checksum("blake3", blake3.blake3(b"").hexdigest())
    assert await sha256_file(empty) == hashlib.sha256(b"").hexdigest()


async def test_old_sha256_records_and_new_ones_verify(rip: Path) -> None:
    old = hashlib.sha256(rip.read_bytes()).hexdigest()
    assert await sha256_file(rip) == old
    assert await checksum_matches(rip, old)  # a bare hex, as rip_sha256 holds it
    assert await checksum_matches(rip, f"sha256:{old}")
    assert await checksum_matches(rip, str(await file_checksum(rip)))


async def test_a_changed_file_does_not_verify(rip: Path) -> None:
    record = str(await file_checksum(rip))
    with rip.open("r+b") as handle:
        handle.seek(5_000_000)
        handle.write(b"\xff")
    assert not await checksum_matches(rip, record)
    with pytest.raises(ChecksumError):
        await checksum_matches(rip, "crc32:1234")

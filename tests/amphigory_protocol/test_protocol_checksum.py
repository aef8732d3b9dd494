"""Checksum records: ``algorithm:hex``; old bare SHA-256 records still read as SHA-256."""

from __future__ import annotations

import hashlib

import blake3
import pytest

from amphigory_protocol.checksum import (
    Checksum,
    ChecksumError,
    checksum_fields,
    event_checksum,
    new_hasher,
    parse_checksum,
)

DATA = b"amphigory" * 1000


def test_a_record_names_its_algorithm_and_reads_back() -> None:
    made = Checksum("blake3", blake3.blake3(DATA).hexdigest())
    assert str(made) == "blake3:" + blake3.blake3(DATA).hexdigest()
    assert parse_checksum(str(made)) == made
    assert made.sha256 is None


def test_an_old_bare_sha256_record_is_sha256() -> None:
    old = hashlib.sha256(DATA).hexdigest()
    assert parse_checksum(old) == Checksum("sha256", old)
    assert parse_checksum(old.upper()).sha256 == old


@pytest.mark.parametrize("record", ["md5:" + "0" * 64, "blake3:" + "0" * 63, "blake3:xyz", "", "sha256:" + "g" * 64])
def test_anything_else_is_a_typed_error(record: str) -> None:
    with pytest.raises(ChecksumError):
        parse_checksum(record)


@pytest.mark.parametrize("algorithm", ["blake3", "sha256"])
def test_hashers_agree_with_the_reference(algorithm: str) -> None:
    hasher = new_hasher(algorithm)  # type: ignore[arg-type]
    hasher.update(DATA[:10])
    hasher.update(memoryview(DATA)[10:])
    reference = blake3.blake3(DATA) if algorithm == "blake3" else hashlib.sha256(DATA)
    assert hasher.hexdigest() == reference.hexdigest()


def test_event_fields_carry_sha256_only_for_sha256() -> None:
    fast = Checksum("blake3", "ab" * 32)
    assert checksum_fields(fast) == {"checksum": "blake3:" + "ab" * 32}
    assert checksum_fields(Checksum("sha256", "cd" * 32)) == {"checksum": "sha256:" + "cd" * 32, "sha256": "cd" * 32}
    assert event_checksum(checksum_fields(fast)) == fast


def test_an_older_daemons_event_reads_as_sha256_and_junk_as_nothing() -> None:
    assert event_checksum({"sha256": "cd" * 32}) == Checksum("sha256", "cd" * 32)
    assert event_checksum({"checksum": "nope", "sha256": "cd" * 32}) == Checksum("sha256", "cd" * 32)
    assert event_checksum({"checksum": 5}) is None and event_checksum({}) is None

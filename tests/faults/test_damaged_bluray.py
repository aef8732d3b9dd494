"""A Blu-ray whose navigation files are damaged is read as a player reads it: from BDMV/BACKUP (the sample disc
has one), so no title is lost or renumbered; only when the copy is damaged too does the title go."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from amphigory_daemon.media import FolderMedia
from amphigory_daemon.media.bdmv_backup import backup_of, bluray_type_with_backup
from amphigory_daemon.scan.native import scan_path


@pytest.fixture
def disc(samples: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "AMPHIGORY_SAMPLE_BD"
    shutil.copytree(samples / "bluray" / "AMPHIGORY_SAMPLE_BD", copy)
    return copy


def truncate(path: Path, keep: int = 20) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def summary(path: Path) -> list[tuple[int, str, float | None, int | None]]:
    return [(t.number, t.source["playlist"], t.duration_seconds, t.size_bytes) for t in scan_path(path).titles]


def test_truncated_playlist_is_read_from_backup_keeping_every_number(disc: Path, samples: Path) -> None:
    intact = summary(samples / "bluray" / "AMPHIGORY_SAMPLE_BD")
    truncate(disc / "BDMV" / "PLAYLIST" / "00002.mpls")
    assert summary(disc) == intact


def test_missing_playlist_and_corrupt_clip_info_come_from_backup(disc: Path, samples: Path) -> None:
    intact = summary(samples / "bluray" / "AMPHIGORY_SAMPLE_BD")
    (disc / "BDMV" / "PLAYLIST" / "00001.mpls").unlink()
    (disc / "BDMV" / "CLIPINF" / "00001.clpi").write_bytes(b"\xff" * 64)
    (disc / "BDMV" / "STREAM" / "00001.m2ts").unlink()  # so the size comes from the clip info
    backed = summary(disc)
    assert [t[:3] for t in backed] == [t[:3] for t in intact]
    assert all(size for *_, size in backed)


def test_playlist_damaged_in_both_copies_is_lost(disc: Path, samples: Path) -> None:
    intact = summary(samples / "bluray" / "AMPHIGORY_SAMPLE_BD")
    truncate(disc / "BDMV" / "PLAYLIST" / "00002.mpls")
    truncate(disc / "BDMV" / "BACKUP" / "PLAYLIST" / "00002.mpls")
    assert [t[1] for t in summary(disc)] == [t[1] for t in intact if t[1] != "00002.mpls"]


def test_damaged_index_takes_the_disc_type_from_backup(disc: Path) -> None:
    index = disc / "BDMV" / "index.bdmv"
    (disc / "BDMV" / "BACKUP" / "index.bdmv").write_bytes(b"INDX0300" + index.read_bytes()[8:])
    index.write_bytes(b"\0\0")
    (disc / "BDMV" / "MovieObject.bdmv").unlink()
    with FolderMedia(disc) as media:
        assert media.disc_type == "uhd"


def test_backup_paths() -> None:
    assert backup_of("BDMV/PLAYLIST/00001.mpls") == "BDMV/BACKUP/PLAYLIST/00001.mpls"
    assert backup_of("BDMV/index.bdmv") == "BDMV/BACKUP/index.bdmv"
    assert backup_of("BDMV/BACKUP/index.bdmv") is None
    assert backup_of("BDMV/STREAM/00001.m2ts") is None
    assert backup_of("VIDEO_TS/VTS_01_0.IFO") is None
    assert bluray_type_with_backup(lambda rel: None) == "bluray"

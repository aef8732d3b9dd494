"""Fingerprints and public ids: the same disc gives the same values from a folder, an ISO and a device."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from amphigory_daemon.fingerprint import FingerprintError, generate_fingerprint, identify

# libdvdread 6.1's own DVDDiscID (called through ctypes on these files while writing this test)
LIBDVDREAD_IDS = {
    "DVD-Read_idiocracy": "6aa7e992b119b90a67dc07e8ea1a1984",
    "DVD-Read_shadok1": "db9f270ee91e85b84eede294cfe0f8df",
}


def _copy_disc(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    for f in dest.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)
    return dest


def _iso(folder: Path, out: Path, label: str) -> Path:
    subprocess.run(["genisoimage", "-quiet", "-dvd-video", "-udf", "-V", label, "-o", str(out), str(folder)],
                   check=True, capture_output=True)
    return out


@pytest.mark.parametrize("name", sorted(LIBDVDREAD_IDS))
def test_dvd_folder_and_iso_agree(shared_fixtures: Path, tmp_path: Path, name: str) -> None:
    label = name.split("_", 1)[1].upper()
    folder = _copy_disc(shared_fixtures / "dvd_ifo" / name, tmp_path / label)
    iso = _iso(folder, tmp_path / "disc.iso", label)
    from_folder, from_iso = identify(folder), identify(iso)
    assert from_folder == from_iso
    assert from_folder.fingerprint.startswith("dvd-") and len(from_folder.fingerprint) == 4 + 64
    assert from_folder.public_ids.dvd_disc_id == LIBDVDREAD_IDS[name]
    assert generate_fingerprint(str(iso), "dvd") == from_folder.fingerprint
    # the bare VIDEO_TS folder is the same disc
    assert identify(folder / "VIDEO_TS").fingerprint == from_folder.fingerprint


def test_sample_dvd_folder_iso_and_device_agree(samples: Path) -> None:
    folder = identify(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD")
    iso = identify(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso")
    assert folder == iso
    assert folder.volume_name == "AMPHIGORY_SAMPLE_DVD"
    device = subprocess.run(["losetup", "-r", "-f", "--show", str(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso")],
                            capture_output=True, text=True, check=True).stdout.strip()
    try:
        assert identify(device) == iso
    finally:
        subprocess.run(["losetup", "-d", device], check=False)


def test_label_and_ifo_bytes_both_count(shared_fixtures: Path, tmp_path: Path) -> None:
    folder = _copy_disc(shared_fixtures / "dvd_ifo" / "DVD-Read_shadok1", tmp_path / "SHADOK")
    base = generate_fingerprint(str(folder), "dvd")
    assert generate_fingerprint(str(folder), "dvd", volume_name="OTHER") != base
    assert generate_fingerprint(str(folder), "dvd", volume_name="SHADOK") == base
    renamed = folder.rename(tmp_path / "SHADOKS")
    assert generate_fingerprint(str(renamed), "dvd") != base
    ifo = renamed / "VIDEO_TS" / "VTS_01_0.IFO"
    data = bytearray(ifo.read_bytes())
    data[-1] ^= 1
    ifo.write_bytes(bytes(data))
    changed = generate_fingerprint(str(renamed), "dvd", volume_name="SHADOK")
    assert changed != base
    # BUP files are backups and do not count
    (renamed / "VIDEO_TS" / "VTS_01_0.BUP").write_bytes(b"changed")
    assert generate_fingerprint(str(renamed), "dvd", volume_name="SHADOK") == changed


@pytest.mark.parametrize("disc", ["bdpl_disc1", "bdpl_disc17", "bdpl_disc5"])
def test_bluray_fixtures_are_deterministic(shared_fixtures: Path, disc: str) -> None:
    path = shared_fixtures / "bluray" / disc
    first, second = identify(path), identify(path)
    assert first == second
    prefix = "uhd-" if disc == "bdpl_disc5" else "bd-"
    assert first.fingerprint.startswith(prefix)
    assert generate_fingerprint(str(path), "bluray") == first.fingerprint


def test_bluray_public_ids(tmp_path: Path) -> None:
    disc = tmp_path / "MY_BD"
    (disc / "BDMV" / "PLAYLIST").mkdir(parents=True)
    (disc / "BDMV" / "STREAM").mkdir()
    (disc / "AACS").mkdir()
    (disc / "BDMV" / "PLAYLIST" / "00000.mpls").write_bytes(b"MPLS0200" + bytes(40))
    sizes = {"00001.m2ts": 6144, "00000.m2ts": 192, "00002.m2ts": 0}
    for name, size in sizes.items():
        (disc / "BDMV" / "STREAM" / name).write_bytes(b"\x47" * size)
    (disc / "BDMV" / "STREAM" / "notes.txt").write_text("not a stream")
    (disc / "AACS" / "Unit_Key_RO.inf").write_bytes(b"unit key file")
    ids = identify(disc).public_ids
    expected = hashlib.md5(b"".join(struct.pack("<q", sizes[n]) for n in sorted(sizes))).hexdigest().upper()
    assert ids.thediscdb_content_hash == expected
    assert ids.aacs_disc_hash == hashlib.sha1(b"unit key file").hexdigest().upper()
    assert ids.dvd_disc_id is None and ids.musicbrainz_disc_id is None


def _msf(frames: int) -> str:
    return f"{frames // 4500:02d}:{frames // 75 % 60:02d}:{frames % 75:02d}"


def _cd_image(folder: Path, offsets: list[int], leadout: int, data_track: int | None = None) -> Path:
    """A CUE and a sparse BIN laid out exactly as the TOC says (offsets count the 150-sector lead-in)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ['FILE "disc.bin" BINARY']
    for n, offset in enumerate(offsets, 1):
        lines += [f"  TRACK {n:02d} AUDIO", f"    INDEX 01 {_msf(offset - 150)}"]
    if data_track is not None:
        lines += [f"  TRACK {len(offsets) + 1:02d} MODE1/2352", f"    INDEX 01 {_msf(data_track - 150)}"]
    (folder / "disc.cue").write_text("\n".join(lines) + "\n")
    with open(folder / "disc.bin", "wb") as f:
        f.truncate((leadout - 150) * 2352)
    return folder / "disc.cue"


def _vectors(shared_fixtures: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((shared_fixtures / "audio_cd" / "vectors.json").read_text())
    return [v for v in data if "offsets" in v and "freedb_note" not in v]


def test_cd_ids_match_published_vectors(shared_fixtures: Path, tmp_path: Path) -> None:
    vectors = _vectors(shared_fixtures)
    assert len(vectors) >= 3
    prints = set()
    for n, v in enumerate(vectors):
        cue = _cd_image(tmp_path / str(n), v["offsets"], v["leadout"])
        who = identify(cue)
        assert who.disc_type == "cd"
        assert who.public_ids.musicbrainz_disc_id == v["musicbrainz_discid"], v["name"]
        freedb = v.get("freedb_id") or v.get("freedb_id_computed_not_from_source")
        assert who.public_ids.freedb_id == freedb, v["name"]
        prints.add(who.fingerprint)
        assert who.fingerprint.startswith("cd-")
    assert len(prints) == len(vectors)


def test_enhanced_cd_counts_only_the_audio_session(shared_fixtures: Path, tmp_path: Path) -> None:
    data = json.loads((shared_fixtures / "audio_cd" / "vectors.json").read_text())
    lady = next(v for v in data if v["name"].startswith("Ladyhawke"))
    cue = _cd_image(tmp_path, lady["offsets"], 210535, data_track=207256)
    ids = identify(cue).public_ids
    assert ids.musicbrainz_disc_id == lady["musicbrainz_discid"]
    assert ids.freedb_id == lady["freedb_id"]


def test_cd_fingerprint_ignores_the_file_name(shared_fixtures: Path, tmp_path: Path) -> None:
    v = _vectors(shared_fixtures)[0]
    a = _cd_image(tmp_path / "a", v["offsets"], v["leadout"])
    b = _cd_image(tmp_path / "b", v["offsets"], v["leadout"]).rename(tmp_path / "b" / "other.cue")
    assert generate_fingerprint(str(a), "cd") == generate_fingerprint(str(b), "cd", volume_name="X")
    shifted = _cd_image(tmp_path / "c", v["offsets"], v["leadout"] + 1)
    assert generate_fingerprint(str(shifted), "cd") != generate_fingerprint(str(a), "cd")


def test_sample_cd(samples: Path) -> None:
    who = identify(samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue")
    assert who.fingerprint == identify(samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue").fingerprint
    assert who.public_ids.musicbrainz_disc_id and who.public_ids.freedb_id


def test_cd_without_a_toc_falls_back_to_its_volume_name_only_when_given(tmp_path: Path) -> None:
    first = generate_fingerprint(str(tmp_path), "cd", volume_name="AUDIO_CD")
    assert first.startswith("cd-") and first == generate_fingerprint(str(tmp_path), "cd", volume_name="AUDIO_CD")
    assert first != generate_fingerprint(str(tmp_path), "cd", volume_name="OTHER_CD")
    with pytest.raises(FingerprintError, match="not a disc"):
        generate_fingerprint(str(tmp_path), "cd")


def test_errors(tmp_path: Path, shared_fixtures: Path) -> None:
    with pytest.raises(FingerprintError, match="unknown disc type"):
        generate_fingerprint(str(tmp_path), "laserdisc")
    with pytest.raises(FingerprintError, match="does not exist"):
        generate_fingerprint(str(tmp_path / "gone"), "dvd")
    with pytest.raises(FingerprintError, match="not a dvd"):
        generate_fingerprint(str(shared_fixtures / "bluray" / "bdpl_disc1"), "dvd")
    (tmp_path / "VIDEO_TS").mkdir()
    (tmp_path / "VIDEO_TS" / "VTS_01_1.VOB").write_bytes(b"video")
    with pytest.raises(FingerprintError, match="no IFO files"):
        generate_fingerprint(str(tmp_path), "dvd")
    with pytest.raises(FingerprintError, match="cannot identify"):
        identify(tmp_path / "nothing.iso")
    (tmp_path / "bd" / "BDMV").mkdir(parents=True)
    (tmp_path / "bd" / "BDMV" / "index.bdmv").write_bytes(b"INDX0200")
    with pytest.raises(FingerprintError, match="BDMV/PLAYLIST"):
        generate_fingerprint(str(tmp_path / "bd"), "bluray")


def test_not_a_vmg_has_no_libdvdread_id(tmp_path: Path) -> None:
    (tmp_path / "VIDEO_TS").mkdir()
    (tmp_path / "VIDEO_TS" / "VIDEO_TS.IFO").write_bytes(b"fake ifo content")
    who = identify(tmp_path)
    assert who.public_ids.dvd_disc_id is None
    assert who.public_ids.thediscdb_content_hash == hashlib.md5(struct.pack("<q", 16)).hexdigest().upper()

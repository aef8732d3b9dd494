"""The UDF reader: Blu-ray (UDF 2.50) and DVD (UDF 1.02) images read like their folders, and damage is a UdfError."""

from __future__ import annotations

import binascii
import os
import random
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amphigory_daemon.fingerprint import identify
from amphigory_daemon.media import IsoMedia, MediaError, UdfError, UdfMedia, open_disc
from amphigory_daemon.media.udf import SECTOR, UdfVolume, check_tag
from amphigory_daemon.scan.native import scan_path
from helpers_loop import attached_loop_device

BD_LABEL = "AMPHIGORY_SAMPLE_BD"
DVD_LABEL = "AMPHIGORY_SAMPLE_DVD"


def over_bytes(image: bytes) -> UdfVolume:
    """A UdfVolume reading from memory, as the pure core is meant to be used in tests."""

    def read_sectors(lba: int, count: int) -> bytes:
        return image[lba * SECTOR : (lba + count) * SECTOR]

    return UdfVolume(read_sectors, len(image) // SECTOR)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by its relpath."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def walk(vol: UdfVolume, here: str = "", depth: int = 0) -> dict[str, bytes]:
    """Every file of a UDF volume by its relpath (depth-bounded: damaged images may link a folder into itself)."""
    out: dict[str, bytes] = {}
    for name in vol.listdir(here):
        path = f"{here}/{name}" if here else name
        if vol.is_dir(path):
            if depth < 8:
                out.update(walk(vol, path, depth + 1))
        else:
            out[path] = vol.read(path)
            vol.extents(path)
    return out


@pytest.fixture(scope="module")
def bd_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample Blu-ray folder (named as its volume label)."""
    return Path(__file__).resolve().parents[3] / "samples" / "bluray" / BD_LABEL


@pytest.fixture(scope="module")
def bd_iso(bd_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample Blu-ray as a pure UDF 2.50 image, made as scripts/make_samples.py --bluray-iso makes it."""
    from udfkit import bluray

    out = tmp_path_factory.mktemp("bd") / f"{BD_LABEL}.iso"
    bluray.write_image(str(bd_folder), str(out), BD_LABEL)
    return out


@pytest.fixture(scope="module")
def dvd_folder() -> Path:
    return Path(__file__).resolve().parents[3] / "samples" / "dvd" / DVD_LABEL


@pytest.fixture(scope="module")
def tiny_bd(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small UDF 2.50 image (nested folders, an empty file, a file of several blocks) for fuzzing."""
    from udfkit import bluray

    src = tmp_path_factory.mktemp("tiny") / "TINY"
    (src / "BDMV" / "PLAYLIST").mkdir(parents=True)
    (src / "BDMV" / "STREAM").mkdir()
    (src / "BDMV" / "index.bdmv").write_bytes(b"INDX0200" + bytes(range(200)))
    (src / "BDMV" / "PLAYLIST" / "00001.mpls").write_bytes(b"MPLS0200" * 50)
    (src / "BDMV" / "STREAM" / "00001.m2ts").write_bytes(bytes(range(256)) * 40)
    (src / "BDMV" / "STREAM" / "empty.m2ts").write_bytes(b"")
    out = src.parent / "tiny.iso"
    bluray.write_image(str(src), str(out), "TINY")
    return out.read_bytes()


# ---------------------------------------------------------------------------------------- Blu-ray images


def test_bluray_iso_opens_through_udf(bd_iso: Path, bd_folder: Path) -> None:
    with open_disc(bd_iso) as media, open_disc(bd_folder) as folder:
        assert isinstance(media, UdfMedia)
        assert (media.disc_type, media.volume_name) == ("bluray", BD_LABEL)
        for rel in ("", "BDMV", "BDMV/PLAYLIST", "BDMV/STREAM", "BDMV/CLIPINF", "BDMV/BACKUP"):
            assert media.listdir(rel) == folder.listdir(rel)
        assert media.listdir("BDMV/PLAYLIST") == ["00001.mpls", "00002.mpls", "00003.mpls", "00004.mpls"]
        assert media.exists("bdmv/playlist/00001.MPLS") and not media.exists("BDMV/PLAYLIST/09999.mpls")


def test_every_file_reads_as_in_the_folder(bd_iso: Path, bd_folder: Path) -> None:
    files = tree(bd_folder)
    raw = bd_iso.read_bytes()
    with open_disc(bd_iso) as media:
        assert isinstance(media, UdfMedia)
        for rel, data in files.items():
            assert media.size(rel) == len(data), rel
            assert media.read(rel) == data, rel
            assert b"".join(raw[o : o + n] for o, n in media.extents(rel)) == data, rel
        assert walk(over_bytes(raw)) == files


def test_streams_are_located_by_extents_without_reading_them(bd_iso: Path, bd_folder: Path) -> None:
    with open_disc(bd_iso) as media:
        assert isinstance(media, UdfMedia)
        for name in media.listdir("BDMV/STREAM"):
            spans = media.extents(f"BDMV/STREAM/{name}")
            assert sum(n for _, n in spans) == (bd_folder / "BDMV" / "STREAM" / name).stat().st_size
            assert all(o % SECTOR == 0 and o + n <= bd_iso.stat().st_size for o, n in spans)


def test_bluray_iso_fingerprints_and_scans_like_its_folder(bd_iso: Path, bd_folder: Path) -> None:
    assert identify(bd_iso) == identify(bd_folder)
    assert identify(bd_iso).fingerprint.startswith("bd-")
    from_iso, from_folder = scan_path(bd_iso), scan_path(bd_folder)
    assert from_iso.titles == from_folder.titles and len(from_iso.titles) >= 3
    assert (from_iso.fingerprint, from_iso.volume_name) == (from_folder.fingerprint, from_folder.volume_name)


def test_bluray_with_a_reference_disc_layout(shared_fixtures: Path, tmp_path: Path) -> None:
    from udfkit.bluray import write_image

    src = tmp_path / "SOME_BD"
    shutil.copytree(shared_fixtures / "bluray" / "bdpl_disc1", src / "BDMV")
    write_image(str(src), str(tmp_path / "bd.iso"), "SOME_BD")
    with open_disc(tmp_path / "bd.iso") as media:
        assert isinstance(media, UdfMedia) and media.volume_name == "SOME_BD"
    assert identify(tmp_path / "bd.iso") == identify(src)


@pytest.fixture
def loop_device(bd_iso: Path) -> Iterator[Path]:
    """The Blu-ray image attached read-only to a loop device, as a drive presents a disc."""
    with attached_loop_device(bd_iso) as device:
        yield device


def test_bluray_on_a_block_device(loop_device: Path, bd_iso: Path) -> None:
    with open_disc(loop_device) as media:
        assert isinstance(media, UdfMedia)
        assert media.volume_name == BD_LABEL
    assert identify(loop_device) == identify(bd_iso)


# ---------------------------------------------------------------------------------------- DVD images


def dvd_images(folder: Path, tmp: Path) -> list[Path]:
    from udfkit import dvd

    made = tmp / "udfkit.iso"
    dvd.write_image(str(folder), str(made), DVD_LABEL)
    gen = tmp / "genisoimage.iso"
    subprocess.run(
        ["genisoimage", "-quiet", "-dvd-video", "-udf", "-V", DVD_LABEL, "-o", str(gen), str(folder)],
        check=True,
        capture_output=True,
    )
    return [made, gen]


def test_dvd_images_read_through_udf_as_through_pycdlib(dvd_folder: Path, tmp_path: Path) -> None:
    for image in dvd_images(dvd_folder, tmp_path):
        vol = over_bytes(image.read_bytes())
        assert vol.volume_id == DVD_LABEL
        files = walk(vol)
        assert files == tree(dvd_folder)
        with IsoMedia(image) as iso:
            assert iso.volume_name == vol.volume_id
            for rel, data in files.items():
                assert iso.read(rel) == data
        with UdfMedia(image) as media:
            assert (media.disc_type, media.volume_name) == ("dvd", DVD_LABEL)
            assert identify(image) == identify(dvd_folder)


def test_a_udf_side_without_a_name_goes_by_its_iso9660_label_through_both_readers(dvd_folder: Path,
                                                                                  tmp_path: Path) -> None:
    gen = dvd_images(dvd_folder, tmp_path)[1]  # genisoimage: bridged, with an ISO 9660 side labelled DVD_LABEL
    image = bytearray(gen.read_bytes())
    for lba in range(len(image) // SECTOR):  # the PVD and LVD of both descriptor sequences
        offset, tag = lba * SECTOR, _u16(image[lba * SECTOR : lba * SECTOR + 2])
        if _u32(image[offset + 12 : offset + 16]) != lba or tag not in (1, 6):
            continue
        start, end = (24, 56) if tag == 1 else (84, 212)  # volume identifier, logical volume identifier
        image[offset + start : offset + end] = bytes(end - start)
        retag(image, offset, tag, lba, 512 if tag == 1 else 440 + _u32(image[offset + 264 : offset + 268]))
    unnamed = tmp_path / "unnamed.iso"
    unnamed.write_bytes(bytes(image))
    assert over_bytes(bytes(image)).volume_id == over_bytes(bytes(image)).logical_volume_id == ""
    with IsoMedia(unnamed) as iso, UdfMedia(unnamed) as udf:
        assert iso.volume_name == udf.volume_name == DVD_LABEL


# ---------------------------------------------------------------------------------------- damage


def retag(buf: bytearray, offset: int, tag_id: int, location: int, length: int) -> None:
    """Write a valid descriptor tag over `buf[offset:offset+length]` (checksum and CRC recomputed)."""
    body = bytes(buf[offset + 16 : offset + length])
    struct.pack_into("<HHBBHHHI", buf, offset, tag_id, 3, 0, 0, 0, binascii.crc_hqx(body, 0), len(body), location)
    buf[offset + 4] = (sum(buf[offset : offset + 4]) + sum(buf[offset + 5 : offset + 16])) & 0xFF


def test_a_root_that_points_at_itself_is_an_error_not_a_hang(tiny_bd: bytes) -> None:
    vol = over_bytes(tiny_bd)
    ref, lbn = vol._root
    offset = vol._maps[ref].runs(lbn, SECTOR)[0][0]
    image = bytearray(tiny_bd)
    image[offset : offset + SECTOR] = bytes(SECTOR)
    struct.pack_into("<IIH", image, offset + 36, SECTOR, lbn, ref)  # Indirect Entry -> itself
    retag(image, offset, 259, lbn, 52)
    check_tag(bytes(image[offset : offset + SECTOR]), (259,), lbn)
    with pytest.raises(UdfError, match="loop"):
        over_bytes(bytes(image)).listdir("")


def test_not_udf_at_all_is_a_udf_error(tmp_path: Path) -> None:
    with pytest.raises(UdfError, match="Anchor"):
        over_bytes(bytes(300 * SECTOR))
    junk = tmp_path / "junk.iso"
    junk.write_bytes(bytes(300 * SECTOR))
    with pytest.raises(MediaError):
        open_disc(junk)


def structure_sectors(image: bytes) -> list[int]:
    """The sectors that hold descriptors (where damage matters most)."""
    out = []
    for lba in range(len(image) // SECTOR):
        head = image[lba * SECTOR : lba * SECTOR + 16]
        if _u16(head) in (1, 2, 3, 4, 5, 6, 7, 8, 256, 257, 258, 259, 261, 266) and _u32(head[12:]) in (
            lba,
            lba - 257,
            lba - 289,
        ):
            out.append(lba)
    return out


def _u16(b: bytes) -> int:
    return int(struct.unpack_from("<H", b)[0])


def _u32(b: bytes) -> int:
    return int(struct.unpack_from("<I", b)[0])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), flips=st.integers(1, 12), cut=st.one_of(st.none(), st.floats(0, 1)))
def test_damaged_images_raise_only_udf_error(tiny_bd: bytes, seed: int, flips: int, cut: float | None) -> None:
    rng = random.Random(seed)
    sectors = structure_sectors(tiny_bd)
    image = bytearray(tiny_bd)
    for _ in range(flips):
        lba = rng.choice(sectors)
        pos = lba * SECTOR + (rng.randrange(256) if rng.random() < 0.8 else rng.randrange(SECTOR))
        image[pos] ^= 1 << rng.randrange(8)
    if rng.random() < 0.2:  # and occasionally a descriptor retagged so its contents, not its CRC, are checked
        lba = rng.choice(sectors)
        pos = lba * SECTOR + 16 + rng.randrange(SECTOR - 16)
        image[pos] = rng.randrange(256)
        head = bytes(image[lba * SECTOR : lba * SECTOR + 16])
        retag(image, lba * SECTOR, _u16(head), _u32(head[12:]), SECTOR)
    data = bytes(image) if cut is None else bytes(image[: int(len(image) * cut)])
    try:
        walk(over_bytes(data))
    except UdfError:
        pass


def test_truncated_images_raise_only_udf_error(tiny_bd: bytes) -> None:
    for end in range(0, len(tiny_bd), len(tiny_bd) // 97):
        try:
            walk(over_bytes(tiny_bd[:end]))
        except UdfError:
            pass


def test_damaged_image_files_open_to_a_media_error(tiny_bd: bytes, tmp_path: Path) -> None:
    image = tmp_path / "bad.iso"
    image.write_bytes(tiny_bd[: 300 * SECTOR])
    with pytest.raises(MediaError):
        open_disc(image)
    image.write_bytes(tiny_bd)
    os.truncate(image, len(tiny_bd) - 100 * SECTOR)
    try:
        with open_disc(image) as media:
            media.read("BDMV/STREAM/00001.m2ts")
    except MediaError:
        pass

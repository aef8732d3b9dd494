"""open_disc: folders, ISOs (UDF and ISO 9660 only), devices and CUE/BIN images, and every way a path is no disc."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from amphigory_daemon.media import CueMedia, FolderMedia, IsoMedia, MediaError, UdfError, UdfMedia, open_disc
from amphigory_daemon.media.base import split_relpath
from amphigory_daemon.media.cdimage import wave_data_size
from amphigory_daemon.media.iso import is_block_device
from helpers_loop import attached_loop_device


def make_iso(folder: Path, out: Path, label: str, *extra: str) -> Path:
    """A DVD-Video image of `folder` (which holds VIDEO_TS), made the way DESIGN.md says: genisoimage -udf."""
    subprocess.run(["genisoimage", "-quiet", "-dvd-video", "-udf", *extra, "-V", label, "-o", str(out), str(folder)],
                   check=True, capture_output=True)
    return out


@pytest.fixture
def idiocracy(shared_fixtures: Path, tmp_path: Path) -> Path:
    """A writable disc folder holding the real Idiocracy VIDEO_TS IFO set."""
    disc = tmp_path / "IDIOCRACY"
    shutil.copytree(shared_fixtures / "dvd_ifo" / "DVD-Read_idiocracy" / "VIDEO_TS", disc / "VIDEO_TS")
    for f in (disc / "VIDEO_TS").iterdir():
        f.chmod(0o644)
    return disc


@pytest.fixture
def idiocracy_iso(idiocracy: Path, tmp_path: Path) -> Path:
    return make_iso(idiocracy, tmp_path / "idiocracy.iso", "IDIOCRACY")


def test_folder_forms_read_the_same_files(idiocracy: Path) -> None:
    for path in (idiocracy, idiocracy / "VIDEO_TS"):
        with open_disc(path) as media:
            assert isinstance(media, FolderMedia)
            assert (media.disc_type, media.volume_name) == ("dvd", "IDIOCRACY")
            assert "VTS_05_0.IFO" in media.listdir("VIDEO_TS")
            assert media.read("VIDEO_TS/VIDEO_TS.IFO")[:12] == b"DVDVIDEO-VMG"
            assert media.size("VIDEO_TS/VTS_05_0.IFO") == 65536
            assert media.exists("video_ts/vts_05_0.ifo")  # copies made by some tools are lower-cased
            assert not media.exists("VIDEO_TS/VTS_07_0.IFO")


def test_iso_reads_through_udf_with_the_udf_label(idiocracy: Path, idiocracy_iso: Path) -> None:
    with open_disc(idiocracy_iso) as media:
        assert isinstance(media, UdfMedia)  # the small UDF reader: no pycdlib for a disc with UDF
        assert (media.disc_type, media.volume_name) == ("dvd", "IDIOCRACY")
        assert media.listdir("") == ["VIDEO_TS"]
        for name in ("VIDEO_TS.IFO", "VTS_05_0.IFO", "VTS_01_0.BUP"):
            assert media.read(f"VIDEO_TS/{name}") == (idiocracy / "VIDEO_TS" / name).read_bytes()
            assert media.size(f"VIDEO_TS/{name}") == (idiocracy / "VIDEO_TS" / name).stat().st_size


def test_iso_without_udf_reads_through_iso9660(idiocracy: Path, tmp_path: Path) -> None:
    iso = tmp_path / "plain.iso"
    subprocess.run(["genisoimage", "-quiet", "-V", "PLAIN_LABEL", "-o", str(iso), str(idiocracy)],
                   check=True, capture_output=True)
    with open_disc(iso) as media:
        assert isinstance(media, IsoMedia)
        assert (media.disc_type, media.volume_name) == ("dvd", "PLAIN_LABEL")
        assert media.read("VIDEO_TS/VTS_02_0.IFO") == (idiocracy / "VIDEO_TS" / "VTS_02_0.IFO").read_bytes()


def test_udf_image_the_udf_reader_refuses_is_read_by_pycdlib(idiocracy: Path, idiocracy_iso: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def refuses(self: UdfMedia, size: int) -> None:
        raise UdfError("a UDF structure this reader does not take")

    monkeypatch.setattr(UdfMedia, "_open_volume", refuses)
    with open_disc(idiocracy_iso) as media:
        assert isinstance(media, IsoMedia)
        assert (media.disc_type, media.volume_name) == ("dvd", "IDIOCRACY")
        assert media.read("VIDEO_TS/VTS_05_0.IFO") == (idiocracy / "VIDEO_TS" / "VTS_05_0.IFO").read_bytes()


def test_bluray_folder_forms_and_uhd(shared_fixtures: Path) -> None:
    with open_disc(shared_fixtures / "bluray" / "bdpl_disc1") as media:  # a bare BDMV folder
        assert (media.disc_type, media.volume_name) == ("bluray", "bdpl_disc1")
        assert "00002.mpls" in media.listdir("BDMV/PLAYLIST")
        assert media.read("BDMV/PLAYLIST/00002.mpls")[:4] == b"MPLS"
        assert not media.exists("AACS/Unit_Key_RO.inf")
    with open_disc(shared_fixtures / "bluray" / "bdpl_disc5") as media:
        assert media.disc_type == "uhd"


def test_sample_discs_open(samples: Path) -> None:
    with open_disc(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso") as iso, \
            open_disc(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD") as folder:
        assert iso.volume_name == folder.volume_name == "AMPHIGORY_SAMPLE_DVD"
        assert iso.listdir("VIDEO_TS") == folder.listdir("VIDEO_TS")
    with open_disc(samples / "bluray" / "AMPHIGORY_SAMPLE_BD" / "BDMV") as media:
        assert (media.disc_type, media.volume_name) == ("bluray", "AMPHIGORY_SAMPLE_BD")
        assert any(n.endswith(".m2ts") for n in media.listdir("BDMV/STREAM"))


def test_cue_bin_image(samples: Path) -> None:
    with open_disc(samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue") as media:
        assert isinstance(media, CueMedia)
        assert (media.disc_type, media.volume_name) == ("cd", "AMPHIGORY_SAMPLE_CD")
        assert media.bin_paths == (samples / "cd" / "AMPHIGORY_SAMPLE_CD.bin",)
        assert media.cue_sheet is not None and len(media.cue_sheet.tracks) == 3
        assert media.file_sizes == {"AMPHIGORY_SAMPLE_CD.bin": media.bin_paths[0].stat().st_size}
    # the .bin alone leads to its sheet
    with open_disc(samples / "cd" / "AMPHIGORY_SAMPLE_CD.bin") as media:
        assert media.disc_type == "cd"


def test_toc_sheet_and_wave_file(tmp_path: Path) -> None:
    pcm = b"\x01\x02" * 2352 * 3
    (tmp_path / "a.wav").write_bytes(b"RIFF" + (36 + len(pcm)).to_bytes(4, "little") + b"WAVEfmt "
                                     + (16).to_bytes(4, "little") + b"\x00" * 16 + b"data"
                                     + len(pcm).to_bytes(4, "little") + pcm)
    assert wave_data_size(tmp_path / "a.wav") == len(pcm)
    (tmp_path / "disc.toc").write_text('CD_DA\nTRACK AUDIO\nFILE "a.wav" 0 00:00:06\n')
    with open_disc(tmp_path / "disc.toc") as media:
        assert media.disc_type == "cd"
        assert media.file_sizes == {"a.wav": len(pcm)}


def _expect(path: Path, *words: str) -> None:
    with pytest.raises(MediaError) as caught:
        open_disc(path)
    for word in words:
        assert word in str(caught.value)


def test_errors_say_what_is_wrong(tmp_path: Path) -> None:
    _expect(tmp_path / "nowhere", "does not exist")
    (tmp_path / "empty").mkdir()
    _expect(tmp_path / "empty", "not a disc", "VIDEO_TS or BDMV")
    (tmp_path / "junk.iso").write_bytes(b"\x00" * 40000)
    _expect(tmp_path / "junk.iso", "not a readable disc image")
    (tmp_path / "lonely.bin").write_bytes(b"\x00" * 2352)
    _expect(tmp_path / "lonely.bin", "without its sheet")
    (tmp_path / "missing.cue").write_text('FILE "gone.bin" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n')
    _expect(tmp_path / "missing.cue", "gone.bin", "not in")
    (tmp_path / "escape.cue").write_text('FILE "../secret.bin" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n')
    _expect(tmp_path / "escape.cue", "outside its folder")
    (tmp_path / "bad.cue").write_text("THIS IS NOT A CUE\n")
    _expect(tmp_path / "bad.cue", "not a valid CUE/TOC sheet")


def test_iso_without_a_video_folder(tmp_path: Path) -> None:
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "README.TXT").write_text("hello")
    iso = tmp_path / "data.iso"
    subprocess.run(["genisoimage", "-quiet", "-udf", "-V", "DATA", "-o", str(iso), str(tmp_path / "stuff")],
                   check=True, capture_output=True)
    _expect(iso, "holds no VIDEO_TS or BDMV")


def test_bluray_udf250_iso_opens_through_the_udf_reader(shared_fixtures: Path, tmp_path: Path) -> None:
    from udfkit.bluray import write_image

    src = tmp_path / "BD"
    shutil.copytree(shared_fixtures / "bluray" / "bdpl_disc1", src / "BDMV")
    write_image(str(src), str(tmp_path / "bd.iso"), "SOME_BD")
    with open_disc(tmp_path / "bd.iso") as media:
        assert (media.disc_type, media.volume_name) == ("bluray", "SOME_BD")
        assert media.read("BDMV/PLAYLIST/00000.mpls") == (src / "BDMV" / "PLAYLIST" / "00000.mpls").read_bytes()


def test_relpaths_cannot_leave_the_disc(idiocracy: Path, idiocracy_iso: Path) -> None:
    assert split_relpath("VIDEO_TS//./VIDEO_TS.IFO") == ["VIDEO_TS", "VIDEO_TS.IFO"]
    for path in (idiocracy, idiocracy_iso):
        with open_disc(path) as media:
            for bad in ("../etc/passwd", "/etc/passwd", "VIDEO_TS/../../x"):
                with pytest.raises(MediaError):
                    media.read(bad)
            with pytest.raises(MediaError, match="not found"):
                media.read("VIDEO_TS/NOPE.IFO")
            with pytest.raises(MediaError, match="not found"):
                media.listdir("NOPE")


@pytest.fixture
def loop_device(idiocracy_iso: Path) -> Iterator[Path]:
    """The ISO attached read-only to a loop device, as a drive would present it."""
    with attached_loop_device(idiocracy_iso) as device:
        yield device


def test_loop_device_reads_like_the_image(loop_device: Path, idiocracy_iso: Path) -> None:
    assert is_block_device(loop_device) and not is_block_device(idiocracy_iso)
    with open_disc(loop_device) as dev, open_disc(idiocracy_iso) as iso:
        assert isinstance(dev, UdfMedia)
        assert (dev.disc_type, dev.volume_name) == (iso.disc_type, iso.volume_name)
        assert dev.read("VIDEO_TS/VTS_05_0.IFO") == iso.read("VIDEO_TS/VTS_05_0.IFO")

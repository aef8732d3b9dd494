"""The native scan of the sample discs and the real-world fixtures, checked against what the discs hold."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from amphigory_daemon.media import open_disc
from amphigory_daemon.scan.native import ScanError, looks_like_makemkv_log, scan_media, scan_path


def test_sample_dvd_iso_and_folder(samples: Path) -> None:
    iso = scan_path(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso")
    folder = scan_path(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD")
    assert iso.model_dump(exclude={"scan_ms"}) == folder.model_dump(exclude={"scan_ms"})
    assert (iso.disc_type, iso.volume_name, iso.backend) == ("dvd", "AMPHIGORY_SAMPLE_DVD", "native")
    assert [t.number for t in iso.titles] == [1, 2, 3]
    main = iso.titles[0]
    # as lsdvd reports it: 48 s, 4 chapters, 2 audio streams, 1 subpicture
    assert (main.duration_seconds, main.chapters) == (48.0, 4)
    assert [a.language for a in main.audio] == ["en", "fr"] and [s.language for s in main.subtitles] == ["en"]
    assert main.source == {"kind": "dvd", "title": 1, "vts": 1, "ttn": 1, "pgc": 1}
    assert iso.titles[2].source["vts"] == 2
    vob_bytes = (samples / "dvd" / "AMPHIGORY_SAMPLE_DVD" / "VIDEO_TS" / "VTS_02_1.VOB").stat().st_size
    assert iso.titles[2].size_bytes == vob_bytes  # title 3 is the whole of VTS 2
    assert all(t.segment_map and all(isinstance(s, str) for s in t.segment_map) for t in iso.titles)
    assert main.video is not None and main.video.codec == "mpeg2"


def test_sample_bluray_finds_the_duplicate_playlist(samples: Path) -> None:
    result = scan_path(samples / "bluray" / "AMPHIGORY_SAMPLE_BD")
    assert result.disc_type == "bluray" and result.fingerprint.startswith("bd-")
    by_type = {t.classification.type for t in result.titles}
    assert "duplicate" in by_type
    dup = next(t for t in result.titles if t.classification.type == "duplicate")
    original = next(t for t in result.titles if t.number == dup.classification.duplicate_of)
    assert dup.segment_map == original.segment_map and dup.size_bytes == original.size_bytes
    assert original.chapters >= 2 and {a.language for a in original.audio} >= {"eng"}
    clip = original.source["clips"][0]
    stream = samples / "bluray" / "AMPHIGORY_SAMPLE_BD" / "BDMV" / "STREAM" / clip
    assert original.size_bytes == stream.stat().st_size  # sizes come from the .m2ts files
    assert original.source["playlist"].endswith(".mpls")


def test_sample_cd(samples: Path) -> None:
    result = scan_path(samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue")
    assert result.disc_type == "cd" and result.public_ids.musicbrainz_disc_id
    assert [t.number for t in result.titles] == [1, 2, 3]
    bin_size = (samples / "cd" / "AMPHIGORY_SAMPLE_CD.bin").stat().st_size
    assert sum(t.size_bytes for t in result.titles) == bin_size
    assert all(t.source["kind"] == "cd" and t.duration_seconds > 0 for t in result.titles)
    assert result.title  # CD-TEXT in the sheet


def test_real_dvd_main_feature(shared_fixtures: Path) -> None:
    # EXPECTED_parsed.txt: main title in VTS 5, 21 chapters, 5,047,300 ms, audio en/es, 4 subtitles
    result = scan_path(shared_fixtures / "dvd_ifo" / "DVD-Read_idiocracy")
    main = [t for t in result.titles if t.classification.type == "main_feature"]
    assert len(main) == 1
    t = main[0]
    assert (t.source["vts"], t.chapters, t.duration_seconds) == (5, 21, 5047.3)
    assert [a.language for a in t.audio] == ["en", "es"] and len(t.subtitles) == 4
    assert len(result.titles) == 11


@pytest.mark.parametrize("disc", ["bdpl_disc1", "bdpl_disc17", "bdpl_disc5"])
def test_real_bluray_fixtures(shared_fixtures: Path, disc: str) -> None:
    path = shared_fixtures / "bluray" / disc
    result = scan_path(path)
    assert result.titles
    assert scan_path(path).model_dump(exclude={"scan_ms"}) == result.model_dump(exclude={"scan_ms"})
    with open_disc(path) as media:
        playlists = [n for n in media.listdir("BDMV/PLAYLIST") if n.endswith(".mpls")]
    assert [t.source["playlist"] for t in result.titles] == sorted(playlists)
    assert sum(t.classification.type == "main_feature" for t in result.titles) <= 1
    if disc == "bdpl_disc5":
        assert result.disc_type == "uhd"
        feature = next(t for t in result.titles if t.source["playlist"] == "00001.mpls")
        assert round(feature.duration_seconds, 3) == 7504.497 and feature.chapters == 29
        assert feature.segment_map == ["2", "5"]
        assert feature.video is not None and feature.video.codec == "hevc"
        assert [a.codec for a in feature.audio][:3] == ["truehd", "lpcm", "ac3"]


def test_makemkv_log(shared_fixtures: Path) -> None:
    log = shared_fixtures / "thediscdb" / "dev" / "bd-42-d1" / "makemkv-info.txt"
    assert looks_like_makemkv_log(log)
    result = scan_path(log)
    assert result.backend == "makemkv" and result.disc_type == "bluray"
    assert all(t.makemkv_title_index == t.number - 1 for t in result.titles)
    main = [t for t in result.titles if t.classification.type == "main_feature"]
    assert [t.source["playlist"] for t in main] == ["00100.mpls"]
    assert scan_path(log).fingerprint == result.fingerprint


def test_no_titles_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "BDMV" / "PLAYLIST").mkdir(parents=True)
    with pytest.raises(ScanError, match="no MPLS playlists"):
        scan_path(tmp_path)
    (tmp_path / "BDMV" / "PLAYLIST" / "00000.mpls").write_bytes(b"MPLS0200garbage")
    with pytest.raises(ScanError, match="no playlist could be read"):
        scan_path(tmp_path)


def test_errors(tmp_path: Path, shared_fixtures: Path) -> None:
    with pytest.raises(ScanError, match="does not exist"):
        scan_path(tmp_path / "nothing")
    with pytest.raises(ScanError, match="not a disc"):
        scan_path(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("just some text\n")
    with pytest.raises(ScanError, match="not a readable disc image"):
        scan_path(notes)
    log = tmp_path / "empty.log"
    log.write_text('MSG:1005,0,1,"MakeMKV started","%1 started","MakeMKV"\n')
    with pytest.raises(ScanError, match="MakeMKV log"):
        scan_path(log)
    disc = tmp_path / "DISC"
    shutil.copytree(shared_fixtures / "dvd_ifo" / "DVD-Read_shadok1", disc)
    (disc / "VIDEO_TS").chmod(0o755)
    for name in ("VIDEO_TS.IFO", "VIDEO_TS.BUP"):  # (a damaged IFO alone is read from its backup, the BUP)
        vmg = disc / "VIDEO_TS" / name
        if vmg.exists():
            vmg.chmod(0o644)
            vmg.write_bytes(vmg.read_bytes()[:2048])  # truncated: its title table is gone
    with pytest.raises(ScanError, match="cannot scan"):
        scan_path(disc)
    (disc / "VIDEO_TS" / "VIDEO_TS.IFO").unlink()
    with open_disc(disc) as media, pytest.raises(ScanError):
        scan_media(media)

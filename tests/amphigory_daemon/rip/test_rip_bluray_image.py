"""Blu-ray playlists ripped straight out of a UDF 2.50 image: the clips' extents read through ffmpeg's ``subfile``
protocol give the very file a rip of the disc folder gives, short playlists (under libbluray's 180 s) included."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import blake3
import pytest
from rip_helpers import JobFactory

from amphigory_daemon.media import UdfMedia
from amphigory_daemon.rip import rip_title
from amphigory_daemon.rip.plans import bluray_image_plan, subfile_url

BD_LABEL = "AMPHIGORY_SAMPLE_BD"


@pytest.fixture(scope="module")
def bd_iso(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample Blu-ray as a pure UDF 2.50 image, made as scripts/make_samples.py --bluray-iso makes it."""
    from udfkit import bluray

    out = tmp_path_factory.mktemp("bd") / f"{BD_LABEL}.iso"
    bluray.write_image(str(samples / "bluray" / BD_LABEL), str(out), BD_LABEL)
    return out


@pytest.mark.parametrize("number", [1, 3])
async def test_playlist_from_the_image_is_the_same_file_as_from_the_folder(
    make_job: JobFactory, samples: Path, bd_iso: Path, number: int
) -> None:
    folder = await rip_title(make_job("bluray", number, samples / "bluray" / BD_LABEL, output_name="folder"))
    image = await rip_title(make_job("bluray", number, bd_iso, output_name="image"))

    assert image.path.read_bytes() == folder.path.read_bytes()  # streams, languages, chapters, duration alike
    assert (image.checksum, image.duration_seconds) == (folder.checksum, folder.duration_seconds)
    # the checksum is a plain BLAKE3 of the final file, as any BLAKE3 tool computes it
    assert image.checksum.algorithm == "blake3" and image.sha256 is None
    assert image.checksum.hexdigest == blake3.blake3(image.path.read_bytes()).hexdigest()
    if number == 3:
        assert image.duration_seconds < 180  # what ffmpeg's bluray: protocol would have skipped


async def test_a_clip_in_several_extents_is_read_piece_by_piece_in_order(
    make_job: JobFactory, samples: Path, bd_iso: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = UdfMedia.extents

    def fragmented(self: UdfMedia, relpath: str) -> list[tuple[int, int]]:
        """Each run cut into 3 pieces at sector (not transport-packet) boundaries, as a fragmented image has."""
        out: list[tuple[int, int]] = []
        for offset, length in real(self, relpath):
            third = length // 3 // 2048 * 2048
            out += [(offset, third), (offset + third, third), (offset + 2 * third, length - 2 * third)]
        return out

    folder = await rip_title(make_job("bluray", 1, samples / "bluray" / BD_LABEL, output_name="folder"))
    monkeypatch.setattr(UdfMedia, "extents", fragmented)
    image = await rip_title(make_job("bluray", 1, bd_iso, output_name="image"))

    assert image.checksum == folder.checksum


def test_image_plan_lists_subfile_pieces(tmp_path: Path) -> None:
    from amphigory_daemon.formats.bluray_mpls import parse_mpls

    mpls = (Path(__file__).resolve().parents[3] / "samples" / "bluray" / BD_LABEL / "BDMV" / "PLAYLIST"
            / "00001.mpls").read_bytes()
    one = parse_mpls(mpls, 1)
    playlist = replace(one, play_items=(*one.play_items, *one.play_items))
    image = tmp_path / "it's.iso"
    extents = [[(4096, 100)], [(8192, 10), (2048, 20)]]
    plan = bluray_image_plan(image, playlist, extents, tmp_path)

    listing = plan.files["clips.ffconcat"].splitlines()
    assert listing[1] == "file 'subfile,,start,4096,end,4196,,:" + str(image).replace("'", "'\\''") + "'"
    assert subfile_url(image, 8192, 10) == f"subfile,,start,8192,end,8202,,:{image}"
    assert listing[2] == f"file 'concatf:{tmp_path / 'clip001.concatf'}'"
    assert plan.files["clip001.concatf"] == f"{subfile_url(image, 8192, 10)}\n{subfile_url(image, 2048, 20)}\n"
    assert plan.watch == (image,)
    assert "subfile" in plan.inputs[plan.inputs.index("-protocol_whitelist") + 1]

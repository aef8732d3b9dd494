"""An image that fails to open past its first read leaves nothing open: the file (IsoMedia) or descriptor
(UdfMedia) is closed before the error goes out."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from amphigory_daemon.media import IsoMedia, MediaError, UdfError, UdfMedia


def bd_folder(root: Path) -> Path:
    (root / "BDMV" / "PLAYLIST").mkdir(parents=True)
    (root / "BDMV" / "index.bdmv").write_bytes(b"INDX0200" + bytes(64))
    (root / "BDMV" / "PLAYLIST" / "00001.mpls").write_bytes(b"MPLS0200" * 8)
    return root


def test_iso_media_closes_its_file_when_a_later_read_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    iso = tmp_path / "bd.iso"
    subprocess.run(["genisoimage", "-quiet", "-udf", "-V", "BD", "-o", str(iso), str(bd_folder(tmp_path / "BD"))],
                   check=True, capture_output=True)
    opened: list[Any] = []

    def unreadable(self: IsoMedia) -> str:
        opened.append(self)
        raise MediaError("cannot read BDMV/index.bdmv")

    monkeypatch.setattr(IsoMedia, "_bluray_type", unreadable)
    with pytest.raises(MediaError, match=r"index\.bdmv"):
        IsoMedia(iso)
    assert opened and opened[0]._fp.closed


def test_udf_media_closes_its_descriptor_when_a_later_read_fails(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from udfkit import bluray

    iso = tmp_path / "bd.iso"
    bluray.write_image(str(bd_folder(tmp_path / "BD")), str(iso), "BD")
    opened: list[Any] = []

    def unreadable(self: UdfMedia) -> str:
        opened.append(self)
        raise UdfError("cannot read sector 300")

    monkeypatch.setattr(UdfMedia, "_bluray_type", unreadable)
    with pytest.raises(UdfError, match="sector 300"):
        UdfMedia(iso)
    assert opened and opened[0]._fd == -1

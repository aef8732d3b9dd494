"""The path a rip aims at, worked out by name only: the same rule for the ripper and for ``rip_started``."""

from __future__ import annotations

from pathlib import Path

import pytest

from amphigory_daemon.daemon.ripping import planned_path
from amphigory_daemon.daemon.slots import Rip
from amphigory_daemon.rip.errors import RipError
from amphigory_daemon.rip.naming import disc_folder, final_name, output_ext, output_folder, output_path, safe_name
from amphigory_protocol.disc import Title


@pytest.mark.parametrize(("disc_type", "ext"), [("cd", ".flac"), ("dvd", ".mkv"), ("bluray", ".mkv")])
def test_output_path_is_root_disc_folder_and_final_name(disc_type: str, ext: str) -> None:
    root = Path("/nowhere/out")
    path = output_path(root, "My Disc: Vol/1", "01 Song?", disc_type)
    assert output_ext(disc_type) == ext
    assert path == root / safe_name("My Disc: Vol/1", "disc") / final_name("01 Song?", ext)
    assert path.parent == disc_folder(root, "My Disc: Vol/1")
    assert path.parent.parent == root
    assert path.suffix == ext


def test_output_path_drops_a_repeated_extension_and_names_empty_titles() -> None:
    root = Path("/nowhere")
    assert output_path(root, "Album", "Track.flac", "cd") == root / "Album" / "Track.flac"
    assert output_path(root, "", "", "dvd") == root / safe_name("", "disc") / (safe_name("", "title") + ".mkv")


def test_output_path_never_touches_the_file_system(tmp_path: Path) -> None:
    root = tmp_path / "missing"
    (tmp_path / "elsewhere").mkdir()
    path = output_path(root, "Disc", "Title", "dvd")
    assert path == root / "Disc" / "Title.mkv"
    assert not root.exists()
    # output_folder checks where the folder really is: a symlink out of the root is refused, the pure path is not.
    root.mkdir()
    (root / "Disc").symlink_to(tmp_path / "elsewhere")
    assert output_path(root, "Disc", "Title", "dvd").parent == root / "Disc"
    with pytest.raises(RipError) as info:
        output_folder(root, "Disc")
    assert info.value.code == "invalid_job"


def test_planned_path_is_output_path() -> None:
    title = Title(number=3, name="Feature", duration_seconds=60.0)
    rip = Rip(task_id="t", fingerprint="f", title=title, disc_title="A/B", output_name="C:D")
    root = Path("/out")
    assert planned_path(root, rip, "cd") == output_path(root, "A/B", "C:D", "cd")
    assert planned_path(root, rip, "dvd") == output_path(root, "A/B", "C:D", "dvd")

"""The ffmpeg every part runs is found without running it: ``$IMAGEIO_FFMPEG_EXE``, else the binary in imageio-ffmpeg's
``binaries`` folder, else imageio-ffmpeg's own search."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import pytest

from amphigory_protocol import ffmpeg


def test_the_variable_wins_unchecked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    named = tmp_path / "no-such-ffmpeg"
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(named))
    assert ffmpeg.ffmpeg_exe() == str(named)


def test_without_it_the_bundled_binary_is_the_one_imageio_ffmpeg_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE", raising=False)
    found = ffmpeg.ffmpeg_exe()
    assert found == ffmpeg.bundled_ffmpeg()
    assert Path(found).parent == Path(imageio_ffmpeg.__file__).parent / "binaries"
    assert os.path.samefile(found, imageio_ffmpeg.get_ffmpeg_exe())
    version = subprocess.run([found, "-version"], capture_output=True, text=True, timeout=60, check=True)
    assert version.stdout.startswith("ffmpeg version")


def test_the_lookup_neither_imports_imageio_ffmpeg_nor_runs_a_program() -> None:
    probe = ("import sys, subprocess\n"
             "started = []\n"
             "subprocess.Popen.__init__ = lambda self, *a, **k: started.append(a)\n"
             "from amphigory_protocol.ffmpeg import ffmpeg_exe\n"
             "print(ffmpeg_exe())\n"
             "assert 'imageio_ffmpeg' not in sys.modules, 'imported'\n"
             "assert not started, started\n")
    env = {k: v for k, v in os.environ.items() if k != "IMAGEIO_FFMPEG_EXE"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(Path(imageio_ffmpeg.__file__).parent / "binaries"))


def test_without_a_bundled_binary_imageio_ffmpeg_searches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE", raising=False)
    monkeypatch.setattr(ffmpeg, "bundled_ffmpeg", lambda: None)
    assert ffmpeg.ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()


def _file(path: Path, mode: int) -> Path:
    path.write_bytes(b"\x7fELF")
    path.chmod(mode)
    return path


def test_the_binary_must_be_one_executable_file(tmp_path: Path) -> None:
    assert ffmpeg.binary_in(str(tmp_path / "missing")) is None
    assert ffmpeg.binary_in(str(tmp_path)) is None
    _file(tmp_path / "README.md", 0o644)
    _file(tmp_path / "ffmpeg-not-executable", 0o644)
    (tmp_path / "ffmpeg-a-folder").mkdir()
    assert ffmpeg.binary_in(str(tmp_path)) is None
    one = _file(tmp_path / "ffmpeg-linux-x86_64-v9.0.2", 0o755)
    assert ffmpeg.binary_in(str(tmp_path)) == str(one)
    _file(tmp_path / "ffmpeg-linux-aarch64-v9.0.2", 0o755)
    assert ffmpeg.binary_in(str(tmp_path)) is None  # which of them runs here is imageio-ffmpeg's call

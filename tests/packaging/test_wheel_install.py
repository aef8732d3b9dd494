"""The project as a user gets it: built (sdist, then the wheel from it), installed into a fresh virtual environment
in a temporary folder far from the checkout, and run from there: `--version`, `demo` (a drive shows a sample disc
with its fingerprint: the sample discs travel in the wheel), `doctor`, and `serve` without `--data-dir` keeping its
data in the per-user folder, not the current one.

The environment is filled offline from uv's cache with exactly the locked versions (`uv export --format
pylock.toml` names every wheel by URL), which `./dev` has just synced; the wheel goes in without dependencies and
`uv pip check` then proves its declared ones are all there."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers_uv import find_uv

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(*args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=TIMEOUT, check=False,
                            **kwargs)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def clean_env(home: Path) -> dict[str, str]:
    """A user's environment: its own HOME, none of this checkout's variables or settings."""
    drop = ("AMPHIGORY_", "XDG_", "VIRTUAL_ENV", "PYTHON", "UV_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**env, "HOME": str(home), "PYTHONUNBUFFERED": "1"}


def wait_for(check: Callable[[], Any], what: str, process: subprocess.Popen[str]) -> Any:
    """Poll `check` until it gives something truthy; fail with the process's output if it exits or time runs out."""
    import time

    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode} before {what}: {process.communicate()[0]}")
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {TIMEOUT} s")


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, out
    return out


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("installed")
    uv = find_uv()
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    run(uv, "build", "--offline", "--quiet", "--out-dir", root / "dist", cwd=REPO, env=env)
    run(uv, "export", "--frozen", "--offline", "--no-dev", "--no-emit-project", "--format", "pylock.toml",
        "--quiet", "--output-file", root / "pylock.toml", cwd=REPO, env=env)
    run(uv, "venv", "--quiet", "--python", Path(sys.executable).resolve(), root / "venv", env=env)
    python = root / "venv" / "bin" / "python"
    run(uv, "pip", "install", "--offline", "--quiet", "--python", python, "-r", root / "pylock.toml", env=env)
    (wheel,) = (root / "dist").glob("amphigory-*.whl")
    run(uv, "pip", "install", "--offline", "--quiet", "--no-deps", "--python", python, wheel, env=env)
    run(uv, "pip", "check", "--python", python, env=env)
    yield root / "venv" / "bin"


def test_the_installed_package_is_the_wheel_not_the_checkout(venv: Path, tmp_path: Path) -> None:
    where = run(venv / "python", "-c", "import amphigory_cli, amphigory; print(amphigory_cli.__file__)",
                cwd=tmp_path, env=clean_env(tmp_path)).stdout
    assert not Path(where.strip()).is_relative_to(REPO)
    version = run(venv / "amphigory", "--version", cwd=tmp_path, env=clean_env(tmp_path)).stdout
    assert version.startswith("amphigory 0.") and "database schema" in version


def test_demo_from_the_install_shows_a_sample_disc(venv: Path, tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "work").mkdir()
    demo = subprocess.Popen([str(venv / "amphigory"), "demo", "--port", str(port), "--data-dir",
                             str(tmp_path / "demo")], cwd=tmp_path / "work", env=clean_env(tmp_path / "home"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def dvd() -> dict[str, Any] | None:
            drives = httpx.get(f"http://127.0.0.1:{port}/api/drives", timeout=5).json()["drives"]
            return next((d for d in drives if str(d.get("fingerprint") or "").startswith("dvd-")), None)

        drive = wait_for(dvd, "drive holding the sample DVD", demo)
        assert drive["disc_volume"] == "AMPHIGORY_SAMPLE_DVD"
    finally:
        out = stop(demo) if demo.poll() is None else ""
    assert "amphigory demo stopped" in out
    assert list((tmp_path / "work").iterdir()) == []
    assert (tmp_path / "demo" / "amphigory.db").is_file()


def test_doctor_from_the_install_says_the_core_works(venv: Path, tmp_path: Path) -> None:
    out = run(venv / "amphigory", "doctor", "--webapp-url", f"ws://127.0.0.1:{free_port()}/ws", cwd=tmp_path,
              env=clean_env(tmp_path)).stdout
    assert "the core works" in out
    assert any(line.split()[:2] == ["ok", "ffmpeg"] for line in out.splitlines()), out
    assert str(tmp_path / ".local" / "share" / "amphigory") in out


def test_serve_without_data_dir_keeps_the_current_folder_empty(venv: Path, tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "empty"
    home.mkdir()
    work.mkdir()
    port = free_port()
    serve = subprocess.Popen([str(venv / "amphigory"), "serve", "--port", str(port)], cwd=work,
                             env=clean_env(home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health = wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json(), "/health", serve)
    finally:
        serve.terminate()
        serve.communicate(timeout=TIMEOUT)
    assert health["schema_version"] >= 4
    assert list(work.iterdir()) == []
    assert (home / ".local" / "share" / "amphigory" / "amphigory.db").is_file()

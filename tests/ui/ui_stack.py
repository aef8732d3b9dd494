"""The real system for browser tests and the dashboard benchmark: `amphigory serve` and `amphigory daemon` as
processes on free loopback ports, in a temporary data folder with one image drive, and Debian's Chromium.

Used by tests/ui/conftest.py and bench/dashboard_latency.py; nothing here asserts.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers_patience import STARTUP_PATIENCE

REPO = Path(__file__).resolve().parents[2]
AMPHIGORY = REPO / ".venv" / "bin" / "amphigory"
SAMPLES = REPO / "samples"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@dataclass
class Watched:
    """A browser page and what went wrong on it: dialogs opened and uncaught script errors."""

    page: Any
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)  # the page's console, shown when a test fails

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Stack:
    """A webapp and one daemon with one image drive, all under `root`."""

    root: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    daemon_id: str = "ui-test@host"
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # More `serve` options: by default no look-ups at all (tests never reach the real services); a test of
    # identification gives the stand-ins' URLs instead.
    webapp_args: tuple[str, ...] = ("--offline", "1")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def drive_id(self) -> str:
        """The id of the one image drive, as the daemon reports it."""
        with urllib.request.urlopen(f"{self.url}/api/drives", timeout=5) as response:
            drives = json.loads(response.read())["drives"]
        ids: list[str] = [d["drive_id"] for d in drives]
        if len(ids) != 1:
            raise RuntimeError(f"expected one drive, the webapp knows {ids}")
        return ids[0]

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def drive_dir(self) -> Path:
        return self.root / "drive"

    @property
    def ripped_dir(self) -> Path:
        return self.root / "daemon" / "ripped"

    @property
    def staging_dir(self) -> Path:
        """Beside the drive, on the same file system: discs are copied here, then renamed into the drive at once."""
        return self.root / "staging"

    def start(self, timeout: float = 20.0) -> None:
        for folder in (self.data_dir, self.drive_dir, self.staging_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.start_webapp(timeout)
        self.start_daemon()

    def start_webapp(self, timeout: float = 20.0) -> None:
        self._spawn("webapp", "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir",
                    str(self.data_dir), "--token", self.token, *self.webapp_args)
        self.wait_healthy(timeout)

    def start_daemon(self) -> None:
        self._spawn("daemon", "daemon", "--webapp-url", f"ws://127.0.0.1:{self.port}/ws", "--token", self.token,
                    "--image-drive", str(self.drive_dir), "--daemon-id", self.daemon_id, "--backend", "image",
                    "--data-dir", str(self.root / "daemon"), "--output-dir", str(self.ripped_dir))

    def _spawn(self, name: str, *args: str) -> None:
        log = (self.root / f"{name}.log").open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env = {k: v for k, v in env.items() if not k.startswith("AMPHIGORY_")}
        self.processes[name] = subprocess.Popen(
            [str(AMPHIGORY), *args], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.root,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + max(timeout, STARTUP_PATIENCE)
        while time.monotonic() < deadline:
            webapp = self.processes.get("webapp")
            if webapp is not None and webapp.poll() is not None:
                raise RuntimeError(f"the webapp exited ({webapp.returncode}):\n{self.log('webapp')}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
                if response.status == 200:
                    return
            time.sleep(0.05)
        waited = max(timeout, STARTUP_PATIENCE)
        raise RuntimeError(f"the webapp did not become healthy in {waited} s:\n{self.log('webapp')}")

    def stop_process(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def stop(self) -> None:
        for name in ("daemon", "webapp"):
            self.stop_process(name)

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def insert(self, source: Path, name: str | None = None) -> Path:
        """Put a copy of the disc `source` (file or folder) into the drive, appearing there all at once."""
        staged = self.staging_dir / (name or source.name)
        if source.is_dir():
            shutil.copytree(source, staged, copy_function=shutil.copy2)
        else:
            shutil.copy2(source, staged)
        return self.insert_staged(staged)

    def insert_staged(self, staged: Path) -> Path:
        target = self.drive_dir / staged.name
        os.rename(staged, target)
        return target

    def take_out(self, name: str) -> Path:
        """Take the disc `name` out of the drive (back into staging, ready to go in again)."""
        staged = self.staging_dir / name
        os.rename(self.drive_dir / name, staged)
        return staged


@contextlib.contextmanager
def running_stack(root: Path) -> Iterator[Stack]:
    stack = Stack(root)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright (Playwright's own browser download is not reachable here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

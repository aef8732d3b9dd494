"""The real `amphigory serve` and `amphigory daemon` processes on loopback: a disc copied into an image drive shows
up in /api/drives with its fingerprint, goes away when removed, survives a webapp restart, and two daemons with
two drives each are all listed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from amphigory_cli.token_file import new_token
from amphigory_daemon.fingerprint import identify
from helpers_patience import STARTUP_PATIENCE, patient

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent / "amphigory"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A webapp and any number of daemons, as real processes, torn down at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.token = new_token()
        self.env = {**os.environ, "XDG_CONFIG_HOME": str(tmp / "config"), "PYTHONUNBUFFERED": "1"}
        self.env = {k: v for k, v in self.env.items() if not k.startswith("AMPHIGORY_")}
        self.web: subprocess.Popen[bytes] | None = None
        self.daemons: list[subprocess.Popen[bytes]] = []
        self.url = f"http://127.0.0.1:{self.port}"

    def _spawn(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        out = (self.tmp / log).open("ab")
        return subprocess.Popen([str(BIN), *args], env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def start_web(self) -> None:
        self.web = self._spawn("serve", "--port", str(self.port), "--data-dir", str(self.tmp / "web"),
                               "--token", self.token, "--offline", "1", log="web.log")
        # start-up on a loaded 2-core machine (imports, database, first bind) can take many seconds
        until(lambda: httpx.get(f"{self.url}/health", timeout=5).status_code == 200, STARTUP_PATIENCE, "webapp up",
              self)

    def kill_web(self) -> None:
        assert self.web is not None
        self.web.kill()
        self.web.wait(5)

    def start_daemon(self, daemon_id: str, *drives: Path) -> None:
        args = ["daemon", "--webapp-url", f"ws://127.0.0.1:{self.port}/ws", "--token", self.token,
                "--daemon-id", daemon_id, "--backend", "image", "--data-dir", str(self.tmp / daemon_id)]
        for d in drives:
            args += ["--image-drive", str(d)]
        self.daemons.append(self._spawn(*args, log=f"{daemon_id}.log"))

    def drives(self) -> dict[str, dict[str, Any]]:
        r = httpx.get(f"{self.url}/api/drives", timeout=2)
        r.raise_for_status()
        return {d["drive_id"]: d for d in r.json()["drives"]}

    def stop(self) -> None:
        for p in self.daemons:
            p.send_signal(signal.SIGTERM)
        for p in self.daemons:
            try:
                assert p.wait(10) == 0, "daemon did not exit cleanly on SIGTERM"
            finally:
                if p.poll() is None:
                    p.kill()
        if self.web is not None and self.web.poll() is None:
            self.web.send_signal(signal.SIGINT)
            self.web.wait(10)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.tmp.glob("*.log"))


def until(check: Callable[[], bool], timeout: float, what: str, cluster: Cluster | None = None) -> None:
    end = time.monotonic() + patient(timeout)
    while True:
        try:
            if check():
                return
        except (httpx.HTTPError, KeyError):
            pass
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}\n{cluster.logs() if cluster else ''}")
        time.sleep(0.05)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def sample_iso() -> Path:
    iso = Path(__file__).resolve().parents[2] / "samples" / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
    if not iso.is_file():
        raise RuntimeError(f"sample DVD missing at {iso} (scripts/make_samples.py makes it)")
    return iso


def test_two_daemons_insert_and_remove(cluster: Cluster, tmp_path: Path, sample_iso: Path) -> None:
    cluster.start_web()
    a1, a2, b1, b2 = (tmp_path / "drives" / n for n in ("a1", "a2", "b1", "b2"))
    cluster.start_daemon("alpha", a1, a2)
    cluster.start_daemon("beta", b1, b2)
    wanted = {"alpha:a1", "alpha:a2", "beta:b1", "beta:b2"}
    until(lambda: set(cluster.drives()) == wanted, 15, "four drives from two daemons", cluster)
    assert all(d["state"] == "empty" for d in cluster.drives().values())

    expected = identify(sample_iso).fingerprint
    shutil.copy(sample_iso, b2 / sample_iso.name)
    until(lambda: cluster.drives()["beta:b2"]["fingerprint"] == expected, 15, "fingerprint listed", cluster)
    drive = cluster.drives()["beta:b2"]
    # the webapp scans an unknown disc at once, so it may already be scanning or scanned
    assert drive["state"] in ("disc_inserted", "scanning", "scanned") and drive["disc_type"] == "dvd"
    assert drive["disc_volume"] == "AMPHIGORY_SAMPLE_DVD" and drive["daemon_id"] == "beta"
    assert cluster.drives()["alpha:a1"]["state"] == "empty"

    (b2 / sample_iso.name).unlink()
    until(lambda: cluster.drives()["beta:b2"]["state"] == "empty", 15, "drive empty again", cluster)
    assert cluster.drives()["beta:b2"]["fingerprint"] is None


def test_daemon_reconnects_after_webapp_restart(cluster: Cluster, tmp_path: Path, sample_iso: Path) -> None:
    cluster.start_web()
    drive = tmp_path / "drives" / "tray"
    drive.mkdir(parents=True)
    shutil.copy2(sample_iso, drive / sample_iso.name)
    cluster.start_daemon("gamma", drive)
    expected = identify(sample_iso).fingerprint
    until(lambda: cluster.drives()["gamma:tray"]["fingerprint"] == expected, 15, "disc listed", cluster)

    cluster.kill_web()
    (drive / sample_iso.name).unlink()  # changes while the webapp is away are not lost
    cluster.start_web()
    # the daemon's next try can be up to its backoff cap (30 s) after the webapp is back: wait longer than that
    until(lambda: cluster.drives()["gamma:tray"]["state"] == "empty", STARTUP_PATIENCE, "state re-synced", cluster)
    shutil.copy2(sample_iso, drive / sample_iso.name)
    until(lambda: cluster.drives()["gamma:tray"]["fingerprint"] == expected, 15, "disc listed again", cluster)

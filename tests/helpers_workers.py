"""Real queue workers for tests: a `redis-server` on loopback, and `amphigory worker` processes, optionally blind to
a folder (a private mount namespace with an empty tmpfs over it), so a worker cannot open the webapp's rips."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from helpers_uvicorn import free_port


def wait_for(condition: object, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A redis-server on 127.0.0.1 (free port, data in `folder`, nothing saved); its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (Debian redis-server; ./dev test installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
                                "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                assert process.poll() is None, "redis-server exited"
                return False

        wait_for(answers, 30, "redis-server to answer")
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def start_worker(queue: str, webapp_url: str, token: str, data_dir: Path, hide: Path | None = None,
                 log: Path | None = None) -> subprocess.Popen[bytes]:
    """`amphigory worker`; with `hide`, in its own mount namespace where `hide` is an empty folder."""
    argv = [sys.executable, "-m", "amphigory_cli.main", "worker", "--queue", queue, "--webapp-url", webapp_url,
            "--data-dir", str(data_dir)]
    if hide is not None:
        root = ["--map-root-user"] if os.geteuid() != 0 else []
        argv = ["unshare", *root, "--mount", "--propagation", "private", "--", "sh", "-c",
                'mount -t tmpfs tmpfs "$0" && exec "$@"', str(hide), *argv]
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    return subprocess.Popen(argv, env={**os.environ, "AMPHIGORY_TOKEN": token}, stdin=subprocess.DEVNULL,
                            stdout=out, stderr=subprocess.STDOUT)


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"

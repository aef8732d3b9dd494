"""A daemon that dies mid-rip leaves nothing running and, once it starts again, nothing lying around."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from amphigory_daemon.rip.naming import partial_prefix, writer_tag
from amphigory_daemon.rip.output import sweep_stale_partials


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_only_our_dead_processes_partials_are_swept(tmp_path: Path) -> None:
    disc = tmp_path / "Some Disc"
    disc.mkdir()
    host = socket.gethostname()
    dead = disc / f".Main.{writer_tag(host, _dead_pid())}.x1.partial.mkv"
    dead_dir = disc / f".Main.{writer_tag(host, _dead_pid())}.x2.partial"  # a MakeMKV work folder
    ours = disc / f"{partial_prefix('Main.mkv')}x3.partial.mkv"  # this process: alive
    other_host = disc / f".Main.{writer_tag('nas-elsewhere', _dead_pid())}.x4.partial.mkv"
    finished = disc / "Main.mkv"
    for path in (dead, ours, other_host, finished):
        path.write_bytes(b"data")
    dead_dir.mkdir()
    (dead_dir / "title_t00.mkv").write_bytes(b"data")

    assert sorted(sweep_stale_partials(tmp_path)) == sorted([dead, dead_dir])
    assert not dead.exists() and not dead_dir.exists()
    assert ours.exists() and other_host.exists() and finished.exists()
    assert sweep_stale_partials(tmp_path / "missing") == []


def test_a_tool_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    script = tmp_path / "rip_then_crash.py"
    script.write_text(textwrap.dedent("""
        import asyncio, sys
        from amphigory_daemon.rip.runner import run_tool

        def show(line: str) -> None:
            print(line, flush=True)

        asyncio.run(run_tool(["sh", "-c", "echo $$; exec sleep 60"], on_stdout=show))
    """))
    rip = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert rip.stdout is not None
    tool_pid = int(rip.stdout.readline())
    os.kill(rip.pid, signal.SIGKILL)  # the daemon crashes: no clean-up code runs
    rip.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(tool_pid, 0)
        except ProcessLookupError:
            break
        stat = Path(f"/proc/{tool_pid}/stat")
        if stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"):
            break  # dead, waiting to be reaped
        time.sleep(0.05)
    else:
        os.kill(tool_pid, signal.SIGKILL)
        raise AssertionError("the tool outlived the process that started it")

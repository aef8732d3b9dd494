"""The real system for the fault suite: `amphigory serve` and `amphigory daemon` as processes (tests/ui/ui_stack.py),
with rips slowed to twice real time (so "mid-rip" lasts seconds), the daemon's output folder and webapp address
chosen by the test, and the waits and API calls the fault tests share. Nothing here asserts but `until`."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
from ui_stack import SAMPLES, Stack

from helpers_patience import PATIENCE

DVD_ISO = SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
SHORT_TITLE = 3  # 10 s of video: 5 s to rip at twice real time


@dataclass
class FaultStack(Stack):
    daemon_id: str = "faults@host"
    webapp_url: str | None = None  # the daemon's --webapp-url (default: the webapp itself)
    output_dir: Path | None = None  # the daemon's --output-dir (default: ripped_dir)

    @property
    def ripped_dir(self) -> Path:
        return self.output_dir if self.output_dir is not None else self.root / "daemon" / "ripped"

    @property
    def the_drive_id(self) -> str:
        return f"{self.daemon_id}:{self.drive_dir.name}"

    def start(self, timeout: float = 20.0) -> None:
        for folder in (self.data_dir, self.drive_dir, self.staging_dir):
            folder.mkdir(parents=True, exist_ok=True)
        wrapper = self.root / "paced-ffmpeg.sh"
        wrapper.write_text(  # only the rip itself (run with -progress) is paced; probes run at full speed
            f'#!/bin/sh\ncase " $* " in *" -progress "*) exec "{imageio_ffmpeg.get_ffmpeg_exe()}" -readrate 2 "$@";; '
            f'esac\nexec "{imageio_ffmpeg.get_ffmpeg_exe()}" "$@"\n')
        wrapper.chmod(0o755)
        self.start_webapp(timeout)
        self.start_daemon()

    def start_daemon(self) -> None:
        url = self.webapp_url or f"ws://127.0.0.1:{self.port}/ws"
        self._spawn("daemon", "daemon", "--webapp-url", url, "--token", self.token, "--image-drive",
                    str(self.drive_dir), "--daemon-id", self.daemon_id, "--backend", "image", "--data-dir",
                    str(self.root / "daemon"), "--output-dir", str(self.ripped_dir))

    def _spawn(self, name: str, *args: str) -> None:
        os.environ["IMAGEIO_FFMPEG_EXE"] = str(self.root / "paced-ffmpeg.sh")
        try:
            super()._spawn(name, *args)
        finally:
            del os.environ["IMAGEIO_FFMPEG_EXE"]

    def kill(self, name: str) -> None:
        """kill -9 of the process alone (not its group): what it started must die with it by itself."""
        process = self.processes.pop(name)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(PATIENCE)

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)}" for name in ("webapp", "daemon"))

    # -- the API ---------------------------------------------------------------------------------------------

    def get(self, path: str) -> Any:
        response = httpx.get(self.url + path, timeout=PATIENCE)
        response.raise_for_status()
        return response.json()

    def drive(self) -> dict[str, Any] | None:
        return next((d for d in self.get("/api/drives")["drives"] if d["drive_id"] == self.the_drive_id), None)

    def until(self, check: Callable[[], Any], what: str, patience: float = PATIENCE) -> Any:
        deadline = time.monotonic() + patience
        while True:
            try:
                value = check()
            except httpx.HTTPError:
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")
            time.sleep(0.05)

    def scanned_dvd(self) -> str:
        """Insert the sample DVD and wait for the webapp's own scan of it; its fingerprint."""
        self.insert(DVD_ISO)
        drive = self.until(lambda: (d := self.drive()) and d["state"] == "scanned" and d, "the DVD scanned")
        return str(drive["fingerprint"])

    def rip(self, fingerprint: str, number: int = SHORT_TITLE) -> str:
        """Start ripping one title; its task id."""
        response = httpx.post(f"{self.url}/api/drives/{self.the_drive_id}/rip", timeout=PATIENCE,
                              json={"tracks": [number], "fingerprint": fingerprint})
        assert response.status_code == 202, response.text
        return str(response.json()["task_ids"][0])

    def task(self, task_id: str) -> dict[str, Any]:
        return dict(self.get(f"/api/tasks/{task_id}"))

    def partials(self) -> list[Path]:
        return [p for p in self.ripped_dir.rglob(".*") if ".partial" in p.name]

    def finished(self) -> list[Path]:
        return [p for p in self.ripped_dir.rglob("*") if p.is_file() and not p.name.startswith(".")]

    def mid_rip(self, task_id: str) -> None:
        """Wait until the rip runs and writes its partial file."""
        self.until(lambda: self.task(task_id)["status"] == "running" and self.partials(), "the rip under way")

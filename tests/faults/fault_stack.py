"""The real system for the fault suite: `amphigory serve` and `amphigory daemon` as processes (tests/ui/ui_stack.py),
with rips and ffmpeg transcodes slowed to twice real time (so "mid-rip" and "mid-transcode" last seconds), the
daemon's output folder and webapp address chosen by the test, a small disk to fill (a tmpfs), and the waits and API
calls the fault tests share. Nothing here asserts but `until`."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
from ui_stack import SAMPLES, Stack

from helpers_patience import PATIENCE
from helpers_workers import children

DVD_ISO = SAMPLES / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
SHORT_TITLE = 3  # 10 s of video: 5 s to rip (or to transcode with ffmpeg) at twice real time


@contextlib.contextmanager
def small_disk(mount: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of `size` mounted at `mount` (the fault suite runs as root, as CI does)."""
    mount.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"cannot mount a small tmpfs (the fault suite runs as root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


def fill(folder: Path, leave: int = 0) -> Path:
    """Another writer takes every byte left on the file system but `leave` (a multiple of 4 KiB); its file."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while out.write(b"\0" * 4096):
                pass
        except OSError:
            pass
        if leave:
            out.truncate(max(0, out.tell() - leave))
    return filler


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


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

    rip_speed: float | None = 2.0  # times real time for rips (None: as fast as it goes)
    transcode_speed: float | None = 2.0  # the same for the workers' ffmpeg transcodes

    def start(self, timeout: float = 20.0) -> None:
        for folder in (self.data_dir, self.drive_dir, self.staging_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.pace(self.rip_speed, self.transcode_speed)
        self.start_webapp(timeout)
        self.start_daemon()

    def pace(self, rips: float | None, transcodes: float | None) -> None:
        """The speed of the rips and transcodes started from now on (the ffmpeg of every process is a wrapper);
        only those (ffmpeg with -progress) are paced, probes run at full speed."""
        self.rip_speed, self.transcode_speed = rips, transcodes
        ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
        cases = [f'*" libx264 "*|*" libx265 "*) exec "{ffmpeg}" -readrate {transcodes:g} "$@";;'] if transcodes else []
        cases += [f'*" -progress "*) exec "{ffmpeg}" -readrate {rips:g} "$@";;'] if rips else []
        script = "#!/bin/sh\ncase \" $* \" in\n" + "".join(f"  {c}\n" for c in cases) + f'esac\nexec "{ffmpeg}" "$@"\n'
        wrapper = self.root / "paced-ffmpeg.sh"
        written = wrapper.with_suffix(".new")
        written.write_text(script)
        written.chmod(0o755)
        os.replace(written, wrapper)  # a process starting ffmpeg now sees the old script or the new, never half

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
        """Insert the sample DVD and wait for the webapp's own scan of it, stored; its fingerprint."""
        self.insert(DVD_ISO)
        drive = self.until(lambda: (d := self.drive()) and d["state"] == "scanned" and d, "the DVD scanned")
        fingerprint = str(drive["fingerprint"])
        # the drive can say "scanned" a moment before the webapp has stored the scan (a rip then is refused)
        self.until(lambda: [t for t in self.get(f"/api/discs/{fingerprint}")["tracks"] if t["number"] == SHORT_TITLE],
                   "the scan stored")
        return fingerprint

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

    def finished_task(self, task_id: str) -> dict[str, Any]:
        """The task once it ended (complete, failed or cancelled)."""
        return dict(self.until(lambda: (t := self.task(task_id))["status"] not in ("queued", "running") and t,
                               f"task {task_id} to end"))

    def name_disc(self, fingerprint: str) -> None:
        """A person names the disc, so its rips are filed (a disc nobody named is held in ripped/)."""
        response = httpx.patch(f"{self.url}/api/discs/{fingerprint}", json={"title": "Fault Film", "year": 2001},
                               timeout=PATIENCE)
        assert response.status_code == 200, response.text

    def filing(self, rip_task_id: str) -> str:
        """The id of the filing the completed rip started."""
        done = self.finished_task(rip_task_id)
        assert done["status"] == "complete", done
        return str(done["result"]["filing"]["task_id"])

    def retry(self, task_id: str) -> str:
        response = httpx.post(f"{self.url}/api/tasks/{task_id}/retry", timeout=PATIENCE)
        assert response.status_code == 202, response.text
        return str(response.json()["task_ids"][0])

    @property
    def library_dir(self) -> Path:
        return self.data_dir / "library"

    def library_files(self) -> list[Path]:
        """Every file in the library, the staging folder's too (a filler a test put there excepted)."""
        return sorted(p for p in self.library_dir.rglob("*") if p.is_file() and p.name != "filler")

    def worker_files(self) -> list[Path]:
        """What the local workers keep of their jobs (their fetched rips and transcodes)."""
        return sorted(p for p in (self.data_dir / "workers").glob("*/worker-jobs/**/*") if p.is_file())

    def child_of(self, name: str, wanted: Callable[[list[str]], bool]) -> int | None:
        """The pid of a process under `name` (webapp, daemon) whose command line is `wanted`."""
        process = self.processes[name]
        return next((pid for pid in children(process.pid) if wanted(cmdline(pid))), None)

    def mid_rip(self, task_id: str) -> None:
        """Wait until the rip runs and writes its partial file."""
        self.until(lambda: self.task(task_id)["status"] == "running" and self.partials(), "the rip under way")

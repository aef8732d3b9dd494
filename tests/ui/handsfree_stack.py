"""The real system in hands-free mode, for the end-to-end and browser tests: `amphigory serve --on-insert rip`
with a short countdown and a notification URL, and one daemon with the image drives of `DRIVES` (``manual``'s own
rule is manual). Nothing here asserts."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from ui_stack import AMPHIGORY, Stack

DRIVES = ("film", "dvd", "cd", "manual", "cancel")


@dataclass
class HandsFreeStack(Stack):
    """A webapp in hands-free mode and one daemon with the image drives of `DRIVES`."""

    daemon_id: str = "handsfree@host"
    notify: str = ""
    delay: float = 0.2
    extra: list[str] = field(default_factory=list)
    daemon_env: dict[str, str] = field(default_factory=dict)  # e.g. IMAGEIO_FFMPEG_EXE: a broken ffmpeg

    def folder(self, drive: str) -> Path:
        return self.root / "drives" / drive

    def drive(self, name: str) -> str:
        return f"{self.daemon_id}:{name}"

    @property
    def library(self) -> Path:
        return self.data_dir / "library"

    def start(self, timeout: float = 20.0) -> None:
        for folder in (self.data_dir, self.staging_dir, *(self.folder(d) for d in DRIVES)):
            folder.mkdir(parents=True, exist_ok=True)
        self.start_webapp(timeout)
        args = ["daemon", "--webapp-url", f"ws://127.0.0.1:{self.port}/ws", "--token", self.token, "--daemon-id",
                self.daemon_id, "--backend", "image", "--data-dir", str(self.root / "daemon"), "--output-dir",
                str(self.ripped_dir)]
        for drive in DRIVES:
            args += ["--image-drive", str(self.folder(drive))]
        self._spawn("daemon", *args)

    def start_webapp(self, timeout: float = 20.0) -> None:
        """`amphigory serve` in hands-free mode (again, after `stop_process("webapp")`: a restart)."""
        self._spawn("webapp", "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir",
                    str(self.data_dir), "--token", self.token, "--on-insert", "rip", "--auto-rip-delay",
                    str(self.delay), "--offline", "1", "--drive-on-insert", f"{self.drive('manual')}=manual",
                    *(["--notify", self.notify] if self.notify else []), *self.extra)
        self.wait_healthy(timeout)

    def _spawn(self, name: str, *args: str) -> None:
        log = (self.root / f"{name}.log").open("ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AMPHIGORY_", "IMAGEIO_FFMPEG"))}
        env.update(PYTHONUNBUFFERED="1", **(self.daemon_env if name == "daemon" else {}))
        self.processes[name] = subprocess.Popen(
            [str(AMPHIGORY), *args], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.root,
            start_new_session=True,
        )

    def put(self, drive: str, *sources: Path) -> None:
        """The disc (its files) appearing in the drive all at once."""
        staged = self.staging_dir / f"{drive}-{time.monotonic_ns()}"
        staged.mkdir()
        for source in sources:
            if source.is_dir():
                shutil.copytree(source, staged / source.name)
            else:
                shutil.copy2(source, staged / source.name)
        for item in staged.iterdir():
            os.rename(item, self.folder(drive) / item.name)
        staged.rmdir()

    def take_out(self, drive: str) -> None:
        for item in self.folder(drive).iterdir():
            if not item.name.startswith("."):
                os.rename(item, self.staging_dir / f"out-{time.monotonic_ns()}-{item.name}")

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)}" for name in ("webapp", "daemon"))

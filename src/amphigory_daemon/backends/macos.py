"""Real drives on macOS: `drutil` and `diskutil` polled every couple of seconds, as the original system did.

`drutil list` numbers the drives (each becomes device `opticalN`, stable whether or not a disc is in);
`drutil -drive N status` says what is in drive N (`Type: DVD-ROM  Name: /dev/disk4`, or `Type: No Media
Inserted`); `diskutil info -plist /dev/diskN` gives the volume name and file system (`cddafs` = an audio CD).
The disc is read through the raw device (`/dev/rdiskN`). Parsing is pure, on the documented output formats;
the commands run through one injectable runner, so tests use recorded output.
"""

from __future__ import annotations

import asyncio
import logging
import plistlib
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from amphigory_daemon.backends.base import BackendError, DriveBackend, DriveEvent, EventSink

log = logging.getLogger(__name__)

Runner = Callable[[Sequence[str]], str]

_LIST_ROW = re.compile(r"^\s*(\d+)\s+\S")
_TYPE = re.compile(r"^\s*Type:\s*(.*?)\s*(?:Name:\s*(\S+))?\s*$", re.MULTILINE)


def run_command(args: Sequence[str]) -> str:
    """Run a command, return its stdout; `BackendError` when it fails or is missing."""
    try:
        done = subprocess.run(list(args), capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackendError(f"{args[0]}: {exc}") from exc
    if done.returncode != 0:
        raise BackendError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return done.stdout


def parse_drutil_list(text: str) -> list[int]:
    """Drive numbers from `drutil list` (rows start with the number; the header row does not)."""
    return [int(m.group(1)) for line in text.splitlines() if (m := _LIST_ROW.match(line))]


@dataclass(frozen=True)
class DrutilStatus:
    """One drive's `drutil status`: media type (None = no media) and the disk node when there is one."""

    media_type: str | None
    device: str | None


def parse_drutil_status(text: str) -> DrutilStatus:
    m = _TYPE.search(text)
    if m is None:
        return DrutilStatus(None, None)
    media = m.group(1).strip()
    if not media or media.lower().startswith("no media"):
        return DrutilStatus(None, None)
    return DrutilStatus(media, m.group(2))


def parse_diskutil_info(data: bytes) -> dict[str, Any]:
    """`diskutil info -plist` as a dict ({} when it is not a plist)."""
    try:
        value = plistlib.loads(data)
    except (plistlib.InvalidFileException, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def disc_type_of(media_type: str | None, info: dict[str, Any]) -> str | None:
    """`bluray` / `dvd` / `cd` (audio) from drutil's media type and diskutil's info; None when unsure."""
    kind = str(info.get("OpticalMediaType") or media_type or "").upper()
    if kind.startswith("BD"):
        return "bluray"
    if kind.startswith("DVD"):
        return "dvd"
    fs = str(info.get("FilesystemType") or info.get("FilesystemName") or "").lower()
    if kind.startswith("CD") and ("cdda" in fs or "audio" in fs):
        return "cd"
    return None


def raw_device(node: str) -> str:
    """`/dev/disk4` -> `/dev/rdisk4` (the unbuffered node, much faster to read)."""
    return re.sub(r"^/dev/disk", "/dev/rdisk", node)


class MacBackend(DriveBackend):
    """Optical drives on macOS by polling `drutil` / `diskutil`; see the module docstring."""

    name = "macos"

    def __init__(self, runner: Runner = run_command, *, poll_interval: float = 2.0) -> None:
        self.runner = runner
        self.poll_interval = poll_interval
        self._numbers = {f"optical{n}": n for n in parse_drutil_list(self._run("drutil", "list"))}
        self._present: dict[str, str | None] = dict.fromkeys(self._numbers)
        self._sink: EventSink | None = None
        self._task: asyncio.Task[None] | None = None

    def _run(self, *args: str) -> str:
        try:
            return self.runner(args)
        except BackendError as exc:
            log.debug("macos backend: %s", exc)
            return ""

    def drives(self) -> list[str]:
        return list(self._numbers)

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        await self.poll_once()
        self._task = asyncio.ensure_future(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def eject(self, device: str) -> None:
        number = self._numbers.get(device)
        if number is None:
            raise BackendError(f"no optical drive {device}")
        await asyncio.to_thread(self.runner, ("drutil", "-drive", str(number), "eject"))
        await self.poll_once()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                await self.poll_once()
            except Exception:
                log.exception("macos backend: polling drives failed")

    async def poll_once(self) -> None:
        """Ask every drive what it holds (commands in a thread) and report what changed."""
        for device, event in await asyncio.to_thread(self._survey):
            if self._sink is not None:
                self._sink(event)
            self._present[device] = event.path if event.kind == "inserted" else None

    def _survey(self) -> list[tuple[str, DriveEvent]]:
        events: list[tuple[str, DriveEvent]] = []
        for device, number in self._numbers.items():
            status = parse_drutil_status(self._run("drutil", "-drive", str(number), "status"))
            node = status.device if status.media_type else None
            path = raw_device(node) if node else None
            if path == self._present[device]:
                continue
            if self._present[device] is not None:
                events.append((device, DriveEvent("ejected", device)))
            if node is not None and path is not None:
                info = parse_diskutil_info(self._run("diskutil", "info", "-plist", node).encode())
                events.append((device, DriveEvent(
                    "inserted", device, path, volume_name=info.get("VolumeName") or None,
                    disc_type=disc_type_of(status.media_type, info))))
        return events

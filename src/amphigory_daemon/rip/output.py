"""Where a rip's bytes go: a hidden partial file (or folder, for MakeMKV) next to the final name, published with
a no-overwrite rename only when finished and verified, and removed on any failure."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from amphigory_daemon.rip.errors import RipError
from amphigory_daemon.rip.models import RipJob
from amphigory_daemon.rip.naming import ensure_inside, final_name, numbered, output_folder, partial_prefix
from amphigory_protocol.disk_full import is_disk_full

_MAX_NUMBER = 999
FILE_MODE = 0o644


@dataclass
class OutputTarget:
    """The final path a rip aims at and the partial path it writes to."""

    final: Path
    partial: Path
    on_exists: str = "fail"
    replaces: Path | None = None

    @classmethod
    def create(cls, job: RipJob, ext: str, *, directory: bool = False) -> OutputTarget:
        """Make the disc folder and an empty partial file (or folder) for ``job``; `RipError` ``exists`` when the
        final file is there and the job says fail, ``disk_full`` when nothing can be created."""
        folder = output_folder(job.output_root, job.disc_title)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, f"cannot create {folder}") from exc
        final = folder / final_name(job.output_name, ext)
        ensure_inside(job.output_root, final)
        replaces = final if job.on_exists == "replace" and _same_path(final, job.replaces) else None
        if job.on_exists != "rename" and replaces is None and os.path.lexists(final):
            raise RipError("exists", f"{final} already exists; not overwriting it")
        try:
            if directory:
                partial = Path(tempfile.mkdtemp(prefix=partial_prefix(final.name), suffix=".partial", dir=folder))
            else:
                fd, name = tempfile.mkstemp(prefix=partial_prefix(final.name), suffix=f".partial{ext}", dir=folder)
                os.close(fd)
                partial = Path(name)
        except OSError as exc:
            raise _os_error(exc, f"cannot write in {folder}") from exc
        return cls(final=final, partial=partial, on_exists=job.on_exists, replaces=replaces)

    def check_space(self, needed: int) -> None:
        """`RipError` ``disk_full`` when the folder's file system has fewer than ``needed`` bytes free."""
        if needed <= 0:
            return
        free = shutil.disk_usage(self.partial.parent).free
        if free < needed:
            raise RipError("disk_full", f"{free} bytes free in {self.partial.parent}, the title needs {needed}")

    def publish(self, produced: Path | None = None) -> Path:
        """Give the finished file (``produced``, by default the partial file) its final name, never replacing an
        existing file other than the earlier rip a re-rip replaces (atomically: the old file stays whole until the
        new one, complete and verified, takes its name); returns the final path."""
        source = produced or self.partial
        os.chmod(source, FILE_MODE)  # mkstemp made it private
        final = self.final
        if self.replaces is not None:
            os.replace(source, final)
            return final
        ext = final.suffix
        for n in range(2, _MAX_NUMBER + 2):
            try:
                _link_no_replace(source, final)
                return final
            except FileExistsError:
                if self.on_exists != "rename":
                    raise RipError("exists", f"{final} already exists; not overwriting it") from None
                final = self.final.with_name(numbered(self.final.name, ext, n))
        raise RipError("exists", f"no free name for {self.final}")

    def discard(self) -> None:
        """Remove the partial file or folder (quietly; it may never have been written)."""
        if self.partial.is_dir() and not self.partial.is_symlink():
            shutil.rmtree(self.partial, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                self.partial.unlink()


def _same_path(final: Path, replaces: Path | None) -> bool:
    """True when ``replaces`` names ``final`` (the earlier rip a re-rip may replace)."""
    if replaces is None:
        return False
    return os.path.abspath(final) == os.path.abspath(replaces) or (
        os.path.lexists(final) and os.path.exists(replaces) and os.path.samefile(final, replaces))


def _link_no_replace(source: Path, final: Path) -> None:
    """Atomically make ``final`` name ``source``'s file, failing with FileExistsError if ``final`` exists."""
    try:
        os.link(source, final)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise _os_error(exc, f"cannot name {final}") from exc
        if os.path.lexists(final):  # no hard links here: check, then rename (a small race, on odd file systems)
            raise FileExistsError(final) from exc
        os.rename(source, final)
        return
    source.unlink()


def _os_error(exc: OSError, what: str) -> RipError:
    if is_disk_full(exc):
        return RipError("disk_full", f"{what}: {exc.strerror}")
    return RipError("invalid_job", f"{what}: {exc}")


_WRITER = re.compile(r"\.@(?P<host>[^@/]+)-(?P<pid>\d+)@\.[^/]*\.partial")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def sweep_stale_partials(output_root: Path) -> list[Path]:
    """Remove the partial files and folders that a rip on this host left behind when its process died (a crash, a
    power cut, SIGKILL): a partial never looks finished, but it should not fill the disk either. Partials of
    processes still alive, or written by another host on shared storage, are left alone."""
    host = socket.gethostname()
    removed: list[Path] = []
    try:
        folders = [p for p in output_root.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return removed
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            found = _WRITER.search(entry.name)
            if not entry.name.startswith(".") or found is None or found["host"] != host:
                continue
            if _alive(int(found["pid"])):
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
                removed.append(entry)
    return removed

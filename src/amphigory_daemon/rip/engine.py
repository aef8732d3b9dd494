"""`rip_title`: pick the backend for a job (in one function, `choose_backend`) and run it. The MakeMKV backend is
imported only for the jobs it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from amphigory_daemon.rip.errors import RipError
from amphigory_daemon.rip.models import RipJob, RipOutcome
from amphigory_daemon.rip.native import rip_native
from amphigory_daemon.rip.programs import find_makemkvcon
from amphigory_daemon.rip.session import ProgressCallback

Backend = Literal["native", "makemkv"]
NATIVE_KINDS = frozenset({"dvd", "bluray", "uhd", "cd"})


def looks_encrypted(job: RipJob) -> bool:
    """Whether the disc needs decryption: the job's (scan's) word when it has one, else an AACS folder next to a
    Blu-ray's BDMV. (DVD CSS cannot be seen from the files; scans that know say so.)"""
    if job.encrypted is not None:
        return job.encrypted
    flag = job.title.source.get("encrypted")
    if isinstance(flag, bool):
        return flag
    root: Path = job.source.parent if job.source.name.upper() == "BDMV" else job.source
    return job.disc_type in ("bluray", "uhd") and (root / "AACS").is_dir()


def choose_backend(job: RipJob, makemkvcon: str | None) -> Backend:
    """MakeMKV when the job asks for it, when the title is only known to MakeMKV, or when the disc is encrypted
    and makemkvcon is installed; otherwise native. CD tracks are always native."""
    kind = job.title.source.get("kind") or ("makemkv" if job.title.makemkv_title_index is not None else job.disc_type)
    if job.backend == "makemkv" or (job.backend == "auto" and kind not in NATIVE_KINDS):
        if makemkvcon is None:
            raise RipError("invalid_job", "this title needs MakeMKV and makemkvcon is not installed")
        return "makemkv"
    if job.backend == "auto" and kind != "cd" and makemkvcon is not None and looks_encrypted(job):
        return "makemkv"
    return "native"


async def rip_title(job: RipJob, on_progress: ProgressCallback | None = None) -> RipOutcome:
    """Rip one title to one verified file and say where it went.

    Raises `RipError` (nothing partial left behind). Cancelling the task kills the tool within a second, removes
    the partial output and re-raises `asyncio.CancelledError` (report it as ``cancelled``).
    """
    makemkvcon = job.makemkvcon or find_makemkvcon()
    if choose_backend(job, makemkvcon) == "makemkv":
        assert makemkvcon is not None
        from amphigory_daemon.rip.makemkv import rip_makemkv  # its robot-line parsers only for its jobs

        return await rip_makemkv(job, on_progress, makemkvcon)
    return await rip_native(job, on_progress)

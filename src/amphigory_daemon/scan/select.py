"""Which scanner reads a disc: MakeMKV for discs only it can read, the native readers for everything else.

MakeMKV is used when `makemkvcon` is installed and the disc is encrypted (a Blu-ray with an `AACS` folder) or is
a physical drive (where DVD CSS cannot be seen from the files): its titles then carry MakeMKV's title indexes,
which is what the MakeMKV ripper needs. Everything else is scanned natively, in a thread (it takes
milliseconds). Both give the same `ScanResult`.
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Callable
from pathlib import Path

from amphigory_protocol.disc import ScanResult

ScanProgress = Callable[[float, str], None]  # fraction 0..1, what is being done


def is_drive(path: Path) -> bool:
    try:
        return stat.S_ISBLK(path.stat().st_mode)
    except OSError:
        return False


def has_aacs(path: Path) -> bool:
    """Whether the disc at `path` (folder, image or drive) carries AACS keys, i.e. is an encrypted Blu-ray."""
    from amphigory_daemon.media import MediaError, open_disc

    try:
        with open_disc(path) as media:
            return media.disc_type in ("bluray", "uhd") and media.exists("AACS/Unit_Key_RO.inf")
    except MediaError:
        return False


def wants_makemkv(path: Path, makemkv_installed: bool) -> bool:
    return makemkv_installed and (is_drive(path) or has_aacs(path))


async def scan_disc(path: str, progress: ScanProgress | None = None) -> ScanResult:
    """Scan the disc at `path` with the scanner that can read it (see the module docstring)."""
    from amphigory_daemon.scan.makemkv import makemkv_available, scan_with_makemkv

    if await asyncio.to_thread(wants_makemkv, Path(path), makemkv_available()):
        return await scan_with_makemkv(path, progress=progress)
    from amphigory_daemon.scan.native import scan_path

    return await asyncio.to_thread(scan_path, path)

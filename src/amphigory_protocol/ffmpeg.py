"""Which ffmpeg every part runs (the daemon's rips, the worker's transcodes, the doctor's report): found without
running it.

``imageio_ffmpeg.get_ffmpeg_exe()`` validates the binary it ships by running ``ffmpeg -version`` (20-40 ms, once
per process) after importing its package (another 30-70 ms: platform, importlib.resources, subprocess). A rip
runs the binary a moment later anyway, and a binary that cannot run fails that rip as a tool failure; `amphigory
doctor` runs it to report its version and features. So this looks for the file only, and asks imageio-ffmpeg only
when the file is not where its wheel puts it.
"""

from __future__ import annotations

import functools
import os

ENV = "IMAGEIO_FFMPEG_EXE"


def ffmpeg_exe() -> str:
    """The ffmpeg to run: ``$IMAGEIO_FFMPEG_EXE`` when set (never checked, as imageio-ffmpeg does), else the binary
    imageio-ffmpeg ships (its wheel holds one, in the package's ``binaries`` folder), else whatever
    ``imageio_ffmpeg.get_ffmpeg_exe()`` finds (a conda or system ffmpeg; `RuntimeError` when there is none)."""
    chosen = os.environ.get(ENV)
    if chosen:
        return chosen
    return bundled_ffmpeg() or _imageio_ffmpeg()


@functools.cache
def bundled_ffmpeg() -> str | None:
    """The executable ``ffmpeg*`` file in imageio-ffmpeg's ``binaries`` folder, found without importing the package;
    None when the package is missing, or its folder holds no such file or several (then imageio-ffmpeg chooses)."""
    from importlib.util import find_spec

    try:
        spec = find_spec("imageio_ffmpeg")  # a top-level package: located, not imported
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return binary_in(os.path.join(next(iter(spec.submodule_search_locations)), "binaries"))


def binary_in(folder: str) -> str | None:
    """The one executable regular file whose name starts with ``ffmpeg`` in ``folder``; None for none or several."""
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith("ffmpeg") and e.is_file()]
    except OSError:
        return None
    found = [e.path for e in entries if os.access(e.path, os.X_OK)]
    return found[0] if len(found) == 1 else None


def _imageio_ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())

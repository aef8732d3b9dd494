"""The uv that made the checkout's environment (the packaging tests build and install with it)."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def find_uv() -> str:
    """uv on PATH, or the one `./dev` bootstrapped into .tools/."""
    found = shutil.which("uv") or next((str(p) for p in (REPO / ".tools" / "bin" / "uv",) if p.is_file()), None)
    if found is None:
        raise RuntimeError("uv is needed to build and install the wheel (./dev installs it into .tools/bin)")
    return found

"""Whether the rip's optional programs are installed: ``makemkvcon`` and cd-paranoia on PATH. Cheap (nothing but
`shutil.which`), so choosing a backend for every job does not import the backends themselves."""

from __future__ import annotations

import shutil

PARANOIA_PROGRAMS = ("cd-paranoia", "cdparanoia")


def find_makemkvcon() -> str | None:
    """``makemkvcon`` on PATH, or None."""
    return shutil.which("makemkvcon")


def find_paranoia() -> str | None:
    """cd-paranoia (libcdio) or cdparanoia (Xiph) from PATH; they take the same options."""
    return next((found for name in PARANOIA_PROGRAMS if (found := shutil.which(name)) is not None), None)

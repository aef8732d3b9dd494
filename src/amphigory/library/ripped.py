"""The webapp's one touch of a re-rip's files in ripped/: the earlier rip a re-rip replaced under another name.

Kept apart from `refile` (which needs the task service) so the task service's event handlers can use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from amphigory.library.naming import MEDIA_EXTENSIONS

log = logging.getLogger(__name__)


async def drop_replaced_rip(replaces: object, new_path: str) -> None:
    """A re-rip is done: the earlier rip it replaced is removed when the new one got another name (the disc or the
    title was renamed since), so ripped/ does not keep both. The daemon replaced it in place otherwise."""
    if not isinstance(replaces, str) or not replaces or replaces == new_path:
        return
    old = Path(replaces)
    if old.suffix.lower() not in MEDIA_EXTENSIONS or not old.is_file():
        return
    with contextlib.suppress(OSError):
        await asyncio.to_thread(old.unlink)
        log.info("removed %s: a re-rip replaced it with %s", old, new_path)
        old.parent.rmdir()  # the disc's old folder in ripped/, once empty

"""Cancelling a running tool (a cancelled rip, a pulled disc, the daemon stopping) leaves no asyncio error in the
log: the output pumps' gathered future is retrieved, not left to be reported as "never retrieved"."""

from __future__ import annotations

import asyncio
import gc
import sys
from typing import Any

from amphigory_daemon.rip.runner import run_tool


async def test_cancelling_a_running_tool_reports_no_unretrieved_future() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        job = asyncio.ensure_future(run_tool([sys.executable, "-c", "import time; print('go', flush=True); "
                                                                   "time.sleep(30)"]))
        await asyncio.sleep(0.5)
        job.cancel()
        done, _ = await asyncio.wait({job}, timeout=5)
        assert done and job.cancelled()
        del job, done
        for _ in range(3):
            await asyncio.sleep(0.05)
            gc.collect()
    finally:
        loop.set_exception_handler(previous)
    assert [c.get("message") for c in reported] == []

"""The network between the daemon and the webapp cut mid-rip and restored (a loopback TCP proxy the test stops and
starts again): the rip goes on, and its completion reaches the webapp once, when the link is back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_stack import FaultStack
from tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e


@pytest.fixture
def linked(tmp_path: Path) -> Iterator[tuple[FaultStack, TcpProxy]]:
    stack = FaultStack(tmp_path)
    proxy = TcpProxy(stack.port)
    stack.webapp_url = f"ws://127.0.0.1:{proxy.port}/ws"
    proxy.restore()
    try:
        stack.start()
        yield stack, proxy
    finally:
        proxy.cut()
        stack.stop()


def test_link_cut_and_restored_mid_rip_completes_the_task_once(linked: tuple[FaultStack, TcpProxy]) -> None:
    stack, proxy = linked
    fingerprint = stack.scanned_dvd()
    task_id = stack.rip(fingerprint)
    stack.mid_rip(task_id)

    proxy.cut()
    stack.until(lambda: stack.drive() is None, "the webapp noticing the daemon gone")
    # what the webapp believes while it cannot know better
    stack.until(lambda: stack.task(task_id)["status"] == "failed", "the task failed for now")
    proxy.restore()

    done = stack.until(lambda: (t := stack.task(task_id))["status"] == "complete" and t, "the task complete")
    assert done["result"]["size_bytes"] > 0 and done["result"]["path"].startswith(str(stack.ripped_dir))
    assert stack.partials() == []
    disc = stack.get(f"/api/discs/{fingerprint}")
    assert next(t for t in disc["tracks"] if t["number"] == 3)["status"] == "ripped"
    rips = [t for t in stack.get("/api/tasks?" + f"fingerprint={fingerprint}")["tasks"] if t["type"] == "rip"]
    assert [t["id"] for t in rips] == [task_id]
    assert stack.until(lambda: (d := stack.drive()) and d["state"] == "scanned", "the drive back, not ripping")

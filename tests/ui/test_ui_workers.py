"""The dashboard's list of workers, in a real browser against the real `amphigory serve`: a worker that reports in
shows with its host, what it does and its speed; a host name a worker supplies stays text."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect
from ui_stack import Stack, Watched

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

HOSTILE = "<img src=x onerror=alert(1)>"


def report(stack: Stack, worker: dict[str, object]) -> int:
    request = urllib.request.Request(stack.url + "/api/workers/heartbeat", data=json.dumps(worker).encode(),
                                     method="POST", headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {stack.token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        status: int = response.status
        return status


def test_the_dashboard_lists_workers_live(stack: Stack, desktop: Watched) -> None:
    page = desktop.page
    page.goto(stack.url + "/")
    assert report(stack, {"id": "encoder-box:7", "host": "encoder-box", "pid": 7}) == 204
    workers = page.locator("#workers")
    expect(workers.locator("li[data-worker-id='encoder-box:7']")).to_contain_text("encoder-box")
    expect(workers).to_contain_text("Idle")
    expect(workers).to_contain_text("pid 7")
    assert report(stack, {"id": "hostile:8", "host": HOSTILE, "pid": 8}) == 204
    expect(workers.locator("li[data-worker-id='hostile:8'] strong")).to_have_text(HOSTILE)
    assert page.locator("#workers img").count() == 0

"""Fixtures of the browser tests: the real webapp and daemon (one stack per test module) and Chromium pages that
record every dialog and script error, so a test can assert that nothing a disc supplied ever ran.

Module scope, not session: Playwright's sync API keeps an event loop running while it is open, which would stop
the asyncio tests of later modules from starting theirs."""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from ui_stack import Stack, Watched, chromium, running_stack

# Every feed message in short on the page's console (shown when a test fails): what the page was told, in order.
LOG_FEED = """
(() => {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("open", () => console.log("feed open"));
      this.addEventListener("close", (e) => console.log(`feed closed ${e.code}`));
      this.addEventListener("message", (e) => {
        let m; try { m = JSON.parse(e.data); } catch (err) { return; }
        const d = m.drive ? ` ${m.drive.drive_id} ${m.drive.state}` : "";
        const c = m.type === "handsfree" ? ` seq=${m.seq} countdowns=${(m.countdowns || []).map((x) => x.drive_id)}`
          : "";
        console.log(`feed ${m.type}${d}${c}${m.event ? ` ${m.event.event} ${m.event.drive_id}` : ""}`);
      });
    }
  };
  const nativeFetch = window.fetch;
  window.fetch = async (url, init) => {
    const response = await nativeFetch(url, init);
    if (String(url).startsWith("/api/handsfree")) {
      response.clone().json().then((m) => console.log(
        `fetch ${url} ${response.status} seq=${m.seq} countdowns=${(m.countdowns || []).map((x) => x.drive_id)}`),
      () => {});
    }
    return response;
  };
})();
"""

# Assertions wait up to 15 s (not Playwright's 5 s) so a busy 2-core CI machine is not mistaken for a broken page.
expect.set_options(timeout=15_000)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """A failed browser test shows what the processes logged and what the page said: a failure on a busy CI
    machine is then explained by its own report."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for name, value in getattr(item, "funcargs", {}).items():
        if isinstance(value, Stack):
            for process in ("webapp", "daemon"):
                report.sections.append((f"{name} {process} log (last 4000 characters)", value.log(process)))
        elif isinstance(value, Watched) and value.console:
            report.sections.append((f"{name} page console", "\n".join(value.console[-200:])))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("ui-stack")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def watch(browser: Any, **context: Any) -> Iterator[Watched]:
    ctx = browser.new_context(**context)
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    watched = Watched(page)

    def on_dialog(dialog: Any) -> None:
        watched.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    page.add_init_script(LOG_FEED)
    page.on("console", lambda msg: watched.console.append(f"{time.strftime('%H:%M:%S')} {msg.type}: {msg.text}"))
    try:
        yield watched
    finally:
        ctx.close()


@pytest.fixture
def desktop(browser: Any) -> Iterator[Watched]:
    yield from watch(browser, viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone(browser: Any) -> Iterator[Watched]:
    yield from watch(browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                     has_touch=True)

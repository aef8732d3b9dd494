"""A drive holding something that is not a readable disc says so: a `.cue` whose `.bin` is missing, or an image
that is not a disc, shows `disc_error` on its drive in `/api/drives` (and so on its dashboard card), and the
daemon logs it once (real daemon with an image drive, real webapp, loopback sockets)."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from amphigory.config import WebappSettings
from amphigory.main import create_app
from amphigory.websocket import ConnectionManager
from amphigory_daemon.backends.image import ImageDriveBackend
from amphigory_daemon.main import Daemon
from amphigory_daemon.websocket import WebAppClient
from helpers_uvicorn import LiveServer
from helpers_wire import PATIENCE

TOKEN = "secret"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[tuple[LiveServer, Path]]:
    drive = tmp_path / "tray"
    drive.mkdir()
    manager = ConnectionManager(request_timeout=PATIENCE)
    app = create_app(WebappSettings(data_dir=tmp_path / "data", token=TOKEN), manager)
    backend = ImageDriveBackend([drive], watch=False, poll_interval=0.05, settle_seconds=0.05)
    daemon = Daemon("faulty", [backend], output_dir=tmp_path / "ripped")
    async with LiveServer(app) as server:
        client = WebAppClient(server.ws_url(), TOKEN, daemon_id="faulty", hello=daemon.hello,
                              backoff_initial=0.05, backoff_max=0.5)
        daemon.attach(client)
        await daemon.start()
        runner = asyncio.create_task(client.run())
        try:
            yield server, drive
        finally:
            await client.stop()
            await asyncio.wait_for(runner, PATIENCE)
            await daemon.stop()


async def the_drive(server: LiveServer, want: str) -> dict[str, Any]:
    """The tray drive once its `want` field is set (polling the API, patiently)."""
    deadline = time.monotonic() + PATIENCE
    async with httpx.AsyncClient(base_url=server.url) as http:
        while True:
            drives = (await http.get("/api/drives")).json()["drives"]
            if drives and drives[0].get(want):
                return dict(drives[0])
            assert time.monotonic() < deadline, f"no drive with {want}: {drives}"
            await asyncio.sleep(0.05)


async def test_cue_without_its_bin_shows_disc_error_logged_once(
        stack: tuple[LiveServer, Path], samples: Path, caplog: pytest.LogCaptureFixture) -> None:
    server, tray = stack
    with caplog.at_level(logging.WARNING):
        shutil.copy(samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue", tray)
        drive = await the_drive(server, "disc_error")
    assert drive["state"] == "disc_inserted" and drive["fingerprint"] is None
    assert "AMPHIGORY_SAMPLE_CD.bin" in drive["disc_error"] and "put it back" in drive["disc_error"]
    logged = [r for r in caplog.records if "cannot identify" in r.getMessage()]
    assert len(logged) == 1
    # the missing .bin arrives: the disc is read again, and the error goes
    shutil.copy(samples / "cd" / "AMPHIGORY_SAMPLE_CD.bin", tray)
    drive = await the_drive(server, "fingerprint")
    assert drive["disc_error"] is None


async def test_image_that_is_not_a_disc_shows_disc_error(stack: tuple[LiveServer, Path]) -> None:
    server, tray = stack
    (tray / "holiday.iso").write_bytes(b"not a disc image" * 4096)
    drive = await the_drive(server, "disc_error")
    assert "holiday.iso" in drive["disc_error"]

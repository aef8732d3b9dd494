"""A daemon speaks only of its own drives: an event, a hello or a re-sync answer naming another daemon's drive is
refused with an error reply and never reaches the drive mirror (real loopback sockets, hand-driven daemons)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import ClientConnection

from amphigory.websocket import ConnectionManager
from helpers_uvicorn import LiveServer, wire_app
from helpers_wire import TOKEN, answer_get_drives, connect_daemon, drive, eventually, recv_until


@pytest.fixture
async def manager() -> ConnectionManager:
    return ConnectionManager(request_timeout=10.0, hello_timeout=10.0)


@pytest.fixture
async def server(manager: ConnectionManager) -> AsyncIterator[LiveServer]:
    async with LiveServer(wire_app(TOKEN, manager)) as live:
        yield live


def spoof(daemon_id: str, seq: int, name: str, drive_id: str, **fields: object) -> str:
    return json.dumps({"type": "event", "event": name, "daemon_id": daemon_id, "drive_id": drive_id, "seq": seq,
                       "data": {"drive": {"drive_id": drive_id, "state": "empty", "fingerprint": None, **fields}}})


async def two_daemons(server: LiveServer, manager: ConnectionManager) -> tuple[ClientConnection, ClientConnection]:
    real = await connect_daemon(server, "real", drives=[drive("real:sr0", "disc_inserted", fingerprint="dvd-a")])
    await answer_get_drives(real, [drive("real:sr0", "disc_inserted", fingerprint="dvd-a")])
    rogue = await connect_daemon(server, "rogue", drives=[drive("rogue:sr0")])
    await answer_get_drives(rogue, [drive("rogue:sr0")])
    await eventually(lambda: manager.is_connected("real") and manager.is_connected("rogue"))
    return real, rogue


async def test_event_about_another_daemons_drive_is_refused_and_not_applied(
        manager: ConnectionManager, server: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    real, rogue = await two_daemons(server, manager)
    async with real, rogue:
        with caplog.at_level(logging.WARNING):
            await rogue.send(spoof("rogue", 1, "disc_ejected", "real:sr0"))
            refusal = await recv_until(rogue, "response")
        assert refusal["error"]["code"] == "invalid_message"
        assert "another daemon" in refusal["error"]["message"]
        assert any("refused disc_ejected" in r.getMessage() for r in caplog.records)
        # a later, legitimate event of the rogue is applied (it is acked), and the real drive is untouched
        await rogue.send(spoof("rogue", 2, "drive_state_changed", "rogue:sr0", fingerprint="x"))
        assert (await recv_until(rogue, "ack"))["seq"] == 2
        drives = manager.drives()
        assert [d["drive_id"] for d in drives].count("real:sr0") == 1
        assert manager.drive("real:sr0")["fingerprint"] == "dvd-a"  # type: ignore[index]
        assert manager.daemon_of("real:sr0") == "real"


async def test_event_whose_drive_differs_from_its_drive_id_is_refused(
        manager: ConnectionManager, server: LiveServer) -> None:
    real, rogue = await two_daemons(server, manager)
    async with real, rogue:
        text = json.loads(spoof("rogue", 1, "disc_ejected", "rogue:sr0"))
        text["data"]["drive"]["drive_id"] = "real:sr0"
        await rogue.send(json.dumps(text))
        assert (await recv_until(rogue, "response"))["error"]["code"] == "invalid_message"
        assert manager.drive("real:sr0")["state"] == "disc_inserted"  # type: ignore[index]


async def test_resync_answer_listing_another_daemons_drive_is_refused(
        manager: ConnectionManager, server: LiveServer) -> None:
    real = await connect_daemon(server, "real", drives=[drive("real:sr0", "disc_inserted")])
    async with real:
        await answer_get_drives(real, [drive("real:sr0", "disc_inserted")])
        await eventually(lambda: manager.is_connected("real"))
        rogue = await connect_daemon(server, "rogue", drives=[drive("real:sr0")])
        async with rogue:
            assert "another daemon" in (await recv_until(rogue, "response"))["error"]["message"]  # its hello
            await answer_get_drives(rogue, [drive("real:sr0"), drive("rogue:sr0")])
            assert "real:sr0" in (await recv_until(rogue, "response"))["error"]["message"]  # its re-sync
            await eventually(lambda: manager.drive("rogue:sr0") is not None)
            assert manager.daemon_of("real:sr0") == "real"
            assert manager.drive("real:sr0")["state"] == "disc_inserted"  # type: ignore[index]

"""Rip first, review later, in process: a rip of a disc nobody named is held in ripped/ (nothing in the library, a
note on the track, the disc on the needs-review list, a manual filing refused), and naming the disc through
`PATCH /api/discs/{fingerprint}` files it; a PATCH without a title names nothing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from test_library_filing import running

from amphigory.api.disc_repository import DiscUpdate
from amphigory.handsfree import HELD_NOTE
from amphigory_daemon.rip import RipOutcome
from amphigory_protocol.disc import ScanResult


async def test_an_unnamed_discs_rip_is_held_until_a_person_names_it(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data") as app:
        await app.app.state.discs.save_scan(scan)
        ripped = app.place_rip(rip, "title 03.mkv")
        rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
        assert (await app.task(rip_task))["result"]["filing"] == {"skipped": "held", "note": HELD_NOTE}
        assert (await app.track(scan.fingerprint, 3))["library_note"] == HELD_NOTE
        assert app.library_files() == []
        waiting = (await app.http.get("/api/handsfree")).json()["needs_review"]
        assert [(d["fingerprint"], d["held"]) for d in waiting] == [(scan.fingerprint, 1)]
        refused = await app.http.post(f"/api/discs/{scan.fingerprint}/tracks/3/file")
        assert refused.status_code == 409 and refused.json()["code"] == "held"

        chosen = await app.http.patch(f"/api/discs/{scan.fingerprint}", json={"tracks": [{"number": 3,
                                                                                          "type": "featurette"}]})
        assert chosen.status_code == 200 and chosen.json()["named_by"] is None
        assert app.library_files() == []

        named = await app.http.patch(f"/api/discs/{scan.fingerprint}", json={"title": "Named", "year": 2020})
        assert named.status_code == 200 and named.json()["named_by"] == "person"
        deadline = time.monotonic() + 30
        while not (files := [t for t in (await app.http.get("/api/tasks", params={"fingerprint": scan.fingerprint}))
                             .json()["tasks"] if t["type"] == "file"]):
            assert time.monotonic() < deadline, "the held rip was not filed"
            await asyncio.sleep(0.02)
        assert (await app.finished(files[0]["id"]))["status"] == "complete"
        assert app.library_files() == ["Movies/Named (2020)/Featurettes/Featurette 03.mkv"]
        assert (await app.http.get("/api/handsfree")).json()["needs_review"] == []


class Identification:
    """Stands in for the webapp's identification service: what DiscEvents.follow needs of it."""

    def __init__(self) -> None:
        self.listeners: list[Any] = []

    def add_listener(self, listener: Any) -> None:
        self.listeners.append(listener)


async def test_a_disc_identification_names_later_files_its_held_rips(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data") as app:
        identification = Identification()
        app.app.state.disc_events.follow(identification)
        assert app.app.state.disc_events.ready_after_identification
        await app.app.state.discs.save_scan(scan)
        await app.app.state.discs.update(scan.fingerprint, DiscUpdate(title="Known Film", year=1990))
        await app.app.state.discs.record_named_by(scan.fingerprint, None)  # a title nobody confirmed yet
        rip_task = await app.rip_completed(scan.fingerprint, 3, app.place_rip(rip, "t3.mkv"), rip.size_bytes)
        assert (await app.task(rip_task))["result"]["filing"]["skipped"] == "held"
        # identification is certain: it names the disc and tells its listeners
        await app.app.state.discs.record_named_by(scan.fingerprint, "identification")
        for listener in identification.listeners:
            await listener(scan.fingerprint, None)
        [file_task] = [t for t in (await app.http.get("/api/tasks", params={"fingerprint": scan.fingerprint}))
                       .json()["tasks"] if t["type"] == "file"]
        assert (await app.finished(file_task["id"]))["status"] == "complete"
        assert app.library_files() == ["Movies/Known Film (1990)/Other/Extra 03.mkv"]

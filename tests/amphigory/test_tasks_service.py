"""TaskService: tasks persisted, pinned to the disc they came from, and never left running forever."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import websockets
from test_api_drives import DRIVE, Stack, eventually, scan_result

from amphigory_protocol.disc import ScanResult


async def _stored(stack: Stack, fingerprint: str) -> bool:
    return (await stack.http.get(f"/api/discs/{fingerprint}")).status_code == 200


async def _drive_fingerprint(stack: Stack) -> str | None:
    fingerprint: str | None = (await stack.http.get(f"/api/drives/{DRIVE}")).json()["fingerprint"]
    return fingerprint


async def test_scan_completed_is_stored_under_the_events_fingerprint_not_the_drives(tmp_path: Path) -> None:
    async with Stack(tmp_path) as stack:
        daemon = await stack.daemon()
        await daemon.insert(DRIVE, "dvd-a", "DISC_A")
        task_id = (await stack.http.post(f"/api/drives/{DRIVE}/scan")).json()["task_id"]
        # Disc A comes out and disc B goes in before the scan's result arrives.
        daemon.drives[DRIVE].eject_disc()
        await daemon.emit("disc_ejected", DRIVE)
        await daemon.insert(DRIVE, "dvd-b", "DISC_B")
        await daemon.emit("scan_completed", DRIVE, task_id=task_id, fingerprint="dvd-a",
                          result=scan_result("dvd-a", "DISC_A"))
        await stack.until_task(task_id, "complete")
        disc = (await stack.http.get("/api/discs/dvd-a")).json()
        assert disc["volume_name"] == "DISC_A" and len(disc["tracks"]) == 3
        assert (await stack.http.get("/api/discs/dvd-b")).status_code == 404
        drive = (await stack.http.get(f"/api/drives/{DRIVE}")).json()
        assert drive["fingerprint"] == "dvd-b" and drive["known_disc"] is None


async def test_a_task_whose_daemon_vanished_fails_with_a_clear_error(tmp_path: Path) -> None:
    async with Stack(tmp_path) as stack:
        daemon = await stack.daemon()
        await daemon.insert(DRIVE, "dvd-a")
        task_id = (await stack.http.post(f"/api/drives/{DRIVE}/scan")).json()["task_id"]
        assert (await stack.task(task_id))["status"] == "running"
        await daemon.stop()
        task = await stack.until_task(task_id, "failed")
        assert task["error"] == "daemon alice@host disconnected"
        assert task["error_code"] == "daemon_disconnected" and task["finished_at"] is not None
        assert (await stack.http.get("/api/drives")).json() == {"drives": []}


async def test_restart_keeps_tasks_discs_and_tracks_and_fails_what_was_running(tmp_path: Path) -> None:
    async with Stack(tmp_path) as first:
        daemon = await first.daemon()
        await first.app.state.discs.save_scan(ScanResult.model_validate(scan_result("dvd-a")))
        await daemon.insert(DRIVE, "dvd-a")
        await eventually(lambda: _is(first, "dvd-a"))
        done, running = (await first.http.post(f"/api/drives/{DRIVE}/rip", json={"tracks": [1, 2]})).json()["task_ids"]
        await daemon.emit("rip_completed", DRIVE, task_id=done, fingerprint="dvd-a", track_number=1, path="/r/1.mkv",
                          size_bytes=1, duration_seconds=1.0, sha256="0" * 64)
        await daemon.emit("rip_started", DRIVE, task_id=running, fingerprint="dvd-a", track_number=2, path="/r/2")
        await first.until_task(done, "complete")
        await first.until_task(running, "running")
        # The webapp dies without noticing anything (no disconnect is observed).
        await first.app.state.tasks.stop()
        await daemon.stop()

    async with Stack(tmp_path) as second:
        tasks = {t["id"]: t for t in (await second.http.get("/api/tasks")).json()["tasks"]}
        assert tasks[done]["status"] == "complete" and tasks[done]["result"]["path"] == "/r/1.mkv"
        assert tasks[running]["status"] == "failed"
        assert tasks[running]["error"] == "webapp restarted during the task"
        disc = (await second.http.get("/api/discs/dvd-a")).json()
        tracks = {t["number"]: t for t in disc["tracks"]}
        assert (tracks[1]["status"], tracks[1]["ripped_path"]) == ("ripped", "/r/1.mkv")
        assert tracks[2]["status"] == "failed" and len(tracks) == 3
        assert (await second.http.get("/api/discs")).json()["discs"][0]["fingerprint"] == "dvd-a"


async def _is(stack: Stack, fingerprint: str | None) -> bool:
    return await _drive_fingerprint(stack) == fingerprint


async def test_events_replayed_after_a_reconnect_override_an_assumed_failure(tmp_path: Path) -> None:
    async with Stack(tmp_path) as stack:
        daemon = await stack.daemon()
        await stack.app.state.discs.save_scan(ScanResult.model_validate(scan_result("dvd-a")))
        await daemon.insert(DRIVE, "dvd-a")
        await eventually(lambda: _is(stack, "dvd-a"))
        task_id = (await stack.http.post(f"/api/drives/{DRIVE}/rip", json={"tracks": [1]})).json()["task_ids"][0]
        await stack.server.stop()  # the webapp goes away; the daemon keeps ripping and queues its events
        await daemon.emit("rip_completed", DRIVE, task_id=task_id, fingerprint="dvd-a", track_number=1,
                          path="/r/1.mkv", size_bytes=5, duration_seconds=1.0, sha256="1" * 64)
        await stack.server.start()
        task = await stack.until_task(task_id, "complete")
        assert task["error"] is None and task["result"]["size_bytes"] == 5


async def test_cancel_tells_the_daemon_and_a_late_failure_does_not_change_it(tmp_path: Path) -> None:
    async with Stack(tmp_path) as stack:
        daemon = await stack.daemon()
        await daemon.insert(DRIVE, "dvd-a")
        task_id = (await stack.http.post(f"/api/drives/{DRIVE}/scan")).json()["task_id"]
        response = await stack.http.post(f"/api/tasks/{task_id}/cancel")
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
        assert daemon.calls[-1] == ("cancel", {"task_id": task_id})
        await daemon.emit("scan_failed", DRIVE, task_id=task_id, fingerprint="dvd-a",
                          error={"code": "tool_failed", "message": "late"})
        await asyncio.sleep(0.1)
        assert (await stack.task(task_id))["status"] == "cancelled"
        again = await stack.http.post(f"/api/tasks/{task_id}/cancel")
        assert again.status_code == 409 and "cancelled" in again.json()["detail"]


async def test_events_of_another_daemon_do_not_touch_a_task(tmp_path: Path) -> None:
    async with Stack(tmp_path) as stack:
        alice = await stack.daemon()
        mallory = await stack.daemon("mallory@host")
        await alice.insert(DRIVE, "dvd-a")
        task_id = (await stack.http.post(f"/api/drives/{DRIVE}/scan")).json()["task_id"]
        await mallory.emit("scan_failed", "mallory@host:sr0", task_id=task_id, fingerprint="x",
                           error={"code": "tool_failed", "message": "not yours"})
        await asyncio.sleep(0.1)
        assert (await stack.task(task_id))["status"] == "running"


async def test_a_daemon_refusal_fails_the_task_and_says_why(tmp_path: Path) -> None:
    async with Stack(tmp_path) as stack:
        daemon = await stack.daemon()

        async def refuse(params: dict[str, Any]) -> Any:
            raise RuntimeError("the drive is busy ripping")

        daemon.replies["scan"] = refuse
        response = await stack.http.post(f"/api/drives/{DRIVE}/scan")
        assert response.status_code == 409
        body = response.json()
        assert "busy ripping" in body["detail"] and body["code"] == "handler_error"
        task = await stack.task(body["task_ids"][0])
        assert task["status"] == "failed" and "busy ripping" in task["error"]


async def test_a_daemon_that_does_not_answer_times_out(tmp_path: Path) -> None:
    async with Stack(tmp_path, request_timeout=0.2) as stack:
        daemon = await stack.daemon()

        async def hang(params: dict[str, Any]) -> Any:
            await asyncio.sleep(5)

        daemon.replies["eject"] = hang
        response = await stack.http.post(f"/api/drives/{DRIVE}/eject")
        assert response.status_code == 504
        assert response.json()["detail"] == "daemon alice@host did not answer eject within 0.2 s"


async def test_retry_runs_a_failed_rip_again_as_a_new_task(tmp_path: Path) -> None:
    async with Stack(tmp_path) as stack:
        daemon = await stack.daemon()
        await stack.app.state.discs.save_scan(ScanResult.model_validate(scan_result("dvd-a")))
        await daemon.insert(DRIVE, "dvd-a")
        await eventually(lambda: _is(stack, "dvd-a"))
        old = (await stack.http.post(f"/api/drives/{DRIVE}/rip", json={"tracks": [2]})).json()["task_ids"][0]
        not_yet = await stack.http.post(f"/api/tasks/{old}/retry")
        assert not_yet.status_code == 409
        await daemon.emit("rip_failed", DRIVE, task_id=old, fingerprint="dvd-a", track_number=2,
                          error={"code": "tool_failed", "message": "read error"})
        await stack.until_task(old, "failed")
        response = await stack.http.post(f"/api/tasks/{old}/retry")
        assert response.status_code == 202, response.text
        new = response.json()["tasks"][0]
        assert new["retry_of"] == old and new["track_number"] == 2 and new["id"] != old
        assert [p["task_id"] for m, p in daemon.calls if m == "rip"] == [old, new["id"]]
        assert (await stack.http.post("/api/tasks/nope/retry")).status_code == 404


async def test_task_changes_are_pushed_to_browsers(tmp_path: Path) -> None:
    async with Stack(tmp_path) as stack:
        daemon = await stack.daemon()
        await daemon.insert(DRIVE, "dvd-a")
        async with websockets.connect(stack.server.ws_url("/ws/browser"), proxy=None) as browser:
            await browser.recv()  # the snapshot
            task_id = (await stack.http.post(f"/api/drives/{DRIVE}/scan")).json()["task_id"]
            seen: list[str] = []
            async with asyncio.timeout(5):
                while "running" not in seen:
                    message = json.loads(await browser.recv())
                    if message["type"] == "task" and message["task"]["id"] == task_id:
                        seen.append(message["task"]["status"])
            assert seen == ["queued", "running"]


async def test_tasks_table_is_a_plain_sqlite_file(tmp_path: Path) -> None:
    async with Stack(tmp_path) as stack:
        daemon = await stack.daemon()
        await daemon.insert(DRIVE, "dvd-a")
        task_id = (await stack.http.post(f"/api/drives/{DRIVE}/scan")).json()["task_id"]
    row = sqlite3.connect(tmp_path / "amphigory.db").execute(
        "SELECT type, drive_id, fingerprint, status FROM tasks WHERE id = ?", (task_id,)).fetchone()
    assert row == ("scan", DRIVE, "dvd-a", "failed")  # failed: its daemon went away when the webapp stopped

"""/api/tasks: listing with filters, one task, and refusals for tasks that do not exist."""

from __future__ import annotations

from pathlib import Path

from test_api_drives import DRIVE, Stack


async def test_list_filters_and_unknown_tasks(tmp_path: Path) -> None:
    async with Stack(tmp_path) as stack:
        daemon = await stack.daemon("alice@host", ("sr0", "sr1"))
        await daemon.insert(DRIVE, "dvd-a")
        await daemon.insert("alice@host:sr1", "dvd-b")
        first = (await stack.http.post(f"/api/drives/{DRIVE}/scan")).json()["task_id"]
        second = (await stack.http.post("/api/drives/alice@host:sr1/scan")).json()["task_id"]
        await stack.http.post(f"/api/tasks/{first}/cancel")

        listed = (await stack.http.get("/api/tasks")).json()["tasks"]
        assert [t["id"] for t in listed] == [second, first]  # newest first
        assert listed[0]["type"] == "scan" and listed[0]["drive_id"] == "alice@host:sr1"
        by_status = (await stack.http.get("/api/tasks", params={"status": "cancelled"})).json()["tasks"]
        assert [t["id"] for t in by_status] == [first]
        by_disc = (await stack.http.get("/api/tasks", params={"fingerprint": "dvd-b"})).json()["tasks"]
        assert [t["id"] for t in by_disc] == [second]
        by_drive = (await stack.http.get("/api/tasks", params={"drive_id": DRIVE})).json()["tasks"]
        assert [t["id"] for t in by_drive] == [first]
        assert (await stack.http.get("/api/tasks", params={"status": "bogus"})).status_code == 422

        assert (await stack.http.get("/api/tasks/nope")).status_code == 404
        cancel = await stack.http.post("/api/tasks/nope/cancel")
        assert cancel.status_code == 404 and cancel.json()["code"] == "unknown_task"

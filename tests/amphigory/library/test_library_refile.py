"""Managing rips through the API on the real app and a real SQLite file: renaming re-files into one folder, rips
safely in the library leave ripped/ (unless kept), a disc's rips and library files deleted, the planned file name
shown before ripping, and a CD's album artist."""

from __future__ import annotations

import os
from pathlib import Path

from test_library_filing import DAEMON, DRIVE, MOVIE_DIR, running

from amphigory.api.disc_repository import DiscUpdate
from amphigory.tasks import insert_task
from amphigory_daemon.rip import RipOutcome
from amphigory_protocol.disc import ScanResult
from amphigory_protocol.messages import Event, EventName


async def test_renaming_a_filed_disc_moves_every_file_into_one_new_folder(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data", keep_ripped=False) as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "main_feature"},
                       t2={"type": "featurette", "name": "Making Of"})
        for number, name in ((3, "main.mkv"), (2, "making.mkv")):
            ripped = app.place_rip(rip, name)
            rip_task = await app.rip_completed(scan.fingerprint, number, ripped, rip.size_bytes)
            task = await app.finished((await app.task(rip_task))["result"]["filing"]["task_id"])
            assert task["status"] == "complete" and task["result"]["ripped"] == "removed"
            assert not ripped.exists()  # safely in the library: not kept twice
        assert not (app.data / "ripped" / "disc").exists()  # the disc's rip folder went with its last rip
        assert app.library_files() == [f"{MOVIE_DIR}/Big Buck Bunny (2008).mkv",
                                       f"{MOVIE_DIR}/Featurettes/Making Of.mkv"]
        stranger = app.library / "Movies" / "Bunny (2009)" / "Bunny (2009).mkv"
        stranger.parent.mkdir(parents=True)
        stranger.write_bytes(b"another film's file")

        response = await app.http.patch(f"/api/discs/{scan.fingerprint}", json={
            "title": "Bunny", "year": 2009, "tracks": [{"number": 2, "name": "Behind It"}]})

        assert response.status_code == 200
        assert app.library_files() == ["Movies/Bunny (2009)/Bunny (2009) (2).mkv",  # never over another file
                                       "Movies/Bunny (2009)/Bunny (2009).mkv",
                                       "Movies/Bunny (2009)/Featurettes/Behind It.mkv"]
        assert stranger.read_bytes() == b"another film's file"
        assert not (app.library / MOVIE_DIR).exists()  # the old folder, left empty, is gone
        assert (app.library / "Movies").is_dir()
        tracks = {t["number"]: t for t in response.json()["tracks"]}
        assert tracks[3]["library_path"] == str(app.library / "Movies/Bunny (2009)/Bunny (2009) (2).mkv")
        assert tracks[2]["planned_library_path"] == "Movies/Bunny (2009)/Featurettes/Behind It.mkv"
        again = await app.http.patch(f"/api/discs/{scan.fingerprint}", json={"year": 2009})
        assert again.json()["tracks"] == response.json()["tracks"]  # nothing moves: " (2)" is its name

        # Filing again once the rip is gone works from the library copy.
        again = await app.http.post(f"/api/discs/{scan.fingerprint}/tracks/2/file")
        assert again.status_code == 202
        assert (await app.finished(again.json()["task_id"]))["status"] == "complete"
        assert "Movies/Bunny (2009)/Featurettes/Behind It.mkv" in app.library_files()


async def test_rips_are_kept_when_the_person_keeps_them(tmp_path: Path,
                                                        dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data", keep_ripped=True) as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "main_feature"})
        ripped = app.place_rip(rip, "main.mkv")
        rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
        task = await app.finished((await app.task(rip_task))["result"]["filing"]["task_id"])
        assert task["status"] == "complete" and "ripped" not in task["result"]
        assert os.path.samefile(ripped, app.library / MOVIE_DIR / "Big Buck Bunny (2008).mkv")


async def test_a_transcoded_rip_leaves_ripped_once_filed(tmp_path: Path,
                                                         dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data", "ffmpeg", keep_ripped=False) as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "main_feature"})
        ripped = app.place_rip(rip, "main.mkv")
        rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
        task = await app.finished((await app.task(rip_task))["result"]["filing"]["task_id"])
        assert task["status"] == "complete" and task["result"]["ripped"] == "removed"
        assert not ripped.exists()
        assert (app.library / MOVIE_DIR / "Big Buck Bunny (2008).mkv").stat().st_size > 0


async def test_deleting_a_disc_removes_its_rips_library_files_and_empty_folders(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data", keep_ripped=True) as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "trailer", "name": "Teaser"})
        ripped = app.place_rip(rip, "teaser.mkv")
        rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
        await app.finished((await app.task(rip_task))["result"]["filing"]["task_id"])
        poster = app.library / MOVIE_DIR / "poster.jpg"  # not the disc's: stays, and so does its folder
        poster.write_bytes(b"jpeg")

        response = await app.http.delete(f"/api/discs/{scan.fingerprint}")

        assert response.status_code == 200
        body = response.json()
        assert sorted(body["removed"]) == sorted([str(ripped), str(app.library / MOVIE_DIR / "Trailers/Teaser.mkv")])
        assert body["kept"] == []
        assert not ripped.exists() and not (app.library / MOVIE_DIR / "Trailers").exists()
        assert app.library_files() == [f"{MOVIE_DIR}/poster.jpg"]
        assert (await app.http.get(f"/api/discs/{scan.fingerprint}")).status_code == 404
        assert (await app.http.delete(f"/api/discs/{scan.fingerprint}")).status_code == 404


async def test_a_disc_with_a_running_task_is_not_deleted(tmp_path: Path,
                                                         dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, _ = dvd_rip
    async with running(tmp_path / "data") as app:
        await app.save(scan, "Big Buck Bunny", 2008)
        task = await app.tasks.create_local("file", "", scan.fingerprint, 3, {})
        response = await app.http.delete(f"/api/discs/{scan.fingerprint}")
        assert response.status_code == 409 and "cancel it first" in response.json()["detail"]
        assert (await app.http.get(f"/api/discs/{scan.fingerprint}")).status_code == 200
        assert (await app.http.delete(f"/api/tasks/{task.id}")).status_code == 409  # not finished


async def test_failed_tasks_are_dismissed_one_by_one_or_cleared(tmp_path: Path,
                                                                dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, _ = dvd_rip
    async with running(tmp_path / "data") as app:
        await app.save(scan, "Big Buck Bunny", 2008)
        ids = []
        for status in ("failed", "failed", "cancelled", "complete"):
            task = await app.tasks.create_local("file", "", scan.fingerprint, 3, {})
            await app.tasks.local_finish(task.id, status, error="boom" if status == "failed" else None)
            ids.append(task.id)
        retry = await app.tasks.create_local("file", "", scan.fingerprint, 3, {}, retry_of=ids[1])

        one = await app.http.delete(f"/api/tasks/{ids[0]}")
        assert one.status_code == 200 and one.json() == {"task_ids": [ids[0]]}
        assert (await app.http.get(f"/api/tasks/{ids[0]}")).status_code == 404
        cleared = await app.http.delete("/api/tasks", params={"status": "failed"})
        assert cleared.json() == {"task_ids": [ids[1]]}
        left = {t["id"]: t for t in (await app.http.get("/api/tasks")).json()["tasks"]}
        assert set(left) == {ids[2], ids[3], retry.id}
        assert left[ids[2]]["status"] == "cancelled" and left[retry.id]["retry_of"] is None
        removed = [m for _, m in app.manager.pushed if m.get("type") == "tasks_removed"]
        assert removed == [{"type": "tasks_removed", "task_ids": [ids[0]]},
                           {"type": "tasks_removed", "task_ids": [ids[1]]}]
        assert (await app.http.delete("/api/tasks/nope")).status_code == 404
        spec = (await app.http.get("/openapi.json")).json()["paths"]
        assert "delete" in spec["/api/tasks/{task_id}"] and "delete" in spec["/api/tasks"]
        assert "delete" in spec["/api/discs/{fingerprint}"]
        assert (await app.http.delete("/api/tasks", params={"status": "running"})).status_code == 422


async def test_a_cd_album_names_its_files_with_the_persons_artist(tmp_path: Path,
                                                                  cd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, _ = cd_rip
    async with running(tmp_path / "data") as app:
        await app.save(scan, "Amphigory Sample CD", 2024)
        before = (await app.http.get(f"/api/discs/{scan.fingerprint}")).json()
        track = next(t for t in before["tracks"] if t["number"] == 2)
        assert track["planned_library_path"] == \
            "Music/Amphigory Test Ensemble/Amphigory Sample CD (2024)/02 Tone C sharp (554 Hz).flac"

        response = await app.http.patch(f"/api/discs/{scan.fingerprint}", json={
            "artist": "The Tones", "title": "Pure", "year": 2025, "tracks": [{"number": 2, "name": "Middle"}]})

        assert response.status_code == 200 and response.json()["artist"] == "The Tones"
        track = next(t for t in response.json()["tracks"] if t["number"] == 2)
        assert track["planned_library_path"] == "Music/The Tones/Pure (2025)/02 Middle.flac"
        cleared = await app.http.patch(f"/api/discs/{scan.fingerprint}", json={"artist": None})
        assert cleared.json()["artist"] is None


async def test_the_plan_shows_file_names_of_unsaved_changes_and_saves_nothing(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, _ = dvd_rip
    async with running(tmp_path / "data") as app:
        await app.save(scan, "Big Buck Bunny", 2008)
        response = await app.http.post(f"/api/discs/{scan.fingerprint}/plan", json={
            "title": "Other", "year": 2010, "tracks": [{"number": 2, "name": "Teaser", "type": "trailer"},
                                                       {"number": 1, "type": "main_feature"}]})
        assert response.status_code == 200
        plan = {t["number"]: t["planned_library_path"] for t in response.json()["tracks"]}
        assert plan[1] == "Movies/Other (2010)/Other (2010).mkv"
        assert plan[2] == "Movies/Other (2010)/Trailers/Teaser.mkv"
        disc = (await app.http.get(f"/api/discs/{scan.fingerprint}")).json()
        assert (disc["title"], disc["year"]) == ("Big Buck Bunny", 2008)
        assert (await app.http.post("/api/discs/dvd-none/plan", json={})).status_code == 404


async def test_a_rerip_under_a_new_name_removes_the_rip_it_replaced(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data", keep_ripped=True) as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "main_feature"})
        old = app.place_rip(rip, "Old Name.mkv")
        await app.finished((await app.task(await app.rip_completed(scan.fingerprint, 3, old, rip.size_bytes)))
                           ["result"]["filing"]["task_id"])
        new = app.place_rip(rip, "New Name.mkv")
        async with app.app.state.db.connection() as conn:
            await insert_task(conn, "rerip", "rip", DAEMON, DRIVE, scan.fingerprint, 3,
                              {"replace": True, "replaces": str(old)}, None)
            await conn.execute("UPDATE tasks SET status = 'running' WHERE id = 'rerip'")
        event = Event(event=EventName.RIP_COMPLETED, daemon_id=DAEMON, drive_id=DRIVE, seq=99,
                      data={"task_id": "rerip", "fingerprint": scan.fingerprint, "track_number": 3,
                            "path": str(new), "size_bytes": rip.size_bytes, "duration_seconds": 10.0,
                            "checksum": str(rip.checksum)})
        await app.tasks.on_event(DAEMON, event)

        assert not old.exists() and new.exists()
        task = await app.finished((await app.task("rerip"))["result"]["filing"]["task_id"])
        assert task["status"] == "complete"
        assert os.path.samefile(new, app.library / MOVIE_DIR / "Big Buck Bunny (2008).mkv")
        assert app.library_files() == [f"{MOVIE_DIR}/Big Buck Bunny (2008).mkv"]


async def test_renaming_never_moves_a_file_out_of_the_library(tmp_path: Path,
                                                              dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data") as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "main_feature"})
        ripped = app.place_rip(rip, "main.mkv")
        rip_task = await app.rip_completed(scan.fingerprint, 3, ripped, rip.size_bytes)
        await app.finished((await app.task(rip_task))["result"]["filing"]["task_id"])
        outside = tmp_path / "outside"
        outside.mkdir()
        (app.library / "Movies" / "Escape (2001)").symlink_to(outside)  # a link out of the library

        response = await app.http.patch(f"/api/discs/{scan.fingerprint}", json={"title": "Escape", "year": 2001})

        assert response.status_code == 200
        assert list(outside.iterdir()) == []
        assert (app.library / MOVIE_DIR / "Big Buck Bunny (2008).mkv").is_file()  # left where it was


async def test_a_filing_that_ends_after_a_rename_brings_the_discs_files_together(
        tmp_path: Path, dvd_rip: tuple[ScanResult, RipOutcome]) -> None:
    scan, rip = dvd_rip
    async with running(tmp_path / "data") as app:
        await app.save(scan, "Big Buck Bunny", 2008, t3={"type": "main_feature"},
                       t2={"type": "trailer", "name": "Teaser"})
        first = app.place_rip(rip, "main.mkv")
        await app.finished((await app.task(await app.rip_completed(scan.fingerprint, 3, first, rip.size_bytes)))
                           ["result"]["filing"]["task_id"])
        # renamed while filings ran (the repository itself: no re-filing of its own), then the next one ends
        await app.app.state.discs.update(scan.fingerprint, DiscUpdate(title="Bunny", year=2009))
        second = app.place_rip(rip, "teaser.mkv")
        await app.finished((await app.task(await app.rip_completed(scan.fingerprint, 2, second, rip.size_bytes)))
                           ["result"]["filing"]["task_id"])

        assert app.library_files() == ["Movies/Bunny (2009)/Bunny (2009).mkv",
                                       "Movies/Bunny (2009)/Trailers/Teaser.mkv"]

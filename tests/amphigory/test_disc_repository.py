"""DiscRepository: discs by fingerprint with their tracks, re-scans that keep the person's choices, rips, search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from amphigory.api.disc_repository import DiscRepository, DiscUpdate, TrackUpdate, UnknownTrack
from amphigory.database import Database
from amphigory_protocol.checksum import Checksum
from amphigory_protocol.disc import ScanResult


def scan(fingerprint: str = "dvd-abc", volume: str = "MY_MOVIE", titles: list[dict[str, Any]] | None = None,
         **extra: Any) -> ScanResult:
    if titles is None:
        titles = [
            {"number": 1, "duration_seconds": 5400.0, "chapters": 24, "size_bytes": 4_000_000_000,
             "audio": [{"language": "eng", "codec": "ac3", "channels": 6}, {"language": "fra", "codec": "ac3"}],
             "subtitles": [{"language": "eng"}], "source": {"kind": "dvd", "vts": 1, "ttn": 1, "pgc": 1},
             "segment_map": ["vts1:c1", "vts1:c2"], "classification": {"type": "main_feature", "confidence": 0.95}},
            {"number": 2, "duration_seconds": 120.0, "chapters": 1,
             "classification": {"type": "trailer", "confidence": 0.7}},
            {"number": 3, "duration_seconds": 600.0, "chapters": 3,
             "classification": {"type": "featurette", "confidence": 0.6}},
        ]
    return ScanResult.model_validate({"fingerprint": fingerprint, "disc_type": "dvd", "volume_name": volume,
                                      "public_ids": {"dvd_disc_id": "d" * 32}, "titles": titles, **extra})


@pytest.fixture
async def repo(tmp_path: Path):
    db = Database(tmp_path / "amphigory.db")
    await db.initialize()
    yield DiscRepository(db)
    await db.close()


async def test_unknown_fingerprint_is_none(repo: DiscRepository) -> None:
    assert await repo.get("dvd-nope") is None
    assert await repo.get_many([]) == {}


async def test_a_saved_scan_is_found_by_fingerprint_with_its_tracks(repo: DiscRepository) -> None:
    await repo.save_scan(scan())
    disc = await repo.get("dvd-abc")
    assert disc is not None
    assert (disc.title, disc.volume_name, disc.disc_type) == ("My Movie", "MY_MOVIE", "dvd")
    assert disc.public_ids.dvd_disc_id == "d" * 32
    assert [t.number for t in disc.tracks] == [1, 2, 3]
    main = disc.tracks[0]
    assert (main.chapters, main.classification, main.confidence) == (24, "main_feature", 0.95)
    assert [a.language for a in main.audio] == ["eng", "fra"]
    assert main.source["vts"] == 1 and main.segment_map == ["vts1:c1", "vts1:c2"]
    assert [t.selected for t in disc.tracks] == [True, False, False]  # the main feature is picked by default
    assert all(t.status == "pending" and t.present for t in disc.tracks)
    stored = await repo.scan_result("dvd-abc")
    assert stored is not None and stored.titles[0].duration_seconds == 5400.0


async def test_saving_under_another_fingerprint_stores_under_that_one(repo: DiscRepository) -> None:
    await repo.save_scan(scan(fingerprint="dvd-in-result"), "dvd-from-event")
    assert await repo.get("dvd-in-result") is None
    stored = await repo.scan_result("dvd-from-event")
    assert stored is not None and stored.fingerprint == "dvd-from-event"


async def test_a_rescan_updates_tracks_but_keeps_choices_names_and_rips(repo: DiscRepository) -> None:
    await repo.save_scan(scan())
    await repo.update("dvd-abc", DiscUpdate(title="The Movie", year=2001, tracks=[
        TrackUpdate(number=1, selected=False, name="The Movie (2001)"),
        TrackUpdate(number=3, selected=True, type="behind_the_scenes"),
    ]))
    await repo.record_rip_completed("dvd-abc", 3, "/ripped/x.mkv", 123, "ab" * 32)
    rescan = scan(titles=[
        {"number": 1, "duration_seconds": 5401.0, "chapters": 25, "classification": {"type": "main_feature"}},
        {"number": 3, "duration_seconds": 600.0, "classification": {"type": "extra"}},
        {"number": 4, "duration_seconds": 30.0, "classification": {"type": "main_feature"}},
    ])
    disc = await repo.save_scan(rescan)
    assert (disc.title, disc.year) == ("The Movie", 2001)
    by_number = {t.number: t for t in disc.tracks}
    assert by_number[1].chapters == 25 and by_number[1].duration_seconds == 5401.0
    assert (by_number[1].selected, by_number[1].name) == (False, "The Movie (2001)")
    assert (by_number[3].selected, by_number[3].track_type, by_number[3].classification) == (
        True, "behind_the_scenes", "extra")
    assert (by_number[3].status, by_number[3].ripped_path) == ("ripped", "/ripped/x.mkv")
    assert by_number[2].present is False  # no longer listed, kept with its history
    assert by_number[4].present and by_number[4].selected


async def test_update_of_an_unknown_disc_or_track(repo: DiscRepository) -> None:
    assert await repo.update("dvd-nope", DiscUpdate(title="x")) is None
    await repo.save_scan(scan())
    with pytest.raises(UnknownTrack, match="no track 9"):
        await repo.update("dvd-abc", DiscUpdate(title="Changed", tracks=[TrackUpdate(number=9, selected=True)]))
    disc = await repo.get("dvd-abc")
    assert disc is not None and disc.title == "My Movie"  # nothing applied


async def test_null_clears_a_name_and_omitted_fields_stay(repo: DiscRepository) -> None:
    await repo.save_scan(scan())
    await repo.update("dvd-abc", DiscUpdate(year=1999, tracks=[TrackUpdate(number=2, name="Trailer")]))
    disc = await repo.update("dvd-abc", DiscUpdate.model_validate({"tracks": [{"number": 2, "name": None}]}))
    assert disc is not None
    assert disc.year == 1999 and disc.track(2).name is None  # type: ignore[union-attr]


async def test_rip_lifecycle_is_recorded_per_track(repo: DiscRepository) -> None:
    await repo.save_scan(scan())
    await repo.record_rip_queued("dvd-abc", 1)
    assert (await repo.get("dvd-abc")).track(1).status == "queued"  # type: ignore[union-attr]
    await repo.record_rip_started("dvd-abc", 1, "/ripped/.partial.mkv")
    assert (await repo.get("dvd-abc")).track(1).status == "ripping"  # type: ignore[union-attr]
    await repo.record_rip_failed("dvd-abc", 1, "disk full")
    track = (await repo.get("dvd-abc")).track(1)  # type: ignore[union-attr]
    assert track is not None and (track.status, track.rip_error) == ("failed", "disk full")
    await repo.record_rip_completed("dvd-abc", 1, "/ripped/My Movie.mkv", 42, "00" * 32)
    track = (await repo.get("dvd-abc")).track(1)  # type: ignore[union-attr]
    assert track is not None
    assert (track.status, track.ripped_path, track.rip_size_bytes, track.rip_error) == (
        "ripped", "/ripped/My Movie.mkv", 42, None)
    assert track.ripped_at is not None
    assert (track.rip_sha256, track.rip_checksum) == ("00" * 32, "sha256:" + "00" * 32)  # an old daemon's SHA-256
    await repo.record_rip_completed("dvd-abc", 1, "/ripped/My Movie.mkv", 42, Checksum("blake3", "11" * 32))
    track = (await repo.get("dvd-abc")).track(1)  # type: ignore[union-attr]
    assert track is not None and (track.rip_sha256, track.rip_checksum) == (None, "blake3:" + "11" * 32)


async def test_a_failed_re_rip_keeps_the_earlier_good_rip(repo: DiscRepository) -> None:
    await repo.save_scan(scan())
    await repo.record_rip_completed("dvd-abc", 1, "/ripped/My Movie.mkv", 42, "00" * 32)
    await repo.record_rip_queued("dvd-abc", 1)
    await repo.record_rip_started("dvd-abc", 1, "/ripped/My Movie (2).mkv")
    await repo.record_rip_failed("dvd-abc", 1, "a file with that name is already there")
    track = (await repo.get("dvd-abc")).track(1)  # type: ignore[union-attr]
    assert track is not None
    assert (track.status, track.ripped_path, track.rip_error) == (
        "ripped", "/ripped/My Movie.mkv", "a file with that name is already there")


async def test_list_and_search_by_title_volume_and_fingerprint(repo: DiscRepository) -> None:
    await repo.save_scan(scan("dvd-1", "ALIEN_1979"))
    await repo.save_scan(scan("dvd-2", "BLADE_RUNNER"))
    await repo.save_scan(scan("bd-3", "50%_OFF", title="Half Price"))
    await repo.update("dvd-2", DiscUpdate(title="Blade Runner: Final Cut"))
    listed = await repo.list_discs()
    assert [d.fingerprint for d in listed] == ["dvd-2", "bd-3", "dvd-1"]  # last changed first
    assert (listed[0].track_count, listed[0].selected_count, listed[0].ripped_count) == (3, 1, 0)
    assert [d.fingerprint for d in await repo.list_discs("final cut")] == ["dvd-2"]
    assert [d.fingerprint for d in await repo.list_discs("alien")] == ["dvd-1"]  # volume name
    assert [d.fingerprint for d in await repo.list_discs("50%")] == ["bd-3"]  # % is literal
    assert [d.fingerprint for d in await repo.list_discs("dvd-1")] == ["dvd-1"]
    assert await repo.list_discs("ALIE__1979") == []  # _ is literal, not a wildcard
    assert len(await repo.list_discs(limit=2)) == 2


async def test_fingerprint_lookup_uses_an_index(repo: DiscRepository) -> None:
    async with repo.db.connection() as conn:
        cur = await conn.execute("EXPLAIN QUERY PLAN SELECT id FROM discs WHERE fingerprint = ?", ("x",))
        plan = " ".join(str(row["detail"]) for row in await cur.fetchall())
    assert "USING" in plan and "INDEX" in plan, plan


async def test_reads_after_writes_see_the_writes(repo: DiscRepository) -> None:
    assert await repo.get("dvd-abc") is None  # remembered as unknown...
    await repo.save_scan(scan())
    first = await repo.get("dvd-abc")
    assert first is not None  # ...until it is stored
    await repo.update("dvd-abc", DiscUpdate(title="Renamed"))
    second = await repo.get("dvd-abc")
    assert second is not None and second.title == "Renamed" and first.title == "My Movie"
    many = await repo.get_many(["dvd-abc", "dvd-nope"])
    assert list(many) == ["dvd-abc"] and many["dvd-abc"].title == "Renamed"


async def test_a_cd_starts_with_its_cd_text_track_titles_and_keeps_the_persons(repo: DiscRepository) -> None:
    titles = [{"number": 1, "duration_seconds": 200.0, "name": "Tone A"},
              {"number": 2, "duration_seconds": 180.0, "name": "Tone B"}]
    cd = ScanResult.model_validate({"fingerprint": "cd-1", "disc_type": "cd", "volume_name": "CD",
                                    "title": "Album", "artist": "Band", "titles": titles})
    await repo.save_scan(cd)
    disc = await repo.get("cd-1")
    assert disc is not None and [t.name for t in disc.tracks] == ["Tone A", "Tone B"]
    await repo.update("cd-1", DiscUpdate(tracks=[TrackUpdate(number=2, name="My name")]))
    await repo.save_scan(cd)  # a re-scan keeps the person's name
    disc = await repo.get("cd-1")
    assert disc is not None and [t.name for t in disc.tracks] == ["Tone A", "My name"]


async def test_dvd_title_names_do_not_become_track_names(repo: DiscRepository) -> None:
    await repo.save_scan(scan(titles=[{"number": 1, "duration_seconds": 5400.0, "name": "MY_MOVIE"}]))
    disc = await repo.get("dvd-abc")
    assert disc is not None and disc.tracks[0].name is None

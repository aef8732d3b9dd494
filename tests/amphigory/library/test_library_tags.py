"""A CD's FLACs get their tags and front cover as they are filed (mutagen reads them back), from the album the
disc was identified as; the ripped file itself is never changed, and a missing cover or an unreadable file never
fails a filing."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from pathlib import Path

import httpx
import pytest
from mutagen.flac import FLAC

from amphigory.api.disc_models import StoredDisc, StoredTrack
from amphigory.config import WebappSettings
from amphigory.identify.identifier import IdentifyContext
from amphigory.identify.result import Candidate, Identification, Kind, TitleInfo
from amphigory.library.tags import album_artist, flac_tags, tag_flac, tag_for_library
from amphigory.main import create_app
from amphigory.tasks import insert_task
from amphigory.websocket import ConnectionManager
from amphigory_daemon.rip import RipOutcome
from amphigory_protocol.disc import ScanResult
from amphigory_protocol.messages import Event, EventName
from helpers_uvicorn import LiveServer, free_port

MBID = "0b3a1ef4-5e76-4c3b-9c56-0a3e1f4a1d10"
COVER = b"\x89PNG\r\n\x1a\n" + b"cover" * 20
ALBUM = Identification(
    status="identified", source="musicbrainz", kind="music", title="Tones", year=2024, artist="The Ensemble",
    musicbrainz_release_id=MBID, poster_url="http://covers/front.png",
    titles=(TitleInfo(1, "A", artist="Guest Player"), TitleInfo(2, "C Sharp"), TitleInfo(3, "E")),
)


def album_disc(named_by: str | None = "identification") -> StoredDisc:
    return StoredDisc(fingerprint="cd", title="Tones", year=2024, disc_type="cd", named_by=named_by,
                      identification=ALBUM.to_json(),
                      tracks=[StoredTrack(number=1, name="A"), StoredTrack(number=2, name="C Sharp")])


def test_tags_come_from_the_identified_album() -> None:
    disc = album_disc()
    assert flac_tags(disc, disc.tracks[0]) == {
        "ALBUMARTIST": "The Ensemble", "ARTIST": "Guest Player", "ALBUM": "Tones", "TITLE": "A", "TRACKNUMBER": "1",
        "DATE": "2024", "MUSICBRAINZ_ALBUMID": MBID}
    assert flac_tags(disc, disc.tracks[1])["ARTIST"] == "The Ensemble"
    # An answer that was never applied is not the album's: only what the disc itself says is used.
    unnamed = album_disc(named_by=None)
    assert album_artist(unnamed, "CD-TEXT Artist") == "CD-TEXT Artist"
    assert "MUSICBRAINZ_ALBUMID" not in flac_tags(unnamed, unnamed.tracks[0], "CD-TEXT Artist")


def test_tag_flac_writes_tags_and_the_front_cover(tmp_path: Path, cd_rip: tuple[ScanResult, RipOutcome]) -> None:
    path = tmp_path / "02.flac"
    shutil.copyfile(cd_rip[1].path, path)
    disc = album_disc()
    tag_flac(path, disc, disc.tracks[1], COVER)
    audio = FLAC(path)
    assert audio["ALBUMARTIST"] == ["The Ensemble"] and audio["TITLE"] == ["C Sharp"]
    assert audio["MUSICBRAINZ_ALBUMID"] == [MBID] and audio["DATE"] == ["2024"] and audio["TRACKNUMBER"] == ["2"]
    [picture] = audio.pictures
    assert (picture.type, picture.mime, picture.data) == (3, "image/png", COVER)


async def test_a_hard_linked_rip_is_left_alone_and_bad_files_are_not_fatal(
        tmp_path: Path, cd_rip: tuple[ScanResult, RipOutcome]) -> None:
    rip = tmp_path / "rip.flac"
    shutil.copyfile(cd_rip[1].path, rip)
    before = hashlib.sha256(rip.read_bytes()).hexdigest()
    staged = tmp_path / "staged.flac"
    staged.hardlink_to(rip)
    disc = album_disc()

    async def no_cover(_: StoredDisc) -> bytes | None:
        raise OSError("cover art archive is down")

    await tag_for_library(staged, disc, disc.tracks[1], no_cover)
    assert FLAC(staged)["TITLE"] == ["C Sharp"] and not FLAC(staged).pictures
    assert hashlib.sha256(rip.read_bytes()).hexdigest() == before
    garbage = tmp_path / "garbage.flac"
    garbage.write_bytes(b"not a flac")
    await tag_for_library(garbage, disc, disc.tracks[1], None)  # logged, not raised
    assert garbage.read_bytes() == b"not a flac"


class AlbumIdentifier:
    async def identify(self, scan: ScanResult, context: IdentifyContext = IdentifyContext()) -> Identification:
        return ALBUM

    async def search(self, query: str, kind: Kind | None = None, year: int | None = None) -> list[Candidate]:
        return []

    async def aclose(self) -> None:
        return None


async def test_a_filed_cd_track_is_tagged_with_its_cover(tmp_path: Path, cd_rip: tuple[ScanResult, RipOutcome],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    scan, outcome = cd_rip
    monkeypatch.setattr("amphigory.main.Identifier", lambda *_, **__: AlbumIdentifier())
    data = tmp_path / "data"
    port = free_port()  # filing is a job: the local worker reaches the webapp over HTTP, with the token
    app = create_app(WebappSettings(data_dir=data, identify=True, token="t", port=port), ConnectionManager())
    async with LiveServer(app, port=port):
        covers: list[str] = []

        async def cover(disc: StoredDisc) -> bytes | None:
            covers.append(disc.fingerprint)
            return COVER

        app.state.filer.cover_for = cover
        await app.state.discs.save_scan(scan)
        await app.state.identification.on_scan_stored(scan.fingerprint)
        await app.state.identification.wait(scan.fingerprint)
        ripped = data / "ripped" / "02.flac"
        ripped.parent.mkdir(parents=True)
        shutil.copyfile(outcome.path, ripped)
        async with app.state.db.connection() as conn:
            await insert_task(conn, "rip-2", "rip", "d", "d:sr0", scan.fingerprint, 2, {}, None)
        event = Event(event=EventName.RIP_COMPLETED, daemon_id="d", drive_id="d:sr0", seq=1,
                      data={"task_id": "rip-2", "fingerprint": scan.fingerprint, "track_number": 2,
                            "path": str(ripped), "size_bytes": ripped.stat().st_size, "sha256": "0" * 64})
        await app.state.tasks.on_event("d", event)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            filed = data / "library" / "Music" / "The Ensemble" / "Tones (2024)" / "02 C Sharp.flac"

            async def done() -> None:
                while not filed.exists():
                    await asyncio.sleep(0.02)

            await asyncio.wait_for(done(), 20)
            disc = (await http.get(f"/api/discs/{scan.fingerprint}")).json()
        audio = FLAC(filed)
        assert audio["ALBUMARTIST"] == ["The Ensemble"] and audio["MUSICBRAINZ_ALBUMID"] == [MBID]
        assert audio.pictures[0].data == COVER and covers == [scan.fingerprint]
        assert disc["tracks"][1]["name"] == "C Sharp" and disc["title"] == "Tones"
        assert ripped.stat().st_size == outcome.size_bytes  # the rip is its own file, untagged

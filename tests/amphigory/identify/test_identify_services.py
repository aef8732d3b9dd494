"""The real clients against loopback stand-ins: the sample DVD and Blu-ray known to TheDiscDB come out fully named
and labelled, the sample CD known to MusicBrainz comes out tagged, a disc known nowhere is `unknown`, and a
service that is down, slow, rate-limiting or answering garbage never raises."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from amphigory.identify.discdb_map import title_type
from amphigory.identify.identifier import Identifier, IdentifyContext
from amphigory.identify.result import Candidate, Identification
from amphigory.metadata.cache import LookupCache, MemoryCache
from amphigory.metadata.http import HttpPolicy, ServiceError
from amphigory.option_values import MetadataSettings
from amphigory_daemon.scan.native import scan_path
from amphigory_protocol.disc import ScanResult
from standins.musicbrainz import CoverArtStandIn, MusicBrainzStandIn
from standins.samples import BD_ITEMS, DVD_ITEMS, SAMPLE_FILM, SAMPLE_RELEASE_ID, cd_release, discdb_record
from standins.server import StandIn
from standins.thediscdb import TheDiscDbStandIn
from standins.tmdb import TOKEN, TmdbStandIn
from standins.truth import discdb_record_from_truth, load_truth, work

# Generous timeouts (a loaded CI machine), short waits between tries; IMPATIENT is for the slow-service case only.
QUICK = HttpPolicy(timeout=15.0, attempts=2, backoff=0.01, max_wait=1.0)
IMPATIENT = HttpPolicy(timeout=1.0, attempts=2, backoff=0.01, max_wait=1.0)


def _scan(samples: Path, rel: str) -> ScanResult:
    return scan_path(samples / rel)


async def _identify(settings: MetadataSettings, scan: ScanResult, context: IdentifyContext = IdentifyContext(),
                    cache: LookupCache | None = None, policy: HttpPolicy = QUICK) -> Identification:
    identifier = Identifier(settings, cache, policy=policy)
    try:
        return await identifier.identify(scan, context)
    finally:
        await identifier.aclose()


@pytest.mark.parametrize(("rel", "items"), [("dvd/AMPHIGORY_SAMPLE_DVD.iso", DVD_ITEMS),
                                            ("bluray/AMPHIGORY_SAMPLE_BD", BD_ITEMS)])
async def test_a_disc_known_to_thediscdb_is_named_and_labelled(
        samples: Path, rel: str, items: dict[int, tuple[str, str]], standin_settings: MetadataSettings,
        thediscdb_standin: TheDiscDbStandIn, tmdb_standin: TmdbStandIn) -> None:
    scan = _scan(samples, rel)
    thediscdb_standin.items = [discdb_record(scan, items, item_id=7)]
    tmdb_standin.films = {SAMPLE_FILM.id: SAMPLE_FILM}
    answer = await _identify(standin_settings, scan)
    assert (answer.status, answer.source, answer.kind) == ("identified", "thediscdb", "movie")
    assert (answer.title, answer.year, answer.tmdb_id, answer.imdb_id) == ("Amphigory Sample", 2024, 900001,
                                                                           "tt9000001")
    assert answer.poster_url == "https://image.tmdb.org/t/p/w342/poster900001.jpg"
    expected_types = {"MainMovie": "main_feature", "Trailer": "trailer", "Featurette": "featurette",
                      "DeletedScene": "deleted_scene"}
    named = {t.number: (t.name, t.type) for t in answer.titles}
    assert named == {n: (name, expected_types[kind]) for n, (name, kind) in items.items()}
    assert not answer.retry
    # the GraphQL query went to the endpoint as a POST that the published schema accepted
    assert thediscdb_standin.seen and thediscdb_standin.seen[0].method == "POST"


async def test_a_cd_known_to_musicbrainz_gets_artist_album_tracks_and_cover(
        samples: Path, standin_settings: MetadataSettings, musicbrainz_standin: MusicBrainzStandIn,
        coverart_standin: CoverArtStandIn) -> None:
    scan = _scan(samples, "cd/AMPHIGORY_SAMPLE_CD.cue")
    musicbrainz_standin.releases = [cd_release(scan)]
    coverart_standin.fronts = {SAMPLE_RELEASE_ID: "http://coverartarchive.org/release/x/1.jpg"}
    async with httpx.AsyncClient() as client:  # the caller's client (it follows no redirects by itself)
        identifier = Identifier(standin_settings, client=client, policy=QUICK)
        answer = await identifier.identify(scan)
        await identifier.aclose()
        assert not client.is_closed  # not ours to close
    assert (answer.status, answer.source, answer.kind) == ("identified", "musicbrainz", "music")
    assert (answer.title, answer.artist, answer.year) == ("Amphigory Sample CD", "Amphigory Test Ensemble", 2024)
    assert answer.musicbrainz_release_id == SAMPLE_RELEASE_ID
    assert [(t.number, t.name, t.artist) for t in answer.titles] == [
        (1, "Sample Tone 1", None), (2, "Sample Tone 2", "Guest Player"), (3, "Sample Tone 3", None)]
    assert answer.poster_url == "http://coverartarchive.org/release/x/1-500.jpg"
    request = musicbrainz_standin.seen[0]
    assert request.query == {"inc": ["recordings artist-credits"], "fmt": ["json"]}
    assert request.headers["user-agent"].startswith("Amphigory/")
    assert "( https://github.com/amphigory )" in request.headers["user-agent"]


async def test_several_releases_of_one_cd_are_candidates_not_a_guess(
        samples: Path, standin_settings: MetadataSettings, musicbrainz_standin: MusicBrainzStandIn) -> None:
    scan = _scan(samples, "cd/AMPHIGORY_SAMPLE_CD.cue")
    reissue_id = "00000000-1111-2222-3333-444444444444"
    musicbrainz_standin.releases = [cd_release(scan), cd_release(scan, release_id=reissue_id)]
    answer = await _identify(standin_settings, scan)
    assert answer.status == "uncertain" and answer.title is None
    assert {c.musicbrainz_release_id for c in answer.candidates} == {SAMPLE_RELEASE_ID, reissue_id}
    # a person's pick is final, and brings the tracks of that release
    picked = await _identify(standin_settings, scan, IdentifyContext(chosen=answer.candidates[1]))
    assert (picked.status, picked.source) == ("identified", "person")
    assert picked.musicbrainz_release_id == answer.candidates[1].musicbrainz_release_id
    assert len(picked.titles) == 3


async def test_musicbrainz_is_asked_at_most_once_a_second(
        samples: Path, standin_settings: MetadataSettings, musicbrainz_standin: MusicBrainzStandIn) -> None:
    scan = _scan(samples, "cd/AMPHIGORY_SAMPLE_CD.cue")
    identifier = Identifier(standin_settings, policy=QUICK)
    try:
        for _ in range(2):
            assert (await identifier.identify(scan)).status == "unknown"
    finally:
        await identifier.aclose()
    first, second = musicbrainz_standin.seen[:2]
    assert second.at - first.at >= 0.95


async def test_a_disc_known_nowhere_is_unknown_without_error(
        samples: Path, standin_settings: MetadataSettings, tmdb_standin: TmdbStandIn) -> None:
    answer = await _identify(standin_settings, _scan(samples, "dvd/AMPHIGORY_SAMPLE_DVD.iso"))
    assert (answer.status, answer.title, answer.candidates, answer.retry) == ("unknown", None, (), False)
    assert tmdb_standin.seen, "the label was searched on TMDB"


@pytest.mark.parametrize("trouble", ["slow", "429", "503", "garbage", "down"])
@pytest.mark.parametrize("rel", ["dvd/AMPHIGORY_SAMPLE_DVD.iso", "cd/AMPHIGORY_SAMPLE_CD.cue"])
async def test_service_trouble_never_raises_and_asks_to_retry(
        samples: Path, rel: str, trouble: str, standin_settings: MetadataSettings,
        thediscdb_standin: TheDiscDbStandIn, tmdb_standin: TmdbStandIn, musicbrainz_standin: MusicBrainzStandIn,
        caplog: pytest.LogCaptureFixture) -> None:
    settings = standin_settings
    for server in (thediscdb_standin, tmdb_standin, musicbrainz_standin):
        server.trouble = None if trouble == "down" else trouble
    if trouble == "down":  # nothing listens there any more
        gone = StandIn.closed_url()  # MusicBrainz on a port of its own: its 1 request/s pace is per host
        settings = MetadataSettings(tmdb_token=TOKEN, tmdb_url=f"{gone}/3", thediscdb_url=f"{gone}/graphql",
                                    musicbrainz_url=f"{StandIn.closed_url()}/ws/2", coverart_url=gone)
    caplog.set_level(logging.DEBUG)
    answer = await _identify(settings, _scan(samples, rel), policy=IMPATIENT if trouble == "slow" else QUICK)
    assert answer.retry and answer.status == "unknown"
    assert answer.reasons
    assert TOKEN not in caplog.text
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == len({r.getMessage().split(":")[1] for r in warnings})  # once per service


async def test_offline_asks_nothing(samples: Path, standin_settings: MetadataSettings,
                                    thediscdb_standin: TheDiscDbStandIn, tmdb_standin: TmdbStandIn) -> None:
    offline = MetadataSettings(**{**standin_settings.__dict__, "offline": True})
    answer = await _identify(offline, _scan(samples, "dvd/AMPHIGORY_SAMPLE_DVD.iso"))
    assert (answer.status, answer.retry) == ("unknown", True)
    assert not thediscdb_standin.seen and not tmdb_standin.seen


async def test_answers_are_cached_failures_are_not(
        samples: Path, standin_settings: MetadataSettings, thediscdb_standin: TheDiscDbStandIn,
        tmdb_standin: TmdbStandIn) -> None:
    scan = _scan(samples, "bluray/AMPHIGORY_SAMPLE_BD")
    cache = MemoryCache()
    thediscdb_standin.trouble = "503"
    assert (await _identify(standin_settings, scan, cache=cache)).retry
    thediscdb_standin.trouble = None
    thediscdb_standin.items = [discdb_record(scan, BD_ITEMS, item_id=8)]
    assert (await _identify(standin_settings, scan, cache=cache)).status == "identified"
    asked = len(thediscdb_standin.seen)
    again = await _identify(standin_settings, scan, cache=cache)
    assert again.status == "identified" and len(thediscdb_standin.seen) == asked


async def test_a_persons_film_pick_is_looked_up_and_final(
        samples: Path, standin_settings: MetadataSettings, tmdb_standin: TmdbStandIn) -> None:
    tmdb_standin.films = {SAMPLE_FILM.id: SAMPLE_FILM}
    pick = Candidate(kind="movie", title="Amphigory Sample", year=2024, tmdb_id=SAMPLE_FILM.id)
    answer = await _identify(standin_settings, _scan(samples, "dvd/AMPHIGORY_SAMPLE_DVD.iso"),
                             IdentifyContext(chosen=pick))
    assert (answer.status, answer.source, answer.imdb_id) == ("identified", "person", "tt9000001")
    assert [(t.number, t.type) for t in answer.titles] == [(1, "main_feature")]


@pytest.mark.parametrize("disc", ["tv-bd-the-office-s1-d1", "tv-dvd-24-s1-d2", "bd-42-d1", "dvd-office-space-d1"])
async def test_real_discs_known_to_thediscdb_map_every_labelled_title(
        shared_fixtures: Path, disc: str, standin_settings: MetadataSettings,
        thediscdb_standin: TheDiscDbStandIn) -> None:
    """The curators' labels of real discs (TheDiscDB's own data) land on the right scanned titles, whatever order
    MakeMKV listed them in (The Office's episodes are in reverse)."""
    disc_dir = shared_fixtures / "thediscdb" / "dev" / disc
    truth = load_truth(disc_dir)
    scan = scan_path(disc_dir / "makemkv-info.txt")
    scan = scan.model_copy(update={"public_ids": scan.public_ids.model_copy(
        update={"thediscdb_content_hash": "0123456789ABCDEF0123456789ABCDEF"})})
    thediscdb_standin.items = [discdb_record_from_truth(truth, "0123456789ABCDEF0123456789ABCDEF")]
    answer = await _identify(standin_settings, scan)
    title, year, series = work(truth)
    assert (answer.status, answer.source, answer.title, answer.year) == ("identified", "thediscdb", title, year)
    assert answer.kind == ("series" if series else "movie")
    by_index = {t.makemkv_title_index: answer.title_info(t.number) for t in scan.titles}
    for t in truth["titles"]:
        info = by_index[t["makemkv_title_index"]]
        if t["summary_type"] is None:
            assert info is None
            continue
        assert info is not None and info.type == title_type(t["summary_type"])
        assert (info.name, info.season, info.episode) == (t["name"], t["season"], t["episode"])


async def test_a_cd_picked_from_a_search_is_looked_up_with_its_tracks(
        samples: Path, standin_settings: MetadataSettings, musicbrainz_standin: MusicBrainzStandIn) -> None:
    scan = _scan(samples, "cd/AMPHIGORY_SAMPLE_CD.cue")
    other = cd_release(scan, release_id="99999999-1111-2222-3333-444444444444")
    other["media"][0]["discs"] = [{"id": "another-disc-id", "sectors": 1}]  # not this disc's id
    musicbrainz_standin.releases = [other]
    identifier = Identifier(standin_settings, policy=QUICK)
    try:
        assert (await identifier.identify(scan)).status == "unknown"
        found = await identifier.search("sample ensemble", kind="music")
        assert [(c.kind, c.title, c.artist, c.year) for c in found] == [
            ("music", "Amphigory Sample CD", "Amphigory Test Ensemble", 2024)]
        picked = await identifier.identify(scan, IdentifyContext(chosen=found[0]))
    finally:
        await identifier.aclose()
    assert (picked.status, picked.source, picked.musicbrainz_release_id) == ("identified", "person", other["id"])
    assert [t.name for t in picked.titles] == ["Sample Tone 1", "Sample Tone 2", "Sample Tone 3"]


async def test_the_thediscdb_stand_in_refuses_what_the_published_schema_refuses(
        thediscdb_standin: TheDiscDbStandIn) -> None:
    from amphigory.metadata.http import Http
    from amphigory.metadata.thediscdb import parse_disc

    http = Http(policy=QUICK)
    try:
        wrong = {"query": '{ mediaItems(where: {contentHash: {eq: "x"}}) { nodes { title } } }'}
        with pytest.raises(ServiceError, match="HTTP 400"):
            await http.request_json("thediscdb", "POST", f"{thediscdb_standin.url}/graphql", body=wrong)
        misnamed = {"query": "{ mediaItems { nodes { name } } }"}
        with pytest.raises(ServiceError):
            parse_disc(await http.request_json("thediscdb", "POST", f"{thediscdb_standin.url}/graphql",
                                               body=misnamed), "x")
    finally:
        await http.aclose()


async def test_the_database_cache_answers_a_second_identification_without_asking(
        tmp_path: Path, samples: Path, standin_settings: MetadataSettings, thediscdb_standin: TheDiscDbStandIn,
        tmdb_standin: TmdbStandIn) -> None:
    from amphigory.database import Database
    from amphigory.metadata.cache import SqliteCache

    scan = _scan(samples, "dvd/AMPHIGORY_SAMPLE_DVD.iso")
    thediscdb_standin.items = [discdb_record(scan, DVD_ITEMS, item_id=9)]
    tmdb_standin.films = {SAMPLE_FILM.id: SAMPLE_FILM}
    db = Database(tmp_path / "amphigory.db")
    await db.initialize()
    try:
        first = await _identify(standin_settings, scan, cache=SqliteCache(db))
        asked = len(thediscdb_standin.seen) + len(tmdb_standin.seen)
        thediscdb_standin.trouble = tmdb_standin.trouble = "503"  # a restart later, the services are down
        again = await _identify(standin_settings, scan, cache=SqliteCache(db))
    finally:
        await db.close()
    assert again == first and first.status == "identified" and not again.retry
    assert len(thediscdb_standin.seen) + len(tmdb_standin.seen) == asked

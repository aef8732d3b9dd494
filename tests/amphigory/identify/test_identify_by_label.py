"""Identification by volume label and title lengths against a TMDB stand-in with look-alikes: right when the
runtime agrees, uncertain with candidates when look-alikes fit as well, episodes numbered, never a wrong name."""

from __future__ import annotations

from pathlib import Path

from amphigory.identify.identifier import Identifier, IdentifyContext
from amphigory.identify.result import Candidate, Identification
from amphigory.metadata.http import HttpPolicy
from amphigory.option_values import MetadataSettings
from amphigory_daemon.scan.native import scan_path
from amphigory_protocol.disc import ScanResult, Title
from standins.tmdb import Film, Series, TmdbStandIn

QUICK = HttpPolicy(timeout=15.0, attempts=2, backoff=0.01)  # generous: a loaded CI machine
DIE_HARDS = [Film(1573, "Die Hard 2", "1990-07-02", 124, "tt0099423"),
             Film(562, "Die Hard", "1988-07-15", 132, "tt0095016"),
             Film(1572, "Die Hard: With a Vengeance", "1995-05-19", 128, "tt0112864")]
OFFICES = [Series(2316, "The Office", "2005-03-24", {1: [
    ("Pilot", 23), ("Diversity Day", 22), ("Health Care", 22), ("The Alliance", 22), ("Basketball", 22),
    ("Hot Girl", 22)], 2: [(f"Episode {n}", 22) for n in range(1, 23)]}),
    Series(2996, "The Office", "2001-07-09", {1: [(f"Episode {n}", 30) for n in range(1, 7)]})]


def log(shared_fixtures: Path, disc: str) -> ScanResult:
    return scan_path(shared_fixtures / "thediscdb" / "dev" / disc / "makemkv-info.txt")


async def identify(settings: MetadataSettings, scan: ScanResult,
                   context: IdentifyContext = IdentifyContext()) -> Identification:
    identifier = Identifier(settings, policy=QUICK)
    try:
        return await identifier.identify(scan, context)
    finally:
        await identifier.aclose()


async def test_the_sequel_whose_runtime_matches_is_identified(
        shared_fixtures: Path, standin_settings: MetadataSettings, tmdb_standin: TmdbStandIn) -> None:
    tmdb_standin.films = {f.id: f for f in DIE_HARDS}
    answer = await identify(standin_settings, log(shared_fixtures, "bd-die-hard-2-5mc-d1"))
    assert (answer.status, answer.source, answer.title, answer.year, answer.tmdb_id, answer.imdb_id) == (
        "identified", "tmdb", "Die Hard 2", 1990, 1573, "tt0099423")
    assert any(p.name == "runtime" and p.value == 1.0 for p in answer.candidates[0].parts)
    main = [t for t in answer.titles if t.type == "main_feature"]
    assert len(main) == 1 and main[0].name == "Die Hard 2"
    assert answer.poster_url == "https://image.tmdb.org/t/p/w342/poster1573.jpg"
    # the token went only where TMDB wants it
    assert all(r.headers["authorization"] == "Bearer test-tmdb-token" for r in tmdb_standin.seen)


async def test_two_versions_that_both_fit_are_uncertain_never_wrong(
        shared_fixtures: Path, standin_settings: MetadataSettings, tmdb_standin: TmdbStandIn) -> None:
    tmdb_standin.films = {f.id: f for f in [*DIE_HARDS, Film(9999, "Die Hard 2", "1991-01-01", 123)]}
    answer = await identify(standin_settings, log(shared_fixtures, "bd-die-hard-2-5mc-d1"))
    assert answer.status == "uncertain" and answer.title is None
    assert {c.tmdb_id for c in answer.candidates[:2]} == {1573, 9999}


async def test_a_cryptic_label_matches_nothing_and_is_unknown(
        shared_fixtures: Path, standin_settings: MetadataSettings, tmdb_standin: TmdbStandIn) -> None:
    tmdb_standin.films = {f.id: f for f in DIE_HARDS}
    answer = await identify(standin_settings, log(shared_fixtures, "dvd-die-hard-2-se-d2"))  # DHARD2SE
    assert (answer.status, answer.title, answer.retry) == ("unknown", None, False)
    assert len({r.query["query"][0] for r in tmdb_standin.seen if "query" in r.query}) >= 2  # relaxed


async def test_a_series_disc_is_numbered_by_episode_runtimes_not_the_same_name_series(
        shared_fixtures: Path, standin_settings: MetadataSettings, tmdb_standin: TmdbStandIn) -> None:
    tmdb_standin.series = {s.id: s for s in OFFICES}
    scan = log(shared_fixtures, "tv-bd-the-office-s1-d1")
    answer = await identify(standin_settings, scan)
    assert (answer.status, answer.kind, answer.title, answer.year, answer.tmdb_id, answer.season) == (
        "identified", "series", "The Office", 2005, 2316, 1)
    by_playlist = {str(t.source["playlist"]): answer.title_info(t.number) for t in scan.titles
                   if "playlist" in t.source}
    numbered = {p: (i.episode, i.name) for p, i in by_playlist.items() if i is not None}
    assert numbered == {"00000.mpls": (1, "Pilot"), "00001.mpls": (2, "Diversity Day"),
                        "00002.mpls": (3, "Health Care"), "00003.mpls": (4, "The Alliance"),
                        "00004.mpls": (5, "Basketball"), "00005.mpls": (6, "Hot Girl")}


async def test_the_next_disc_continues_after_the_filed_episodes(
        shared_fixtures: Path, standin_settings: MetadataSettings, tmdb_standin: TmdbStandIn) -> None:
    tmdb_standin.series = {s.id: s for s in OFFICES}
    scan = log(shared_fixtures, "tv-bd-the-office-s1-d1")
    scan = scan.model_copy(update={"volume_name": "THE OFFICE S2"})
    answer = await identify(standin_settings, scan, IdentifyContext(filed_episodes={(2316, 2): 6}))
    assert (answer.status, answer.season) == ("identified", 2)
    assert sorted(t.episode for t in answer.titles if t.episode is not None) == [7, 8, 9, 10, 11, 12]


async def test_a_blu_ray_meta_title_is_the_better_query(
        shared_fixtures: Path, standin_settings: MetadataSettings, tmdb_standin: TmdbStandIn) -> None:
    tmdb_standin.films = {f.id: f for f in DIE_HARDS}
    scan = log(shared_fixtures, "bd-die-hard-2-5mc-d1").model_copy(update={"volume_name": "DH2_5MC_D1"})
    assert (await identify(standin_settings, scan)).status == "unknown"
    answer = await identify(standin_settings, scan, IdentifyContext(bdmt_title="Die Hard 2: Die Harder"))
    assert (answer.status, answer.title) == ("identified", "Die Hard 2")


async def test_search_for_a_persons_search_box(standin_settings: MetadataSettings, tmdb_standin: TmdbStandIn) -> None:
    tmdb_standin.films = {f.id: f for f in DIE_HARDS}
    tmdb_standin.series = {s.id: s for s in OFFICES}
    identifier = Identifier(standin_settings, policy=QUICK)
    try:
        found = await identifier.search("die hard")
        assert [c.title for c in found][:1] == ["Die Hard"] and {c.tmdb_id for c in found} == {1573, 562, 1572}
        shows = await identifier.search("office", kind="series")
        assert {(c.kind, c.year) for c in shows} == {("series", 2005), ("series", 2001)}
        assert await identifier.search("die hard", year=1988) == [
            c for c in found if c.year == 1988]
    finally:
        await identifier.aclose()


async def test_a_picked_series_disc_of_specials_is_numbered_in_season_zero(
        standin_settings: MetadataSettings, tmdb_standin: TmdbStandIn) -> None:
    tmdb_standin.series = {7: Series(7, "Show", "2010-01-01", {0: [("Making Of", 45), ("Reunion", 60)],
                                                                1: [(f"E{n}", 22) for n in range(1, 11)]})}
    scan = ScanResult(fingerprint="dvd-x", disc_type="dvd", volume_name="SHOW_BONUS", titles=[
        Title(number=1, duration_seconds=60 * 60 + 20, source={"kind": "dvd", "title": 1}),
        Title(number=2, duration_seconds=45 * 60 - 30, source={"kind": "dvd", "title": 2})])
    pick = Candidate(kind="series", title="Show", year=2010, tmdb_id=7, season=1)
    answer = await identify(standin_settings, scan, IdentifyContext(chosen=pick))
    assert (answer.status, answer.source) == ("identified", "person")
    assert {(t.number, t.season, t.episode, t.name) for t in answer.titles} == {(1, 0, 2, "Reunion"),
                                                                               (2, 0, 1, "Making Of")}


async def test_the_meta_title_says_the_season_the_label_does_not(
        shared_fixtures: Path, standin_settings: MetadataSettings, tmdb_standin: TmdbStandIn) -> None:
    tmdb_standin.series = {s.id: s for s in OFFICES}
    scan = log(shared_fixtures, "tv-bd-the-office-s1-d1").model_copy(update={"volume_name": "OFFICE_D1"})
    answer = await identify(standin_settings, scan, IdentifyContext(bdmt_title="The Office: Season 2"))
    assert (answer.status, answer.tmdb_id, answer.season) == ("identified", 2316, 2)
    assert sorted(t.episode for t in answer.titles if t.episode is not None) == [1, 2, 3, 4, 5, 6]


async def test_a_search_while_the_service_is_down_finds_nothing_and_raises_nothing(
        standin_settings: MetadataSettings, tmdb_standin: TmdbStandIn) -> None:
    tmdb_standin.films = {f.id: f for f in DIE_HARDS}
    tmdb_standin.trouble = "503"
    identifier = Identifier(standin_settings, policy=QUICK)
    try:
        assert await identifier.search("die hard") == []
        assert await identifier.search("album", kind="music") == []  # nothing there either, and no error
    finally:
        await identifier.aclose()

"""`amphigory identify PATH --json`: the scan plus DESIGN.md's `identification`, titles named and numbered."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from amphigory.option_values import MetadataSettings
from amphigory_cli.identify import run_identify
from amphigory_cli.main import build_parser
from amphigory_cli.settings import identify_settings
from amphigory_daemon.scan.native import scan_path
from standins.samples import BD_ITEMS, DVD_ITEMS, SAMPLE_FILM, discdb_record
from standins.thediscdb import TheDiscDbStandIn
from standins.tmdb import TmdbStandIn

FIELDS = {"status", "source", "kind", "title", "year", "tmdb_id", "imdb_id", "musicbrainz_release_id", "artist",
          "season", "confidence", "candidates"}


def test_identify_json_names_the_titles_of_a_known_disc(
        samples: Path, standin_settings: MetadataSettings, thediscdb_standin: TheDiscDbStandIn,
        tmdb_standin: TmdbStandIn) -> None:
    disc = samples / "bluray" / "AMPHIGORY_SAMPLE_BD"
    thediscdb_standin.items = [discdb_record(scan_path(disc), BD_ITEMS, item_id=3)]
    tmdb_standin.films = {SAMPLE_FILM.id: SAMPLE_FILM}
    out = io.StringIO()
    assert run_identify(str(disc), as_json=True, settings=standin_settings, out=out) == 0
    data = json.loads(out.getvalue())
    ident = data["identification"]
    assert set(ident) >= FIELDS
    assert (ident["status"], ident["source"], ident["kind"], ident["title"], ident["year"]) == (
        "identified", "thediscdb", "movie", "Amphigory Sample", 2024)
    assert ident["candidates"][0] == {"kind": "movie", "title": "Amphigory Sample", "year": 2024,
                                      "tmdb_id": 900001, "score": 1.0}
    titles = {t["number"]: t for t in data["titles"]}
    assert (titles[2]["name"], titles[2]["classification"]["type"]) == ("Theatrical Trailer", "trailer")
    assert (titles[3]["name"], titles[3]["classification"]["type"]) == ("Deleted Opening", "deleted_scene")
    assert all({"name", "season", "episode"} <= set(t) for t in data["titles"])
    assert data["fingerprint"].startswith("bd-")


def test_identify_offline_asks_nothing_and_still_prints_the_scan(
        shared_fixtures: Path, thediscdb_standin: TheDiscDbStandIn, tmdb_standin: TmdbStandIn,
        standin_settings: MetadataSettings) -> None:
    log = shared_fixtures / "thediscdb" / "dev" / "tv-dvd-24-s1-d1" / "makemkv-info.txt"
    args = build_parser().parse_args(["identify", str(log), "--json", "--offline",
                                      "--thediscdb-url", standin_settings.thediscdb_url])
    settings = identify_settings(args, env={})
    assert settings.offline and settings.thediscdb_url == standin_settings.thediscdb_url
    out = io.StringIO()
    assert run_identify(args.path, as_json=True, settings=settings, out=out) == 0
    data = json.loads(out.getvalue())
    assert data["identification"]["status"] == "unknown" and data["identification"]["retry"] is True
    assert data["volume_name"] == "24_DISC1" and len(data["titles"]) > 4
    assert not thediscdb_standin.seen and not tmdb_standin.seen


def test_identify_settings_come_from_the_environment_too() -> None:
    args = build_parser().parse_args(["identify", "x.iso"])
    settings = identify_settings(args, env={"AMPHIGORY_TMDB_TOKEN": "t0k", "AMPHIGORY_OFFLINE": "1"})
    assert settings.tmdb_token == "t0k" and settings.offline


def test_identify_of_no_disc_fails_clearly(tmp_path: Path) -> None:
    err = io.StringIO()
    assert run_identify(str(tmp_path / "nothing.iso"), as_json=True, settings=MetadataSettings(offline=True),
                        err=err) == 1
    assert "does not exist" in err.getvalue()


@pytest.mark.parametrize("value", ["0", "1"])
def test_offline_takes_an_explicit_value(value: str) -> None:
    args = build_parser().parse_args(["identify", "x.iso", "--offline", value])
    assert identify_settings(args, env={}).offline is (value == "1")


def test_identify_prints_the_answer_for_a_person(
        samples: Path, standin_settings: MetadataSettings, thediscdb_standin: TheDiscDbStandIn) -> None:
    disc = samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
    thediscdb_standin.items = [discdb_record(scan_path(disc), DVD_ITEMS, item_id=4)]
    out = io.StringIO()
    assert run_identify(str(disc), as_json=False, settings=standin_settings, out=out) == 0
    text = out.getvalue()
    assert "identified: Amphigory Sample (2024)" in text
    assert "because found by content hash" in text
    assert any(line.split()[:4] == ["title", "2", "trailer", "Theatrical"] for line in text.splitlines())

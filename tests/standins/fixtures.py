"""pytest fixtures: each stand-in started on 127.0.0.1:0 for one test and stopped after it, and the settings
that point identification at them (re-exported by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from amphigory.option_values import MetadataSettings
from standins.musicbrainz import CoverArtStandIn, MusicBrainzStandIn
from standins.thediscdb import TheDiscDbStandIn
from standins.tmdb import TOKEN, TmdbStandIn


@pytest.fixture
def thediscdb_standin() -> Iterator[TheDiscDbStandIn]:
    server = TheDiscDbStandIn()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tmdb_standin() -> Iterator[TmdbStandIn]:
    server = TmdbStandIn()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def musicbrainz_standin() -> Iterator[MusicBrainzStandIn]:
    server = MusicBrainzStandIn()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def coverart_standin() -> Iterator[CoverArtStandIn]:
    server = CoverArtStandIn()
    server.start()
    yield server
    server.stop()


def settings_for(thediscdb: TheDiscDbStandIn, tmdb: TmdbStandIn, musicbrainz: MusicBrainzStandIn,
                 coverart: CoverArtStandIn) -> MetadataSettings:
    return MetadataSettings(tmdb_token=TOKEN, tmdb_url=f"{tmdb.url}/3", thediscdb_url=f"{thediscdb.url}/graphql",
                            musicbrainz_url=f"{musicbrainz.url}/ws/2", coverart_url=coverart.url)


@pytest.fixture
def standin_settings(thediscdb_standin: TheDiscDbStandIn, tmdb_standin: TmdbStandIn,
                     musicbrainz_standin: MusicBrainzStandIn, coverart_standin: CoverArtStandIn) -> MetadataSettings:
    """`MetadataSettings` pointing every service at its (empty) stand-in; fill them in the test."""
    return settings_for(thediscdb_standin, tmdb_standin, musicbrainz_standin, coverart_standin)

"""Filing paths of identified discs: a series disc's episodes under their seasons and names (two-episode titles,
specials), a series disc's extras beside its seasons, and a CD under the identified album artist."""

from __future__ import annotations

from amphigory.api.disc_models import StoredDisc, StoredTrack
from amphigory.identify.result import Identification
from amphigory.library.filing import relative_path
from amphigory.library.tags import album_artist


def test_a_series_disc_files_its_episodes_by_season_and_episode() -> None:
    disc = StoredDisc(fingerprint="fp", title="The Show", year=2001, disc_type="dvd", named_by="identification",
                      tracks=[StoredTrack(number=1, name="Pilot", classification="episode", season=1, episode=1,
                                          episode_end=2),
                              StoredTrack(number=2, name="Third", classification="episode", season=1, episode=3),
                              StoredTrack(number=3, name="Behind It", classification="episode", season=0, episode=1),
                              StoredTrack(number=4, name="Theatrical Trailer", classification="trailer")])
    paths = [relative_path(disc, t, ".mkv", None, {}).as_posix() for t in disc.tracks]
    assert paths == [
        "TV Shows/The Show (2001)/Season 01/The Show (2001) - s01e01-e02 - Pilot.mkv",
        "TV Shows/The Show (2001)/Season 01/The Show (2001) - s01e03 - Third.mkv",
        "TV Shows/The Show (2001)/Season 00/The Show (2001) - s00e01 - Behind It.mkv",
        "TV Shows/The Show (2001)/Trailers/Theatrical Trailer.mkv",  # beside the seasons
    ]


def test_a_cd_is_filed_under_the_identified_album_artist() -> None:
    answer = Identification(status="identified", source="musicbrainz", kind="music", title="Tones",
                            artist="The Ensemble")
    disc = StoredDisc(fingerprint="cd", title="Tones", year=2024, disc_type="cd", named_by="identification",
                      identification=answer.to_json(), tracks=[StoredTrack(number=2, name="C Sharp")])
    artist = album_artist(disc, "CD-TEXT Artist")
    assert relative_path(disc, disc.tracks[0], ".flac", artist, {}).as_posix() == \
        "Music/The Ensemble/Tones (2024)/02 C Sharp.flac"

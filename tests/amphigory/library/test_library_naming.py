"""Library paths (DESIGN.md "Transcode and file"): exact Plex/Jellyfin layout, episode numbering, collisions,
and hostile names that must never leave the library root."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amphigory.library.naming import (
    DiscInfo,
    Episode,
    TrackInfo,
    episode_numbers,
    is_safe_relative,
    library_path,
    parse_episode,
    titled,
    unique_path,
)

MOVIE = DiscInfo("Big Buck Bunny", 2008, "dvd")


def path(disc: DiscInfo, number: int, kind: str, name: str | None = None, ext: str = ".mkv") -> str:
    return library_path(disc, TrackInfo(number, name, kind), ext).as_posix()


def test_main_feature_is_title_year_in_its_own_folder() -> None:
    assert path(MOVIE, 1, "main_feature") == "Movies/Big Buck Bunny (2008)/Big Buck Bunny (2008).mkv"
    # The person's name for the main feature does not rename the movie: the disc's title and year do.
    assert path(MOVIE, 1, "main_feature", "whatever") == "Movies/Big Buck Bunny (2008)/Big Buck Bunny (2008).mkv"
    assert path(DiscInfo("Big Buck Bunny", None, "bluray"), 1, "main_feature") == \
        "Movies/Big Buck Bunny/Big Buck Bunny.mkv"


@pytest.mark.parametrize(("kind", "folder", "default"), [
    ("trailer", "Trailers", "Trailer 04"),
    ("featurette", "Featurettes", "Featurette 04"),
    ("deleted_scene", "Deleted Scenes", "Deleted Scene 04"),
    ("behind_the_scenes", "Behind The Scenes", "Behind The Scenes 04"),
    ("interview", "Interviews", "Interview 04"),
    ("extra", "Other", "Extra 04"),
    ("other", "Other", "Extra 04"),
    ("play_all", "Other", "Extra 04"),
    ("duplicate", "Other", "Extra 04"),
])
def test_extras_go_to_the_standard_subfolders(kind: str, folder: str, default: str) -> None:
    assert path(MOVIE, 4, kind) == f"Movies/Big Buck Bunny (2008)/{folder}/{default}.mkv"
    assert path(MOVIE, 4, kind, "Making Of") == f"Movies/Big Buck Bunny (2008)/{folder}/Making Of.mkv"


def test_alternate_feature_is_a_version_beside_the_movie() -> None:
    assert path(MOVIE, 2, "alternate_feature", "Director's Cut") == \
        "Movies/Big Buck Bunny (2008)/Big Buck Bunny (2008) - Director's Cut.mkv"
    assert path(MOVIE, 2, "alternate_feature") == \
        "Movies/Big Buck Bunny (2008)/Big Buck Bunny (2008) - Alternate 02.mkv"


def test_episodes_are_season_01_in_track_order_unless_the_name_sets_them() -> None:
    show = DiscInfo("The Show", 2001, "dvd")
    tracks = [TrackInfo(3, None, "episode"), TrackInfo(1, None, "main_feature"), TrackInfo(5, "Pilot", "episode"),
              TrackInfo(7, None, "episode"), TrackInfo(9, "s01e02 - Second", "episode"),
              TrackInfo(11, "S03E10", "episode"), TrackInfo(12, "2x05", "episode")]
    numbers = episode_numbers(tracks)
    assert numbers == {3: Episode(1, 1), 5: Episode(1, 3, "Pilot"), 7: Episode(1, 4), 9: Episode(1, 2, "Second"),
                       11: Episode(3, 10), 12: Episode(2, 5)}
    paths = {t.number: library_path(show, t, ".mkv", numbers.get(t.number)).as_posix() for t in tracks}
    assert paths[3] == "TV Shows/The Show (2001)/Season 01/The Show (2001) - s01e01.mkv"
    assert paths[5] == "TV Shows/The Show (2001)/Season 01/The Show (2001) - s01e03 - Pilot.mkv"
    assert paths[9] == "TV Shows/The Show (2001)/Season 01/The Show (2001) - s01e02 - Second.mkv"
    assert paths[11] == "TV Shows/The Show (2001)/Season 03/The Show (2001) - s03e10.mkv"
    # Without numbering an episode is episode <track number> of season 1.
    assert path(show, 6, "episode") == "TV Shows/The Show (2001)/Season 01/The Show (2001) - s01e06.mkv"


def test_music_is_artist_album_year_and_numbered_titles() -> None:
    cd = DiscInfo("Abbey Road", 1969, "cd", "The Beatles")
    assert path(cd, 1, "other", "Come Together", ".flac") == "Music/The Beatles/Abbey Road (1969)/01 Come Together.flac"
    assert path(DiscInfo("Untitled", None, "cd"), 12, "other", None, ".flac") == \
        "Music/Unknown Artist/Untitled/12 Track 12.flac"


def test_a_year_already_in_the_title_is_not_doubled() -> None:
    assert titled("Big Buck Bunny (2008)", 2008) == "Big Buck Bunny (2008)"
    assert titled("Big Buck Bunny (2008)", None) == "Big Buck Bunny (2008)"
    assert titled("1984 (1956)", 1984) == "1984 (1956) (1984)"  # a different year is part of the title


def test_unknown_extensions_become_mkv() -> None:
    assert path(MOVIE, 1, "main_feature", ext=".EXE").endswith("Big Buck Bunny (2008).mkv")
    assert path(MOVIE, 1, "main_feature", ext=".MKV").endswith(".mkv")


def test_parse_episode() -> None:
    assert parse_episode("s02e05 - Pilot") == Episode(2, 5, "Pilot")
    assert parse_episode("S2E5") == Episode(2, 5, None)
    assert parse_episode("Season finale") is None and parse_episode(None) is None


@pytest.mark.parametrize(("title", "name"), [
    ("../../etc", "../../passwd"),
    ("/", "/"),
    ("..", ".."),
    (".", ".hidden"),
    ("C:\\Windows", "a\\..\\b"),
    ("CON", "nul.txt"),
    ("a\x00b\nc", "\x1b[31mred"),
    ("   ", "   "),
    ("x" * 600, "é" * 400),
])
def test_hostile_names_stay_inside_the_library(title: str, name: str) -> None:
    disc = DiscInfo(title, None, "dvd", artist=name)
    for kind in ("main_feature", "alternate_feature", "trailer", "episode", "other"):
        result = library_path(disc, TrackInfo(3, name, kind))
        assert is_safe_relative(result), result
        assert all(len(p.encode()) <= 200 for p in result.parts)
    assert is_safe_relative(library_path(DiscInfo(title, None, "cd", name), TrackInfo(3, name, "other"), ".flac"))


@given(st.text(), st.text(), st.sampled_from(["main_feature", "trailer", "episode", "interview", "other"]),
       st.sampled_from(["dvd", "cd"]))
def test_any_text_gives_a_safe_relative_path(title: str, name: str, kind: str, disc_type: str) -> None:
    result = library_path(DiscInfo(title, None, disc_type, name), TrackInfo(1, name, kind))
    assert is_safe_relative(result)
    assert result.parts[0] in ("Movies", "TV Shows", "Music")


def test_collisions_get_a_number_never_the_same_path() -> None:
    base = PurePosixPath("Movies/X (2000)/X (2000).mkv")
    taken = {base, PurePosixPath("Movies/X (2000)/X (2000) (2).mkv")}
    assert unique_path(base, taken.__contains__) == PurePosixPath("Movies/X (2000)/X (2000) (3).mkv")
    assert unique_path(base, lambda _: False) == base
    with pytest.raises(FileExistsError):
        unique_path(base, lambda _: True, limit=5)


def test_is_safe_relative_refuses_escapes() -> None:
    for bad in ("/etc/passwd", "../x", "Movies/../../x", "Movies/.staging/x", ""):
        assert not is_safe_relative(PurePosixPath(bad))
    assert is_safe_relative(PurePosixPath("Movies/X (2000)/X (2000).mkv"))


def test_identified_episodes_use_their_season_episode_and_name() -> None:
    show = DiscInfo("The Show", 2001, "dvd")
    tracks = [TrackInfo(1, "Pilot", "episode", 1, 1, 2), TrackInfo(2, "Third", "episode", 1, 3),
              TrackInfo(3, "Making Of", "episode", 0, 4), TrackInfo(4, None, "episode")]
    numbers = episode_numbers(tracks)
    paths = [library_path(show, t, ".mkv", numbers[t.number]).as_posix() for t in tracks]
    assert paths == [
        "TV Shows/The Show (2001)/Season 01/The Show (2001) - s01e01-e02 - Pilot.mkv",
        "TV Shows/The Show (2001)/Season 01/The Show (2001) - s01e03 - Third.mkv",
        "TV Shows/The Show (2001)/Season 00/The Show (2001) - s00e04 - Making Of.mkv",
        # an unnumbered episode takes the next season-1 number no identified one holds
        "TV Shows/The Show (2001)/Season 01/The Show (2001) - s01e04.mkv",
    ]
    # Without episode_numbers, a track's own numbering still names it.
    assert library_path(show, tracks[1]).as_posix().endswith("s01e03 - Third.mkv")


def test_named_extras_are_filed_under_their_names() -> None:
    film = DiscInfo("Film", 1999, "bluray")
    assert library_path(film, TrackInfo(4, "Theatrical Trailer", "trailer")).as_posix() == \
        "Movies/Film (1999)/Trailers/Theatrical Trailer.mkv"
    assert library_path(film, TrackInfo(5, "Making the Film", "featurette")).as_posix() == \
        "Movies/Film (1999)/Featurettes/Making the Film.mkv"

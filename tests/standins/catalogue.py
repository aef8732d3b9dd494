"""A TMDB stand-in catalogue (bench/identify_accuracy.py): the films and series of TheDiscDB's 22 labelled
logs, with their look-alikes (other versions, sequels and prequels, same-name series, shorts of the same name).

Runtimes are TMDB's as best known (whole minutes); episode runtimes are a season's typical length. The look-alikes
are what makes the benchmark honest: a label that matches several of them must come out uncertain, not wrong.
"""

from __future__ import annotations

from standins.tmdb import Film, Series

# (id, title, release date, runtime, imdb id)
FILMS = [Film(*f) for f in [
    (109410, "42", "2013-04-12", 128, "tt0453562"),
    (3085, "42nd Street", "1933-03-09", 89, "tt0024069"),
    (13343, "Bottle Rocket", "1996-02-21", 91, "tt0115734"),
    (51162, "Bottle Rocket", "1994-01-01", 13, "tt0109326"),  # Wes Anderson's short of the same name
    (68, "Brazil", "1985-02-20", 143, "tt0088846"),
    (1573, "Die Hard 2", "1990-07-02", 124, "tt0099423"),
    (562, "Die Hard", "1988-07-15", 132, "tt0095016"),
    (1572, "Die Hard: With a Vengeance", "1995-05-19", 128, "tt0112864"),
    (1571, "Live Free or Die Hard", "2007-06-20", 129, "tt0337978"),
    (47964, "A Good Day to Die Hard", "2013-02-06", 98, "tt1606378"),
    (2613, "'Round Midnight", "1986-10-03", 133, "tt0090557"),
    (129, "Spirited Away", "2001-07-20", 125, "tt0245429"),
    (62, "2001: A Space Odyssey", "1968-04-02", 149, "tt0062622"),
    (4437, "2010", "1984-12-06", 116, "tt0086837"),
    (21705, "2001: A Space Travesty", "2000-11-17", 99, "tt0220100"),
    (6557, "27 Dresses", "2008-01-10", 111, "tt0988595"),
    (15242, "A Boy Named Charlie Brown", "1969-12-04", 86, "tt0064107"),
    (329, "Jurassic Park", "1993-06-11", 127, "tt0107290"),
    (330, "The Lost World: Jurassic Park", "1997-05-23", 129, "tt0119567"),
    (331, "Jurassic Park III", "2001-07-18", 92, "tt0163025"),
    (135397, "Jurassic World", "2015-06-06", 124, "tt0369610"),
    (1542, "Office Space", "1999-02-19", 89, "tt0151804"),
    (5825, "National Lampoon's Christmas Vacation", "1989-11-30", 97, "tt0097958"),
    (11153, "National Lampoon's Vacation", "1983-07-28", 98, "tt0085995"),
    (16866, "Christmas Vacation 2: Cousin Eddie's Island Adventure", "2003-12-20", 85, "tt0346156"),
    (275, "Fargo", "1996-03-08", 98, "tt0116282"),
    (11545, "Rushmore", "1998-12-11", 93, "tt0128445"),
    (24804, "24: Redemption", "2008-11-23", 102, "tt1102732"),
    (709904, "30 Rock: A One-Time Special", "2020-07-16", 60, "tt12591162"),
]]


def _season(count: int, runtime: int, title: str = "Episode") -> list[tuple[str, int | None]]:
    return [(f"{title} {n}", runtime) for n in range(1, count + 1)]


SERIES = [
    Series(4608, "30 Rock", "2006-10-11", {1: _season(21, 22)}),
    Series(2316, "The Office", "2005-03-24", {0: _season(30, 5, "Webisode"), 1: [
        ("Pilot", 23), ("Diversity Day", 22), ("Health Care", 22), ("The Alliance", 22), ("Basketball", 22),
        ("Hot Girl", 22)], 2: _season(22, 22)}),
    Series(2996, "The Office", "2001-07-09", {1: _season(6, 30), 2: _season(6, 30)}),  # the British one
    Series(1973, "24", "2001-11-06", {1: [(f"{h}:00 A.M.-{h + 1}:00 A.M.", 43) for h in range(12)]
                                      + [(f"{h}:00 P.M.-{h + 1}:00 P.M.", 43) for h in range(12)]}),
    Series(65988, "24: Legacy", "2017-02-05", {1: _season(12, 43)}),
    Series(60622, "Fargo", "2014-04-15", {1: _season(10, 53)}),
    Series(4087, "Aaahh!!! Real Monsters", "1994-10-29", {1: _season(13, 23)}),
]

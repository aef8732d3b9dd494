"""A disc's volume label as a search: cleaned of disc, side, region, edition and format words, with the hints
those words carry (season, disc number, year), and relaxed step by step when nothing matches.

`27DRESSES_WS` → "27dresses", then "27 dresses"; `THE OFFICE S1` → "the office" (season 1);
`2001_A_SPACE_ODYSSEY_DISC_1` → "2001 a space odyssey" (disc 1). Pure.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


def _spaced(text: str) -> list[str]:
    return text.split()


# Words that say how a disc was made or sold, never what it holds. Only dropped when other words remain.
NOISE = frozenset(_spaced("""
ws fs widescreen fullscreen full screen ps lb letterbox anamorphic dts ac3 dd51 dd 51 169 43 ntsc pal
se ce le dc ue sce special edition collectors collector ultimate deluxe definitive limited unrated extended theatrical
directors cut remastered anniversary restored criterion steelbook bluray blu ray bd bd25 bd50 dvd dvd5 dvd9 uhd
4k hd 3d disc disk side region feature film movie vol
"""))
# Region and country words: noise only at either end of a label that has other words ("DIE_HARD_2_US").
EDGE_NOISE = frozenset(_spaced("us uk eu fr de nl au ca r1 r2 r3 r4 r5 r6 eng en"))
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10}
_SEASON = re.compile(r"^(?:s|season|series)(\d{1,2})$")
_DISC = re.compile(r"^(?:d|disc|disk|dis|cd)(\d{1,2})$")
_SEASON_DISC = re.compile(r"^s(\d{1,2})d(\d{1,2})$")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")


def words(text: str) -> tuple[str, ...]:
    """A title as comparable words: accents, case, apostrophes and punctuation gone, "&" read as "and"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    plain = plain.replace("&", " and ").replace("'", "").replace("’", "")
    return tuple(re.sub(r"[^a-z0-9]+", " ", plain).split())


@dataclass(frozen=True)
class LabelHints:
    """What a label says: the title words left after cleaning, and the hints the other words carried."""

    label: str
    words: tuple[str, ...]
    season: int | None = None
    disc: int | None = None
    year: int | None = None
    series_words: tuple[str, ...] = ()  # the words that said "series" ("s1", "season 2"); disc words alone do not

    @property
    def query(self) -> str:
        return " ".join(self.words)


def _number(token: str | None) -> int | None:
    if token is None:
        return None
    if token.isdigit() and len(token) <= 2:
        return int(token)
    return NUMBER_WORDS.get(token)


def clean_label(label: str) -> LabelHints:
    """Split a volume label (or a Blu-ray meta title) into title words and hints."""
    tokens = list(words(label.replace("_", " ")))
    kept: list[str] = []
    season = disc = year = None
    series_words: list[str] = []
    i = 0
    while i < len(tokens):
        token, following = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else None
        if m := _SEASON_DISC.match(token):
            season, disc = int(m.group(1)), int(m.group(2))
            series_words.append(token)
        elif m := _SEASON.match(token):
            season = int(m.group(1))
            series_words.append(token)
        elif token in ("season", "series") and _number(following) is not None:
            season = _number(following)
            series_words.append(f"{token} {following}")
            i += 1
        elif m := _DISC.match(token):
            disc = int(m.group(1))
        elif token == "side" and following in ("a", "b", "1", "2"):
            i += 1  # "SIDE A": which side of a flipper disc, not a word of the title
        elif token in ("disc", "disk", "d", "cd") and _number(following) is not None:
            disc = _number(following)
            i += 1
        else:
            kept.append(token)
        i += 1
    if len(kept) > 1 and re.fullmatch(r"(19|20)\d\d", kept[-1]):
        year = int(kept.pop())
    title = [w for w in kept if w not in NOISE] or kept
    while len(title) > 1 and title[-1] in EDGE_NOISE:
        title.pop()
    while len(title) > 1 and title[0] in EDGE_NOISE:
        title.pop(0)
    return LabelHints(label=label, words=tuple(title), season=season, disc=disc, year=year,
                      series_words=tuple(series_words))


def relaxed_queries(hints: LabelHints, limit: int = 4) -> list[str]:
    """Searches to try in order until one finds something: the cleaned words, then letters and digits split
    ("27dresses" → "27 dresses", dropping noise that split reveals: "jurassic169" → "jurassic"), then the words
    with the last one dropped, down to one word (never a lone short word, which matches half of TMDB)."""
    out: list[str] = [hints.query] if hints.query else []

    def add(ws: tuple[str, ...] | list[str]) -> None:
        query = " ".join(ws)
        if query and query not in out and not (len(ws) == 1 and len(query) < 4 and not query.isdigit()):
            out.append(query)

    split = [w for w in _LETTER_DIGIT.sub(" ", hints.query).split() if w not in NOISE] or list(hints.words)
    add(split)
    shorter = split
    while len(shorter) > 1:
        shorter = shorter[:-1]
        add(shorter)
    return out[:limit]


def label_similarity(label_words: tuple[str, ...], title: str) -> float:
    """How well a label's words name a title, 0..1: shared words over all words, with squashed labels
    ("bottlerocket") and dropped articles forgiven; a label whose words all appear in the title ("christmas
    vacation" in "National Lampoon's Christmas Vacation") or the other way round scores at least 0.7, unless a
    number differs (sequels: "die hard 2" is not "Die Hard")."""
    title_words = tuple(w for w in words(title) if w not in ("the", "a", "an") or len(words(title)) == 1)
    mine = tuple(w for w in label_words if w not in ("the", "a", "an") or len(label_words) == 1)
    if not mine or not title_words:
        return 0.0
    if "".join(mine) == "".join(title_words):
        return 1.0
    split_mine = tuple(_LETTER_DIGIT.sub(" ", " ".join(mine)).split())
    best = 0.0
    for candidate in {mine, split_mine}:
        mine_set, theirs = set(candidate), set(title_words)
        jaccard = len(mine_set & theirs) / len(mine_set | theirs)
        numbers_agree = {w for w in mine_set if w.isdigit()} == {w for w in theirs if w.isdigit()}
        contained = numbers_agree and (mine_set <= theirs or theirs <= mine_set)
        best = max(best, 0.7 + 0.3 * jaccard if contained else jaccard)
    return best

"""TheDiscDB (GraphQL): a disc by its content hash, with the work and every title's item, as its schema names them.

TheDiscDB's published schema: `mediaItems(where: MediaItemFilterInput)` is a connection with `nodes`; a
`MediaItem` has `title`, `year`, `type` ("Movie" / "Series"), `externalids { tmdb imdb }` (strings) and `releases`,
each with `discs { index name format contentHash titles { ... } }`; a `Title` has `index`, `duration` ("h:mm:ss"),
`size`, `sourceFile` ("00800.mpls", "VTS_02_1.VOB"...), `segmentMap` and `item` (`title`, `type`, `season`,
`episode`, strings; `episode` may be a range "1-2").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amphigory.metadata.cache import LookupCache, cached
from amphigory.metadata.http import Http, ServiceError
from amphigory.metadata.shapes import ParseError, as_dict

SERVICE = "thediscdb"

DISC_BY_CONTENT_HASH = """
query DiscByContentHash($hash: String) {
  mediaItems(where: {releases: {some: {discs: {some: {contentHash: {eq: $hash}}}}}}) {
    nodes {
      title
      year
      type
      imageUrl
      externalids { tmdb imdb }
      releases {
        title
        year
        discs(order: {index: ASC}) {
          index
          name
          format
          contentHash
          titles(order: {index: ASC}) {
            index
            duration
            size
            sourceFile
            segmentMap
            item { title type season episode }
          }
        }
      }
    }
  }
}
"""


@dataclass(frozen=True)
class DiscDbTitle:
    index: int
    duration_seconds: float | None
    size: int
    source_file: str | None
    segment_map: str | None
    name: str | None = None  # the item's title ("Theatrical Trailer", "Pilot")
    item_type: str | None = None  # MainMovie, Episode, Extra, Trailer, DeletedScene, Featurette, Interview, Other
    season: int | None = None
    episode: int | None = None
    episode_end: int | None = None  # "3-4": a title holding two episodes


@dataclass(frozen=True)
class DiscDbDisc:
    """The disc TheDiscDB knows by a content hash, with its work."""

    work_title: str
    year: int | None
    series: bool
    tmdb_id: int | None
    imdb_id: str | None
    release_title: str | None
    disc_index: int
    disc_name: str | None
    disc_format: str | None
    titles: tuple[DiscDbTitle, ...]


def parse_duration(text: str | None) -> float | None:
    """"2:08:14" (or "8:14") in seconds; None when it is not one."""
    if not text:
        return None
    try:
        parts = [float(p) for p in text.strip().split(":")]
    except ValueError:
        return None
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    return seconds if len(parts) in (2, 3) else None


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _episodes(value: Any) -> tuple[int | None, int | None]:
    if not isinstance(value, str) or not value.strip():
        return _int(value), None
    first, _, last = value.strip().partition("-")
    start, end = _int(first), _int(last) if last else None
    return start, (end if end is not None and start is not None and end > start else None)


def _title(raw: Any) -> DiscDbTitle:
    if not isinstance(raw, dict) or not isinstance(raw.get("index"), int):
        raise ParseError(SERVICE, "a title without an index")
    item = as_dict(raw.get("item"))
    episode, episode_end = _episodes(item.get("episode"))
    size = raw.get("size")
    return DiscDbTitle(
        index=raw["index"], duration_seconds=parse_duration(raw.get("duration")),
        size=size if isinstance(size, int) else 0,
        source_file=raw.get("sourceFile") or None, segment_map=raw.get("segmentMap") or None,
        name=item.get("title") or None, item_type=item.get("type") or None,
        season=_int(item.get("season")), episode=episode, episode_end=episode_end,
    )


def parse_disc(answer: Any, content_hash: str) -> DiscDbDisc | None:
    """The disc with `content_hash` in a `DISC_BY_CONTENT_HASH` answer; None when TheDiscDB does not know it."""
    if not isinstance(answer, dict):
        raise ParseError(SERVICE, "answer is not a GraphQL response")
    errors = answer.get("errors")
    if errors:
        listed = errors if isinstance(errors, list) else [errors]  # garbage: `"errors": true`
        raise ServiceError(SERVICE, "GraphQL errors: " + "; ".join(
            str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in listed)[:300])
    data = answer.get("data")
    connection = data.get("mediaItems") if isinstance(data, dict) else None
    if connection is None:
        return None
    nodes = connection.get("nodes") if isinstance(connection, dict) else None
    if not isinstance(nodes, list):
        raise ParseError(SERVICE, "mediaItems has no nodes list")
    wanted = content_hash.upper()
    for node in nodes:
        if not isinstance(node, dict):
            raise ParseError(SERVICE, "a node is not an object")
        ids = as_dict(node.get("externalids"))
        for release in node.get("releases") or []:
            for disc in (release or {}).get("discs") or []:
                if str((disc or {}).get("contentHash") or "").upper() != wanted:
                    continue
                titles = disc.get("titles")
                if not isinstance(titles, list):
                    raise ParseError(SERVICE, "a disc without a titles list")
                return DiscDbDisc(
                    work_title=str(node.get("title") or ""), year=_int(node.get("year")),
                    series=str(node.get("type") or "").lower() == "series",
                    tmdb_id=_int(ids.get("tmdb")), imdb_id=ids.get("imdb") or None,
                    release_title=release.get("title") or None, disc_index=_int(disc.get("index")) or 1,
                    disc_name=disc.get("name") or None, disc_format=disc.get("format") or None,
                    titles=tuple(_title(t) for t in titles),
                )
    return None


async def find_disc(http: Http, url: str, content_hash: str, cache: LookupCache | None = None) -> DiscDbDisc | None:
    """Ask TheDiscDB for the disc with this content hash (POST, as GraphQL over HTTP says)."""
    async def fetch() -> Any:
        answer = await http.request_json(SERVICE, "POST", url, body={
            "query": DISC_BY_CONTENT_HASH, "variables": {"hash": content_hash},
            "operationName": "DiscByContentHash"})
        parse_disc(answer, content_hash)  # only a well-formed answer is cached
        return answer

    return parse_disc(await cached(cache, f"{SERVICE}:{content_hash.upper()}", fetch), content_hash)

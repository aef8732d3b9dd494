"""TheDiscDB's GraphQL endpoint: queries validated and run against its published schema (thediscdb.graphql)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, build_schema, graphql_sync

from standins.server import Answer, StandIn, json_answer

SCHEMA_SDL = (Path(__file__).parent / "thediscdb.graphql").read_text()


def _string_matches(op: dict[str, Any], value: str | None) -> bool:
    if "eq" in op and op["eq"] is not None and (value or "") != op["eq"]:
        return False
    return not ("contains" in op and op["contains"] is not None and op["contains"] not in (value or ""))


def _disc_matches(where: dict[str, Any], disc: dict[str, Any]) -> bool:
    return all(_string_matches(op, disc.get(name)) for name, op in where.items() if name in ("contentHash", "name"))


def _item_matches(where: dict[str, Any] | None, item: dict[str, Any]) -> bool:
    """The filters a by-content-hash or by-title query uses (HotChocolate's semantics for `some`, `eq`,
    `contains`); others are accepted and ignored."""
    if not where:
        return True
    if "title" in where and not _string_matches(where["title"], item.get("title")):
        return False
    releases = (where.get("releases") or {}).get("some")
    if releases is not None:
        discs = (releases.get("discs") or {}).get("some")
        return any(discs is None or any(_disc_matches(discs, d) for d in r.get("discs", []))
                   for r in item.get("releases", []))
    return True


class TheDiscDbStandIn(StandIn):
    def __init__(self, items: list[dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.items: list[dict[str, Any]] = list(items or [])
        self.schema: GraphQLSchema = build_schema(SCHEMA_SDL)
        self.schema.query_type.fields["mediaItems"].resolve = self._media_items  # type: ignore[union-attr]

    def _media_items(self, _root: Any, _info: Any, where: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
        nodes = [i for i in self.items if _item_matches(where, i)]
        return {"nodes": nodes, "edges": [{"cursor": str(n), "node": i} for n, i in enumerate(nodes)],
                "pageInfo": {"hasNextPage": False, "hasPreviousPage": False}}

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer:
        if path != "/graphql" or method != "POST":
            return json_answer({"error": "Not Found"}, 404)
        try:
            request = json.loads(body)
        except ValueError:
            return json_answer({"errors": [{"message": "Invalid JSON body"}]}, 400)
        result = graphql_sync(self.schema, request.get("query", ""), variable_values=request.get("variables"),
                              operation_name=request.get("operationName"))
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [e.formatted for e in result.errors]
        return json_answer(answer, 200 if result.data is not None else 400)


def disc_record(*, item_id: int, title: str, year: int, kind: str, tmdb: str | None, imdb: str | None,
                release: str, content_hash: str, disc_format: str, titles: list[dict[str, Any]],
                disc_index: int = 1) -> dict[str, Any]:
    """A media item with one release holding one disc, shaped as TheDiscDB's schema names it."""
    return {
        "id": item_id, "title": title, "slug": f"{title.lower().replace(' ', '-')}-{year}", "year": year,
        "type": kind, "imageUrl": f"{kind}/{item_id}/cover.jpg", "runtimeMinutes": 0,
        "externalids": {"id": item_id, "tmdb": tmdb, "imdb": imdb, "tvdb": None},
        "releases": [{
            "id": item_id * 10, "slug": release.lower().replace(" ", "-"), "title": release, "year": year,
            "type": kind, "discs": [{"id": item_id * 100, "index": disc_index, "name": f"Disc {disc_index}",
                                     "format": disc_format, "contentHash": content_hash, "titles": titles}],
        }],
    }


def title_record(index: int, *, duration: str, size: int, source_file: str, segment_map: str,
                 name: str | None = None, item_type: str | None = None, season: str | None = None,
                 episode: str | None = None) -> dict[str, Any]:
    item = None if item_type is None else {"id": 1000 + index, "title": name, "type": item_type,
                                           "season": season, "episode": episode, "chapters": []}
    return {"index": index, "id": 500 + index, "duration": duration, "size": size, "sourceFile": source_file,
            "segmentMap": segment_map, "displaySize": f"{size / 1e6:.1f} MB", "item": item, "comment": None,
            "description": "", "itemType": item_type or "", "season": season or "", "episode": episode or "",
            "hasItem": item is not None}

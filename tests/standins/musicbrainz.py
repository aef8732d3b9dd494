"""MusicBrainz's JSON web service (`/ws/2/discid/{id}`, `/ws/2/release/{mbid}`, `/ws/2/release?query=`, with
`fmt=json`) and the Cover Art Archive (`/release/{mbid}`), as they document their answers."""

from __future__ import annotations

from typing import Any

from standins.server import Answer, StandIn, json_answer


def release_record(*, release_id: str, title: str, artist: str, date: str, disc_id: str,
                   tracks: list[tuple[str, int, str | None]], country: str = "XE") -> dict[str, Any]:
    """A release as the disc id lookup returns it: tracks are (title, length ms, own artist or None)."""
    credit = [{"name": artist, "joinphrase": "", "artist": {"id": "a-" + release_id[:8], "name": artist,
                                                             "sort-name": artist, "disambiguation": ""}}]
    return {
        "id": release_id, "title": title, "status": "Official", "quality": "normal", "date": date,
        "country": country, "barcode": "", "disambiguation": "", "packaging": "Jewel Case",
        "text-representation": {"language": "eng", "script": "Latn"},
        "cover-art-archive": {"artwork": True, "count": 1, "front": True, "back": False, "darkened": False},
        "artist-credit": credit,
        "media": [{
            "position": 1, "format": "CD", "title": "", "track-count": len(tracks), "track-offset": 0,
            "discs": [{"id": disc_id, "sectors": 0, "offset-count": len(tracks), "offsets": []}],
            "tracks": [{
                "id": f"t{n}-{release_id[:8]}", "number": str(n), "position": n, "title": t, "length": ms,
                "artist-credit": ([{"name": own, "joinphrase": "", "artist": {"id": "o", "name": own,
                                                                              "sort-name": own}}]
                                  if own else credit),
                "recording": {"id": f"r{n}", "title": t, "length": ms, "video": False, "disambiguation": ""},
            } for n, (t, ms, own) in enumerate(tracks, 1)],
        }],
    }


class MusicBrainzStandIn(StandIn):
    def __init__(self, releases: list[dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.releases = list(releases or [])

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer:
        parts = path.strip("/").split("/")
        if parts[-1] == "release" and "query" in query:  # search: every word in the title or the artist
            wanted = query["query"][0].lower().split()
            found = [r for r in self.releases if all(
                w in f"{r['title']} {r['artist-credit'][0]['name']}".lower() for w in wanted)]
            return json_answer({"created": "2026-12-01T00:00:00.000Z", "count": len(found), "offset": 0,
                                "releases": [{**{k: v for k, v in r.items() if k != "media"}, "score": 100 - 10 * n,
                                              "track-count": sum(m["track-count"] for m in r["media"]),
                                              "media": [{"format": m["format"], "disc-count": len(m["discs"]),
                                                         "track-count": m["track-count"]} for m in r["media"]]}
                                             for n, r in enumerate(found)]})
        if len(parts) >= 2 and parts[-2] == "release":
            release = next((r for r in self.releases if r["id"] == parts[-1]), None)
            if release is not None:
                return json_answer(release)
        if len(parts) >= 2 and parts[-2] == "discid":
            disc_id = parts[-1]
            found = [r for r in self.releases
                     if any(d["id"] == disc_id for m in r["media"] for d in m["discs"])]
            if found:
                return json_answer({"id": disc_id, "sectors": 0, "offset-count": 0, "offsets": [],
                                    "releases": found})
        return json_answer({"error": "Not Found", "help": "For usage, please see: "
                            "https://musicbrainz.org/development/mmd"}, 404)


class CoverArtStandIn(StandIn):
    def __init__(self, fronts: dict[str, str] | None = None) -> None:
        super().__init__()
        self.fronts = dict(fronts or {})  # release id -> image URL

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer:
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "release" and parts[1] in self.fronts:
            # as the real one does: the listing lives at archive.org, the archive redirects there
            return 307, {"Location": f"/download/mbid-{parts[1]}/index.json"}, b""
        if len(parts) == 3 and parts[0] == "download" and parts[1][5:] in self.fronts:
            release_id = parts[1][5:]
            image = self.fronts[release_id]
            stem = image.rsplit(".", 1)[0]
            return json_answer({"images": [{
                "approved": True, "back": False, "comment": "", "edit": 1, "front": True, "id": 1,
                "image": image, "types": ["Front"],
                "thumbnails": {"250": f"{stem}-250.jpg", "500": f"{stem}-500.jpg", "1200": f"{stem}-1200.jpg",
                               "small": f"{stem}-250.jpg", "large": f"{stem}-500.jpg"}}],
                "release": f"https://musicbrainz.org/release/{release_id}"})
        return 404, {"Content-Type": "text/plain"}, b"Not Found"

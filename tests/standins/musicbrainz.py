"""MusicBrainz's JSON web service (`/ws/2/discid/{id}?inc=recordings+artist-credits&fmt=json`) and the Cover Art
Archive (`/release/{mbid}`), as they document their answers."""

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
            image = self.fronts[parts[1]]
            stem = image.rsplit(".", 1)[0]
            return json_answer({"images": [{
                "approved": True, "back": False, "comment": "", "edit": 1, "front": True, "id": 1,
                "image": image, "types": ["Front"],
                "thumbnails": {"250": f"{stem}-250.jpg", "500": f"{stem}-500.jpg", "1200": f"{stem}-1200.jpg",
                               "small": f"{stem}-250.jpg", "large": f"{stem}-500.jpg"}}],
                "release": f"https://musicbrainz.org/release/{parts[1]}"})
        return 404, {"Content-Type": "text/plain"}, b"Not Found"

"""The Cover Art Archive: a release's front cover (`/release/{mbid}` lists its images).

The listing is `{"images": [{"front": true, "image": URL, "thumbnails": {"250", "500", "1200", "small",
"large"}, "types": ["Front", ...]}], "release": URL}`; a release without art is a 404.
"""

from __future__ import annotations

from typing import Any

from amphigory.metadata.cache import LookupCache, cached
from amphigory.metadata.http import Http
from amphigory.metadata.shapes import ParseError, as_dict

SERVICE = "coverart"


def parse_front(data: Any) -> str | None:
    """The URL of the front cover (a 500 px thumbnail where there is one), None when there is no front."""
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise ParseError(SERVICE, "listing without images")
    for image in data["images"]:
        if isinstance(image, dict) and (image.get("front") is True or "Front" in (image.get("types") or [])):
            thumbs = as_dict(image.get("thumbnails"))
            url = thumbs.get("500") or thumbs.get("large") or image.get("image")
            return url if isinstance(url, str) and url else None
    return None


async def front_cover(http: Http, base_url: str, release_id: str, cache: LookupCache | None = None) -> str | None:
    url = f"{base_url.rstrip('/')}/release/{release_id}"
    data = await cached(cache, f"{SERVICE}:{release_id}", lambda: http.request_json(SERVICE, "GET", url))
    return None if data is None else parse_front(data)

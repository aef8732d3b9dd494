"""`Covers`: the front cover of the album a disc was identified as, for its FLACs' tags.

The cover's address is the applied answer's `poster_url` (the Cover Art Archive's front image, as the identifier
found it); the image is fetched once per album (a CD's tracks are filed one after another), streamed with a size
cap, and any failure is None: a cover is a nicety.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

import httpx

from amphigory.api.disc_models import StoredDisc
from amphigory.identify.applying import applied

log = logging.getLogger(__name__)


class Covers:
    KEEP = 8  # covers kept in memory
    MAX_BYTES = 16 << 20  # a cover larger than this is not embedded

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._client = client
        self._kept: OrderedDict[str, bytes | None] = OrderedDict()

    async def front_cover(self, disc: StoredDisc) -> bytes | None:
        answer = applied(disc)
        url = answer.poster_url if answer is not None else None
        if not url or not url.startswith(("http://", "https://")):
            return None
        if url not in self._kept:
            self._kept[url] = await self._download(url)
            while len(self._kept) > self.KEEP:
                self._kept.popitem(last=False)
        return self._kept[url]

    async def _download(self, url: str) -> bytes | None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10.0, follow_redirects=True)
        data = bytearray()
        try:
            async with self._client.stream("GET", url) as response:
                response.raise_for_status()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > self.MAX_BYTES:
                        log.info("no cover from %s: larger than %d bytes", url, self.MAX_BYTES)
                        return None
        except httpx.HTTPError as exc:
            log.info("no cover from %s: %s", url, exc)
            return None
        return bytes(data)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

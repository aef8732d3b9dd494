"""The pages' static files (CSS, JavaScript, the icon), served from memory with a content version.

Pages link each file as ``/static/app.css?v=<digest>`` (`static_url`). A request naming the current digest may be
kept by the browser for a year (``immutable``): a page opened again asks the server for nothing but its HTML. A
request without it (or with an old one) gets ``no-cache`` and an ETag, so it is revalidated. The bytes are read once
and again only when the file changes (its size or modification time), so the pages' first paint waits for no disk
read or thread hop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from amphigory_protocol.checksum import DEFAULT_ALGORITHM, new_hasher

STATIC_DIR = Path(__file__).resolve().parent / "static"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@dataclass(frozen=True)
class StaticFile:
    """One static file as served: its bytes, media type and version (the start of its content's digest)."""

    body: bytes
    media_type: str
    version: str
    stamp: tuple[int, int]  # (size, mtime_ns) when read

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class StaticFiles:
    """The files of one flat folder, each read when first asked for and re-read when it changes."""

    def __init__(self, folder: Path = STATIC_DIR) -> None:
        self.folder = folder
        self._files: dict[str, StaticFile] = {}

    def get(self, name: str) -> StaticFile | None:
        """The file ``name`` (no sub-folders, no hidden files, only the known media types); None otherwise."""
        media_type = MEDIA_TYPES.get(Path(name).suffix)
        if media_type is None or "/" in name or "\\" in name or name.startswith("."):
            return None
        path = self.folder / name
        try:
            info = os.stat(path)
        except OSError:
            return None
        stamp = (info.st_size, info.st_mtime_ns)
        known = self._files.get(name)
        if known is not None and known.stamp == stamp:
            return known
        try:
            body = path.read_bytes()
        except OSError:
            return None
        digest = new_hasher(DEFAULT_ALGORITHM)
        digest.update(body)
        fresh = StaticFile(body, media_type, digest.hexdigest()[:12], stamp)
        self._files[name] = fresh
        return fresh

    def url(self, name: str) -> str:
        """The versioned address of ``name`` for a page to link (the bare address when there is no such file)."""
        found = self.get(name)
        return f"/static/{name}" if found is None else f"/static/{name}?v={found.version}"


static_files = StaticFiles()

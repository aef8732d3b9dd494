"""What the services know about the repository's sample discs (samples/), built from the discs' own scans so
the content hashes, title sources and lengths are the real ones."""

from __future__ import annotations

from typing import Any

from amphigory_protocol.disc import ScanResult
from standins.musicbrainz import release_record
from standins.thediscdb import disc_record, title_record
from standins.tmdb import Film

SAMPLE_TMDB_ID = 900001
SAMPLE_RELEASE_ID = "5a3c1e2b-0c4d-4e8f-9a1b-2c3d4e5f6a7b"
# What TheDiscDB's curators would have said about each sample title (by title number).
DVD_ITEMS = {1: ("Amphigory Sample", "MainMovie"), 2: ("Theatrical Trailer", "Trailer"),
             3: ("Making of the Sample", "Featurette")}
BD_ITEMS = {1: ("Amphigory Sample", "MainMovie"), 2: ("Theatrical Trailer", "Trailer"),
            3: ("Deleted Opening", "DeletedScene")}


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _source_file(source: dict[str, Any]) -> str:
    return str(source["playlist"]) if "playlist" in source else f"{source['title']:02d}"


def discdb_record(scan: ScanResult, items: dict[int, tuple[str, str]], item_id: int, *,
                  film: str = "Amphigory Sample", year: int = 2024, tmdb_id: int = SAMPLE_TMDB_ID) -> dict[str, Any]:
    """A TheDiscDB media item for a scanned sample disc (by default the sample film). Titles are listed in reverse,
    as MakeMKV's order is not the disc's: the mapping must go by source and length, not position."""
    titles = [title_record(
        index, duration=_clock(t.duration_seconds), size=t.size_bytes, source_file=_source_file(t.source),
        segment_map=",".join(t.segment_map), name=items.get(t.number, (None, None))[0],
        item_type=items.get(t.number, (None, None))[1])
        for index, t in enumerate(reversed(scan.titles))]
    assert scan.public_ids.thediscdb_content_hash
    return disc_record(item_id=item_id, title=film, year=year, kind="Movie",
                       tmdb=str(tmdb_id), imdb=f"tt{9000001 + tmdb_id - SAMPLE_TMDB_ID}",
                       release=f"{year} {scan.disc_type}",
                       content_hash=scan.public_ids.thediscdb_content_hash,
                       disc_format="Blu-Ray" if scan.disc_type == "bluray" else "DVD", titles=titles)


SAMPLE_FILM = Film(id=SAMPLE_TMDB_ID, title="Amphigory Sample", release_date="2024-05-01", runtime=1,
                   imdb_id="tt9000001")


def cd_release(scan: ScanResult, release_id: str = SAMPLE_RELEASE_ID) -> dict[str, Any]:
    assert scan.public_ids.musicbrainz_disc_id
    return release_record(
        release_id=release_id, title="Amphigory Sample CD", artist="Amphigory Test Ensemble", date="2024-03-01",
        disc_id=scan.public_ids.musicbrainz_disc_id,
        tracks=[(f"Sample Tone {t.number}", round(t.duration_seconds * 1000),
                 "Guest Player" if t.number == 2 else None) for t in scan.titles])

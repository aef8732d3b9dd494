"""TheDiscDB records for the labelled logs in ../shared/fixtures/thediscdb: each disc as TheDiscDB's GraphQL
would answer for it (titles in its own order, with the curator's item types, names, seasons and episodes)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from standins.thediscdb import disc_record, title_record

_WORK = re.compile(r"data/(movie|series)/(.+) \((\d{4})\)/")


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def load_truth(disc_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((disc_dir / "truth.json").read_text())
    return data


def work(truth: dict[str, Any]) -> tuple[str, int, bool]:
    """(title, year, is a series) of the disc's work, from the path TheDiscDB keeps it under."""
    match = _WORK.match(truth["source"]["path"])
    assert match, truth["source"]["path"]
    return match.group(2), int(match.group(3)), match.group(1) == "series"


def discdb_record_from_truth(truth: dict[str, Any], content_hash: str, item_id: int = 1) -> dict[str, Any]:
    title, year, series = work(truth)
    titles = [title_record(
        t["makemkv_title_index"], duration=_clock(t["duration_seconds"]), size=t["bytes"] or 0,
        source_file=t["source_file"], segment_map=t["segment_map"], name=t["name"], item_type=t["summary_type"],
        season=None if t["season"] is None else str(t["season"]),
        episode=None if t["episode"] is None else str(t["episode"]))
        for t in truth["titles"]]
    return disc_record(item_id=item_id, title=title, year=year, kind="Series" if series else "Movie", tmdb=None,
                       imdb=None, release=truth["source"]["path"].split("/")[3], content_hash=content_hash,
                       disc_format={"dvd": "DVD", "bluray": "Blu-Ray", "uhd": "4K"}[truth["disc_type"]],
                       titles=titles)

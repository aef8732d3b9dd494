"""The transcode recipe the webapp hands to workers: the person's preset setting, resolved here (workers need not
see this machine's files).

`auto` and HandBrake's own preset names go as they are. A JSON preset exported from HandBrake (Presets > Export)
and dropped into `<data-dir>/presets/` is found by its file name (`Film.json` or `Film`) or by the preset's name
inside it, and its text travels with the job.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from amphigory_worker.transcode import AUTO_PRESET, Recipe

log = logging.getLogger(__name__)
MAX_PRESET_BYTES = 1 << 20


class PresetError(ValueError):
    """A preset file that is not a HandBrake preset export."""


def preset_names(text: str) -> list[str]:
    """The preset names in a HandBrake export (`{"PresetList": [{"PresetName": ...}, ...]}`, folders nested)."""
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise PresetError(f"not JSON: {exc}") from exc
    names: list[str] = []

    def walk(items: object) -> None:
        if not isinstance(items, list):
            return
        for item in items:
            if isinstance(item, dict):
                if item.get("Folder") and "ChildrenArray" in item:
                    walk(item["ChildrenArray"])
                elif isinstance(item.get("PresetName"), str):
                    names.append(item["PresetName"])

    walk(body.get("PresetList") if isinstance(body, dict) else None)
    if not names:
        raise PresetError("no PresetList with a PresetName: not a HandBrake preset export")
    return names


def exported_presets(folder: Path) -> dict[str, tuple[str, str]]:
    """Every exported preset in `folder`: file stem and preset name -> (preset name, JSON text)."""
    found: dict[str, tuple[str, str]] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.json")):
        try:
            if path.stat().st_size > MAX_PRESET_BYTES:
                raise PresetError("larger than 1 MiB")
            text = path.read_text(encoding="utf-8")
            names = preset_names(text)
        except (OSError, UnicodeDecodeError, PresetError) as exc:
            log.warning("ignoring preset file %s: %s", path.name, exc)
            continue
        found.setdefault(path.stem, (names[0], text))
        for name in names:
            found.setdefault(name, (name, text))
    return found


def recipe(preset: str, languages: tuple[str, ...], folder: Path) -> Recipe:
    """The recipe for the preset setting: an exported preset when one has that name, else the name as it is."""
    if preset != AUTO_PRESET:
        exported = exported_presets(folder).get(preset.removesuffix(".json"))
        if exported is not None:
            return Recipe(preset=exported[0], preset_json=exported[1], languages=languages)
    return Recipe(preset=preset, languages=languages)

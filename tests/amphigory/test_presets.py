"""Transcode presets a person drops into <data-dir>/presets/: found by file or preset name, sent with the job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amphigory.jobs.presets import PresetError, preset_names, recipe

EXPORT = {"PresetList": [{"Folder": True, "PresetName": "Mine", "ChildrenArray": [
    {"PresetName": "Film x265", "VideoEncoder": "x265"}]}], "VersionMajor": 47}


def test_an_exported_preset_is_found_by_file_or_preset_name(tmp_path: Path) -> None:
    (tmp_path / "film.json").write_text(json.dumps(EXPORT), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    by_file = recipe("film", ("eng",), tmp_path)
    by_name = recipe("Film x265", (), tmp_path)
    assert by_file.preset == by_name.preset == "Film x265"
    assert by_file.preset_json is not None and json.loads(by_file.preset_json) == EXPORT
    assert by_file.languages == ("eng",)
    plain = recipe("HQ 1080p30 Surround", (), tmp_path)
    assert plain.preset == "HQ 1080p30 Surround" and plain.preset_json is None
    assert recipe("auto", (), tmp_path / "missing").preset == "auto"


def test_a_file_that_is_not_an_export_is_refused() -> None:
    with pytest.raises(PresetError):
        preset_names('{"PresetList": []}')
    with pytest.raises(PresetError):
        preset_names("[1, 2]")

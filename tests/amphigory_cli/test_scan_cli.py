"""`amphigory scan`: the contract's JSON, the readable table, and a clear failure for anything that is no disc."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from amphigory_cli.main import main
from amphigory_cli.scan import run_scan

CONTRACT_TITLE_KEYS = ("number", "duration_seconds", "chapters", "size_bytes", "audio", "subtitles", "source",
                       "segment_map", "classification")


def test_json_has_the_contract_fields(samples: Path) -> None:
    out = io.StringIO()
    assert run_scan(str(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"), as_json=True, out=out) == 0
    result = json.loads(out.getvalue())
    for key in ("fingerprint", "disc_type", "volume_name", "titles", "public_ids"):
        assert key in result
    assert result["volume_name"] == "AMPHIGORY_SAMPLE_DVD"
    for title in result["titles"]:
        assert all(k in title for k in CONTRACT_TITLE_KEYS)
        assert set(title["classification"]) >= {"type", "confidence"}
        assert all("language" in a for a in title["audio"] + title["subtitles"])


def test_table(samples: Path) -> None:
    out = io.StringIO()
    assert run_scan(str(samples / "bluray" / "AMPHIGORY_SAMPLE_BD"), as_json=False, out=out) == 0
    text = out.getvalue()
    assert "AMPHIGORY_SAMPLE_BD" in text and "fingerprint bd-" in text
    assert "duplicate of" in text and "eng" in text
    assert len([line for line in text.splitlines() if line.strip()[:1].isdigit()]) >= 4


def test_not_a_disc_fails_with_the_reason_on_stderr(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_scan(str(tmp_path), as_json=True, out=out, err=err) != 0
    assert out.getvalue() == ""
    assert "not a disc" in err.getvalue()
    assert main(["scan", str(tmp_path / "missing.iso")]) != 0


def test_console_command(samples: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "amphigory_cli.main", "scan", "--json",
                           str(samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue")], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["disc_type"] == "cd"

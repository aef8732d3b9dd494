"""`amphigory --version` (the version and the schema, without loading the webapp or asyncio) and where the sample
discs are found (the checkout's samples/ for an editable install)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from amphigory.database import SCHEMA_VERSION
from amphigory_cli.samples import CHECKOUT_SAMPLES, samples_dir

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import sys
from amphigory_cli.main import main
try:
    main(["--version"])
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
heavy = [m for m in ("asyncio", "aiosqlite", "fastapi", "uvicorn", "httpx", "pydantic") if m in sys.modules]
print("heavy:", heavy)
"""


def test_version_names_the_schema_and_stays_light() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60,
                         check=True).stdout.splitlines()
    assert out[0].startswith("amphigory ") and out[0].endswith(f"(database schema {SCHEMA_VERSION})")
    assert out[1] == "heavy: []"


def test_an_editable_install_finds_the_checkouts_samples() -> None:
    assert CHECKOUT_SAMPLES == REPO / "samples"
    assert samples_dir() == REPO / "samples"
    assert (REPO / "samples" / "cd" / "AMPHIGORY_SAMPLE_CD.cue").is_file()


def test_the_version_read_from_the_dist_info_name_is_the_installed_one() -> None:
    from importlib.metadata import version

    from amphigory_cli.version import package_version

    assert package_version() == version("amphigory")

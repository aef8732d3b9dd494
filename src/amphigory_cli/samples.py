"""Where the sample discs are: inside the installed package (the wheel carries them as `amphigory_cli/samples`),
or at `samples/` of a source checkout, their one committed copy (an editable install reads them there)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

CHECKOUT_SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def samples_dir() -> Path | None:
    """The folder holding `dvd/`, `bluray/` and `cd/`, or None when this install has no sample discs."""
    packaged = resources.files("amphigory_cli").joinpath("samples")
    for candidate in (Path(str(packaged)), CHECKOUT_SAMPLES):
        if (candidate / "dvd").is_dir():
            return candidate
    return None

"""The package exports every name it lists, loading each module only when one of its names is used."""

from __future__ import annotations

import subprocess
import sys

import pytest

import amphigory_protocol


@pytest.mark.parametrize("name", amphigory_protocol.__all__)
def test_every_listed_name_resolves(name: str) -> None:
    assert getattr(amphigory_protocol, name) is not None


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        amphigory_protocol.Nope  # noqa: B018


def test_disc_models_do_not_load_the_wire() -> None:
    code = "import sys, amphigory_protocol as p; p.ScanResult; print('amphigory_protocol.messages' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

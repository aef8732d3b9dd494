"""`source_spec` asks makemkvcon which drive index a device has: a makemkvcon that cannot run is a `RipError`."""

from __future__ import annotations

from pathlib import Path

import pytest

from amphigory_daemon.rip import RipError, RipJob
from amphigory_daemon.rip.makemkv import source_spec
from amphigory_protocol.disc import Title


async def test_a_makemkvcon_that_cannot_run_is_tool_failed(tmp_path: Path) -> None:
    job = RipJob(source=Path("/dev/sr7"), disc_type="dvd", title=Title(number=1, duration_seconds=60.0),
                 fingerprint="dvd-x", output_root=tmp_path, disc_title="Disc", output_name="t1", device="/dev/sr7")
    with pytest.raises(RipError) as err:
        await source_spec(job, str(tmp_path / "no-such-makemkvcon"))
    assert err.value.code == "tool_failed" and "cannot run" in err.value.message

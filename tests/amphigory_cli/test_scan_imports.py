"""`amphigory scan` loads only what a scan needs: never the webapp's server stack, and each reader only for its input.

Each case runs the real command in a fresh interpreter (a test process has imported everything already) and
reads `sys.modules` afterwards. Start-up time follows from what is imported; this checks the imports, not a clock.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# pydantic too: importing it and building models was most of a scan's start-up (the disc models are dataclasses)
SERVER_STACK = ("fastapi", "starlette", "uvicorn", "websockets", "aiosqlite", "watchfiles", "jinja2", "pydantic",
                "pydantic_core")
# no part of the webapp package, nor the servers' settings (amphigory_cli.settings, the daemon's config)
WEBAPP_ALLOWED: set[str] = set()
SETTINGS = ("amphigory_cli.settings", "amphigory_daemon.config", "importlib.metadata")

_PROBE = """
import contextlib, io, json, sys
from amphigory_cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    status = main(["scan", sys.argv[1], "--json"])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def _modules_after_scan(path: Path) -> set[str]:
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["status"] == 0
    return set(report["modules"])


def _roots(modules: set[str]) -> set[str]:
    return {name.split(".", 1)[0] for name in modules}


@pytest.mark.parametrize(
    "rel",
    [
        Path("dvd") / "AMPHIGORY_SAMPLE_DVD.iso",
        Path("dvd") / "AMPHIGORY_SAMPLE_DVD",
        Path("bluray") / "AMPHIGORY_SAMPLE_BD",
        Path("cd") / "AMPHIGORY_SAMPLE_CD.cue",
    ],
    ids=["dvd-iso", "dvd-folder", "bluray-folder", "cd-cue"],
)
def test_scan_never_loads_the_server_stack(samples: Path, rel: Path) -> None:
    modules = _modules_after_scan(samples / rel)
    assert not _roots(modules) & set(SERVER_STACK)
    assert {m for m in modules if m == "amphigory" or m.startswith("amphigory.")} <= WEBAPP_ALLOWED
    assert not modules & set(SETTINGS)


def test_native_scan_skips_readers_it_does_not_need(samples: Path) -> None:
    modules = _modules_after_scan(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD")
    assert "pycdlib" not in modules  # a folder is read directly; pycdlib is for images
    assert "amphigory_daemon.scan.makemkv" not in modules
    assert "amphigory_daemon.formats.makemkv" not in modules


def test_an_image_loads_pycdlib_and_a_log_loads_the_makemkv_backend(samples: Path, shared_fixtures: Path) -> None:
    assert "pycdlib" in _modules_after_scan(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso")
    log = shared_fixtures / "makemkv" / "makemkvcon-deno_demo_disc_info_bluray.txt"
    modules = _modules_after_scan(log)
    assert "amphigory_daemon.scan.makemkv" in modules
    assert not _roots(modules) & set(SERVER_STACK)


def test_version_loads_no_settings() -> None:
    probe = ("import contextlib, io, json, sys\nfrom amphigory_cli.main import main\n"
             "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
             "    main(['--version'])\nprint(json.dumps(sorted(sys.modules)))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    modules = set(json.loads(run.stdout))
    assert not modules & {"amphigory_cli.settings", "amphigory_daemon.config"}  # (the version needs importlib.metadata)
    assert not _roots(modules) & set(SERVER_STACK)

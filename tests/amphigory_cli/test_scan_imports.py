"""`amphigory scan`, `identify --offline` and `rip` load only what they need: never the webapp's server stack, and
each reader (and ripping backend) only for its input.

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
# nor a network client: a scan reads a disc, it looks nothing up
NETWORK = ("httpx", "httpcore", "asyncio", "urllib3", "http")
# no part of the webapp package, nor the servers' settings (amphigory_cli.settings, the daemon's config)
WEBAPP_ALLOWED: set[str] = set()
SETTINGS = ("amphigory_cli.settings", "amphigory_daemon.config", "importlib.metadata")

# a DVD image is read by the UDF reader and its IFO parser alone: no pycdlib (importing it and parsing the whole
# image's directories was a third of the scan), no CD sheet or disc-id code, no Blu-ray parser, no folder or CD media,
# and no logging (only a damaged disc logs)
NOT_FOR_A_DVD_IMAGE = ("pycdlib", "logging", "amphigory_daemon.formats.cue", "amphigory_daemon.formats.cd_sheet",
                       "amphigory_daemon.formats.cd_layout", "amphigory_daemon.formats.discid",
                       "amphigory_daemon.formats.bluray", "amphigory_daemon.formats.bluray_mpls",
                       "amphigory_daemon.formats.bluray_clpi", "amphigory_daemon.formats.bluray_meta",
                       "amphigory_daemon.media.cdimage", "amphigory_daemon.media.folder")
# offline, nothing that talks to the network, nor the webapp's, daemon's and worker's settings (and the token code)
NOT_FOR_OFFLINE_IDENTIFY = ("asyncio", "httpx", "amphigory.metadata", "amphigory.identify.identifier",
                            "amphigory.config", "amphigory_daemon.config", "amphigory_worker.settings",
                            "amphigory_cli.token_file", "secrets")
# a DVD rip: the native backend alone (no MakeMKV robot-line parsers, no CD or Blu-ray code), and the ffmpeg found
# without imageio-ffmpeg's package (which would also run `ffmpeg -version`)
NOT_FOR_A_DVD_RIP = ("imageio_ffmpeg", "amphigory_daemon.rip.makemkv", "amphigory_daemon.formats.makemkv",
                     "amphigory_daemon.rip.cd", "amphigory_daemon.rip.grab", "amphigory_daemon.rip.paranoia",
                     "amphigory_daemon.rip.bluray", "amphigory_daemon.scan.makemkv", "httpx", "amphigory_cli.settings")

_PROBE = """
import contextlib, io, json, sys
from amphigory_cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    status = main(sys.argv[1:])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def _modules_after_scan(path: Path) -> set[str]:
    return _modules_after(["scan", str(path), "--json"])


def _modules_after(argv: list[str]) -> set[str]:
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, timeout=60, check=False
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
    assert not _roots(modules) & {*SERVER_STACK, *NETWORK}
    assert {m for m in modules if m == "amphigory" or m.startswith("amphigory.")} <= WEBAPP_ALLOWED
    assert not modules & set(SETTINGS)


def test_native_scan_skips_readers_it_does_not_need(samples: Path) -> None:
    modules = _modules_after_scan(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD")
    assert "pycdlib" not in modules  # a folder is read directly; pycdlib is for images
    assert "amphigory_daemon.scan.makemkv" not in modules
    assert "amphigory_daemon.formats.makemkv" not in modules


def test_a_dvd_image_loads_only_the_dvd_reader(samples: Path) -> None:
    modules = _modules_after_scan(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso")
    assert {"amphigory_daemon.formats.dvd_ifo", "amphigory_daemon.media.udf"} <= modules
    assert not modules & set(NOT_FOR_A_DVD_IMAGE)


def test_offline_identify_loads_neither_the_network_nor_other_commands_settings(
        samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no config file of this machine's
    monkeypatch.delenv("AMPHIGORY_CONFIG", raising=False)
    modules = _modules_after(["identify", str(samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"), "--json", "--offline"])
    assert "amphigory_cli.settings" in modules  # (it reads its own options, as `serve` does)
    assert not modules & {*NOT_FOR_OFFLINE_IDENTIFY, *NOT_FOR_A_DVD_IMAGE}
    assert not {m for m in modules if m.startswith(("httpx.", "asyncio.", "amphigory.metadata."))}
    assert not _roots(modules) & set(SERVER_STACK)


def test_an_iso9660_image_loads_pycdlib_and_a_log_loads_the_makemkv_backend(
        samples: Path, shared_fixtures: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.iso"  # no UDF side: the image only pycdlib reads
    folder = samples / "dvd" / "AMPHIGORY_SAMPLE_DVD"
    subprocess.run(["genisoimage", "-quiet", "-V", "PLAIN", "-o", str(plain), str(folder)], check=True,
                   capture_output=True)
    assert "pycdlib" in _modules_after_scan(plain)
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


@pytest.mark.parametrize(("rel", "reader"), [
    (Path("dvd") / "AMPHIGORY_SAMPLE_DVD.iso", "amphigory_daemon.media.udf"),
    (Path("dvd") / "AMPHIGORY_SAMPLE_DVD", "amphigory_daemon.media.folder"),
], ids=["dvd-iso", "dvd-folder"])
def test_a_dvd_rip_loads_the_native_dvd_path_only(samples: Path, tmp_path: Path, rel: Path, reader: str) -> None:
    modules = _modules_after(["rip", str(samples / rel), "--title", "2", "--output", str(tmp_path)])
    assert {"amphigory_daemon.rip.native", "amphigory_daemon.rip.verify", reader} <= modules
    # (logging comes with asyncio, which runs ffmpeg: its concurrent.futures imports it)
    assert not modules & ({*NOT_FOR_A_DVD_RIP, *NOT_FOR_A_DVD_IMAGE} - {"logging", reader})
    assert not _roots(modules) & set(SERVER_STACK)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["title 02.mkv"]

"""`amphigory demo`: the webapp and one daemon in one process, with image drives holding the sample discs.

Data (SQLite, rips, the drive folders) goes to `./demo-data` unless told otherwise. Drives:
`<data>/drives/drive1` holds a copy of the sample DVD ISO, `drive2` is empty (copy a sample into it to insert
a disc), `drive3` holds the sample audio CD. The webapp and the daemon share a random token. Ctrl-C (or
SIGTERM) stops both cleanly and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sys
from collections.abc import Generator
from pathlib import Path

import uvicorn

from amphigory.config import WebappSettings
from amphigory.option_values import DEFAULT_PORT
from amphigory_cli.daemon import install_stop_signals
from amphigory_cli.samples import samples_dir
from amphigory_cli.token_file import new_token
from amphigory_daemon.backends.image import find_discs
from amphigory_daemon.config import DaemonSettings, default_daemon_id

DEFAULT_DATA_DIR = Path("demo-data")


def prepare_drives(data_dir: Path, samples: Path) -> list[Path]:
    """drive1 (sample DVD ISO), drive2 (empty), drive3 (sample CD); a drive already holding a disc is left alone."""
    drives = data_dir / "drives"
    loads: list[tuple[str, list[Path]]] = [
        ("drive1", [samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"]),
        ("drive2", []),
        ("drive3", [samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue", samples / "cd" / "AMPHIGORY_SAMPLE_CD.bin"]),
    ]
    folders = []
    for name, files in loads:
        folder = drives / name
        folder.mkdir(parents=True, exist_ok=True)
        if files and all(f.is_file() for f in files) and not find_discs(folder):
            for f in files:
                shutil.copy2(f, folder / f.name)  # keeps the old mtime: seen as a finished image at once
        folders.append(folder)
    return folders


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the demo owns SIGINT/SIGTERM and stops both parts together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def _run(port: int, data_dir: Path, folders: list[Path], samples: Path, token: str) -> None:
    from amphigory.main import create_app
    from amphigory_daemon.main import run as run_daemon

    stop = asyncio.Event()
    install_stop_signals(stop)
    web = WebappSettings(host="127.0.0.1", port=port, data_dir=data_dir, token=token, auto_scan=True)
    server = _Server(uvicorn.Config(create_app(web), host=web.host, port=port, log_level="warning",
                                    ws_max_size=1024 * 1024 + 1024))
    server_task = asyncio.ensure_future(server.serve())
    while not server.started and not server_task.done():
        await asyncio.sleep(0.05)
    if server_task.done():  # could not start (port taken, ...): uvicorn said why
        await server_task
        raise SystemExit(1)
    daemon = DaemonSettings(webapp_url=f"ws://127.0.0.1:{port}/ws", token=token, daemon_id=default_daemon_id(),
                            image_drives=tuple(folders), backend="image", data_dir=data_dir)
    _announce(port, data_dir, folders, samples)
    daemon_task = asyncio.ensure_future(run_daemon(daemon, stop))
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait([daemon_task, server_task, stopper], return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    await asyncio.gather(daemon_task, return_exceptions=True)
    server.should_exit = True
    await asyncio.gather(server_task, stopper, return_exceptions=True)
    print("amphigory demo stopped", flush=True)


def _announce(port: int, data_dir: Path, folders: list[Path], samples: Path) -> None:
    empty = next((f for f in folders if not find_discs(f)), folders[1])
    print(f"""
amphigory demo: open http://127.0.0.1:{port}/   (data in {data_dir})
  drives: {", ".join(str(f) for f in folders)}
  insert another disc: cp -r {samples}/bluray/AMPHIGORY_SAMPLE_BD {empty}/
                       (or any DVD/Blu-ray .iso, disc folder, or .cue with its .bin)
  eject: take it out again (rm -r / mv), or press Eject in the page
  Ctrl-C stops the demo
""", flush=True)


def show_activity() -> None:
    """The daemon's activity lines (a disc went in, scanned, ripping 50 %...) on the terminal, plainly."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s  %(message)s", "%H:%M:%S"))
    activity = logging.getLogger("amphigory_daemon.activity")
    activity.addHandler(handler)
    activity.setLevel(logging.INFO)
    activity.propagate = False


def run_demo(port: int | None = None, data_dir: str | Path | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    show_activity()
    samples = samples_dir()
    if samples is None:
        print("amphigory demo: the sample discs are missing from this install (amphigory_cli/samples); reinstall "
              "amphigory, or make them in a source checkout with `python scripts/make_samples.py`", file=sys.stderr)
        return 2
    data = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    data.mkdir(parents=True, exist_ok=True)
    folders = prepare_drives(data.absolute(), samples)
    try:
        asyncio.run(_run(port or DEFAULT_PORT, data.absolute(), folders, samples, new_token()))
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        return 0
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0

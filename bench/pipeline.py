"""The whole pipeline as a person waits for it: N discs into N image drives, to N films filed (transcoded),
hands-free.

For each N of ``--drives`` (default 1, 2, 3) and each number of local workers of ``--workers``: the real `amphigory
serve --on-insert rip --auto-rip-delay 0 --transcode ffmpeg --workers W` and `amphigory daemon` with N image drives,
looking discs up in loopback stand-ins of TheDiscDB and TMDB (tests/standins, answering at once) that know each
disc by its content hash. N DVD folders with a ~``--size-mb`` MB title (built once with ffmpeg and dvdauthor, as
bench/rip_throughput.py does; each copy a different disc, by its name and a padding file that changes its content
hash, its other files hard links) go in at once. Nobody clicks anything: each disc is scanned, identified as its
own film, ripped, transcoded on a worker and filed. Measured:

  wall       insert to the last film filed
  timeline   per drive: detect (insert -> disc_inserted), scan, identify (scan stored -> disc named), rip wait
             (named -> rip starts: the countdown), rip, queue wait (rip done -> its filing job starts), transcode +
             file
  by hand    the same tools on the same discs without amphigory: ``ffmpeg -c copy`` (the rip) then the filer's own
             ffmpeg transcode command, for all N discs one after another (sequence) and as N chains at once
             (parallel)

Prints each figure and writes an SVG chart of the timelines (``--svg``, default bench/pipeline.svg). A benchmark:
it prints, never asserts. Small runs: ``--size-mb 64 --drives 1,2``.

    .venv/bin/python bench/pipeline.py [--size-mb 1024] [--drives 1,2,3] [--workers 1] [--svg PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "ui"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from ui_stack import AMPHIGORY, free_port

from amphigory.library.transcode import ffmpeg as transcode_command
from amphigory_daemon.scan.native import scan_path
from rip_throughput import FFMPEG, build_dvd, probe_seconds
from standins.fixtures import settings_for
from standins.musicbrainz import CoverArtStandIn, MusicBrainzStandIn
from standins.samples import discdb_record
from standins.thediscdb import TheDiscDbStandIn
from standins.tmdb import TOKEN, Film, TmdbStandIn

STAGES = ("detect", "scan", "identify", "rip wait", "rip", "queue wait", "transcode + file")
COLOURS = {"detect": "#9e9e9e", "scan": "#42a5f5", "identify": "#ab47bc", "rip wait": "#e0e0e0", "rip": "#ef6c00",
           "queue wait": "#ffcc80", "transcode + file": "#2e7d32"}
TIMEOUT = 3600.0


def _stamp(text: str | None) -> float | None:
    return datetime.fromisoformat(text).timestamp() if text else None


@dataclass
class DriveRun:
    """One disc's way through the system, as times since the insert (seconds)."""

    folder: Path
    disc: str
    drive_id: str = ""
    fingerprint: str | None = None
    named_at: float | None = None
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)
    filed_at: float | None = None
    error: str | None = None


class System:
    """`amphigory serve` + `amphigory daemon` with N image drives under ``root``."""

    def __init__(self, root: Path, drives: int, workers: int, services: tuple[str, ...]) -> None:
        self.root = root
        self.workers = workers
        self.services = services
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folders = [root / f"drive{i + 1}" for i in range(drives)]
        self.processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> System:
        for folder in self.folders:
            folder.mkdir(parents=True)
        token = "pipeline-bench-token"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMPHIGORY_")}
        self._spawn(["serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.root / "data"),
                     "--token", token, "--transcode", "ffmpeg", "--on-insert", "rip", "--auto-rip-delay", "0",
                     "--workers", str(self.workers), *self.services], env)
        drives = [a for f in self.folders for a in ("--image-drive", str(f))]
        self._wait(lambda: self.get("/health") is not None)
        self._spawn(["daemon", "--webapp-url", f"ws://127.0.0.1:{self.port}/ws", "--token", token, *drives,
                     "--backend", "image", "--data-dir", str(self.root / "daemon"), "--output-dir",
                     str(self.root / "ripped")], env)
        self._wait(lambda: len((self.get("/api/drives") or {}).get("drives", [])) == len(self.folders))
        return self

    def __exit__(self, *exc: object) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _spawn(self, args: list[str], env: dict[str, str]) -> None:
        log = (self.root / f"{args[0]}.log").open("ab")
        self.processes.append(subprocess.Popen([str(AMPHIGORY), *args], stdout=log, stderr=subprocess.STDOUT,
                                               env=env, cwd=self.root))

    def _wait(self, ready: Any, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"amphigory did not start; see the logs in {self.root}")
            time.sleep(0.05)

    def get(self, path: str) -> Any:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as answer:
                return json.load(answer)
        except OSError:
            return None

    def post(self, path: str, body: Any) -> Any:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)


def _task_span(task: dict[str, Any] | None, start_key: str, t0: float) -> tuple[float, float] | None:
    if task is None or task.get("finished_at") is None:
        return None
    start, end = _stamp(task[start_key]), _stamp(task["finished_at"])
    return (start - t0, end - t0) if start is not None and end is not None else None


def follow(system: System, runs: list[DriveRun], t0: float) -> None:
    """Poll the API until every disc is filed (or failed); hands-free mode does the rest."""
    deadline = time.monotonic() + TIMEOUT
    while any(r.filed_at is None and r.error is None for r in runs):
        if time.monotonic() > deadline:
            raise RuntimeError("the pipeline did not finish in time")
        drives = {d["drive_id"]: d for d in (system.get("/api/drives") or {}).get("drives", [])}
        tasks = (system.get("/api/tasks?limit=1000") or {}).get("tasks", [])
        for run in runs:
            drive = drives.get(run.drive_id, {})
            if run.fingerprint is None and drive.get("fingerprint"):
                run.fingerprint = drive["fingerprint"]
                inserted = _stamp(drive.get("disc_inserted_at"))
                run.spans["detect"] = (0.0, (inserted or time.time()) - t0)
            if run.fingerprint is None:
                continue
            mine = {t["type"]: t for t in reversed(tasks) if t.get("fingerprint") == run.fingerprint}
            scan = _task_span(mine.get("scan"), "created_at", t0)
            if scan is not None:
                run.spans["scan"] = scan
            if scan is not None and run.named_at is None:
                disc = system.get(f"/api/discs/{run.fingerprint}") or {}
                if disc.get("named_by") == "identification":
                    run.named_at = time.time() - t0
                    run.spans["identify"] = (scan[1], run.named_at)
            rip = _task_span(mine.get("rip"), "started_at", t0)
            if rip is not None and scan is not None:
                if run.named_at is not None and run.named_at > rip[0]:  # seen named by a poll after the rip began
                    run.named_at = rip[0]
                    run.spans["identify"] = (scan[1], rip[0])
                run.spans["rip wait"] = (run.named_at if run.named_at is not None else scan[1], rip[0])
                run.spans["rip"] = rip
            filing = mine.get("file")
            for task in (mine.get("rip"), filing):
                if task is not None and task["status"] in ("failed", "cancelled"):
                    run.error = f"{task['type']} {task['status']}: {task.get('error')}"
            done = _task_span(filing, "started_at", t0)
            if done is not None and rip is not None and filing is not None:
                run.spans["queue wait"] = (rip[1], done[0])
                run.spans["transcode + file"] = done
                run.filed_at = done[1]
        time.sleep(0.1)


class Services:
    """Loopback TheDiscDB and TMDB (with MusicBrainz and the Cover Art Archive, which DVDs never ask)."""

    def __init__(self) -> None:
        self.discdb, self.tmdb = TheDiscDbStandIn(), TmdbStandIn()
        self.servers = (self.discdb, self.tmdb, MusicBrainzStandIn(), CoverArtStandIn())

    def __enter__(self) -> Services:
        for server in self.servers:
            server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.stop()

    def args(self) -> tuple[str, ...]:
        settings = settings_for(*self.servers)
        return ("--tmdb-token", TOKEN, "--tmdb-url", settings.tmdb_url, "--thediscdb-url", settings.thediscdb_url,
                "--musicbrainz-url", settings.musicbrainz_url, "--coverart-url", settings.coverart_url)

    def know(self, disc: Path, n: int) -> None:
        """TheDiscDB knows the disc by its content hash as film n (title 1 its main feature); TMDB knows the film."""
        scan = scan_path(disc)
        film = Film(id=800000 + n, title=f"Pipeline Film {n}", release_date="2020-01-01",
                    runtime=max(1, round(scan.titles[0].duration_seconds / 60)))
        self.tmdb.films[film.id] = film
        self.discdb.items.append(discdb_record(scan, {1: (film.title, "MainMovie")}, item_id=700 + n,
                                               film=film.title, year=2020, tmdb_id=film.id))


def make_disc(master: Path, disc: Path, n: int) -> None:
    """A copy of the master disc that is a disc of its own: the same bytes (hard links) and a padding file of n
    bytes, which changes its fingerprint and TheDiscDB content hash (MD5 of the VIDEO_TS file sizes)."""
    shutil.copytree(master, disc, copy_function=os.link)
    (disc / "VIDEO_TS" / "PADDING.BIN").write_bytes(b"\0" * n)


def through_amphigory(master: Path, work: Path, n: int, workers: int) -> tuple[list[DriveRun], float]:
    with Services() as services:
        discs = []
        for i in range(n):
            disc = work / "staging" / f"PIPELINE_DISC_{i + 1}"
            make_disc(master, disc, i + 1)
            services.know(disc, i + 1)
            discs.append(disc)
        with System(work, n, workers, services.args()) as system:
            return _insert_and_follow(system, discs)


def _insert_and_follow(system: System, discs: list[Path]) -> tuple[list[DriveRun], float]:
    drive_ids = {d["device"]: d["drive_id"] for d in system.get("/api/drives")["drives"]}
    runs = []
    for folder, disc in zip(system.folders, discs, strict=True):
        drive_id = drive_ids.get(str(folder)) or next(v for k, v in drive_ids.items() if folder.name in k)
        runs.append(DriveRun(folder, disc.name, drive_id))
    t0 = time.time()
    for run, disc in zip(runs, discs, strict=True):  # every disc goes in at once, as a person with N drives would
        os.rename(disc, run.folder / run.disc)
    follow(system, runs, t0)
    return runs, max((r.filed_at or 0.0) for r in runs)


def _by_hand_chain(master: Path, out: Path, seconds: float) -> None:
    rip = out / "rip.mkv"
    subprocess.run([FFMPEG, "-nostdin", "-y", "-loglevel", "error", "-f", "dvdvideo", "-title", "1", "-i",
                    str(master), "-map", "0:v", "-map", "0:a?", "-map", "0:s?", "-map_chapters", "0", "-c", "copy",
                    "-f", "matroska", str(rip)], check=True, stderr=subprocess.DEVNULL)
    command = transcode_command(FFMPEG, rip, out / "film.mkv", 480, seconds)
    subprocess.run([command.tool, *command.args], check=True, stdout=subprocess.DEVNULL)


def by_hand(master: Path, work: Path, n: int, seconds: float) -> tuple[float, float]:
    """(sequence, parallel) wall seconds of rip + transcode of n discs with the tools alone."""
    outs = [work / f"hand{i}" for i in range(n)]
    for out in outs:
        out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for out in outs:
        _by_hand_chain(master, out, seconds)
    sequence = time.perf_counter() - started
    threads = [threading.Thread(target=_by_hand_chain, args=(master, out, seconds)) for out in outs]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    parallel = time.perf_counter() - started
    for out in outs:
        shutil.rmtree(out)
    return sequence, parallel


def svg_chart(results: list[tuple[str, list[DriveRun], float, float, float]]) -> str:
    """Horizontal bars, one row per drive, one block per N; seconds on the x axis."""
    longest = max(max(wall, seq) for _, _, wall, seq, _ in results) or 1.0
    left, width, row, gap = 175, 760, 22, 34
    height = 60 + sum(len(runs) * row + gap + 2 * row for _, runs, *_ in results) + 40
    scale = width / longest
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 70}" height="{height}" '
           'font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-size="15" font-weight="bold">Insert to filed: amphigory against the tools '
           'by hand</text>']
    for i, stage in enumerate(STAGES):  # legend
        x = 10 + i * 128
        out.append(f'<rect x="{x}" y="32" width="12" height="12" fill="{COLOURS[stage]}"/>'
                   f'<text x="{x + 16}" y="42">{stage}</text>')
    y = 64
    for label, runs, wall, sequence, parallel in results:
        out.append(f'<text x="10" y="{y + 14}" font-weight="bold">{label}: {wall:.1f} s</text>')
        y += row
        for run in runs:
            out.append(f'<text x="20" y="{y + 14}">{run.disc[-7:].replace("_", " ")}</text>')
            for stage in STAGES:
                span = run.spans.get(stage)
                if span is None or span[1] <= span[0]:
                    continue
                x, w = left + span[0] * scale, max(1.0, (span[1] - span[0]) * scale)
                out.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
                           f'fill="{COLOURS[stage]}"><title>{stage}: {span[1] - span[0]:.2f} s</title></rect>')
            y += row
        for hand, seconds in (("by hand, in sequence", sequence), ("by hand, in parallel", parallel)):
            out.append(f'<text x="20" y="{y + 12}" fill="#555">{hand}</text>'
                       f'<rect x="{left}" y="{y + 4}" width="{seconds * scale:.1f}" height="{row // 2 - 2}" '
                       f'fill="none" stroke="#555"/><text x="{left + seconds * scale + 4:.1f}" y="{y + 12}" '
                       f'fill="#555">{seconds:.1f} s</text>')
            y += row // 2 + 4
        y += gap
    step = next((s for s in (1, 2, 5, 10, 20, 30, 60, 120, 300, 600) if s * 8 >= longest), 1200)
    for tick in range(0, int(longest) + 1, step):
        x = left + tick * scale
        out.append(f'<line x1="{x:.1f}" y1="56" x2="{x:.1f}" y2="{y}" stroke="#eee"/>'
                   f'<text x="{x:.1f}" y="{y + 14}" text-anchor="middle">{tick} s</text>')
    out.append("</svg>")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024, help="size of each disc's title (default 1024)")
    parser.add_argument("--drives", default="1,2,3", help="numbers of drives to run, comma-separated")
    parser.add_argument("--workers", default="1", help="numbers of local workers (serve --workers) to run each "
                                                       "number of drives with, comma-separated; 'n': as many as drives")
    parser.add_argument("--svg", type=Path, default=Path(__file__).resolve().parent / "pipeline.svg")
    args = parser.parse_args()
    if shutil.which("dvdauthor") is None:
        print("dvdauthor is not installed (apt-get install dvdauthor)")
        return
    counts = [int(n) for n in args.drives.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="amphigory-bench-pipeline-") as tmp:
        work = Path(tmp)
        master = build_dvd(work, args.size_mb)
        seconds = probe_seconds(master)
        size = sum(f.stat().st_size for f in (master / "VIDEO_TS").glob("VTS_01_*.VOB"))
        print(f"each disc: a {size / 1e6:.0f} MB, {seconds:.0f} s DVD title; transcoding with ffmpeg (libx264 "
              f"veryfast CRF 20, the filer's command); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} "
              "cores")
        for n in counts:
            sequence, parallel = by_hand(master, work, n, seconds)
            for workers in sorted({n if w == "n" else int(w) for w in args.workers.split(",")}):
                runs, wall = through_amphigory(master, work / f"amphigory{n}-{workers}", n, workers)
                results.append((f"{n} drive{'s' if n > 1 else ''}, {workers} worker{'s' if workers > 1 else ''}",
                                runs, wall, sequence, parallel))
                print(f"\n{n} drive{'s' if n > 1 else ''}, {workers} local worker{'s' if workers > 1 else ''}: "
                      f"insert -> all filed {wall:.1f} s; by hand: {sequence:.1f} s in sequence, {parallel:.1f} s "
                      f"in parallel (amphigory / by hand in parallel = {wall / parallel:.2f})")
                _print_runs(runs)
    args.svg.write_text(svg_chart(results))
    print(f"\ntimeline chart: {args.svg}")


def _print_runs(runs: list[DriveRun]) -> None:
    print(f"  {'disc':<18}" + "".join(f"{s:>17}" for s in STAGES) + f"{'filed at':>10}")
    for run in runs:
        cells = "".join(f"{(run.spans[s][1] - run.spans[s][0]):16.2f}s" if s in run.spans else f"{'-':>17}"
                        for s in STAGES)
        print(f"  {run.disc:<18}{cells}{(run.filed_at or float('nan')):9.1f}s"
              + (f"  ({run.error})" if run.error else ""))


if __name__ == "__main__":
    main()

"""The job queue and its workers, measured in one run (prints, never asserts):

  overhead   enqueue -> start of an empty job, through Huey's real consumer as workers run it (`consumer_for`),
             on SQLite and on a redis-server started here on loopback (median and p95, ms)
  transcode  the same HandBrakeCLI preset on the same file: bare, and through `amphigory serve --workers 1`
             (POST .../file until the task is complete: queue, claim, encode, upload, verify, file) -> ratio
             (target: the worker adds under 3 %)
  stream     a rip of --size-mb (default 1024) fetched by a worker from the webapp over loopback HTTP (Range,
             then SHA-256 verified), MB/s

    .venv/bin/python bench/queue_workers.py [--jobs 100] [--size-mb 1024] [--runs 2] [--only overhead,stream]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import imageio_ffmpeg

from amphigory.api.disc_repository import DiscRepository, DiscUpdate, TrackUpdate
from amphigory.database import Database
from amphigory_daemon.scan.native import scan_path
from amphigory_worker.client import Identity, WebappClient
from amphigory_worker.queue import open_queue
from amphigory_worker.transcode import Recipe, handbrake

REPO = Path(__file__).resolve().parent.parent
ISO = REPO / "samples" / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
FFMPEG = str(imageio_ffmpeg.get_ffmpeg_exe())
TOKEN = "bench-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)


# -- overhead ------------------------------------------------------------------------------------------------------

def consume(url: str, folder: str) -> None:
    """The consumer side (a child process): print "task_id start_time" as each empty job starts."""
    from amphigory_worker.main import consumer_for

    def run(task_id: str, attempt: int) -> None:
        print(task_id, repr(time.time()), flush=True)

    consumer_for(open_queue(url, Path(folder), run), 1).run()


def overhead(url: str, folder: Path, jobs: int) -> list[float]:
    child = subprocess.Popen([sys.executable, __file__, "--consume", url, str(folder)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        queue = open_queue(url, folder)
        queue.enqueue("warm-up", 1)
        assert child.stdout is not None
        child.stdout.readline()
        waits: list[float] = []
        for n in range(jobs):
            sent = time.time()
            queue.enqueue(f"job-{n}", 1)
            task_id, started = child.stdout.readline().split()
            assert task_id == f"job-{n}"
            waits.append((float(started) - sent) * 1000)
        return waits
    finally:
        child.terminate()
        child.wait(10)


def redis_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (Debian redis-server)")
    port = free_port()
    process = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
                                "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    wait_for(up, 20, "redis-server")
    return process, f"redis://127.0.0.1:{port}/0"


def report_overhead(name: str, waits: list[float]) -> None:
    waits.sort()
    p95 = waits[int(len(waits) * 0.95) - 1]
    print(f"overhead {name:6} {len(waits)} empty jobs: median {statistics.median(waits):.1f} ms, "
          f"p95 {p95:.1f} ms, max {waits[-1]:.1f} ms (enqueue -> start)")


# -- a webapp with a ripped title ------------------------------------------------------------------------------------

def prepare(data: Path, rip: Path) -> str:
    """The sample DVD stored with its title 1 ripped as `rip`; the disc's fingerprint."""
    scan = scan_path(ISO)

    async def write() -> None:
        db = Database(data / "amphigory.db")
        await db.initialize()
        discs = DiscRepository(db)
        await discs.save_scan(scan)
        await discs.update(scan.fingerprint, DiscUpdate(title="Bench", year=2020,
                                                        tracks=[TrackUpdate(number=1, type="main_feature")]))
        await discs.record_rip_completed(scan.fingerprint, 1, str(rip), rip.stat().st_size, None)
        await db.close()

    asyncio.run(write())
    return scan.fingerprint


def serve(data: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMPHIGORY_")}
    process = subprocess.Popen([sys.executable, "-m", "amphigory_cli.main", "serve", "--data-dir", str(data),
                                "--port", str(port), "--token", TOKEN, "--transcode", "handbrake", "--workers",
                                str(workers), "--auto-scan", "0"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False)

    def up() -> bool:
        try:
            return http.get("/health").status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, 60, "the webapp")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- transcode -------------------------------------------------------------------------------------------------------

def make_title(path: Path, seconds: int) -> None:
    """A DVD-like title: MPEG-2 352x480, English and French audio, a chapter every minute."""
    chapters = path.with_suffix(".txt")
    lines = [";FFMETADATA1"]
    for start in range(0, seconds, 60):
        lines += ["[CHAPTER]", "TIMEBASE=1/1", f"START={start}", f"END={min(seconds, start + 60)}"]
    chapters.write_text("\n".join(lines) + "\n")
    subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=352x480:rate=30000/1001:"
                    f"duration={seconds}", "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-f",
                    "lavfi", "-i", f"sine=frequency=660:duration={seconds}", "-i", str(chapters), "-map", "0",
                    "-map", "1", "-map", "2", "-map_chapters", "3", "-c:v", "mpeg2video", "-b:v", "4M", "-c:a",
                    "ac3", "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre", str(path)],
                   check=True)


def bare(source: Path, out: Path) -> float:
    tool = shutil.which("HandBrakeCLI")
    assert tool is not None, "HandBrakeCLI is not installed"
    job = handbrake(tool, source, out, 480, Recipe())
    started = time.perf_counter()
    subprocess.run([job.tool, *job.args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


class WorkerRuns:
    """One `amphigory serve --workers 1` with the title ripped; `run()` files it (again) and times it. The first
    filing, which also starts the local worker process, is a warm-up and not counted."""

    def __init__(self, folder: Path, source: Path) -> None:
        self.data = folder / "worker-data"
        self.data.mkdir()
        self.fingerprint = prepare(self.data, source)
        port = free_port()
        self.webapp = serve(self.data, port, workers=1)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=30)
        self.run()

    def run(self) -> tuple[float, float]:
        """Wall time from POST .../file to the task's end, and how long the encoder itself ran."""
        started = time.perf_counter()
        task_id = self.http.post(f"/api/discs/{self.fingerprint}/tracks/1/file").json()["task_id"]
        while (task := self.http.get(f"/api/tasks/{task_id}").json())["status"] in ("queued", "running"):
            time.sleep(0.1)  # gently: asking 100 times a second would take CPU from the encoder being timed
        elapsed = time.perf_counter() - started
        if task["status"] != "complete":
            raise SystemExit(f"the filing failed: {task['error']}")
        return elapsed, float(task["result"]["transcode_seconds"])

    def close(self) -> None:
        self.http.close()
        stop(self.webapp)


# -- streaming -------------------------------------------------------------------------------------------------------

def stream(folder: Path, size_mb: int) -> None:
    data = folder / "stream-data"
    rip = data / "ripped" / "big.mkv"
    rip.parent.mkdir(parents=True)
    block = os.urandom(1 << 20)
    with rip.open("wb") as handle:
        for _ in range(size_mb):
            handle.write(block)
    fingerprint = prepare(data, rip)
    port = free_port()
    webapp = serve(data, port, workers=0)
    client = WebappClient(f"http://127.0.0.1:{port}", TOKEN, Identity("bench:1", "bench", 1, 1))
    try:
        task_id = client.http.post(f"/api/discs/{fingerprint}/tracks/1/file").json()["task_id"]
        spec = client.claim(task_id, 1)
        assert spec is not None
        target = folder / "fetched.mkv"
        client.report(task_id, spec["lease"], "fetching", 0, None, None)
        started = time.perf_counter()
        client.download(task_id, spec["lease"], target, lambda done, size: None)  # fetched and verified at once
        fetched = time.perf_counter() - started
        assert target.stat().st_size == rip.stat().st_size
        client.report(task_id, spec["lease"], "fetching", 0, None, None)  # a heartbeat: the lease stays ours
        curl = shutil.which("curl")
        if curl is not None:  # the webapp's side alone: the same request by curl, to /dev/null
            started = time.perf_counter()
            subprocess.run([curl, "-sf", "-o", "/dev/null", "-H", f"Authorization: Bearer {TOKEN}",
                            f"http://127.0.0.1:{port}/api/jobs/{task_id}/source?lease={spec['lease']}"], check=True)
            print(f"stream   the same {size_mb} MB by curl to /dev/null (the webapp's side alone): "
                  f"{size_mb / (time.perf_counter() - started):.0f} MB/s")
        print(f"stream   {size_mb} MB rip to a worker over loopback HTTP, verified (BLAKE3) as it arrives: "
              f"{size_mb / fetched:.0f} MB/s ({fetched:.1f} s, the webapp's first checksum of the file included)")
    finally:
        client.close()
        stop(webapp)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--consume", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=180, help="length of the transcoded title")
    parser.add_argument("--only", default="overhead,transcode,stream")
    args = parser.parse_args()
    if args.consume:
        consume(*args.consume)
        return
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory(prefix="amphigory-bench-") as tmp:
        folder = Path(tmp)
        if "overhead" in only:
            (folder / "sqlite").mkdir()
            report_overhead("sqlite", overhead("sqlite", folder / "sqlite", args.jobs))
            (folder / "redis").mkdir()
            server, url = redis_server(folder / "redis")
            try:
                report_overhead("redis", overhead(url, folder / "redis", args.jobs))
            finally:
                server.terminate()
                server.wait(10)
        if "transcode" in only:
            source = folder / "title.mkv"
            make_title(source, args.seconds)
            bares: list[float] = []
            workers: list[tuple[float, float]] = []
            runs = WorkerRuns(folder, source)
            try:
                for n in range(args.runs):
                    bares.append(bare(source, folder / f"bare-{n}.mkv"))
                    workers.append(runs.run())
            finally:
                runs.close()
            best_bare, best_worker = min(bares), min(w for w, _ in workers)
            added = statistics.median(total - encode for total, encode in workers)
            print(f"transcode {args.seconds} s 480p title, HandBrakeCLI 'Fast 480p30': bare {best_bare:.2f} s, "
                  f"through the worker {best_worker:.2f} s -> ratio {best_worker / best_bare:.3f} (best of "
                  f"{args.runs}; all: bare {json.dumps([round(b, 2) for b in bares])}, worker "
                  f"{json.dumps([round(w, 2) for w, _ in workers])}); the worker's own part (wall time minus the "
                  f"encoder's): {added:.2f} s = {added / best_bare * 100:.1f} % of bare")
        if "stream" in only:
            stream(folder, args.size_mb)


if __name__ == "__main__":
    main()

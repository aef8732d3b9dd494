"""The MakeMKV backend against a fake ``makemkvcon`` (MakeMKV cannot run here) that speaks documented robot
lines and writes a real MKV, plus a decoy file that must not be taken for the rip."""

from __future__ import annotations

import asyncio
import shutil
import stat
import sys
from pathlib import Path

import pytest
from rip_helpers import JobFactory, leftovers

from amphigory_daemon.rip import RipError, RipProgress, choose_backend, rip_title
from amphigory_daemon.rip.makemkv import output_file_name, parse_drives

FAKE = r'''
import os, shutil, sys, time
log = os.environ["FAKE_MKV_LOG"]
with open(log, "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\n")
args = [a for a in sys.argv[1:] if a not in ("-r", "--progress=-same")]
if args[0] == "info":
    print('DRV:0,2,999,1,"BD-RE BH16NS40","OTHER_DISC","/dev/sr5"')
    print('DRV:1,2,999,1,"DVD-RW GH24NSD1","AMPHIGORY_SAMPLE_DVD","/dev/sr7"')
    print('DRV:2,256,999,0,"","",""')
    sys.exit(0)
_, source, index, folder = args
mode = os.environ.get("FAKE_MKV_MODE", "ok")
print('MSG:1005,0,1,"MakeMKV v1.17.7 linux(x64-release) started","%1 started","MakeMKV v1.17.7 linux(x64-release)"')
print('TCOUNT:2')
print('TINFO:0,27,0,"decoy_t00.mkv"')
print(f'TINFO:{index},27,0,"SAMPLE_t0{index}.mkv"')
print('PRGT:5018,0,"Saving to MKV file"')
print('PRGC:5017,0,"Saving to MKV file"')
with open(os.path.join(folder, "decoy_t00.mkv"), "wb") as f:
    f.write(b"x" * 5_000_000)
steps = 40 if mode == "slow" else 4
for n in range(steps + 1):
    print(f"PRGV:{n * 65536 // steps},{n * 65536 // steps},65536", flush=True)
    time.sleep(0.25 if mode == "slow" else 0.05)
if mode == "fail":
    print('MSG:5003,516,1,"Failed to save title 1 to file x","Failed to save title %1 to file %2","1","x"')
    sys.exit(1)
shutil.copy(os.environ["FAKE_MKV_SOURCE"], os.path.join(folder, f"SAMPLE_t0{index}.mkv"))
print('MSG:5036,0,1,"Copy complete. 1 titles saved.","Copy complete. %1 titles saved.","1"')
'''


@pytest.fixture
def fake_makemkvcon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_job: JobFactory,
                    dvd_iso: Path) -> tuple[str, Path]:
    script = tmp_path / "bin" / "makemkvcon"
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\n{FAKE}")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "makemkvcon.log"
    monkeypatch.setenv("FAKE_MKV_LOG", str(log))
    monkeypatch.setenv("PATH", f"{script.parent}:{__import__('os').environ['PATH']}")
    return str(script), log


async def real_mkv(make_job: JobFactory, dvd_iso: Path, tmp_path: Path) -> Path:
    outcome = await rip_title(make_job("dvd", 2, dvd_iso, output_root=tmp_path / "made", backend="native"))
    return outcome.path


async def test_device_rip_uses_the_drives_index_and_the_named_file(
    make_job: JobFactory, dvd_iso: Path, tmp_path: Path, fake_makemkvcon: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = await real_mkv(make_job, dvd_iso, tmp_path)
    monkeypatch.setenv("FAKE_MKV_SOURCE", str(made))
    title = make_job("dvd", 2, dvd_iso).title.model_copy(update={"makemkv_title_index": 1})
    job = make_job("dvd", 2, dvd_iso, title=title, backend="makemkv", device="/dev/sr7")
    reports: list[RipProgress] = []

    outcome = await rip_title(job, reports.append)

    calls = fake_makemkvcon[1].read_text().splitlines()
    assert calls[-1].split()[:4] == ["-r", "--progress=-same", "mkv", "disc:1"]
    assert calls[-1].split()[4] == "1"
    assert outcome.path == job.output_root / "Sample dvd" / "Title 2.mkv"
    assert outcome.path.read_bytes() == made.read_bytes()  # the named file, not the bigger decoy
    assert leftovers(job.output_root) == [outcome.path]
    percents = [r.percent for r in reports]
    assert percents == sorted(percents) and percents[-1] == 100.0 and len(percents) >= 2


async def test_image_rip_uses_iso_source(
    make_job: JobFactory, dvd_iso: Path, tmp_path: Path, fake_makemkvcon: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_MKV_SOURCE", str(await real_mkv(make_job, dvd_iso, tmp_path)))
    title = make_job("dvd", 2, dvd_iso).title.model_copy(update={"makemkv_title_index": 0})
    await rip_title(make_job("dvd", 2, dvd_iso, title=title, backend="makemkv"))
    assert fake_makemkvcon[1].read_text().split()[3] == f"iso:{dvd_iso}"


async def test_makemkv_failure_is_tool_failed_and_cleans_up(
    make_job: JobFactory, dvd_iso: Path, fake_makemkvcon: tuple[str, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_MKV_MODE", "fail")
    title = make_job("dvd", 2, dvd_iso).title.model_copy(update={"makemkv_title_index": 1})
    job = make_job("dvd", 2, dvd_iso, title=title, backend="makemkv")
    with pytest.raises(RipError) as info:
        await rip_title(job)
    assert info.value.code == "tool_failed" and "Failed to save title" in info.value.message
    assert leftovers(job.output_root) == [] and list((job.output_root / "Sample dvd").iterdir()) == []


async def test_makemkv_cancel_removes_the_temp_folder(
    make_job: JobFactory, dvd_iso: Path, fake_makemkvcon: tuple[str, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_MKV_MODE", "slow")
    title = make_job("dvd", 2, dvd_iso).title.model_copy(update={"makemkv_title_index": 1})
    job = make_job("dvd", 2, dvd_iso, title=title, backend="makemkv")
    task = asyncio.create_task(rip_title(job))
    await asyncio.sleep(0.8)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 1)
    assert list((job.output_root / "Sample dvd").iterdir()) == []


def test_backend_choice(make_job: JobFactory, dvd_iso: Path, tmp_path: Path) -> None:
    job = make_job("dvd", 1, dvd_iso)
    assert choose_backend(job, None) == "native"
    assert choose_backend(job, "/usr/bin/makemkvcon") == "native"  # not encrypted: ffmpeg does it
    encrypted = make_job("dvd", 1, dvd_iso, encrypted=True)
    assert choose_backend(encrypted, "/usr/bin/makemkvcon") == "makemkv"
    assert choose_backend(encrypted, None) == "native"
    bd = tmp_path / "BD"
    (bd / "BDMV").mkdir(parents=True)
    (bd / "AACS").mkdir()
    assert choose_backend(make_job("bluray", 1, bd), "/x/makemkvcon") == "makemkv"
    logged = job.title.model_copy(update={"source": {}, "makemkv_title_index": 3})
    assert choose_backend(make_job("dvd", 1, dvd_iso, title=logged), "/x/makemkvcon") == "makemkv"
    with pytest.raises(RipError, match="invalid_job"):
        choose_backend(make_job("dvd", 1, dvd_iso, title=logged), None)


def test_robot_line_helpers() -> None:
    drives = parse_drives(['DRV:0,2,999,1,"BD-RE","LABEL","/dev/sr0"', 'DRV:1,256,999,0,"","",""', "MSG:1,2"])
    assert [(d.index, d.device, d.has_disc) for d in drives] == [(0, "/dev/sr0", True), (1, "", False)]
    assert output_file_name('TINFO:3,27,0,"Movie_t03.mkv"', 3) == "Movie_t03.mkv"
    assert output_file_name('TINFO:13,27,0,"Other_t13.mkv"', 3) is None
    assert output_file_name('TINFO:3,27,0,"../evil.mkv"', 3) is None


def test_fake_is_executable() -> None:
    assert shutil.which(sys.executable)

"""What this machine has, found by looking: device nodes, programs on PATH and what they say about themselves,
the data folder. Every probe answers (found or not) and never raises; `webapp.py` checks the webapp."""

from __future__ import annotations

import getpass
import glob
import grp
import os
import platform
import shutil
import subprocess
from pathlib import Path

from amphigory_cli.doctor import parse
from amphigory_cli.doctor.report import DataFolder, DriveAccess, Ffmpeg, Makemkv, Tool

TIMEOUT = 20.0


def run(args: list[str], timeout: float = TIMEOUT) -> str:
    """The program's stdout and stderr together ("" when it cannot run or times out)."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout + done.stderr


def user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def user_groups() -> frozenset[str]:
    names = set()
    for gid in os.getgroups():
        try:
            names.add(grp.getgrgid(gid).gr_name)
        except KeyError:
            continue
    return frozenset(names)


def drives() -> tuple[DriveAccess, ...]:
    """Linux optical drives (`/dev/sr*`) and whether this process may open them; macOS drives need no group."""
    if platform.system() == "Darwin":
        from amphigory_daemon.backends.macos import parse_drutil_list

        return tuple(DriveAccess(f"optical{n}", True, None) for n in parse_drutil_list(run(["drutil", "list"])))
    found = []
    for device in sorted(glob.glob("/dev/sr[0-9]*")):
        try:
            group: str | None = grp.getgrgid(os.stat(device).st_gid).gr_name
        except (OSError, KeyError):
            group = None
        found.append(DriveAccess(device, _can_open(device), group))
    return tuple(found)


def _can_open(device: str) -> bool:
    try:
        fd = os.open(device, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        # No disc in it (ENOMEDIUM) still means the node could be opened; permission is what matters here.
        return exc.errno not in (13, 1)  # EACCES, EPERM
    os.close(fd)
    return True


def ffmpegs() -> tuple[Ffmpeg, ...]:
    """The ffmpeg rips and transcodes run (imageio-ffmpeg's, or the one IMAGEIO_FFMPEG_EXE names), then the
    system's when it is another."""
    paths: list[tuple[str, str]] = []
    try:
        # the very lookup rips make (it does not run the binary: `_ffmpeg` below does, for its version and features)
        from amphigory_protocol.ffmpeg import ffmpeg_exe

        origin = "IMAGEIO_FFMPEG_EXE" if os.environ.get("IMAGEIO_FFMPEG_EXE") else "imageio-ffmpeg"
        paths.append((ffmpeg_exe(), origin))
    except Exception:  # no binary for this platform, or the package is broken
        pass
    system = shutil.which("ffmpeg")
    if system is not None and all(Path(system).resolve() != Path(p).resolve() for p, _ in paths):
        paths.append((system, "system"))
    return tuple(_ffmpeg(path, origin) for path, origin in paths)


def _ffmpeg(path: str, origin: str) -> Ffmpeg:
    return Ffmpeg(
        path=path, origin=origin, version=parse.ffmpeg_version(run([path, "-version"])),
        dvdvideo=parse.ffmpeg_has_demuxer(run([path, "-hide_banner", "-demuxers"]), "dvdvideo"),
        bluray=parse.ffmpeg_has_input_protocol(run([path, "-hide_banner", "-protocols"]), "bluray"),
    )


def handbrake() -> Tool:
    path = shutil.which("HandBrakeCLI")
    return Tool(path, parse.first_line(run([path, "--version"])) if path else None)


def makemkv() -> Makemkv:
    from amphigory_daemon.rip.programs import find_makemkvcon

    path = find_makemkvcon()
    if path is None:
        return Makemkv(None)
    # `info disc:9999` lists drives and no titles: quick, and it prints the version and the key's state.
    lines = run([path, "-r", "--cache=1", "info", "disc:9999"], timeout=60).splitlines()
    notes = parse.makemkv_key_notes(lines)
    return Makemkv(path, parse.makemkv_version(lines), tuple(text for _, text in notes),
                   parse.makemkv_key_expired(notes))


def libdiscid() -> Tool:
    try:
        import discid
    except OSError:  # the Python binding is installed; the C library it loads is not
        return Tool(None)
    return Tool(str(getattr(discid, "LIBDISCID_VERSION_STRING", "libdiscid")))


def paranoia() -> Tool:
    from amphigory_daemon.rip.programs import find_paranoia

    path = find_paranoia()
    return Tool(path, parse.first_line(run([path, "--version"])) if path else None)


def data_folder(path: Path) -> DataFolder:
    """Whether the data folder (made if missing) takes a file, and the free space where it lives."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".doctor-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return DataFolder(path, True, shutil.disk_usage(path).free)
    except OSError as exc:
        return DataFolder(path, False, None, exc.strerror or str(exc))

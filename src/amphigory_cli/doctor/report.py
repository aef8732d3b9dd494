"""What `amphigory doctor` says, worked out from what the probes found (`Machine`): one finding per part, whether
the core works, and how to get each missing part on Debian/Ubuntu, Fedora and macOS. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Status = Literal["ok", "missing", "problem", "note"]
GIB = 1024**3
LOW_SPACE = 20 * GIB  # a Blu-ray rip alone can take 40 GB; below this, say so

# How to get each optional part: (Debian/Ubuntu, Fedora, macOS).
HOW_TO_GET: dict[str, tuple[str, str, str]] = {
    "ffmpeg": ("pip install --upgrade imageio-ffmpeg (ships ffmpeg 9), or sudo apt install ffmpeg (7.1 or later)",
               "sudo dnf install ffmpeg (RPM Fusion)", "brew install ffmpeg"),
    "HandBrakeCLI": ("sudo apt install handbrake-cli", "sudo dnf install HandBrake-cli (RPM Fusion)",
                     "brew install handbrake"),
    "makemkvcon": ("MakeMKV for Linux from https://forum.makemkv.com (makemkv-bin, makemkv-oss), or "
                   "flatpak install flathub com.makemkv.MakeMKV",
                   "sudo dnf install makemkv (negativo17 repository)", "brew install --cask makemkv"),
    "libdiscid": ("sudo apt install libdiscid0", "sudo dnf install libdiscid", "brew install libdiscid"),
    "cd-paranoia": ("sudo apt install cd-paranoia", "sudo dnf install libcdio-paranoia",
                    "brew install libcdio-paranoia"),
}


@dataclass(frozen=True)
class DriveAccess:
    device: str
    readable: bool
    group: str | None  # the group owning the device node (cdrom, optical, disk)


@dataclass(frozen=True)
class Ffmpeg:
    path: str
    origin: str  # "imageio-ffmpeg" or "system"
    version: str | None
    dvdvideo: bool
    bluray: bool


@dataclass(frozen=True)
class Tool:
    path: str | None
    version: str | None = None


@dataclass(frozen=True)
class Makemkv:
    path: str | None
    version: str | None = None
    key_notes: tuple[str, ...] = ()
    key_expired: bool = False


@dataclass(frozen=True)
class DataFolder:
    path: Path
    writable: bool
    free_bytes: int | None
    error: str | None = None


@dataclass(frozen=True)
class WebappCheck:
    url: str  # the webapp's HTTP base, as the daemon's settings name it
    reachable: bool
    detail: str  # "amphigory 0.1.0, schema 4" or why it could not be reached
    token: Literal["accepted", "refused", "none", "unchecked"]


@dataclass(frozen=True)
class Machine:
    system: str  # platform.system(): Linux, Darwin
    user: str
    groups: frozenset[str]
    drives: tuple[DriveAccess, ...]
    ffmpegs: tuple[Ffmpeg, ...]
    handbrake: Tool
    makemkv: Makemkv
    libdiscid: Tool
    paranoia: Tool
    data: DataFolder
    webapp: WebappCheck
    config_files: tuple[str, ...] = ()  # the settings files read, weakest first


@dataclass(frozen=True)
class Finding:
    part: str
    status: Status
    detail: str
    core: bool = False  # the core does not work without it: exit 1
    fix: tuple[str, ...] = field(default_factory=tuple)  # what to do, one line each


def install_lines(part: str) -> tuple[str, ...]:
    debian, fedora, macos = HOW_TO_GET[part]
    return (f"Debian/Ubuntu: {debian}", f"Fedora: {fedora}", f"macOS: {macos}")


def drive_findings(m: Machine) -> list[Finding]:
    if not m.drives:
        return [Finding("drives", "note", "no optical drive found; image drives still work (--image-drive DIR)")]
    out = []
    for drive in m.drives:
        if drive.readable:
            out.append(Finding(f"drive {drive.device}", "ok", f"{m.user} can open it"))
            continue
        group = drive.group or "cdrom"
        fix = (f"sudo usermod -aG {group} {m.user}   (then log out and in again)",) if m.system == "Linux" else ()
        already = f" ({m.user} is in {group}: log out and in again)" if group in m.groups else ""
        out.append(Finding(f"drive {drive.device}", "problem",
                           f"{m.user} cannot open it: it belongs to group {group}{already}", core=True, fix=fix))
    return out


def ffmpeg_finding(m: Machine) -> Finding:
    """Judged on the first ffmpeg: the one rips run (imageio-ffmpeg's, or IMAGEIO_FFMPEG_EXE's)."""
    if not m.ffmpegs:
        return Finding("ffmpeg", "problem", "no ffmpeg found; DVD and Blu-ray rips need one", core=True,
                       fix=install_lines("ffmpeg"))
    used = m.ffmpegs[0]
    better = next((f for f in m.ffmpegs[1:] if f.dvdvideo and f.bluray), None)
    switch = (f"export IMAGEIO_FFMPEG_EXE={better.path}   (rips then use it)",) if better else ()
    detail = f"{used.path} ({used.origin}, {used.version or 'version unknown'}"
    if not used.dvdvideo:
        return Finding("ffmpeg", "problem", detail + "): no dvdvideo demuxer; DVD and Blu-ray rips need it",
                       core=True, fix=switch or install_lines("ffmpeg"))
    if not used.bluray:
        return Finding("ffmpeg", "problem", detail + "): no bluray protocol; Blu-ray rips need it",
                       fix=switch or install_lines("ffmpeg"))
    return Finding("ffmpeg", "ok", detail + ": dvdvideo, bluray)")


def tool_finding(part: str, tool: Tool, needed_for: str) -> Finding:
    if tool.path is None:
        return Finding(part, "missing", f"not found: needed for {needed_for}", fix=install_lines(part))
    return Finding(part, "ok", f"{tool.path}" + (f" ({tool.version})" if tool.version else ""))


def makemkv_finding(m: Machine) -> Finding:
    mk = m.makemkv
    if mk.path is None:
        return Finding("makemkvcon", "missing", "not found: needed only for encrypted DVDs and Blu-rays",
                       fix=install_lines("makemkvcon"))
    detail = mk.path + (f" (MakeMKV {mk.version})" if mk.version else "")
    notes = "; ".join(mk.key_notes)
    if mk.key_expired:
        return Finding("makemkvcon", "problem", f"{detail}: {notes}", fix=(
            "enter the current beta key (https://forum.makemkv.com, 'MakeMKV is free while in beta') in "
            "~/.MakeMKV/settings.conf as app_Key = \"...\", or buy a key",))
    return Finding("makemkvcon", "ok", detail + (f": {notes}" if notes else ""))


def data_finding(m: Machine) -> Finding:
    d = m.data
    if not d.writable:
        return Finding("data folder", "problem", f"{d.path}: cannot write there ({d.error or 'permission denied'})",
                       core=True, fix=("pass --data-dir DIR (or AMPHIGORY_DATA_DIR) naming a folder you can write",))
    free = f"{d.free_bytes / GIB:.1f} GB free" if d.free_bytes is not None else "free space unknown"
    if d.free_bytes is not None and d.free_bytes < LOW_SPACE:
        return Finding("data folder", "problem", f"{d.path}: only {free}; a Blu-ray rip can take 40 GB",
                       fix=("free some space, or point --data-dir / --output-dir at a bigger disk",))
    return Finding("data folder", "ok", f"{d.path}: {free}")


def webapp_finding(m: Machine) -> Finding:
    w = m.webapp
    if not w.reachable:
        return Finding("webapp", "missing", f"{w.url}: {w.detail} (a daemon needs a running `amphigory serve`)",
                       fix=("start it: amphigory serve (or amphigory install-service serve), or set the daemon's "
                            "--webapp-url",))
    if w.token == "refused":
        return Finding("webapp", "problem", f"{w.url}: {w.detail}; it refused the daemon's token",
                       fix=("give the daemon the webapp's token: --token, AMPHIGORY_TOKEN or token = \"...\" in "
                            "~/.config/amphigory/amphigory.toml (serve keeps it in <data-dir>/daemon-token)",))
    if w.token == "unchecked":
        return Finding("webapp", "problem", f"{w.url}: {w.detail}; its daemon socket (/ws) did not answer",
                       fix=("check --webapp-url names the webapp's /ws (ws://host:6199/ws) and no proxy is in "
                            "the way",))
    if w.token == "none":
        return Finding("webapp", "problem", f"{w.url}: {w.detail}; the daemon has no token to present",
                       fix=("give the daemon the webapp's token (--token, AMPHIGORY_TOKEN or the config file)",))
    return Finding("webapp", "ok", f"{w.url}: {w.detail}; token accepted")


def settings_finding(m: Machine) -> Finding:
    read = ", ".join(m.config_files) if m.config_files else "no config file (~/.config/amphigory/amphigory.toml)"
    return Finding("settings", "note", f"{read}; options and AMPHIGORY_* variables override it")


def findings(m: Machine) -> list[Finding]:
    return [
        settings_finding(m),
        *drive_findings(m),
        ffmpeg_finding(m),
        data_finding(m),
        tool_finding("HandBrakeCLI", m.handbrake, "transcoding with HandBrake (--transcode handbrake; ffmpeg "
                     "stands in without it)"),
        makemkv_finding(m),
        tool_finding("libdiscid", m.libdiscid, "audio CDs in a real drive (their MusicBrainz disc id)"),
        tool_finding("cd-paranoia", m.paranoia, "ripping audio CDs from a real drive"),
        webapp_finding(m),
    ]


def core_works(found: list[Finding]) -> bool:
    return not any(f.core and f.status != "ok" for f in found)


_MARK = {"ok": "ok     ", "missing": "missing", "problem": "PROBLEM", "note": "note   "}


def render(found: list[Finding], heading: str) -> str:
    width = max(len(f.part) for f in found)
    lines = [heading]
    for f in found:
        lines.append(f"  {_MARK[f.status]}  {f.part.ljust(width)}  {f.detail}")
        lines.extend(f"  {'':7}  {'':{width}}    {fix}" for fix in f.fix)
    verdict = ("the core works (image drives, scans, DVD/Blu-ray rips, the webapp)" if core_works(found)
               else "the core does NOT work yet: fix the PROBLEM lines marked above")
    lines.append(f"amphigory doctor: {verdict}")
    return "\n".join(lines)

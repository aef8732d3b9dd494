"""The files that start Amphigory at boot, as text: a systemd unit (user or system), a udev rule that starts the
daemon when a drive appears or a disc goes in, a launchd property list for macOS. No I/O here."""

from __future__ import annotations

import plistlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Scope = Literal["user", "system"]
Service = Literal["serve", "daemon", "worker"]

DESCRIPTIONS: dict[str, str] = {
    "serve": "Amphigory webapp (amphigory serve)",
    "daemon": "Amphigory drive daemon (amphigory daemon)",
    "worker": "Amphigory transcode worker (amphigory worker)",
}
# Groups that own optical drives: Debian/Ubuntu cdrom, Arch optical; a group that does not exist is ignored by
# systemd only when prefixed "-", which SupplementaryGroups does not support, so only cdrom is named.
DRIVE_GROUP = "cdrom"

# Hardening that keeps the drives reachable: no PrivateDevices (it hides /dev/sr*), no DevicePolicy/DeviceAllow,
# no ProtectClock (it adds a device rule, which on older systemd closes every other device), no ProtectHome (the
# data folder is in the home folder by default). A user manager cannot set up mount namespaces
# without user namespaces (which would hide the cdrom group), so user units get only the seccomp-based options.
_HARDENING_ANY = (
    "NoNewPrivileges=yes",
    "LockPersonality=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "SystemCallArchitectures=native",
)
_HARDENING_SYSTEM = (
    "PrivateTmp=yes",
    "ProtectSystem=full",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectHostname=yes",
    "RestrictNamespaces=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",  # AF_NETLINK: udev's drive events
)


@dataclass(frozen=True)
class UnitFile:
    path: str  # where it goes (absolute, or ~/... for a per-user file)
    text: str
    needs_root: bool = False


def unit_name(service: str) -> str:
    return f"amphigory-{service}.service"


def quote(arg: str) -> str:
    """One ExecStart argument, quoted the way systemd reads it."""
    if arg and not any(c in arg for c in ' \t"\\\'$%;'):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$").replace("%", "%%")
    return f'"{escaped}"'


def systemd_unit(service: Service, command: Sequence[str], scope: Scope, run_as: str | None = None) -> str:
    """The unit running `command` (the amphigory program and its arguments): restarted when it fails, after the
    network, as `run_as` (system units) with the drive group for the daemon."""
    service_lines = [
        "Type=simple",
        "ExecStart=" + " ".join(quote(a) for a in command),
        "Restart=on-failure",
        "RestartSec=5",
        "Environment=PYTHONUNBUFFERED=1",
    ]
    if scope == "system":
        if run_as:
            service_lines.append(f"User={run_as}")
        if service == "daemon":
            service_lines.append(f"SupplementaryGroups={DRIVE_GROUP}")
    service_lines.append("UMask=0027")
    service_lines.extend(_HARDENING_ANY)
    if scope == "system":
        service_lines.extend(_HARDENING_SYSTEM)
    if service == "daemon":
        service_lines.append("# The daemon opens /dev/sr*: PrivateDevices and DevicePolicy are deliberately left off.")
    target = "multi-user.target" if scope == "system" else "default.target"
    # A user manager has no network-online.target; the service retries (Restart=) until the network is there.
    network = ["After=network-online.target", "Wants=network-online.target"] if scope == "system" else []
    return "\n".join([
        "[Unit]",
        f"Description={DESCRIPTIONS[service]}",
        *network,
        "StartLimitIntervalSec=300",
        "StartLimitBurst=10",
        "",
        "[Service]",
        *service_lines,
        "",
        "[Install]",
        f"WantedBy={target}",
        "",
    ])


def udev_rule(scope: Scope, systemctl: str, user: str | None = None) -> str:
    """Start the daemon's unit (if it is not running: a crashed one that gave up, or one never started) when an
    optical drive appears or its media changes; a running daemon sees the disc itself through udev."""
    target = f"--user -M {user}@ " if scope == "user" and user else ""
    return (
        "# Amphigory: wake the drive daemon when an optical drive appears or a disc goes in.\n"
        'ACTION=="add|change", SUBSYSTEM=="block", KERNEL=="sr[0-9]*", ENV{ID_CDROM}=="1", '
        f'RUN+="{systemctl} --no-block {target}start {unit_name("daemon")}"\n'
    )


def launchd_label(service: str) -> str:
    return f"org.amphigory.{service}"


def launchd_plist(service: Service, command: Sequence[str], log_dir: str, run_as: str | None = None) -> str:
    """A launchd job running `command` at load (login, or boot for /Library/LaunchDaemons), restarted when it
    exits with an error."""
    job: dict[str, object] = {
        "Label": launchd_label(service),
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": 10,
        "StandardOutPath": f"{log_dir}/amphigory-{service}.log",
        "StandardErrorPath": f"{log_dir}/amphigory-{service}.log",
        "EnvironmentVariables": {"PYTHONUNBUFFERED": "1"},
    }
    if run_as:
        job["UserName"] = run_as
    return plistlib.dumps(job, sort_keys=False).decode()

"""`amphigory install-service serve|daemon|worker [--user|--system] [--print]`: write the files that start it at
boot (units.py words them) and say the commands that enable it. Nothing is started or enabled here."""

from __future__ import annotations

import getpass
import os
import platform
import shutil
import sys
from pathlib import Path
from typing import cast

from amphigory_cli.service.units import (
    Scope,
    Service,
    UnitFile,
    launchd_label,
    launchd_plist,
    systemd_unit,
    udev_rule,
    unit_name,
)

UDEV_RULE_PATH = "/etc/udev/rules.d/99-amphigory.rules"


def amphigory_command(service: str) -> list[str]:
    """How the service runs this same amphigory: its console script when that is what is running (a pipx or
    `uv tool` install keeps that path across upgrades), else this Python with the module."""
    script = Path(sys.argv[0])
    if script.name == "amphigory" and script.is_file():
        return [str(script.absolute()), service]
    found = shutil.which("amphigory")
    if found is not None:
        return [found, service]
    return [sys.executable, "-m", "amphigory_cli.main", service]


def systemctl_path() -> str:
    return next((p for p in ("/usr/bin/systemctl", "/bin/systemctl") if Path(p).exists()), "/usr/bin/systemctl")


def current_user() -> str:
    return os.environ.get("SUDO_USER") or getpass.getuser()


def linux_files(service: Service, scope: Scope, command: list[str], run_as: str, home: Path) -> list[UnitFile]:
    if scope == "user":
        folder = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "systemd" / "user"
        files = [UnitFile(str(folder / unit_name(service)), systemd_unit(service, command, "user"))]
    else:
        files = [UnitFile(f"/etc/systemd/system/{unit_name(service)}",
                          systemd_unit(service, command, "system", run_as), needs_root=True)]
    if service == "daemon":
        files.append(UnitFile(UDEV_RULE_PATH, udev_rule(scope, systemctl_path(), run_as), needs_root=True))
    return files


def macos_files(service: Service, scope: Scope, command: list[str], run_as: str, home: Path) -> list[UnitFile]:
    name = f"{launchd_label(service)}.plist"
    if scope == "user":
        return [UnitFile(str(home / "Library" / "LaunchAgents" / name),
                         launchd_plist(service, command, str(home / "Library" / "Logs")))]
    return [UnitFile(f"/Library/LaunchDaemons/{name}", launchd_plist(service, command, "/Library/Logs", run_as),
                     needs_root=True)]


def next_steps(service: str, scope: Scope, system: str, run_as: str) -> list[str]:
    if system == "Darwin":
        folder = "~/Library/LaunchAgents" if scope == "user" else "/Library/LaunchDaemons"
        sudo = "" if scope == "user" else "sudo "
        return [f"{sudo}launchctl load -w {folder}/{launchd_label(service)}.plist"]
    unit = unit_name(service)
    if scope == "user":
        steps = ["systemctl --user daemon-reload", f"systemctl --user enable --now {unit}",
                 f"loginctl enable-linger {run_as}   # start it at boot, not at login"]
    else:
        steps = ["sudo systemctl daemon-reload", f"sudo systemctl enable --now {unit}"]
    if service == "daemon":
        steps += ["sudo udevadm control --reload", f"sudo usermod -aG cdrom {run_as}   # if `amphigory doctor` "
                  "says the drives cannot be opened"]
    return steps


def install_service(service: str, scope: str, run_as: str | None, print_only: bool = False) -> int:
    system = platform.system()
    if system not in ("Linux", "Darwin"):
        print(f"amphigory install-service: no service manager known for {system} (systemd on Linux, launchd on "
              "macOS)", file=sys.stderr)
        return 2
    svc, where = cast(Service, service), cast(Scope, scope)
    user = run_as or current_user()
    home = Path.home()
    command = amphigory_command(service)
    make = macos_files if system == "Darwin" else linux_files
    files = make(svc, where, command, user, home)
    if print_only:
        for f in files:
            print(f"# {f.path}\n{f.text}")
        return 0
    is_root = os.geteuid() == 0
    for f in files:
        if f.needs_root and not is_root:
            print(f"# needs root: save this as {f.path} (sudo tee {f.path}):\n{f.text}")
            continue
        path = Path(f.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.text, encoding="utf-8")
        print(f"wrote {path}")
    print("then:\n" + "\n".join(f"  {step}" for step in next_steps(service, where, system, user)))
    return 0

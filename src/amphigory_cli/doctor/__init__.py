"""`amphigory doctor`: what this machine has for ripping and what each missing part needs. The probes
(`probes.py`, `webapp.py`) look; `report.py` decides and words it; exit 0 when the core works."""

from __future__ import annotations

import platform

from amphigory_cli.doctor import probes
from amphigory_cli.doctor.report import Machine, core_works, findings, render
from amphigory_cli.doctor.webapp import check_webapp
from amphigory_cli.token_file import read_token
from amphigory_cli.version import version_text
from amphigory_daemon.config import DaemonSettings


def look(settings: DaemonSettings, config_files: tuple[str, ...] = ()) -> Machine:
    """Everything doctor reports on, from this machine and the daemon's settings (read from `config_files`)."""
    token = settings.token or read_token(settings.data_dir)
    return Machine(
        system=platform.system(), user=probes.user(), groups=probes.user_groups(), drives=probes.drives(),
        ffmpegs=probes.ffmpegs(), handbrake=probes.handbrake(), makemkv=probes.makemkv(),
        libdiscid=probes.libdiscid(), paranoia=probes.paranoia(), data=probes.data_folder(settings.data_dir),
        webapp=check_webapp(settings.webapp_url, token), config_files=config_files,
    )


def run_doctor(settings: DaemonSettings, config_files: tuple[str, ...] = ()) -> int:
    found = findings(look(settings, config_files))
    print(render(found, f"{version_text()} on {platform.system()} {platform.machine()}"), flush=True)
    return 0 if core_works(found) else 1

"""install-service: systemd units that `systemd-analyze verify` accepts (user and system, every service, a path
with a space), the daemon's drive group and udev rule, a launchd job for macOS, and the files written where the
service manager looks."""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from amphigory_cli.main import main
from amphigory_cli.service import amphigory_command, linux_files, next_steps
from amphigory_cli.service.units import launchd_plist, quote, systemd_unit, udev_rule

AMPHIGORY = Path(sys.executable).parent / "amphigory"


def _verify(unit: Path, scope: str, runtime: Path) -> subprocess.CompletedProcess[str]:
    args = ["systemd-analyze", *(["--user"] if scope == "user" else []), "verify", str(unit)]
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}  # a user manager's runtime folder, private to the test
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.mark.parametrize("scope", ["user", "system"])
@pytest.mark.parametrize("service", ["serve", "daemon", "worker"])
def test_generated_units_verify(tmp_path: Path, service: str, scope: str) -> None:
    spaced = tmp_path / "my tools" / "amphigory"  # a path systemd must read quoted
    spaced.parent.mkdir()
    spaced.symlink_to(AMPHIGORY)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    unit = tmp_path / f"amphigory-{service}.service"
    unit.write_text(systemd_unit(service, [str(spaced), service], scope, "amphigory"))  # type: ignore[arg-type]
    result = _verify(unit, scope, runtime)
    assert (result.returncode, result.stdout + result.stderr) == (0, ""), unit.read_text()


def test_daemon_unit_keeps_drives_reachable_and_restarts() -> None:
    daemon = systemd_unit("daemon", ["/usr/bin/amphigory", "daemon"], "system", "ann")
    lines = daemon.splitlines()
    assert {"User=ann", "SupplementaryGroups=cdrom", "Restart=on-failure", "NoNewPrivileges=yes",
            "ProtectSystem=full"} <= set(lines)
    # Each of these would hide /dev/sr* or close the device policy around it (ProtectClock adds a device rule).
    assert not any(line.startswith(("PrivateDevices=", "DevicePolicy=", "DeviceAllow=", "ProtectClock=",
                                    "ProtectHome=", "PrivateUsers=")) for line in lines)
    assert "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK" in lines  # udev's netlink socket
    serve = systemd_unit("serve", ["/usr/bin/amphigory", "serve"], "user")
    assert "SupplementaryGroups=cdrom" not in serve and "WantedBy=default.target" in serve
    assert "Restart=on-failure" in serve


def test_exec_start_quoting() -> None:
    assert quote("/usr/bin/amphigory") == "/usr/bin/amphigory"
    assert quote("/home/a b/amphigory") == '"/home/a b/amphigory"'
    assert quote('50%"$x') == '"50%%\\"$$x"'


def test_udev_rule_starts_the_daemon_on_media_change() -> None:
    system = udev_rule("system", "/usr/bin/systemctl")
    assert 'ACTION=="add|change"' in system and 'KERNEL=="sr[0-9]*"' in system
    assert 'RUN+="/usr/bin/systemctl --no-block start amphigory-daemon.service"' in system
    user = udev_rule("user", "/usr/bin/systemctl", "ann")
    assert 'RUN+="/usr/bin/systemctl --no-block --user -M ann@ start amphigory-daemon.service"' in user


def test_launchd_job_restarts_on_failure() -> None:
    job = plistlib.loads(launchd_plist("daemon", ["/opt/bin/amphigory", "daemon"], "/Users/ann/Library/Logs").encode())
    assert job["Label"] == "org.amphigory.daemon"
    assert job["ProgramArguments"] == ["/opt/bin/amphigory", "daemon"]
    assert job["KeepAlive"] == {"SuccessfulExit": False} and job["RunAtLoad"] is True
    assert "UserName" not in job
    assert plistlib.loads(launchd_plist("serve", ["a"], "/L", "ann").encode())["UserName"] == "ann"


def test_daemon_files_are_a_unit_and_a_udev_rule(tmp_path: Path) -> None:
    files = linux_files("daemon", "user", ["/x/amphigory", "daemon"], "ann", tmp_path)
    assert [f.path for f in files] == [str(tmp_path / ".config/systemd/user/amphigory-daemon.service"),
                                       "/etc/udev/rules.d/99-amphigory.rules"]
    assert [f.needs_root for f in files] == [False, True]
    assert "sudo usermod -aG cdrom ann" in " ".join(next_steps("daemon", "user", "Linux", "ann"))


def test_install_writes_the_user_unit_and_prints_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert main(["install-service", "serve", "--user"]) == 0
    unit = tmp_path / ".config" / "systemd" / "user" / "amphigory-serve.service"
    out = capsys.readouterr().out
    assert f"wrote {unit}" in out and "systemctl --user enable --now amphigory-serve.service" in out
    assert "ExecStart=" in unit.read_text()
    assert main(["install-service", "worker", "--print"]) == 0
    assert "# " + str(tmp_path / ".config/systemd/user/amphigory-worker.service") in capsys.readouterr().out
    assert not (tmp_path / ".config" / "systemd" / "user" / "amphigory-worker.service").exists()


def test_the_service_runs_this_amphigory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [str(AMPHIGORY), "install-service"])
    assert amphigory_command("daemon") == [str(AMPHIGORY), "daemon"]

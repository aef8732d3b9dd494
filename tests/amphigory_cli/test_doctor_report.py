"""What doctor concludes from what the probes found: the core works or not, and each missing part named with how
to get it on Debian/Ubuntu, Fedora and macOS."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from amphigory_cli.doctor.report import (
    DataFolder,
    DriveAccess,
    Ffmpeg,
    Machine,
    Makemkv,
    Tool,
    WebappCheck,
    core_works,
    findings,
    render,
)

GOOD = Machine(
    system="Linux", user="ann", groups=frozenset({"ann", "cdrom"}),
    drives=(DriveAccess("/dev/sr0", True, "cdrom"),),
    ffmpegs=(Ffmpeg("/venv/ffmpeg", "imageio-ffmpeg", "9.0.2", True, True),),
    handbrake=Tool("/usr/bin/HandBrakeCLI", "HandBrake 1.6.1"),
    makemkv=Makemkv("/usr/bin/makemkvcon", "1.17.7", ("Evaluation version, 29 day(s) out of 30 remaining",)),
    libdiscid=Tool("libdiscid 0.6.4"), paranoia=Tool("/usr/bin/cd-paranoia"),
    data=DataFolder(Path("/home/ann/.local/share/amphigory"), True, 500 * 1024**3),
    webapp=WebappCheck("http://127.0.0.1:6199", True, "amphigory 0.1.0, database schema 4", "accepted"),
)


def _by_part(machine: Machine) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    return {f.part: (f.status, f.detail, f.fix) for f in findings(machine)}


def test_everything_there_is_all_ok() -> None:
    found = findings(GOOD)
    assert [f.status for f in found] == ["note"] + ["ok"] * (len(found) - 1)  # the note: which settings file
    assert core_works(found)
    text = render(found, "amphigory 0.1.0")
    assert "29 day(s) out of 30 remaining" in text and "the core works" in text


def test_a_drive_this_user_cannot_open_says_how_to_join_its_group() -> None:
    drives = (DriveAccess("/dev/sr0", False, "cdrom"), DriveAccess("/dev/sr1", True, "cdrom"))
    machine = dataclasses.replace(GOOD, groups=frozenset({"ann"}), drives=drives)
    parts = _by_part(machine)
    status, detail, fix = parts["drive /dev/sr0"]
    assert status == "problem" and "group cdrom" in detail
    assert fix == ("sudo usermod -aG cdrom ann   (then log out and in again)",)
    assert parts["drive /dev/sr1"][0] == "ok"
    assert not core_works(findings(machine))
    already = dataclasses.replace(machine, groups=frozenset({"ann", "cdrom"}))
    assert "log out and in again" in _by_part(already)["drive /dev/sr0"][1]


def test_no_drive_is_a_note_and_the_core_still_works() -> None:
    machine = dataclasses.replace(GOOD, drives=())
    assert _by_part(machine)["drives"][0] == "note"
    assert core_works(findings(machine))


def test_missing_optional_parts_say_how_to_get_them_everywhere() -> None:
    machine = dataclasses.replace(GOOD, handbrake=Tool(None), makemkv=Makemkv(None), libdiscid=Tool(None),
                                  paranoia=Tool(None))
    parts = _by_part(machine)
    for part, debian in (("HandBrakeCLI", "apt install handbrake-cli"), ("libdiscid", "apt install libdiscid0"),
                         ("cd-paranoia", "apt install cd-paranoia"), ("makemkvcon", "forum.makemkv.com")):
        status, _, fix = parts[part]
        assert status == "missing"
        assert [line.split(":")[0] for line in fix] == ["Debian/Ubuntu", "Fedora", "macOS"]
        assert debian in fix[0]
    assert core_works(findings(machine))


def test_ffmpeg_without_dvdvideo_breaks_the_core_and_without_bluray_is_a_problem() -> None:
    debian = Ffmpeg("/usr/bin/ffmpeg", "system", "5.1.6", False, False)
    machine = dataclasses.replace(GOOD, ffmpegs=(debian,))
    status, detail, fix = _by_part(machine)["ffmpeg"]
    assert status == "problem" and "no dvdvideo demuxer" in detail and fix[0].startswith("Debian/Ubuntu")
    assert not core_works(findings(machine))
    no_bluray = dataclasses.replace(GOOD, ffmpegs=(Ffmpeg("/x/ffmpeg", "system", "7.1", True, False),))
    assert _by_part(no_bluray)["ffmpeg"][0] == "problem"
    assert core_works(findings(no_bluray))
    assert not core_works(findings(dataclasses.replace(GOOD, ffmpegs=())))


def test_a_better_system_ffmpeg_is_offered_to_rips() -> None:
    old = Ffmpeg("/venv/old-ffmpeg", "imageio-ffmpeg", "6.0", False, False)
    system = Ffmpeg("/usr/bin/ffmpeg", "system", "7.1.1", True, True)
    status, _, fix = _by_part(dataclasses.replace(GOOD, ffmpegs=(old, system)))["ffmpeg"]
    assert (status, fix) == ("problem", ("export IMAGEIO_FFMPEG_EXE=/usr/bin/ffmpeg   (rips then use it)",))


def test_an_expired_makemkv_key_says_where_the_beta_key_goes() -> None:
    machine = dataclasses.replace(GOOD, makemkv=Makemkv("/usr/bin/makemkvcon", "1.17.7",
                                                        ("This application version is too old",), True))
    status, detail, fix = _by_part(machine)["makemkvcon"]
    assert status == "problem" and "too old" in detail and "app_Key" in fix[0]


def test_data_folder_unwritable_breaks_the_core_and_low_space_is_a_problem() -> None:
    unwritable = dataclasses.replace(GOOD, data=DataFolder(Path("/srv/a"), False, None, "Permission denied"))
    assert _by_part(unwritable)["data folder"][0] == "problem"
    assert not core_works(findings(unwritable))
    low = dataclasses.replace(GOOD, data=DataFolder(Path("/srv/a"), True, 3 * 1024**3))
    assert "only 3.0 GB free" in _by_part(low)["data folder"][1]
    assert core_works(findings(low))


def test_webapp_unreachable_refusing_or_tokenless() -> None:
    for check, status, words in (
        (WebappCheck("http://h:6199", False, "not reachable", "unchecked"), "missing", "amphigory serve"),
        (WebappCheck("http://h:6199", True, "amphigory 0.1.0", "refused"), "problem", "refused"),
        (WebappCheck("http://h:6199", True, "amphigory 0.1.0", "none"), "problem", "no token"),
        (WebappCheck("http://h:6199", True, "amphigory 0.1.0", "unchecked"), "problem", "did not answer"),
    ):
        got_status, detail, fix = _by_part(dataclasses.replace(GOOD, webapp=check))["webapp"]
        assert (got_status, words in detail + " ".join(fix)) == (status, True)
        assert core_works(findings(dataclasses.replace(GOOD, webapp=check)))


def test_the_settings_files_read_are_named() -> None:
    assert "no config file" in _by_part(GOOD)["settings"][1]
    named = dataclasses.replace(GOOD, config_files=("/home/ann/.config/amphigory/amphigory.toml",))
    assert _by_part(named)["settings"][1].startswith("/home/ann/.config/amphigory/amphigory.toml;")

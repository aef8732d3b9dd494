"""Settings: one declaration per option, precedence option > environment > config file > default, all documented;
data in the per-user data folder unless told otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from amphigory_cli import settings as cfg
from amphigory_cli.main import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def _parse(*argv: str):  # type: ignore[no-untyped-def]
    return build_parser().parse_args(list(argv))


def test_defaults_match_the_design_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    s = cfg.webapp_settings(_parse("serve"), env={"HOME": str(tmp_path)})
    assert (s.host, s.port, s.token) == ("127.0.0.1", 6199, None)
    assert s.database_path == tmp_path / ".local" / "share" / "amphigory" / "amphigory.db"
    d = cfg.daemon_settings(_parse("daemon"), env={"HOME": str(tmp_path)})
    assert d.data_dir == s.data_dir  # one machine: the daemon finds the webapp's token there


def test_data_folder_follows_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert cfg.webapp_settings(_parse("serve"), env={"HOME": str(tmp_path)}).data_dir == tmp_path / "xdg" / "amphigory"


def test_option_beats_environment_beats_default() -> None:
    env = {"AMPHIGORY_PORT": "7000", "AMPHIGORY_TOKEN": "from-env"}
    assert cfg.webapp_settings(_parse("serve"), env=env).port == 7000
    s = cfg.webapp_settings(_parse("serve", "--port", "7100", "--token", "cli"), env=env)
    assert (s.port, s.token) == (7100, "cli")


def test_daemon_reads_toml_below_env_and_options(tmp_path: Path) -> None:
    conf = tmp_path / "daemon.toml"
    conf.write_text('daemon_id = "file@host"\ntoken = "file-token"\nimage_drive = ["/a", "/b"]\n')
    env = {"AMPHIGORY_CONFIG": str(conf), "AMPHIGORY_TOKEN": "env-token"}
    s = cfg.daemon_settings(_parse("daemon"), env=env)
    assert s.daemon_id == "file@host"
    assert s.token == "env-token"
    assert s.image_drives == (Path("/a"), Path("/b"))
    s = cfg.daemon_settings(_parse("daemon", "--image-drive", "/c", "--daemon-id", "cli@h"), env=env)
    assert s.image_drives == (Path("/c"),)
    assert s.daemon_id == "cli@h"


def test_image_drives_from_environment_split_on_pathsep() -> None:
    s = cfg.daemon_settings(_parse("daemon"), env={"AMPHIGORY_IMAGE_DRIVE": "/x:/y", "HOME": "/nonexistent"})
    assert s.image_drives == (Path("/x"), Path("/y"))
    assert "@" in s.daemon_id  # user@host by default


def test_bad_port_is_a_clear_error() -> None:
    with pytest.raises(SystemExit):
        _parse("serve", "--port", "not-a-number")


def test_job_queue_and_transcode_settings() -> None:
    s = cfg.webapp_settings(_parse("serve", "--transcode-preset", "HQ 1080p30 Surround", "--transcode-languages",
                                   "eng, FRE", "--worker-timeout", "5", "--queue", "redis://q:6379/1"), env={})
    assert (s.transcode_preset, s.transcode_languages, s.worker_timeout, s.queue) == (
        "HQ 1080p30 Surround", ("eng", "fre"), 5.0, "redis://q:6379/1")
    default = cfg.webapp_settings(_parse("serve"), env={"AMPHIGORY_TRANSCODE_LANGUAGES": "jpn"})
    assert (default.transcode_preset, default.transcode_languages, default.workers) == ("auto", ("jpn",), 1)
    for bad in (["--transcode-preset", "../etc/passwd"], ["--transcode-languages", "english!"],
                ["--worker-timeout", "0"], ["--queue", "postgres://x"]):
        with pytest.raises(SystemExit):
            _parse("serve", *bad)


def test_worker_settings_need_a_token_and_take_the_webapps_ws_url_too(tmp_path: Path) -> None:
    w = cfg.worker_settings(_parse("worker", "--webapp-url", "ws://h:6199/ws", "--concurrency", "2", "--data-dir",
                                   str(tmp_path)),
                            env={"AMPHIGORY_TOKEN": "secret", "AMPHIGORY_QUEUE": "redis://h:6379/0"})
    assert (w.webapp_url, w.token, w.queue, w.concurrency) == ("ws://h:6199/ws", "secret", "redis://h:6379/0", 2)
    with pytest.raises(ValueError, match="token"):
        cfg.worker_settings(_parse("worker", "--data-dir", str(tmp_path)), env={})
    (tmp_path / "daemon-token").write_text("from-the-file\n")  # a worker on the webapp's machine
    assert cfg.worker_settings(_parse("worker", "--data-dir", str(tmp_path)), env={}).token == "from-the-file"


@pytest.mark.parametrize("option", sorted({o.flag for o in (*cfg.SERVE_OPTIONS, *cfg.DAEMON_OPTIONS,
                                                            *cfg.WORKER_OPTIONS)}))
def test_every_option_is_in_the_readme(option: str) -> None:
    assert option in README.read_text(), f"{option} is not documented in README.md"


def test_keep_ripped_is_off_unless_asked(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    assert cfg.webapp_settings(_parse("serve"), env=env).keep_ripped is False
    assert cfg.webapp_settings(_parse("serve", "--keep-ripped", "1"), env=env).keep_ripped is True
    assert cfg.webapp_settings(_parse("serve"), env={**env, "AMPHIGORY_KEEP_RIPPED": "1"}).keep_ripped is True
    with pytest.raises(SystemExit):
        _parse("serve", "--keep-ripped", "maybe")

"""The one config file (~/.config/amphigory/amphigory.toml): top level for every command, [command] tables for one,
the old daemon.toml still read, options and variables above it, mistakes named."""

from __future__ import annotations

from pathlib import Path

import pytest

from amphigory_cli import settings as cfg
from amphigory_cli.config_file import ConfigError
from amphigory_cli.main import build_parser, main


def _home(tmp_path: Path, text: str, name: str = "amphigory.toml") -> dict[str, str]:
    folder = tmp_path / ".config" / "amphigory"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return {"HOME": str(tmp_path)}


def test_serve_and_daemon_share_the_top_level_and_keep_their_tables(tmp_path: Path) -> None:
    env = _home(tmp_path, 'token = "shared"\ndata-dir = "/srv/amph"\n[serve]\nport = 7001\nauto_scan = false\n'
                          'notify = ["json://a", "json://b"]\n[daemon]\nbackend = "image"\ndata_dir = "/srv/d"\n')
    serve = cfg.webapp_settings(build_parser().parse_args(["serve"]), env=env)
    assert (serve.token, serve.port, serve.data_dir, serve.auto_scan) == ("shared", 7001, Path("/srv/amph"), False)
    assert serve.notify == ("json://a", "json://b")
    daemon = cfg.daemon_settings(build_parser().parse_args(["daemon"]), env=env)
    assert (daemon.token, daemon.backend, daemon.data_dir) == ("shared", "image", Path("/srv/d"))


def test_options_and_variables_beat_the_file(tmp_path: Path) -> None:
    env = {**_home(tmp_path, "port = 7001\n"), "AMPHIGORY_PORT": "7002"}
    assert cfg.webapp_settings(build_parser().parse_args(["serve"]), env=env).port == 7002
    assert cfg.webapp_settings(build_parser().parse_args(["serve", "--port", "7003"]), env=env).port == 7003


def test_daemon_still_reads_daemon_toml_below_amphigory_toml(tmp_path: Path) -> None:
    _home(tmp_path, 'daemon_id = "old@host"\ntoken = "old"\n', name="daemon.toml")
    env = _home(tmp_path, 'token = "new"\n')
    daemon = cfg.daemon_settings(build_parser().parse_args(["daemon"]), env=env)
    assert (daemon.daemon_id, daemon.token) == ("old@host", "new")
    folder = tmp_path / ".config" / "amphigory"
    assert cfg.config_paths("daemon", build_parser().parse_args(["doctor"]), env) == (
        str(folder / "daemon.toml"), str(folder / "amphigory.toml"))
    assert cfg.config_paths("serve", build_parser().parse_args(["serve"]), env) == (str(folder / "amphigory.toml"),)


def test_config_option_names_the_one_file(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text("port = 7100\n")
    env = _home(tmp_path, "port = 7001\n")
    args = build_parser().parse_args(["serve", "--config", str(other)])
    assert cfg.webapp_settings(args, env=env).port == 7100
    with pytest.raises(ConfigError, match="not found"):
        cfg.webapp_settings(build_parser().parse_args(["serve", "--config", str(tmp_path / "none.toml")]), env=env)


@pytest.mark.parametrize(("text", "message"), [
    ("prot = 1\n", "'prot' is not a setting"),
    ("[serve]\nimage_drive = ['/a']\n", "not a setting of serve"),
    ("[server]\nport = 1\n", "not a command"),
    ("port = 'many'\n", "port"),
    ("port = \n", "cannot read"),
])
def test_mistakes_in_the_file_are_named(tmp_path: Path, text: str, message: str) -> None:
    env = _home(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        cfg.webapp_settings(build_parser().parse_args(["serve"]), env=env)


def test_a_bad_file_is_a_clear_exit_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    _home(tmp_path, "colour = 'blue'\n")
    assert main(["doctor"]) == 2
    assert "'colour' is not a setting" in capsys.readouterr().err

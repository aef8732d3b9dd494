"""A webapp and a daemon on one machine share the daemon token through the data folder."""

from __future__ import annotations

import stat
from pathlib import Path

from amphigory_cli.main import build_parser
from amphigory_cli.token_file import ensure_token, new_token, read_token, token_path


def test_made_once_private_and_then_reused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert read_token(data) is None
    token = ensure_token(data)
    assert len(token) >= 32
    assert stat.S_IMODE(token_path(data).stat().st_mode) == 0o600
    assert ensure_token(data) == token
    assert read_token(data) == token


def test_an_empty_file_is_no_token(tmp_path: Path) -> None:
    token_path(tmp_path).write_text("\n")
    assert read_token(tmp_path) is None


def test_a_new_token_is_taken_by_the_command_line_as_a_value() -> None:
    """A person pastes the token after `--token`: a token beginning with "-" would be taken for an option (argparse:
    "expected one argument"), as a URL-safe token is one time in 64."""
    parser = build_parser()
    for _ in range(500):
        token = new_token()
        assert not token.startswith("-") and len(token) >= 32
        assert parser.parse_args(["daemon", "--token", token]).token == token

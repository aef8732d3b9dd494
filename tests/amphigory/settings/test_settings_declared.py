"""The settings' declarations: every serve flag is on the page, values are validated by the flags' own converters,
secrets are masked (and a masked value sent back keeps the secret), saved values go on top of the flags'."""

from __future__ import annotations

from pathlib import Path

import pytest

from amphigory.config import WebappSettings
from amphigory.settings.declared import BY_NAME, SETTINGS, SettingError, apply, described, mask, parse, parse_all
from amphigory_cli import settings as cli


def test_every_serve_flag_is_declared_once() -> None:
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    assert {o.name for o in cli.SERVE_OPTIONS} <= set(names)


def test_mask_keeps_a_urls_scheme_and_never_the_rest() -> None:
    assert mask("json://user:pass@host/a-long-secret-path") == "json://••••ath"
    assert mask("short") == "••••"
    assert "secret" not in mask("tmdb-secret-token-123456")


def test_values_are_checked_by_the_flags_converters() -> None:
    assert parse(BY_NAME["auto_rip_delay"], "2.5", 20.0) == 2.5
    assert parse(BY_NAME["eject_when_done"], False, True) is False
    assert parse(BY_NAME["plex_section"], 3, None) == 3
    assert parse(BY_NAME["plex_url"], "", "http://x") is None
    assert parse(BY_NAME["drive_on_insert"], "a@h:sr0 = rip\n\n", []) == ["a@h:sr0=rip"]
    with pytest.raises(SettingError) as refused:
        parse_all({"auto_rip_delay": "soon", "transcode": "vhs", "nope": 1, "host": "0.0.0.0",
                   "on_insert": ""}, WebappSettings())
    assert set(refused.value.errors) == {"auto_rip_delay", "transcode", "nope", "host", "on_insert"}


def test_a_masked_secret_sent_back_keeps_what_it_stands_for() -> None:
    urls = ["json://127.0.0.1:1/first-secret", "ntfy://second-secret-topic"]
    assert parse(BY_NAME["notify"], [mask(urls[1]), "mailto://new@example.org"], urls) == \
        [urls[1], "mailto://new@example.org"]
    assert parse(BY_NAME["tmdb_token"], mask("token-token-token-1"), "token-token-token-1") == "token-token-token-1"


def test_saved_values_go_on_top_of_the_flags_and_unparsable_ones_are_ignored(tmp_path: Path) -> None:
    base = WebappSettings(data_dir=tmp_path, on_insert="manual", notify=("json://a/b",))
    settings = apply(base, {"on_insert": "rip", "tmdb_token": "abc", "library": "/srv/media", "port": 1,
                            "auto_rip_delay": "garbage", "drive_on_insert": ["x@h:sr0=manual"]})
    assert settings.on_insert == "rip" and settings.metadata.tmdb_token == "abc"
    assert settings.library_dir == Path("/srv/media") and settings.port == base.port
    assert settings.auto_rip_delay == base.auto_rip_delay
    assert settings.on_insert_for("x@h:sr0") == "manual" and settings.on_insert_for("y@h:sr0") == "rip"
    rows = {r["name"]: r for r in described(settings, base, ["on_insert"])}
    assert rows["on_insert"]["saved"] and rows["on_insert"]["default"] == "manual"
    assert rows["notify"]["value"] == [mask("json://a/b")]


def test_oversized_values_are_refused() -> None:
    with pytest.raises(SettingError) as refused:
        parse_all({"notify": ["json://h/p"] * 51, "transcode_preset": "x" * 2001, "plex_url": {"a": 1}},
                  WebappSettings())
    assert set(refused.value.errors) == {"notify", "transcode_preset", "plex_url"}

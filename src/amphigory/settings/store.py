"""`SettingsStore`: the settings saved on the settings page (the `settings` table), over the flags' defaults.

The effective settings are the flags' and environment's (`base`) with every saved value on top. Listeners hear
about each change, so what applies without a restart (on-insert rule, countdown, eject, notifications, metadata
token, auto-scan, transcode mode) takes effect at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from amphigory.config import WebappSettings
from amphigory.database import Database, now
from amphigory.settings.declared import apply, described, parse_all

log = logging.getLogger(__name__)
# aiosqlite logs every statement with its parameters at DEBUG: saved secrets (notification URLs, tokens) would be in
# a debug log. Its INFO and above carry no parameters.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

SettingsListener = Callable[[WebappSettings], Awaitable[None]]


class SettingsStore:
    def __init__(self, db: Database, base: WebappSettings) -> None:
        self.db = db
        self.base = base
        self._saved: dict[str, Any] = {}
        self._current = base
        self._listeners: list[SettingsListener] = []

    async def load(self) -> WebappSettings:
        async with self.db.connection() as conn:
            cur = await conn.execute("SELECT name, value FROM settings")
            rows = await cur.fetchall()
        self._saved = {}
        for row in rows:
            try:
                self._saved[row["name"]] = json.loads(row["value"])
            except ValueError:
                log.warning("ignoring the saved setting %s: not JSON", row["name"])
        self._current = apply(self.base, self._saved)
        return self._current

    def current(self) -> WebappSettings:
        """The effective settings now."""
        return self._current

    def describe(self) -> list[dict[str, Any]]:
        return described(self._current, self.base, self._saved)

    def add_listener(self, listener: SettingsListener) -> None:
        self._listeners.append(listener)

    async def save(self, changes: Mapping[str, Any]) -> WebappSettings:
        """Validate and save changes (`SettingError` refuses them all); a None value goes back to the default."""
        values = parse_all({k: v for k, v in changes.items() if v is not None or k not in self._saved}, self._current)
        cleared = [k for k, v in changes.items() if v is None and k in self._saved]
        async with self.db.connection() as conn:
            for name in cleared:
                await conn.execute("DELETE FROM settings WHERE name = ?", (name,))
            for name, value in values.items():
                await conn.execute(
                    "INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    (name, json.dumps(value), now()),
                )
        for name in cleared:
            self._saved.pop(name, None)
        self._saved.update(values)
        self._current = apply(self.base, self._saved)
        log.info("settings changed: %s", ", ".join(sorted([*values, *cleared])) or "nothing")  # names, never values
        for listener in list(self._listeners):
            try:
                await listener(self._current)
            except Exception:
                log.exception("a settings listener failed")
        return self._current

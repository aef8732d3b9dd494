"""A person's cancel of a hands-free countdown, kept in the database by drive until the disc leaves it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from amphigory.database import Database
from amphigory.handsfree import declined


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "amphigory.db")
    await database.initialize()
    yield database
    await database.close()


async def test_a_cancel_is_kept_for_that_disc_in_that_drive_until_forgotten(db: Database, tmp_path: Path) -> None:
    assert not await declined.is_declined(db, "host:drive0", "dvd-abc")
    await declined.remember(db, "host:drive0", "dvd-abc")
    assert await declined.is_declined(db, "host:drive0", "dvd-abc")
    assert not await declined.is_declined(db, "host:drive0", "dvd-other")  # another disc in that drive
    assert not await declined.is_declined(db, "host:drive1", "dvd-abc")  # the disc in another drive
    await declined.remember(db, "host:drive0", "dvd-other")  # one mark per drive: the newest
    assert not await declined.is_declined(db, "host:drive0", "dvd-abc")
    await db.close()  # kept across a restart
    reopened = Database(tmp_path / "amphigory.db")
    await reopened.initialize()
    try:
        assert await declined.is_declined(reopened, "host:drive0", "dvd-other")
        await declined.forget(reopened, "host:drive0")
        assert not await declined.is_declined(reopened, "host:drive0", "dvd-other")
    finally:
        await reopened.close()

"""The webapp's SQLite database: the one place that opens it, sets it up and migrates its schema.

`Database` owns a single aiosqlite connection (WAL, foreign keys on, rows addressable by column name). Every user
borrows it through `connection()`, which serialises units of work between tasks so one task's transaction never
commits or rolls back another's; a task that already holds it may re-enter. SQL itself lives in plain functions
of a connection next to the code that needs it (`amphigory.api.disc_repository`, `amphigory.tasks`).

The schema is versioned: `schema_version` holds the version, and `MIGRATIONS[n]` takes a database from version
`n` to `n + 1`. A database written by an older version upgrades in place when it is opened. A database from before
versioning (a `discs` table but no `schema_version`) counts as version 1. Before an upgrade, a copy of the file as
it was is kept beside it (`amphigory.db.bak-v<old version>`).

asyncio and aiosqlite are imported where they are used, so reading `SCHEMA_VERSION` (`amphigory --version`) stays
instant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

    import aiosqlite

# Version 1: the seed's schema (spec Task 6's discs table, a minimal tracks table).
_V1 = (
    """CREATE TABLE discs (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT UNIQUE,
        title TEXT NOT NULL,
        year INTEGER,
        imdb_id TEXT,
        disc_type TEXT,
        disc_release_year INTEGER,
        edition_notes TEXT,
        scan_data TEXT,
        processed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        scanned_at TIMESTAMP,
        notes TEXT
    )""",
    """CREATE TABLE tracks (
        id INTEGER PRIMARY KEY,
        disc_id INTEGER NOT NULL REFERENCES discs(id) ON DELETE CASCADE,
        track_number INTEGER NOT NULL,
        duration_seconds REAL,
        size_bytes INTEGER,
        status TEXT NOT NULL DEFAULT 'pending',
        output_path TEXT
    )""",
)

# Version 2: volume name and public ids on discs; everything a scan says about a track plus what the person chose
# and what became of it; persisted tasks.
_V2 = (
    "ALTER TABLE discs ADD COLUMN volume_name TEXT",
    "ALTER TABLE discs ADD COLUMN dvd_disc_id TEXT",
    "ALTER TABLE discs ADD COLUMN thediscdb_content_hash TEXT",
    "ALTER TABLE discs ADD COLUMN aacs_disc_hash TEXT",
    "ALTER TABLE discs ADD COLUMN musicbrainz_disc_id TEXT",
    "ALTER TABLE discs ADD COLUMN freedb_id TEXT",
    "ALTER TABLE discs ADD COLUMN updated_at TIMESTAMP",
    "CREATE INDEX discs_dvd_disc_id ON discs(dvd_disc_id)",
    "CREATE INDEX discs_musicbrainz_disc_id ON discs(musicbrainz_disc_id)",
    "CREATE INDEX discs_title ON discs(title COLLATE NOCASE)",
    "ALTER TABLE tracks ADD COLUMN chapters INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE tracks ADD COLUMN video TEXT",  # JSON
    "ALTER TABLE tracks ADD COLUMN audio TEXT NOT NULL DEFAULT '[]'",  # JSON
    "ALTER TABLE tracks ADD COLUMN subtitles TEXT NOT NULL DEFAULT '[]'",  # JSON
    "ALTER TABLE tracks ADD COLUMN source TEXT NOT NULL DEFAULT '{}'",  # JSON
    "ALTER TABLE tracks ADD COLUMN segment_map TEXT NOT NULL DEFAULT '[]'",  # JSON
    "ALTER TABLE tracks ADD COLUMN makemkv_title_index INTEGER",
    "ALTER TABLE tracks ADD COLUMN classification TEXT NOT NULL DEFAULT 'other'",
    "ALTER TABLE tracks ADD COLUMN confidence REAL NOT NULL DEFAULT 0",
    "ALTER TABLE tracks ADD COLUMN duplicate_of INTEGER",
    "ALTER TABLE tracks ADD COLUMN present INTEGER NOT NULL DEFAULT 1",  # still on the disc at the last scan
    "ALTER TABLE tracks ADD COLUMN selected INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE tracks ADD COLUMN name TEXT",  # the person's chosen name
    "ALTER TABLE tracks ADD COLUMN track_type TEXT",  # the person's type, overriding the classification
    "ALTER TABLE tracks ADD COLUMN ripped_path TEXT",
    "ALTER TABLE tracks ADD COLUMN rip_size_bytes INTEGER",
    "ALTER TABLE tracks ADD COLUMN rip_sha256 TEXT",
    "ALTER TABLE tracks ADD COLUMN rip_error TEXT",
    "ALTER TABLE tracks ADD COLUMN rip_started_at TIMESTAMP",
    "ALTER TABLE tracks ADD COLUMN ripped_at TIMESTAMP",
    "ALTER TABLE tracks ADD COLUMN transcoded_path TEXT",
    "ALTER TABLE tracks ADD COLUMN library_path TEXT",
    "UPDATE tracks SET ripped_path = output_path WHERE output_path IS NOT NULL",
    "UPDATE tracks SET status = 'ripped' WHERE status = 'complete'",
    "CREATE UNIQUE INDEX tracks_disc_number ON tracks(disc_id, track_number)",
    """CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL CHECK (type IN ('scan', 'rip', 'eject')),
        status TEXT NOT NULL DEFAULT 'queued'
            CHECK (status IN ('queued', 'running', 'complete', 'failed', 'cancelled')),
        progress INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
        daemon_id TEXT NOT NULL,
        drive_id TEXT NOT NULL,
        fingerprint TEXT,
        track_number INTEGER,
        params TEXT NOT NULL DEFAULT '{}',
        result TEXT,
        error TEXT,
        error_code TEXT,
        retry_of TEXT REFERENCES tasks(id),
        created_at TIMESTAMP NOT NULL,
        started_at TIMESTAMP,
        finished_at TIMESTAMP,
        updated_at TIMESTAMP NOT NULL
    )""",
    "CREATE INDEX tasks_status ON tasks(status)",
    "CREATE INDEX tasks_created ON tasks(created_at)",
    "CREATE INDEX tasks_daemon ON tasks(daemon_id, status)",
)

# Version 3: `file` tasks (the webapp files a rip into the library itself), and a note on a track saying why it is
# not in the library. SQLite cannot change a CHECK constraint, so the tasks table is rebuilt.
_V3 = (
    "ALTER TABLE tracks ADD COLUMN library_note TEXT",
    "DROP INDEX tasks_status",
    "DROP INDEX tasks_created",
    "DROP INDEX tasks_daemon",
    "ALTER TABLE tasks RENAME TO tasks_v2",
    next(s for s in _V2 if s.startswith("CREATE TABLE tasks")).replace(
        "('scan', 'rip', 'eject')", "('scan', 'rip', 'eject', 'file')"),
    "INSERT INTO tasks SELECT * FROM tasks_v2",
    "DROP TABLE tasks_v2",
    *(s for s in _V2 if s.startswith("CREATE INDEX tasks_")),
)

# Version 4: what a disc is. `identification` is the stored answer (JSON, amphigory.identify.result), `named_by` who
# gave the disc its title (NULL: only the volume label, a guess that is never filed under; "identification": a
# certain answer; "person": final), `version` counts saves (a save against a stale version is refused). A track's
# season and episode (and the last episode of a title holding two).
_V4 = (
    "ALTER TABLE discs ADD COLUMN identification TEXT",
    "ALTER TABLE discs ADD COLUMN named_by TEXT",
    "ALTER TABLE discs ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
    "ALTER TABLE tracks ADD COLUMN season INTEGER",
    "ALTER TABLE tracks ADD COLUMN episode INTEGER",
    "ALTER TABLE tracks ADD COLUMN episode_end INTEGER",
)

# Rips (issue 12): a CD's album artist as the person gave it on the album form (the scan's CD-TEXT is the default).
_RIPS_ALBUM_ARTIST = (
    "ALTER TABLE discs ADD COLUMN artist TEXT",
)

# A rip's checksum with its algorithm ("blake3:<hex>"); the SHA-256 records made before it say so.
RIP_CHECKSUM_MIGRATION = (
    "ALTER TABLE tracks ADD COLUMN rip_checksum TEXT",
    "UPDATE tracks SET rip_checksum = 'sha256:' || rip_sha256 WHERE rip_sha256 IS NOT NULL",
)

# Settings edited on the settings page (amphigory.settings): a saved value (JSON) wins over the flag's default.
# Discs from before `named_by` that a person saved choices for, or that were filed, count as named by the person
# (only unnamed discs' rips are held: amphigory.handsfree.hold).
_V_SETTINGS = (
    """CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TIMESTAMP NOT NULL
    )""",
    """UPDATE discs SET named_by = 'person' WHERE named_by IS NULL AND (updated_at IS NOT scanned_at
        OR EXISTS (SELECT 1 FROM tracks t WHERE t.disc_id = discs.id AND t.library_path IS NOT NULL))""",
)

# Version 5: successful metadata look-ups (amphigory.metadata.cache), so a disc is looked up once.
_V_METADATA_CACHE = (
    "CREATE TABLE metadata_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL)",
)

# The job queue (amphigory.jobs): the webapp's record of each filing/transcoding job on the queue engine. `attempt`
# counts its runs (a job whose worker went silent runs again as the next attempt), `lease` is the current
# attempt's claim by one worker (a result is accepted once, for the current lease), `state` is queued, claimed or
# done (its result accepted, or cancelled).
_QUEUE_JOBS = (
    """CREATE TABLE jobs (
        task_id TEXT PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL DEFAULT 1,
        state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'claimed', 'done')),
        lease TEXT,
        worker TEXT,
        spec TEXT NOT NULL DEFAULT '{}',
        enqueued_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX jobs_state ON jobs (state)",
)

# A hands-free countdown a person cancelled, by drive (amphigory.handsfree.declined): a restart must not start it again.
_HANDSFREE_DECLINED = (
    """CREATE TABLE handsfree_declined (
        drive_id TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        declined_at TEXT NOT NULL
    )""",
)

# MIGRATIONS[n] takes the schema from version n to n + 1.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    0: _V1, 1: _V2, 2: _V3, 3: _V4, 4: _V_METADATA_CACHE, 5: _RIPS_ALBUM_ARTIST, 6: RIP_CHECKSUM_MIGRATION,
    7: _V_SETTINGS, 8: _QUEUE_JOBS, 9: _HANDSFREE_DECLINED,
}
SCHEMA_VERSION = max(MIGRATIONS) + 1


class Database:
    """The webapp's SQLite database file (spec Task 6 API: `Database(path)`, `initialize()`, `connection()`)."""

    def __init__(self, path: str | Path) -> None:
        import asyncio

        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None

    async def initialize(self) -> None:
        """Open the file (creating its folder), set WAL and foreign keys, and migrate to `SCHEMA_VERSION`."""
        import aiosqlite

        if self._conn is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self.path)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA busy_timeout = 5000")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = NORMAL")
        try:
            copy = await backup_before_upgrade(conn, self.path)
            found = await migrate(conn)
            if copy is not None:
                import logging

                logging.getLogger(__name__).warning("upgraded %s from schema %d to %d; the old file is kept as %s",
                                                    self.path, found, SCHEMA_VERSION, copy)
        except BaseException:
            await conn.close()
            raise
        self._conn = conn

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        """Borrow the connection for one unit of work: committed on a normal exit, rolled back on an exception."""
        import asyncio

        if self._conn is None:
            raise RuntimeError("Database.initialize() has not been called (or the database is closed)")
        current = asyncio.current_task()
        if current is not None and current is self._holder:  # re-entered by the task that holds it
            yield self._conn
            return
        async with self._lock:
            self._holder = current
            conn = self._conn
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    await conn.rollback()
                raise
            else:
                if conn.in_transaction:
                    await conn.commit()
            finally:
                self._holder = None


async def schema_version(conn: aiosqlite.Connection) -> int:
    """The schema version of an open database: 0 when empty, 1 for a pre-versioning seed database."""
    cur = await conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    if await cur.fetchone() is None:
        cur = await conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'discs'")
        return 1 if await cur.fetchone() is not None else 0
    cur = await conn.execute("SELECT version FROM schema_version")
    row = await cur.fetchone()
    return int(row[0]) if row is not None else 0


async def migrate(conn: aiosqlite.Connection) -> int:
    """Bring the schema to `SCHEMA_VERSION` in one transaction (all or nothing); returns the version found."""
    # IMMEDIATE: two processes opening the same new file must not both run the same migration.
    await conn.execute("BEGIN IMMEDIATE")
    try:
        found = version = await schema_version(conn)
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"database schema version {version} is newer than this program's {SCHEMA_VERSION}")
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        while version < SCHEMA_VERSION:
            for statement in MIGRATIONS[version]:
                await conn.execute(statement)
            version += 1
        await conn.execute("DELETE FROM schema_version")
        await conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        await conn.commit()
    except BaseException:
        await conn.rollback()
        raise
    return found


def backup_path(path: Path, version: int) -> Path:
    """Where the copy of a version-`version` database is kept before upgrading it: the first free of
    `<name>.bak-v<version>`, `<name>.bak-v<version>-2`, ..."""
    candidate = path.with_name(f"{path.name}.bak-v{version}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak-v{version}-{n}")
        n += 1
    return candidate


async def backup_before_upgrade(conn: aiosqlite.Connection, path: Path) -> Path | None:
    """Copy a database that an upgrade is about to change (a consistent copy, WAL included: `VACUUM INTO`);
    nothing for a new, empty or current one. Returns the copy's path."""
    version = await schema_version(conn)
    if not 0 < version < SCHEMA_VERSION:
        return None
    target = backup_path(path, version)
    await conn.execute("VACUUM INTO ?", (str(target),))
    return target


def now() -> str:
    """The format of every timestamp this program writes: ISO 8601 in UTC, to the microsecond."""
    return datetime.now(UTC).isoformat(timespec="microseconds")

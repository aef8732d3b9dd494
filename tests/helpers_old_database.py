"""A database as an older Amphigory left it, for the upgrade tests."""

# The schema of version 1, written out by hand as a version-1 program left it (not imported from the code).
V1_SCHEMA = """
CREATE TABLE discs (
    id INTEGER PRIMARY KEY, fingerprint TEXT UNIQUE, title TEXT NOT NULL, year INTEGER, imdb_id TEXT,
    disc_type TEXT, disc_release_year INTEGER, edition_notes TEXT, scan_data TEXT,
    processed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, scanned_at TIMESTAMP, notes TEXT
);
CREATE TABLE tracks (
    id INTEGER PRIMARY KEY, disc_id INTEGER NOT NULL REFERENCES discs(id) ON DELETE CASCADE,
    track_number INTEGER NOT NULL, duration_seconds REAL, size_bytes INTEGER,
    status TEXT NOT NULL DEFAULT 'pending', output_path TEXT
);
"""

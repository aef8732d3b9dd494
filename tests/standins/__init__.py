"""Loopback stand-ins of the metadata services (TheDiscDB, TMDB, MusicBrainz, Cover Art Archive) for any test.

Each answers in the shapes the real service documents and can misbehave on demand (`server.StandIn.trouble`).
The pytest fixtures are in `standins.fixtures` (re-exported by tests/conftest.py).
"""

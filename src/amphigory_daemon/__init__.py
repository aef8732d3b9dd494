"""amphigory_daemon package."""

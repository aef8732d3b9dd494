"""amphigory_cli package."""

"""amphigory package."""

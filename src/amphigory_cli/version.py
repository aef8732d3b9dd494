"""`amphigory --version`: the installed version and the database schema this program writes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any


def package_version() -> str:
    """The installed amphigory's version ("0+unknown" in a source tree that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("amphigory")
    except PackageNotFoundError:
        return "0+unknown"


def version_text() -> str:
    from amphigory.database import SCHEMA_VERSION  # imports nothing heavy (see its docstring)

    return f"amphigory {package_version()} (database schema {SCHEMA_VERSION})"


class VersionAction(argparse.Action):
    """`--version`, worked out only when asked for, so building the parser stays cheap."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the version and the database schema version, then exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(version_text(), flush=True)
        parser.exit()

"""`amphigory --version`: the installed version and the database schema this program writes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any


def package_version() -> str:
    """The installed amphigory's version ("0+unknown" in a source tree that is not installed)."""
    # Read from the name of its .dist-info folder, found on sys.path as importlib.metadata would find it: importing
    # importlib.metadata (email, zipfile, ...) cost most of `--version`'s start-up.
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith("amphigory-") and name.endswith(".dist-info"):
                return name[len("amphigory-"):-len(".dist-info")]
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

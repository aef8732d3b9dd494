"""Reading services' JSON defensively: a field of the wrong type is treated as missing, never trusted."""

from __future__ import annotations

from typing import Any

from amphigory.metadata.http import ServiceError


class ParseError(ServiceError):
    """The answer had the wrong shape: a service answering garbage is as good as down."""


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_int(value: Any, default: int | None = None) -> int | None:
    """An integer field, or one written as digits ("3"); anything else is `default`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return default

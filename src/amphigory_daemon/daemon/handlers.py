"""Checks of the webapp's request params: each returns a typed value or raises `RequestFailed` with its code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from amphigory_daemon.daemon.slots import Rip, Slot
from amphigory_protocol.disc import Title
from amphigory_protocol.messages import RequestError


class RequestFailed(RequestError):
    """A request the daemon refuses, with the error code the webapp gets back (one of internals.md's request
    errors)."""


def fail(code: str, message: str) -> RequestFailed:
    return RequestFailed(code, message)


def slot_of(slots: Mapping[str, Slot], daemon_id: str, params: dict[str, Any]) -> Slot:
    """The slot of `params["drive_id"]`."""
    drive_id = params.get("drive_id")
    if not isinstance(drive_id, str):
        raise fail("invalid_params", "drive_id (a string) is required")
    slot = slots.get(drive_id)
    if slot is None:
        raise fail("unknown_drive", f"no drive {drive_id!r} on daemon {daemon_id!r}")
    return slot


def task_id_of(params: dict[str, Any]) -> str:
    task_id = params.get("task_id")
    if not isinstance(task_id, str) or not task_id:
        raise fail("invalid_params", "task_id (a non-empty string) is required")
    return task_id


def rip_of(params: dict[str, Any], slot: Slot, task_id: str) -> Rip:
    """The rip a `rip` request asks for (names default to the disc's volume and the title's number)."""
    fingerprint = params.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        raise fail("invalid_params", "fingerprint (a non-empty string) is required")
    try:
        title = Title.model_validate(params.get("title"))
    except ValidationError as exc:
        raise fail("invalid_params", f"title: {exc.errors()[0]['msg']}") from exc
    disc_title = str(params.get("disc_title") or slot.drive.disc_volume or "disc")
    output_name = str(params.get("output_name") or f"title_{title.number:02d}")
    replaces = params.get("replace_path")
    if replaces is not None and (not isinstance(replaces, str) or not replaces):
        raise fail("invalid_params", "replace_path must be a non-empty string (the earlier rip to replace)")
    return Rip(task_id, fingerprint, title, disc_title, output_name, replaces=replaces)

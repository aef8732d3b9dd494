"""A drive's backend events in order: a disc inserted (then identified beside it), ejected, or in conflict."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from amphigory_daemon.backends.base import BackendError, DriveBackend, DriveEvent
from amphigory_daemon.daemon.handlers import fail
from amphigory_daemon.daemon.ripping import end_rips
from amphigory_daemon.daemon.scanning import end_scan
from amphigory_daemon.daemon.slots import Context, Identity, Slot, log
from amphigory_daemon.drive import DriveState, OpticalDrive
from amphigory_protocol.messages import EventName


def route_event(slots: Mapping[str, Slot], daemon_id: str, backend: DriveBackend, event: DriveEvent) -> None:
    """Queue a backend's event on its drive's slot (an unknown drive's event is logged and dropped)."""
    slot = slots.get(OpticalDrive(daemon_id=daemon_id, device=event.device).drive_id)
    if slot is None or slot.backend is not backend:
        log.warning("event for unknown drive %s from %s backend", event.device, backend.name)
        return
    slot.events.put_nowait(event)


async def drive_worker(ctx: Context, slot: Slot) -> None:
    """One drive's backend events, in order (identify runs beside it, so an eject is never held up)."""
    while True:
        event = await slot.events.get()
        try:
            if event.kind == "inserted":
                await inserted(ctx, slot, event)
            elif event.kind == "ejected":
                await ejected(ctx, slot)
            else:
                await conflict(ctx, slot, event)
        except Exception:
            log.exception("drive %s: handling %s failed", slot.drive.drive_id, event.kind)


async def inserted(ctx: Context, slot: Slot, event: DriveEvent) -> None:
    """A disc is in: eject the old one first if the drive missed it, then identify the new one in a task."""
    if event.path is None:
        return
    if slot.drive.state is not DriveState.EMPTY:
        await ejected(ctx, slot)
    async with slot.lock:
        slot.generation += 1
        slot.media_path = event.path
        slot.public_ids = {}
        slot.drive.insert_disc(event.volume_name or "", event.disc_type or "")
        slot.identify_task = ctx.spawn(identify_disc(ctx, slot, event.path, slot.generation))


async def identify_disc(ctx: Context, slot: Slot, path: str, generation: int) -> None:
    """Identify the disc at `path` in a thread and report disc_inserted (unreadable: with an error)."""
    error: dict[str, str] | None = None
    identity: Identity | None = None
    try:
        identity = await asyncio.to_thread(ctx.identify, path)
    except Exception as exc:  # an unreadable disc is still a disc in the drive: say so (logged once a disc)
        log.warning("drive %s: cannot identify %s: %s", slot.drive.drive_id, path, exc)
        error = {"code": "unreadable", "message": str(exc)}
    async with slot.lock:
        if slot.generation != generation:
            return
        slot.identify_task = None
        if error is not None:  # on the drive itself, so /api/drives and the dashboard show it while it is in
            slot.drive.disc_error = f"{error['message']}. Take it out and check it (clean a disc; for an image, " \
                                    "check its files), then put it back."

        data = _identified(slot, identity) if identity is not None else _unidentified(slot, error)
        await ctx.emit(slot, EventName.DISC_INSERTED, data)
        await ctx.emit(slot, EventName.DRIVE_STATE_CHANGED, {})


def _identified(slot: Slot, identity: Identity) -> dict[str, Any]:
    """Put the identity into the slot's drive (caller holds the lock): the disc_inserted data."""
    slot.drive.disc_volume = identity.volume_name
    slot.drive.disc_type = identity.disc_type
    slot.drive.set_fingerprint(identity.fingerprint)
    ids = identity.public_ids
    slot.public_ids = ids.model_dump() if hasattr(ids, "model_dump") else dict(ids or {})
    return {"fingerprint": identity.fingerprint, "disc_type": identity.disc_type,
            "volume_name": identity.volume_name, "public_ids": slot.public_ids}


def _unidentified(slot: Slot, error: dict[str, str] | None) -> dict[str, Any]:
    """The disc_inserted data of a disc that could not be identified."""
    return {"fingerprint": None, "disc_type": slot.drive.disc_type or None,
            "volume_name": slot.drive.disc_volume or None, "public_ids": {}, "error": error}


async def ejected(ctx: Context, slot: Slot) -> None:
    """The disc is out: stop everything running on it, empty the drive, report disc_ejected."""
    async with slot.lock:
        if slot.drive.state is DriveState.EMPTY and slot.media_path is None:
            return
        slot.generation += 1
        if slot.identify_task is not None:
            slot.identify_task.cancel()
            slot.identify_task = None
        await end_scan(ctx, slot, "disc_ejected", "the disc was ejected")
        await end_rips(ctx, slot, "disc_ejected", "the disc was ejected")
        slot.media_path = None
        slot.public_ids = {}
        slot.drive.eject_disc()
        await ctx.emit(slot, EventName.DISC_EJECTED, {})


async def conflict(ctx: Context, slot: Slot, event: DriveEvent) -> None:
    """A second disc the backend cannot take (an image drive's): a warning on drive_state_changed."""
    log.warning("drive %s: %s", slot.drive.drive_id, event.message)
    async with slot.lock:
        await ctx.emit(slot, EventName.DRIVE_STATE_CHANGED,
                       {"warning": {"code": "conflict", "message": event.message}})


async def eject(ctx: Context, slot: Slot) -> dict[str, Any]:
    """Answer an `eject` request: the backend ejects, then the drive is emptied at once."""
    if slot.drive.state is DriveState.EMPTY:
        raise fail("no_disc", f"drive {slot.drive.drive_id} is empty")
    try:
        await slot.backend.eject(slot.drive.device)
    except BackendError as exc:
        raise fail("eject_failed", str(exc)) from exc
    await ejected(ctx, slot)
    return {"ejected": True}

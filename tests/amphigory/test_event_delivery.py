"""EventDelivery on its own: which daemon instances' dedup state it keeps when its memory is full."""

from __future__ import annotations

from typing import Any

from amphigory.link.daemon_link import DaemonInfo, DaemonLink, now
from amphigory.link.delivery import EventDelivery
from amphigory.link.drive_mirror import DriveMirror
from amphigory_protocol.messages import Event, EventName


def _link(instance: str) -> DaemonLink:
    stamp = now()
    return DaemonLink(websocket=None, info=DaemonInfo("d1", "1", instance, stamp, stamp))  # type: ignore[arg-type]


async def test_a_busy_daemon_instance_is_remembered_over_ones_heard_from_less_recently() -> None:
    def ignore(message: dict[str, Any]) -> None:
        pass

    delivery = EventDelivery(DriveMirror(ignore), ignore)
    delivery.MEMORY = 2
    applied: list[tuple[str, int]] = []

    async def listener(daemon_id: str, event: Event) -> None:
        applied.append((daemon_id, event.seq))

    delivery.listeners.append(listener)
    busy, other, third = _link("busy"), _link("other"), _link("third")

    def event(seq: int) -> Event:
        return Event(event=EventName.DRIVE_STATE_CHANGED, daemon_id="d1", seq=seq)

    await delivery.apply(busy, event(1))  # heard from first...
    await delivery.apply(other, event(1))
    await delivery.apply(busy, event(2))  # ...and again, most recently
    await delivery.apply(third, event(1))  # memory full: `other` is the one to forget
    applied.clear()
    await delivery.apply(busy, event(2))  # a replay of the busy instance: still recognised
    assert applied == []
    await delivery.apply(other, event(1))  # forgotten, so applied again
    assert applied == [("d1", 1)]

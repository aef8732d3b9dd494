"""The wire's message models and request correlation, without sockets."""

from __future__ import annotations

import asyncio
import json

import pytest

from amphigory_protocol.messages import (
    MAX_FRAME_BYTES,
    Ack,
    Event,
    EventName,
    Hello,
    PendingRequests,
    ProtocolError,
    Request,
    Response,
    parse_message,
    validate_message,
)


def test_ack_round_trips() -> None:
    assert parse_message('{"type": "ack", "seq": 7}') == Ack(seq=7)
    with pytest.raises(ProtocolError) as bad:
        parse_message('{"type": "ack", "seq": -1}')
    assert bad.value.code == "invalid_message"


def test_hello_reports_instance_counters() -> None:
    hello = parse_message(json.dumps({"type": "hello", "daemon_id": "d", "version": "1", "instance_id": "i",
                                      "last_seq": 4, "dropped": 2}))
    assert isinstance(hello, Hello) and (hello.last_seq, hello.dropped) == (4, 2)


def test_every_spec_event_name_parses() -> None:
    for name in EventName:
        message = validate_message({"type": "event", "event": name.value, "daemon_id": "d", "seq": 1})
        assert isinstance(message, Event) and message.event is name
        assert str(name) == name.value


@pytest.mark.parametrize(("raw", "code", "request_id"), [
    ("{", "malformed_json", None),
    (b"\xff", "malformed_json", None),
    ('"text"', "invalid_message", None),
    ('{"type": "nope", "request_id": "r"}', "unknown_type", "r"),
    ('{"type": "request", "request_id": "r"}', "invalid_message", "r"),
    ('{"type": "response", "request_id": "r", "result": 1, "extra": 2}', "invalid_message", "r"),
    ("x" * (MAX_FRAME_BYTES + 1), "frame_too_large", None),
])
def test_bad_frames_raise_protocol_errors(raw: str | bytes, code: str, request_id: str | None) -> None:
    with pytest.raises(ProtocolError) as bad:
        parse_message(raw)
    assert (bad.value.code, bad.value.request_id) == (code, request_id)


async def test_pending_requests_correlate_and_fail_together() -> None:
    pending = PendingRequests("p")
    first, first_future = pending.open()
    second, second_future = pending.open()
    assert first != second and len(pending) == 2
    assert pending.resolve(Response(request_id=first, result=1))
    assert not pending.resolve(Response(request_id=first, result=1))  # late duplicate
    assert not pending.resolve(Response(request_id="unknown", result=1))
    assert (await first_future).result == 1
    pending.fail_all(lambda: ConnectionError("gone"))
    with pytest.raises(ConnectionError):
        await second_future
    assert len(pending) == 0


async def test_request_ids_are_unique_across_instances() -> None:
    ids = {PendingRequests().open()[0] for _ in range(100)}
    assert len(ids) == 100
    assert Request(request_id="r", method="m").params == {}
    await asyncio.sleep(0)

"""The wire between daemons and the webapp: typed envelopes, event names and the disc/scan models both sides share.

Nothing here does I/O: both sides validate what they receive with these models, and the socket code stays thin.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amphigory_protocol.disc import (
        AudioStream,
        Classification,
        PublicIds,
        ScanResult,
        SubtitleStream,
        Title,
        VideoInfo,
    )
    from amphigory_protocol.messages import (
        MAX_FRAME_BYTES,
        PROTOCOL_VERSION,
        Ack,
        ErrorInfo,
        Event,
        EventName,
        Hello,
        Message,
        ProtocolError,
        Request,
        RequestError,
        Response,
        error_response,
        parse_message,
    )

# Names load on first use: `amphigory scan` needs the disc models but not the wire's (and their asyncio).
_WHERE = {
    "AudioStream": "amphigory_protocol.disc",
    "Classification": "amphigory_protocol.disc",
    "PublicIds": "amphigory_protocol.disc",
    "ScanResult": "amphigory_protocol.disc",
    "SubtitleStream": "amphigory_protocol.disc",
    "Title": "amphigory_protocol.disc",
    "VideoInfo": "amphigory_protocol.disc",
    "MAX_FRAME_BYTES": "amphigory_protocol.messages",
    "PROTOCOL_VERSION": "amphigory_protocol.messages",
    "Ack": "amphigory_protocol.messages",
    "ErrorInfo": "amphigory_protocol.messages",
    "Event": "amphigory_protocol.messages",
    "EventName": "amphigory_protocol.messages",
    "Hello": "amphigory_protocol.messages",
    "Message": "amphigory_protocol.messages",
    "ProtocolError": "amphigory_protocol.messages",
    "Request": "amphigory_protocol.messages",
    "RequestError": "amphigory_protocol.messages",
    "Response": "amphigory_protocol.messages",
    "error_response": "amphigory_protocol.messages",
    "parse_message": "amphigory_protocol.messages",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'amphigory_protocol' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "MAX_FRAME_BYTES",
    "PROTOCOL_VERSION",
    "Ack",
    "AudioStream",
    "Classification",
    "ErrorInfo",
    "Event",
    "EventName",
    "Hello",
    "Message",
    "ProtocolError",
    "PublicIds",
    "Request",
    "RequestError",
    "Response",
    "ScanResult",
    "SubtitleStream",
    "Title",
    "VideoInfo",
    "error_response",
    "parse_message",
]

"""The wire between daemons and the webapp: typed envelopes, event names and the disc/scan models both sides share.

Nothing here does I/O: both sides validate what they receive with these models, and the socket code stays thin.
"""

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

"""Why a request to a daemon produced no result: not connected, no answer in time, or an error answer."""

from __future__ import annotations


class DaemonRequestError(Exception):
    """A request to a daemon did not produce a result."""


class DaemonNotConnected(DaemonRequestError):
    """The daemon is not connected, or went away before it answered."""

    def __init__(self, daemon_id: str, why: str = "is not connected") -> None:
        super().__init__(f"daemon {daemon_id} {why}")
        self.daemon_id = daemon_id


class DaemonTimeout(DaemonRequestError):
    """The daemon did not answer within the timeout."""

    def __init__(self, daemon_id: str, method: str, timeout: float) -> None:
        super().__init__(f"daemon {daemon_id} did not answer {method} within {timeout:g} s")
        self.daemon_id, self.method, self.timeout = daemon_id, method, timeout


class DaemonError(DaemonRequestError):
    """The daemon answered with an error response."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message

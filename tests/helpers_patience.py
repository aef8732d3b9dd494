"""How long a test waits for something that normally takes milliseconds.

Tests wait for the thing itself (a condition, a message), never for a duration; the limit is only how long to keep
waiting before calling it a failure, so it is generous: the CI machine has 2 cores shared with other work, and a
start-up or a message can take seconds there. `patient(t)` is a test's own limit raised to at least `PATIENCE`.
"""

from __future__ import annotations

PATIENCE = 30.0
STARTUP_PATIENCE = 90.0  # a process starting (imports, database, first bind) beside a busy CPU


def patient(timeout: float) -> float:
    return max(timeout, PATIENCE)

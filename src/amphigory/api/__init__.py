"""The webapp's HTTP API: drives, discs, tasks and health, one router per module.

`drives_router` (the spec's name) is resolved lazily so that importing `amphigory.api.disc_repository` (which
`amphigory.tasks` does) does not import the routers, which import `amphigory.tasks`.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "drives_router":
        from amphigory.api.drives import router

        return router
    raise AttributeError(name)

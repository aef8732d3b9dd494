"""/health: is the webapp up, can it read its database (and its schema version), how many daemons and drives are
connected."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from amphigory.api.deps import Db, Manager
from amphigory.database import schema_version

router = APIRouter(tags=["health"])

try:
    VERSION = version("amphigory")
except PackageNotFoundError:  # running from a source tree that is not installed
    VERSION = "0+unknown"


class Health(BaseModel):
    status: str
    version: str
    database: str
    schema_version: int | None  # the database's schema version (None when it cannot be read)
    daemons: int
    drives: int


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(db: Db, manager: Manager) -> Health | JSONResponse:
    version: int | None = None
    try:
        async with db.connection() as conn:
            version = await schema_version(conn)
        database = "ok"
    except Exception as exc:
        database = f"error: {exc}"
    body = Health(status="ok" if database == "ok" else "degraded", version=VERSION, database=database,
                  schema_version=version,
                  daemons=len(manager.daemons()), drives=len(manager.drives()))
    if database != "ok":
        return JSONResponse(body.model_dump(), status_code=503)
    return body

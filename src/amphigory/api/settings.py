"""/api/settings: the settings page's data. Secrets (notification URLs, tokens) are masked in every answer; a
masked value sent back unchanged keeps the secret. A saved value wins over the flag's default; null goes back to it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from amphigory.notify import NotifyError
from amphigory.notify.notifier import Notifier
from amphigory.settings import SettingError, SettingsStore
from amphigory.settings.declared import BY_NAME, parse

router = APIRouter(prefix="/api/settings", tags=["settings"])


class Setting(BaseModel):
    name: str
    label: str
    group: str
    kind: str
    choices: list[str]
    help: str
    flag: str
    env: str
    secret: bool
    live: bool = Field(description="applies at once (false: at the next start)")
    editable: bool
    saved: bool = Field(description="a value saved here (true) or the flag's/environment's default")
    value: Any
    default: Any


class SettingsResponse(BaseModel):
    settings: list[Setting]


class SettingsChange(BaseModel):
    values: dict[str, Any] = Field(max_length=100, description="by name; null goes back to the default")


class SettingsRefused(BaseModel):
    detail: str
    errors: dict[str, str]


class TestNotification(BaseModel):
    urls: list[str] | None = Field(default=None, max_length=20, description="default: the saved notify URLs")


class TestSent(BaseModel):
    sent: int


def _store(request: Request) -> SettingsStore:
    store: SettingsStore = request.app.state.settings_store
    return store


@router.get("", response_model=SettingsResponse)
async def get_settings(request: Request) -> SettingsResponse:
    return SettingsResponse.model_validate({"settings": _store(request).describe()})


@router.put("", response_model=SettingsResponse, responses={422: {"model": SettingsRefused}})
async def put_settings(change: SettingsChange, request: Request) -> Any:
    """Save settings (all or none): each refused value is named with the reason."""
    try:
        await _store(request).save(change.values)
    except SettingError as exc:
        body = SettingsRefused(detail="some values were refused", errors=exc.errors)
        return JSONResponse(body.model_dump(), status_code=422)
    return await get_settings(request)


@router.post("/test-notification", response_model=TestSent,
             responses={422: {"model": SettingsRefused}, 502: {"description": "no URL took the message"}})
async def test_notification(body: TestNotification, request: Request) -> Any:
    """Send a test message to the given URLs (masked ones stand for the saved URLs) or to the saved ones."""
    notifier: Notifier = request.app.state.notifier
    urls = None
    if body.urls is not None:
        try:
            urls = parse(BY_NAME["notify"], body.urls, _store(request).current().notify)
        except ValueError as exc:
            refused = SettingsRefused(detail="some values were refused", errors={"notify": str(exc)})
            return JSONResponse(refused.model_dump(), status_code=422)
    try:
        sent = await notifier.test(urls)
    except NotifyError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    if not sent:
        refused = SettingsRefused(detail="no notification URL: add one first",
                                  errors={"notify": "no notification URL: add one first"})
        return JSONResponse(refused.model_dump(), status_code=422)
    return TestSent(sent=sent)

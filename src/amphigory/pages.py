"""The HTML pages: dashboard, disc review, queue and library, rendered by Jinja2 (autoescaped), plus their static
files (CSS and a little JavaScript, served by the app itself so the UI works offline).

Data reaches a page one way per kind of thing. What is stored (discs and their tracks) is read here from
`app.state.discs` and rendered on the server. What is live (drives, daemons, tasks) is rendered in the browser by
the page's script, from the JSON API and the `/ws/browser` feed, so a page never shows two versions of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, get_args

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from amphigory.api.disc_repository import DiscRepository, StoredDisc, StoredTrack
from amphigory.database import now
from amphigory.library.plan import planned
from amphigory.library.tags import album_artist
from amphigory.static_files import FOREVER, REVALIDATE, static_files
from amphigory_protocol.disc import ScanResult, TitleType

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
# The classifications whose titles a review preselects until the person has saved choices of their own.
PRESELECTED = ("main_feature", "alternate_feature", "episode")
TITLE_TYPES: tuple[str, ...] = get_args(TitleType)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def format_duration(seconds: float | None) -> str:
    """`h:mm:ss` (a title's running time); an em dash when unknown."""
    if seconds is None:
        return "—"
    total = max(0, round(seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def format_size(size: int | None) -> str:
    """Bytes in the largest unit that keeps the number below 1024 (`4.2 GB`); an em dash when unknown."""
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def label(kind: str | None) -> str:
    """A classification or type as words: `main_feature` -> `main feature`, `bluray` -> `Blu-ray`."""
    if not kind:
        return "—"
    return {"bluray": "Blu-ray", "dvd": "DVD", "cd": "CD", "uhd": "UHD Blu-ray"}.get(kind, kind.replace("_", " "))


def _type_options(selected: str) -> Markup:
    return Markup("").join(Markup('<option value="{0}"{1}>{2}</option>').format(
        kind, Markup(" selected") if kind == selected else "", label(kind)) for kind in TITLE_TYPES)


# Each title's type <select> offers every type: built once per selected type, not once per row (a decoy-laden
# Blu-ray's review page has hundreds of rows). Key "": none selected.
TYPE_OPTIONS: dict[str, Markup] = {kind: _type_options(kind) for kind in ("", *TITLE_TYPES)}


def track_status(status: str | None) -> str:
    """A track's rip status as words (`pending` -> `not ripped`)."""
    return "not ripped" if status in (None, "pending") else label(status)


def languages(streams: Sequence[object]) -> str:
    """The distinct languages of a title's streams, in order (`en, fr`); `none` for a title without any."""
    seen: list[str] = []
    for stream in streams:
        lang = getattr(stream, "language", "") or "und"
        if lang not in seen:
            seen.append(lang)
    return ", ".join(seen) if seen else "none"


templates.env.filters["duration"] = format_duration
templates.env.filters["size"] = format_size
templates.env.filters["label"] = label
templates.env.filters["languages"] = languages
templates.env.filters["track_status"] = track_status
templates.env.globals["static_url"] = static_files.url


def inline_static(name: str) -> Markup:
    """A static file's text to put in the page itself (our own files only: the logo, drawn without a request)."""
    found = static_files.get(name)
    return Markup(found.body.decode()) if found is not None else Markup("")


templates.env.globals["inline_static"] = inline_static


@dataclass(frozen=True)
class ReviewRow:
    """One title on the review page: the stored track and what the form starts with."""

    track: StoredTrack
    checked: bool
    type: str


def review_rows(disc: StoredDisc) -> tuple[list[ReviewRow], list[ReviewRow]]:
    """The disc's present titles for review, split into (titles, duplicates).

    Until the person has saved choices since the last scan (`updated_at` still equals `scanned_at`), main features,
    alternate features and episodes start selected; afterwards the stored selection is what it says.
    """
    untouched = disc.updated_at is not None and disc.updated_at == disc.scanned_at
    titles: list[ReviewRow] = []
    duplicates: list[ReviewRow] = []
    for track in disc.tracks:
        if not track.present:
            continue
        checked = track.selected or (untouched and track.classification in PRESELECTED)
        row = ReviewRow(track, checked, track.track_type or track.classification)
        (duplicates if track.classification == "duplicate" else titles).append(row)
    return titles, duplicates


def _discs(request: Request) -> DiscRepository:
    discs: DiscRepository = request.app.state.discs
    return discs


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request) -> Response:
    """Every drive of every connected daemon, live (rendered by dashboard.js from the browser feed)."""
    return templates.TemplateResponse(request, "dashboard.html", {"page": "dashboard"})


@router.get("/discs/{fingerprint}", response_class=HTMLResponse)
async def disc_review(request: Request, fingerprint: str) -> Response:
    """A stored disc's titles, to choose, name and rip (404 page when the disc was never scanned). Its duplicates
    are only counted here: their rows come from `disc_duplicates` when the person opens them."""
    found = await _review(request, fingerprint)
    if found is None:
        unknown = {"page": "disc", "fingerprint": fingerprint}
        return templates.TemplateResponse(request, "disc_unknown.html", unknown, status_code=404)
    disc, scan, context = found
    context.update({
        "page": "disc",
        "artist": album_artist(disc, scan.artist if scan else None) or "",
        "ripped": sum(1 for t in disc.tracks if t.ripped_path or t.library_path),
        "rendered_at": now(),
        "looks_up": _looks_up(request),
    })
    return templates.TemplateResponse(request, "disc.html", context)


@router.get("/discs/{fingerprint}/duplicates", response_class=HTMLResponse)
async def disc_duplicates(request: Request, fingerprint: str) -> Response:
    """The rows of a review page's folded duplicates (an HTML fragment of ``<tr>``, as the page renders them)."""
    found = await _review(request, fingerprint, folded=True)
    if found is None:
        raise HTTPException(status_code=404, detail="no such disc")
    _disc, _scan, context = found
    context["rows"] = context["duplicates"]
    return templates.TemplateResponse(request, "disc_rows.html", context)


async def _review(request: Request, fingerprint: str, folded: bool = False
                  ) -> tuple[StoredDisc, ScanResult | None, dict[str, Any]] | None:
    """A stored disc, its scan, and what every review template reads; None if unknown. The rows shown (the titles,
    or with `folded` the duplicates) have their planned paths."""
    disc = await _discs(request).get(fingerprint)
    if disc is None:
        return None
    scan = await _discs(request).scan_result(fingerprint)
    titles, duplicates = review_rows(disc)
    shown = duplicates if folded else titles
    disc = planned(disc, scan, {row.track.number for row in shown})
    titles, duplicates = review_rows(disc)
    context: dict[str, Any] = {"disc": disc, "is_cd": disc.disc_type == "cd", "titles": titles,
                               "duplicates": duplicates, "type_options": TYPE_OPTIONS}
    return disc, scan, context


def _looks_up(request: Request) -> bool:
    """Whether this webapp identifies discs after their scan (off for the demo, offline, or an app built in code)."""
    settings = getattr(request.app.state, "settings", None)
    return settings is not None and settings.identify and not settings.metadata.offline


@router.get("/queue", response_class=HTMLResponse)
async def queue(request: Request) -> Response:
    """Tasks by status, live (rendered by queue.js from /api/tasks and the browser feed)."""
    return templates.TemplateResponse(request, "queue.html", {"page": "queue"})


@router.get("/library", response_class=HTMLResponse)
async def library(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Every disc seen, newest first, or those matching `q`, with their tracks and where their files are."""
    repository = _discs(request)
    query = q.strip()
    summaries = await repository.list_discs(query or None, limit=200)
    stored = await repository.get_many(s.fingerprint for s in summaries)
    discs = [stored[s.fingerprint] for s in summaries if s.fingerprint in stored]
    context: dict[str, Any] = {"page": "library", "discs": discs, "q": query}
    return templates.TemplateResponse(request, "library.html", context)


@router.get("/static/{name}")
async def static_file(request: Request, name: str, v: Annotated[str, Query(max_length=64)] = "") -> Response:
    """A file of static/ (flat: no sub-folders, so no path can leave it), from memory (`amphigory.static_files`)."""
    found = static_files.get(name)
    if found is None:
        raise HTTPException(status_code=404, detail="no such static file")
    headers = {"ETag": found.etag, "Cache-Control": FOREVER if v == found.version else REVALIDATE}
    if found.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


# Paths whose 404 stays JSON (programs read it); every other unknown path gets the HTML page.
_JSON_PATHS = ("/api/", "/ws", "/openapi.json", "/docs", "/redoc", "/health")


async def not_found_handler(request: Request, exc: Exception) -> Response:
    """The app's HTTP error handler: an unknown page is an HTML 404 page in the app's style; the API keeps JSON."""
    assert isinstance(exc, StarletteHTTPException)
    path = request.url.path
    if exc.status_code != 404 or path == "/api" or path.startswith(_JSON_PATHS):
        return await http_exception_handler(request, exc)
    context = {"page": "not_found", "path": path}
    return templates.TemplateResponse(request, "not_found.html", context, status_code=404)

"""The webapp: `create_app(settings, manager)` wires the database, the disc repository, the task service, the
daemon socket and the HTTP API into one FastAPI app; `app` is the module-level instance the spec's tests use.

The lifespan opens the database and puts everything on `app.state` (docs/internals.md): `settings`, `manager`,
`db`, `discs`, `tasks`, `filer`, `identification`.
Given no settings, the app keeps its data in `$AMPHIGORY_DATA_DIR` when that is set and
otherwise in a fresh temporary folder that is removed when the app stops, so that importing `app` (as tests do)
never writes into the working directory. `amphigory serve` always passes settings.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from amphigory import pages
from amphigory.api import discs, drives, handsfree, health, identification, library, manage, tasks
from amphigory.api import settings as settings_api
from amphigory.api.deps import database_error_handler, task_problem_handler
from amphigory.api.disc_repository import DiscRepository
from amphigory.auth import BrowserAuth, login
from amphigory.config import WebappSettings
from amphigory.database import Database
from amphigory.handsfree import wiring as handsfree_wiring
from amphigory.identify.identifier import Identifier
from amphigory.identify.service import IdentificationService
from amphigory.jobs import api as jobs_api
from amphigory.jobs.api import is_result_upload
from amphigory.jobs.local import LocalWorkers, loopback_url
from amphigory.jobs.presets import recipe
from amphigory.jobs.service import JobService
from amphigory.library.filing import Filer
from amphigory.limits import BodyLimit, validation_error_handler
from amphigory.metadata.cache import SqliteCache
from amphigory.settings import SettingsStore
from amphigory.settings import page as settings_page
from amphigory.tasks import TaskProblem, TaskService
from amphigory.websocket import ConnectionManager
from amphigory.websocket import manager as default_manager
from amphigory.websocket import router as websocket_router
from amphigory_worker.transcode import Recipe

log = logging.getLogger(__name__)

DATA_DIR_ENV = "AMPHIGORY_DATA_DIR"


def create_app(settings: WebappSettings | None = None, manager: ConnectionManager | None = None) -> FastAPI:
    """The webapp. `manager` defaults to the module-level `amphigory.websocket.manager`."""
    manager = manager if manager is not None else default_manager

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            base = settings if settings is not None else _default_settings(stack)
            db = Database(base.database_path)
            await db.initialize()
            stack.push_async_callback(db.close)
            store = SettingsStore(db, base)  # the settings page's saved values over the flags'
            current = await store.load()
            app.state.settings_store = store
            repository = DiscRepository(db)
            service = TaskService(db, repository, manager, current.request_timeout, auto_scan=current.auto_scan)
            app.state.settings = current
            app.state.db = db
            app.state.discs = repository
            app.state.tasks = service
            await service.start()
            stack.push_async_callback(service.stop)
            identifying = IdentificationService(
                repository, Identifier(current.metadata, SqliteCache(db)), manager.broadcast_browser,
                retry=current.identify and not current.metadata.offline)
            app.state.identification = identifying
            if current.identify:  # after each scan (the pick and search endpoints work either way)
                service.add_scan_listener(identifying.on_scan_stored)
                await identifying.start()
            stack.push_async_callback(identifying.stop)
            local = (LocalWorkers(current.workers, current.queue, loopback_url(current.host, current.port),
                                  current.token, current.data_dir) if current.workers > 0 else None)
            jobs = JobService(db, service, current.queue, current.data_dir, current.worker_timeout, local)
            app.state.jobs = jobs

            def current_recipe() -> Recipe:  # the settings page's preset and languages apply to the next job
                now: WebappSettings = app.state.settings
                return recipe(now.transcode_preset, now.transcode_languages, now.presets_dir)

            filer = Filer(service, repository, current.library_dir, current.transcode, jobs=jobs,
                          recipe=current_recipe, keep_ripped=current.keep_ripped)
            filer.cover_for = identifying.front_cover
            app.state.filer = filer
            await filer.start()
            stack.push_async_callback(filer.stop)
            await handsfree_wiring.start(app, stack, store, service, filer)

            async def metadata_changed(now: WebappSettings) -> None:
                """A TMDB token or service address saved on the settings page is used from the next look-up."""
                old = identifying.identifier
                if isinstance(old, Identifier) and old.settings != now.metadata:
                    identifying.identifier = Identifier(now.metadata, SqliteCache(db))
                    await old.aclose()

            store.add_listener(metadata_changed)
            stack.push_async_callback(manager.close)
            yield

    app = FastAPI(
        title="Amphigory",
        summary="Drives, discs, tasks: turn a shelf of discs into a media library.",
        lifespan=lifespan,
    )
    app.state.manager = manager
    if settings is not None:
        app.state.settings = settings
    app.add_exception_handler(TaskProblem, task_problem_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(sqlite3.OperationalError, database_error_handler)
    app.add_exception_handler(StarletteHTTPException, pages.not_found_handler)
    app.include_router(websocket_router)
    app.include_router(drives.router)
    app.include_router(discs.router)
    app.include_router(identification.router)
    app.include_router(library.router)
    app.include_router(tasks.router)
    app.include_router(jobs_api.router)
    app.include_router(jobs_api.workers_router)
    app.include_router(manage.router)
    app.include_router(health.router)
    app.include_router(handsfree.router)
    app.include_router(settings_api.router)
    app.include_router(settings_page.router)
    app.include_router(pages.router)  # HTML pages and their /static files

    def current_token() -> str | None:
        state_settings = getattr(app.state, "settings", None)
        return state_settings.token if state_settings is not None else None

    async def login_route(request: Request) -> Response:
        return await login(request, current_token())

    app.add_api_route("/login", login_route, methods=["GET", "POST"], include_in_schema=False)
    app.add_middleware(BrowserAuth, token=current_token)
    # Outermost: a huge body is refused before anything reads it; a worker's result upload streams to disk instead.
    app.add_middleware(BodyLimit, exempt=is_result_upload)
    return app


def _default_settings(stack: AsyncExitStack) -> WebappSettings:
    """Settings for an app created without any: $AMPHIGORY_DATA_DIR, else a temporary folder for this run."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return WebappSettings(data_dir=Path(configured))
    folder = Path(tempfile.mkdtemp(prefix="amphigory-"))
    stack.callback(shutil.rmtree, folder, True)
    log.warning("no settings and no %s: keeping data in %s until the app stops", DATA_DIR_ENV, folder)
    return WebappSettings(data_dir=folder)


app = create_app()

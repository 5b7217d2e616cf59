"""The FastAPI application factory."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from syncline import __version__
from syncline.api import docs, errors, openapi
from syncline.api.access import require_rules
from syncline.api.deps import AppState
from syncline.api.idempotency import idempotency
from syncline.api.nul_guard import refuse_nul
from syncline.api.request_guard import RequestGuard
from syncline.api.routers import (
    connection_types,
    connections,
    executions,
    identity,
    jobs,
    models,
    modelsync,
    syncs,
)
from syncline.api.versions import UNVERSIONED, VERSION_HEADER
from syncline.services.bootstrap import ensure_first_organization
from syncline.services.data_dir import prepare_data_dir
from syncline.services.executors import build_executor, build_reaper, build_scheduler
from syncline.services.reaper import hand_over_orphans, reap_stale
from syncline.services.runs import Runtime
from syncline.settings import SUPPORTED_API_VERSIONS, Settings, get_settings
from syncline.store.db import Store
from syncline.store.secrets import SecretBox
from syncline.ui import ui


def create_app(settings: Settings | None = None) -> FastAPI:
    """The Syncline API.

    Starting it migrates the store, ends the executions whose owner is
    provably gone (`reap_stale`), runs those queued by a process now gone
    (`hand_over_orphans`), and, last, creates the first organization
    (`app.state.bootstrap`).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prepare_data_dir(settings)
        store = Store(settings.resolved_database_url())
        store.migrate()
        box = SecretBox.load(
            settings.secret_key.get_secret_value() if settings.secret_key else None,
            settings.data_dir,
        )
        stopping = threading.Event()
        runtime = Runtime(store=store, box=box, settings=settings, stopping=stopping.is_set)
        executor = build_executor(runtime)
        # Only executions whose owner is provably gone: other processes sharing
        # the store (servers, workers) keep theirs. Queued ones whose queue died
        # with its process run now; other queued ones are handed over again by
        # the reaper.
        reap_stale(runtime, executor=executor)
        hand_over_orphans(runtime, executor)
        scheduler = build_scheduler(runtime, executor)
        reaper = build_reaper(runtime, executor)
        # Last: a start that failed before this point created no organization or key.
        app.state.bootstrap = ensure_first_organization(store, settings)
        app.state.syncline = AppState(
            settings=settings,
            store=store,
            box=box,
            executor=executor,
            scheduler=scheduler,
        )
        if settings.scheduler:
            scheduler.start()
            reaper.start()
        try:
            yield
        finally:
            stopping.set()
            if settings.scheduler:
                reaper.stop()
                scheduler.stop()
            executor.shutdown()
            store.dispose()

    app = FastAPI(
        title="Syncline",
        version=__version__,
        description="Self-hosted model sync, speaking Polytomic's Model Sync API.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    # Added last runs first: the NUL guard wraps the version check, which wraps
    # the idempotency replay; the request guard wraps everything, so no body is
    # read before it.
    app.middleware("http")(idempotency)
    app.middleware("http")(_api_version)
    app.middleware("http")(refuse_nul)
    app.add_middleware(
        RequestGuard, max_body_mb=settings.max_body_mb, body_timeout=settings.body_timeout
    )
    for router in (
        identity.router,
        connection_types.router,
        connections.router,
        modelsync.router,
        models.router,
        jobs.router,
        syncs.router,
        executions.router,
    ):
        app.include_router(router)
    docs.install(app)
    openapi.install(app)
    ui.install(app)
    require_rules(app)
    return app


async def _api_version(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Accept `X-Polytomic-Version` (without it: 2024-02-08) and echo the version that served."""
    version = request.headers.get(VERSION_HEADER, "").strip() or UNVERSIONED
    if version not in SUPPORTED_API_VERSIONS:
        response: Response = errors.envelope(
            400,
            f"unsupported {VERSION_HEADER} {version!r}; supported: "
            + ", ".join(SUPPORTED_API_VERSIONS),
            "unsupported_version",
        )
        version = UNVERSIONED
    else:
        request.state.api_version = version
        response = await call_next(request)
    response.headers[VERSION_HEADER] = version
    return response

"""The web UI: server-rendered pages over the same services the API uses.

`install` adds the pages, their assets (`/assets`) and their error pages to
the app. Pages are Jinja2 templates with htmx (vendored under
`static/htmx/`) for the parts that update in place; nothing is built with
Node. Every page declares its access rule (`ui.access.page`), checked like
the API's.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from syncline.ui import errors
from syncline.ui.pages import ASSETS_URL, STATIC_DIR
from syncline.ui.routes import (
    connections,
    executions,
    models,
    overview,
    settings,
    signin,
    sync_new,
    syncs,
)


def install(app: FastAPI) -> None:
    """Serve the UI at `/` (after `syncline.api.errors.install`)."""
    app.mount(ASSETS_URL, StaticFiles(directory=STATIC_DIR), name="assets")
    for router in (
        signin.router,
        overview.router,
        # Before `syncs`, so `/syncs/new` is not taken for a sync id.
        sync_new.router,
        syncs.router,
        executions.router,
        settings.router,
        models.router,
        connections.router,
    ):
        app.include_router(router)
    errors.install(app)

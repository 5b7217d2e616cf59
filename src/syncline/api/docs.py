"""`/docs`: Swagger UI served by Syncline itself, so it works without the internet.

Swagger UI's files are vendored under `static/swagger-ui/` (npm
`swagger-ui-dist`, fetched by `scripts/vendor_swagger_ui.sh`, with its
licence) and served under `/static`, following FastAPI's recipe for
self-hosted docs assets. ReDoc is not served.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from syncline.api.access import allow
from syncline.services.roles import DOCUMENTATION

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static"
_SWAGGER_UI = f"{STATIC_URL}/swagger-ui"

# The stylesheet names its source map; browsers expect JSON, Python knows no type for it.
mimetypes.add_type("application/json", ".map")


def install(app: FastAPI) -> None:
    """Serve `/docs` and its assets; the app must be built with `docs_url=None`."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False, dependencies=[allow(DOCUMENTATION)])
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API",
            swagger_js_url=f"{_SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{_SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{_SWAGGER_UI}/favicon-32x32.png",
            # Otherwise Swagger UI sends the document's address to validator.swagger.io
            # (for documents not served from localhost).
            swagger_ui_parameters={"validatorUrl": None},
        )

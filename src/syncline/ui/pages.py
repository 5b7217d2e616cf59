"""Rendering pages: the Jinja2 templates, their filters, and the response headers.

Templates autoescape. Times go out as `<time>` elements holding exact UTC,
which `app.js` shows in the browser's zone (UTC stays in the title).
Every page answer carries a strict Content-Security-Policy: scripts and
styles only from Syncline itself, no frames, forms posting only here.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from syncline import __version__
from syncline.ui.access import Visitor

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
ASSETS_URL = "/assets"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def when(value: datetime | None) -> Markup:
    """A `<time>` element: exact UTC in text and title, local time once `app.js` runs."""
    if value is None:
        return Markup('<span class="muted">never</span>')
    exact = value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        value.isoformat(), exact, exact
    )


def duration(start: datetime | None, end: datetime | None) -> str:
    """`1 h 2 min`, `3 min 4 s`, `5.2 s`, or an empty string when either end is missing."""
    if start is None or end is None:
        return ""
    return seconds_text((end - start).total_seconds())


def seconds_text(seconds: float) -> str:
    """A span of seconds as people read it."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def number(value: Any) -> str:
    """An integer with thousands separators (`1,234`); anything else as text."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return f"{value:,}"


def status_badge(status: str) -> Markup:
    """A status word in a badge coloured by what it means."""
    kind = {
        "completed": "good",
        "active": "good",
        "healthy": "good",
        "failed": "bad",
        "failing": "bad",
        "interrupted": "bad",
        "canceled": "quiet",
        "paused": "quiet",
        "never run": "quiet",
    }.get(status, "busy")
    return Markup('<span class="badge badge-{}">{}</span>').format(kind, escape(status))


templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.filters.update(
    when=when, number=number, badge=status_badge, seconds=seconds_text, duration=duration
)
templates.env.globals.update(version=__version__, assets=ASSETS_URL)


def render(
    request: Request,
    name: str,
    visitor: Visitor | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page `name` for `visitor` (None: signed out), with the security headers."""
    return templates.TemplateResponse(
        request,
        name,
        {"visitor": visitor, **context},
        status_code=status_code,
        headers=SECURITY_HEADERS,
    )

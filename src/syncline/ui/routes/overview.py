"""`/`: every sync at a glance, failing ones first, with search and filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from syncline.services.overview import Show, sync_overview
from syncline.services.roles import READ
from syncline.ui.access import Visitor, page
from syncline.ui.deps import app_state
from syncline.ui.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def overview(
    request: Request,
    visitor: Annotated[Visitor, page(READ)],
    q: Annotated[str, Query(max_length=200)] = "",
    show: Show = Show.ALL,
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    state = app_state(request)
    found = sync_overview(
        state.store, state.settings, visitor.principal, search=q, show=show, page=page_number
    )
    return render(
        request,
        "overview.html",
        visitor,
        section="syncs",
        overview=found,
        q=q,
        show=show,
        shows=list(Show),
    )

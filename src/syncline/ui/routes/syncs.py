"""`/syncs/{id}`: one sync, its runs and the controls to start, test and cancel them."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from syncline.errors import BadRequest
from syncline.services.executions import StartOptions
from syncline.services.roles import READ, WRITE
from syncline.store.executions import TERMINAL_STATUSES
from syncline.store.tables import is_id
from syncline.ui import chart
from syncline.ui.access import Visitor, page
from syncline.ui.deps import executions, syncs
from syncline.ui.errors import redirect
from syncline.ui.pages import render

router = APIRouter(prefix="/syncs", include_in_schema=False)

HISTORY_RUNS = 50
MAX_TEST_IDENTITIES = 100


@router.get("/{sync_id}")
def sync_detail(
    request: Request, sync_id: str, visitor: Annotated[Visitor, page(READ)]
) -> HTMLResponse:
    view = syncs(request, visitor).get(sync_id)
    service = executions(request, visitor)
    status = service.status(sync_id)
    history = service.page(sync_id, ascending=False, only_completed=False, page_token=None)
    runs = chart.runs_of(history.executions[:HISTORY_RUNS])
    return render(
        request,
        "sync.html",
        visitor,
        section="syncs",
        sync=view,
        status=status,
        runs=runs,
        chart=chart.svg(runs),
        history=history.executions[:HISTORY_RUNS],
        notice=request.query_params.get("notice", "")[:300],
    )


@router.get("/{sync_id}/progress")
def sync_progress(
    request: Request,
    sync_id: str,
    visitor: Annotated[Visitor, page(READ)],
    watching: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The progress panel, polled by htmx while a run goes on. When the run it was
    watching has ended, the page reloads (`HX-Refresh`) to show it in the history."""
    service = executions(request, visitor)
    status = service.status(sync_id)
    current = status.current
    if watching and (current is None or current.id != watching):
        # The run slot is given back a moment before the status is final: reload only
        # once the watched run has ended, so the history shows how it ended.
        watched = service.get(sync_id, watching) if is_id(watching) else None
        if watched is None or watched.status in TERMINAL_STATUSES:
            return Response(status_code=204, headers={"HX-Refresh": "true"})
        current = watched
    return render(
        request, "sync_progress.html", visitor, sync_id=sync_id, status=status, current=current
    )


@router.post("/{sync_id}/start")
def start(request: Request, sync_id: str, visitor: Annotated[Visitor, page(WRITE)]) -> Response:
    test = visitor.field("test") == "on"
    identities = [line.strip() for line in visitor.field("identities").splitlines()]
    identities = [identity for identity in identities if identity]
    if len(identities) > MAX_TEST_IDENTITIES:
        raise BadRequest(f"a test run takes at most {MAX_TEST_IDENTITIES} identities")
    options = StartOptions(
        resync=visitor.field("resync") == "on",
        test=test,
        identities=tuple(identities) if test else None,
    )
    executions(request, visitor).start(sync_id, options)
    return redirect(request, f"/syncs/{sync_id}")


@router.post("/{sync_id}/cancel")
def cancel(request: Request, sync_id: str, visitor: Annotated[Visitor, page(WRITE)]) -> Response:
    message = executions(request, visitor).cancel_sync(sync_id)
    return redirect(request, f"/syncs/{sync_id}?notice={quote(message)}")


@router.post("/{sync_id}/active")
def set_active(
    request: Request, sync_id: str, visitor: Annotated[Visitor, page(WRITE)]
) -> Response:
    syncs(request, visitor).activate(sync_id, visitor.field("active") == "true")
    return redirect(request, f"/syncs/{sync_id}")

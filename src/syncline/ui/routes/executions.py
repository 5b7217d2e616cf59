"""`/syncs/{id}/executions/{id}`: one run's counts, console log and record logs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from syncline.services.record_pages import record_page
from syncline.services.roles import READ
from syncline.store.record_logs import KINDS
from syncline.ui.access import Visitor, page
from syncline.ui.deps import app_state, executions, syncs
from syncline.ui.pages import render

router = APIRouter(prefix="/syncs/{sync_id}/executions", include_in_schema=False)

CONSOLE_LINES = 50


@router.get("/{execution_id}")
def execution_detail(
    request: Request,
    sync_id: str,
    execution_id: str,
    visitor: Annotated[Visitor, page(READ)],
    kind: Annotated[str, Query(max_length=20)] = "records",
    q: Annotated[str, Query(max_length=500)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    after: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    service = executions(request, visitor)
    execution = service.get(sync_id, execution_id)
    sync = syncs(request, visitor).get(sync_id)
    console, next_cursor = service.console(
        sync_id, execution_id, after=after or None, limit=CONSOLE_LINES
    )
    logs = service.logs_index(sync_id, execution_id)
    kind = kind if kind in KINDS else "records"
    records = record_page(
        app_state(request).settings.data_dir, execution_id, kind, search=q, page=page_number
    )
    download = None
    if logs[kind][0]:
        urls, _ = service.log_urls(sync_id, execution_id, kind)
        download = urls[0] if urls else None
    return render(
        request,
        "execution.html",
        visitor,
        section="syncs",
        sync=sync,
        execution=execution,
        console=console,
        next_cursor=next_cursor,
        after=after,
        logs=logs,
        kind=kind,
        kinds=KINDS,
        q=q,
        records=records,
        download=download,
    )

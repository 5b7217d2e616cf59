"""Executions: start, status, cancel, list, console log and record logs.

Literal paths (`consolelog`, `logs`, `cancel`) are declared before
`/{execution_id}/{log_type}` so they win.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from syncline import __version__
from syncline.api.access import allow
from syncline.api.deps import Caller, State
from syncline.api.schemas import executions as schemas
from syncline.api.schemas.common import Envelope, PagedEnvelope, Pagination, timestamp
from syncline.errors import BadRequest, ValidationFailed
from syncline.services.executions import ExecutionService, StartOptions, resolve_download
from syncline.services.roles import READ, SIGNED_LINK, WRITE
from syncline.store.tables import Execution

router = APIRouter(prefix="/api", tags=["executions"])

CANCELED = "canceled"
"""The one status a client may set on an execution."""


def execution_service(state: State, caller: Caller) -> ExecutionService:
    """Executions of the caller's organization."""
    return ExecutionService(state.store, state.box, state.settings, state.executor, caller)


Executions = Annotated[ExecutionService, Depends(execution_service)]


def execution_out(row: Execution) -> schemas.Execution:
    """A stored execution in the wire shape."""
    return schemas.Execution(
        id=row.id,
        status=row.status,
        type=row.type,
        created_at=timestamp(row.created_at),
        started_at=timestamp(row.started_at) if row.started_at else None,
        completed_at=timestamp(row.completed_at) if row.completed_at else None,
        counts=schemas.ExecutionCounts.model_validate(row.counts or {}),
        errors=[str(e) for e in row.errors],
        version=__version__,
    )


@router.post("/syncs/{sync_id}/executions", dependencies=[allow(WRITE)])
def start_execution(
    sync_id: str, executions: Executions, body: schemas.StartExecution | None = None
) -> Envelope[schemas.ExecutionStarted]:
    """Start a sync now; 409 while it is running, 400 when it is not active."""
    body = body or schemas.StartExecution()
    if body.source_identities:
        raise ValidationFailed(
            "source_identities: selecting records by source values is not supported; "
            "use identities with test=true",
            path="source_identities",
        )
    row = executions.start(
        sync_id,
        StartOptions(
            resync=bool(body.resync),
            test=bool(body.test),
            identities=tuple(body.identities) if body.identities else None,
        ),
    )
    return Envelope(
        data=schemas.ExecutionStarted(
            id=row.id, status=row.status, created_at=timestamp(row.created_at)
        )
    )


@router.get("/syncs/{sync_id}/status", dependencies=[allow(READ)])
def sync_status(sync_id: str, executions: Executions) -> Envelope[schemas.SyncStatus]:
    """The current and last execution of a sync."""
    status = executions.status(sync_id)
    return Envelope(
        data=schemas.SyncStatus(
            current_execution=execution_out(status.current) if status.current else None,
            last_execution=execution_out(status.last) if status.last else None,
            next_execution_time=timestamp(status.next_execution_time)
            if status.next_execution_time
            else None,
        )
    )


@router.post("/syncs/{sync_id}/cancel", dependencies=[allow(WRITE)])
def cancel_sync(sync_id: str, executions: Executions) -> Envelope[schemas.Message]:
    """Ask the running execution of a sync to stop at its next batch."""
    return Envelope(data=schemas.Message(message=executions.cancel_sync(sync_id)))


@router.get("/syncs/{sync_id}/executions", dependencies=[allow(READ)])
def list_executions(
    sync_id: str,
    executions: Executions,
    page_token: str | None = None,
    only_completed: bool = False,
    ascending: bool = False,
) -> PagedEnvelope[schemas.Execution]:
    """A sync's executions, newest first (`ascending` reverses), 50 a page."""
    page = executions.page(
        sync_id, ascending=ascending, only_completed=only_completed, page_token=page_token
    )
    return PagedEnvelope(
        data=[execution_out(row) for row in page.executions],
        pagination=Pagination(next_page_token=page.next_page_token),
    )


@router.get("/syncs/{sync_id}/executions/{execution_id}", dependencies=[allow(READ)])
def get_execution(
    sync_id: str, execution_id: str, executions: Executions
) -> Envelope[schemas.Execution]:
    """One execution."""
    return Envelope(data=execution_out(executions.get(sync_id, execution_id)))


@router.put("/syncs/{sync_id}/executions/{execution_id}", dependencies=[allow(WRITE)])
def update_execution(
    sync_id: str, execution_id: str, body: schemas.UpdateExecution, executions: Executions
) -> Envelope[schemas.Execution]:
    """Set an execution's status, which may only be `canceled`: the same request as
    `POST .../cancel`, answered with the execution (`canceling` until it stops)."""
    if body.status != CANCELED:
        raise BadRequest(
            f"status: an execution's status can only be set to {CANCELED!r} "
            f"(to cancel it), not {body.status!r}",
            metadata={"path": "status"},
        )
    return Envelope(data=execution_out(executions.cancel_execution(sync_id, execution_id)))


@router.post("/syncs/{sync_id}/executions/{execution_id}/cancel", dependencies=[allow(WRITE)])
def cancel_execution(
    sync_id: str, execution_id: str, executions: Executions
) -> Envelope[schemas.Message]:
    """Ask one execution to stop at its next batch."""
    return Envelope(data=schemas.Message(message=executions.cancel(sync_id, execution_id)))


@router.get("/syncs/{sync_id}/executions/{execution_id}/consolelog", dependencies=[allow(READ)])
def console_log(
    sync_id: str,
    execution_id: str,
    executions: Executions,
    limit: int | None = None,
    after: str | None = None,
) -> Envelope[schemas.ConsoleLog]:
    """Console lines of an execution, oldest first, 50 at most per call."""
    entries, next_cursor = executions.console(sync_id, execution_id, after=after, limit=limit)
    return Envelope(
        data=schemas.ConsoleLog(
            entries=[
                schemas.ConsoleEntry(
                    id=str(e.id),
                    timestamp=timestamp(e.timestamp),
                    level=e.level,
                    message=e.message,
                    payload=e.payload,
                )
                for e in entries
            ],
            next_cursor=next_cursor,
        )
    )


@router.get("/syncs/{sync_id}/executions/{execution_id}/logs", dependencies=[allow(READ)])
def logs_index(
    sync_id: str, execution_id: str, executions: Executions
) -> Envelope[dict[str, schemas.LogIndexEntry]]:
    """How many records of each kind an execution logged, and where to get them."""
    index = executions.logs_index(sync_id, execution_id)
    return Envelope(
        data={
            kind: schemas.LogIndexEntry(count=count, url=url)
            for kind, (count, url) in index.items()
        }
    )


@router.get("/syncs/{sync_id}/executions/{execution_id}/{log_type}", dependencies=[allow(READ)])
def log_urls(
    sync_id: str, execution_id: str, log_type: str, request: Request, executions: Executions
) -> Envelope[schemas.LogUrls]:
    """Signed, short-lived URLs of one kind of record log."""
    urls, expires = executions.log_urls(sync_id, execution_id, log_type)
    base = str(request.base_url).rstrip("/")
    return Envelope(
        data=schemas.LogUrls(urls=[base + url for url in urls], expires=timestamp(expires))
    )


@router.get(
    "/syncs/{sync_id}/executions/{execution_id}/{log_type}/{filename}", dependencies=[allow(READ)]
)
def log_file(
    sync_id: str,
    execution_id: str,
    log_type: str,
    filename: str,
    request: Request,
    executions: Executions,
) -> RedirectResponse:
    """Redirect to the signed URL of one record-log file."""
    url = executions.log_file_url(sync_id, execution_id, log_type, filename)
    return RedirectResponse(str(request.base_url).rstrip("/") + url, status_code=302)


@router.get("/downloads/{signed}", dependencies=[allow(SIGNED_LINK)])
def download(signed: str, state: State) -> Response:
    """A record-log file behind a signed link; the link is the credential."""
    filename, found = resolve_download(state.box, state.settings.data_dir, signed)
    if isinstance(found, Path):
        return FileResponse(found, media_type="application/x-ndjson", filename=filename)
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(found, media_type="application/x-ndjson", headers=disposition)

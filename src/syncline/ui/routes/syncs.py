"""`/syncs/{id}`: one sync, its runs and the controls to start, test and cancel them,
and to change its schedule and how its record errors are handled.

Both settings are saved through `SyncService` as the API saves them: the schedule
as `PUT /api/syncs/{id}` with the stored configuration and the new schedule
(validated in full, as any update is), the error handling as
`PUT /api/syncs/{id}/error-handling` with the API's own schema and check. A
refused value comes back with status 422, its message next to its control.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from syncline.api.errors import status_of
from syncline.api.schemas.syncs import ErrorHandling
from syncline.connectors.base import MASK
from syncline.errors import BadRequest, ConnectorError, ValidationFailed, validation_failed
from syncline.services.executions import StartOptions
from syncline.services.roles import READ, WRITE
from syncline.services.syncs.config import SyncWrite
from syncline.services.syncs.service import SyncView
from syncline.store.executions import TERMINAL_STATUSES
from syncline.store.tables import is_id
from syncline.ui import chart
from syncline.ui.access import Visitor, page
from syncline.ui.deps import executions, syncs
from syncline.ui.errors import redirect
from syncline.ui.forms import field_errors
from syncline.ui.pages import render
from syncline.ui.sync_form import ScheduleForm, schedule_control

router = APIRouter(prefix="/syncs", include_in_schema=False)

HISTORY_RUNS = 50
NOTICES = {
    "canceling": "Cancellation requested: the run stops at its next batch.",
    "idle": "The sync had no run going, so there was nothing to cancel.",
    "schedule": "Schedule saved.",
    "error-handling": "Error handling saved.",
}
"""What a page says after a change, by the code its address carries: a link can
choose among these, never put its own words on the page."""
MAX_TEST_IDENTITIES = 100
HANDLING_SWITCHES = ("auto_retry_record_errors", "notify_on_record_errors", "warning_notifications")
"""The error-handling settings shown as checkboxes (`subscribers` is a text area)."""


@router.get("/{sync_id}")
def sync_detail(
    request: Request, sync_id: str, visitor: Annotated[Visitor, page(READ)]
) -> HTMLResponse:
    return _page(request, visitor, sync_id)


def _page(
    request: Request,
    visitor: Visitor,
    sync_id: str,
    *,
    status_code: int = 200,
    schedule: ScheduleForm | None = None,
    schedule_errors: dict[str, str] | None = None,
    handling: dict[str, Any] | None = None,
    handling_errors: dict[str, str] | None = None,
) -> HTMLResponse:
    """The sync's page. The settings forms show `schedule` and `handling` as given (a
    refused form's values), else as stored, with their `*_errors` by control name."""
    service = syncs(request, visitor)
    view = service.get(sync_id)
    stored_schedule = ScheduleForm.of(_stored_schedule(view))
    stored_handling = ErrorHandling.model_validate(service.error_handling(sync_id)).model_dump()
    status = executions(request, visitor).status(sync_id)
    return render(
        request,
        "sync.html",
        visitor,
        status_code=status_code,
        section="syncs",
        sync=view,
        status=status,
        **_history(request, visitor, sync_id),
        notice=NOTICES.get(request.query_params.get("done", ""), ""),
        stored_schedule=stored_schedule,
        schedule=schedule or stored_schedule,
        schedule_errors=schedule_errors or {},
        stored_handling=stored_handling,
        handling=handling or stored_handling,
        handling_errors=handling_errors or {},
    )


def _history(request: Request, visitor: Visitor, sync_id: str) -> dict[str, Any]:
    """What the run-history section shows: the last `HISTORY_RUNS` runs, newest first,
    and their chart."""
    page = executions(request, visitor).page(
        sync_id, ascending=False, only_completed=False, page_token=None
    )
    history = page.executions[:HISTORY_RUNS]
    runs = chart.runs_of(history)
    return {"history": history, "runs": runs, "chart": chart.svg(runs)}


@router.get("/{sync_id}/history")
def sync_history(
    request: Request, sync_id: str, visitor: Annotated[Visitor, page(READ)]
) -> HTMLResponse:
    """The run-history section alone, swapped in when a watched run has ended."""
    active = syncs(request, visitor).get(sync_id).row.active
    return render(
        request,
        "sync_history.html",
        visitor,
        sync_id=sync_id,
        active=active,
        **_history(request, visitor, sync_id),
    )


@router.get("/{sync_id}/progress")
def sync_progress(
    request: Request,
    sync_id: str,
    visitor: Annotated[Visitor, page(READ)],
    watching: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The progress panel, polled by htmx while a run goes on. When the run it was
    watching has ended, the panel says so and its answer triggers `run-ended`, on
    which the run-history section reloads itself: the page is never reloaded."""
    service = executions(request, visitor)
    status = service.status(sync_id)
    current = status.current
    if watching and (current is None or current.id != watching):
        # The run slot is given back a moment before the status is final: reload only
        # once the watched run has ended, so the history shows how it ended.
        watched = service.get(sync_id, watching) if is_id(watching) else None
        if watched is not None and watched.status not in TERMINAL_STATUSES:
            current = watched
        else:
            # Another run may have started since: the panel then follows that one.
            ended = render(
                request,
                "sync_progress.html",
                visitor,
                sync_id=sync_id,
                status=status,
                current=current,
            )
            ended.headers["HX-Trigger"] = "run-ended"
            return ended
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
    done = "canceling" if message.startswith("cancellation") else "idle"
    return redirect(request, f"/syncs/{sync_id}?done={done}")


@router.post("/{sync_id}/active")
def set_active(
    request: Request, sync_id: str, visitor: Annotated[Visitor, page(WRITE)]
) -> Response:
    syncs(request, visitor).activate(sync_id, visitor.field("active") == "true")
    return redirect(request, f"/syncs/{sync_id}")


@router.post("/{sync_id}/schedule")
def set_schedule(
    request: Request, sync_id: str, visitor: Annotated[Visitor, page(WRITE)]
) -> Response:
    """Save the schedule form as `PUT /api/syncs/{id}` would save the stored sync with it.

    A refusal re-renders the page with the values as typed: 422 with each message at
    its control, or the status of a target that could not be described (form-wide).
    """
    assert visitor.form is not None
    service = syncs(request, visitor)
    view = service.get(sync_id)
    chosen = ScheduleForm.parse(visitor.form)
    errors: dict[str, str] = {}
    try:
        service.update(sync_id, rescheduled(view, chosen.body(_stored_schedule(view))))
    except ValidationFailed as exc:
        for path, message in field_errors(exc).items():
            errors.setdefault(schedule_control(path), message)
        status = 422
    except ConnectorError as exc:
        errors[""] = exc.message
        status = status_of(exc)
    else:
        return redirect(request, f"/syncs/{sync_id}?done=schedule")
    return _page(
        request, visitor, sync_id, status_code=status, schedule=chosen, schedule_errors=errors
    )


@router.post("/{sync_id}/error-handling")
def set_error_handling(
    request: Request, sync_id: str, visitor: Annotated[Visitor, page(WRITE)]
) -> Response:
    """Save the error-handling form as `PUT /api/syncs/{id}/error-handling` does: through
    the API's schema, checked by the sync service as for the API."""
    given: dict[str, Any] = {name: visitor.field(name) == "on" for name in HANDLING_SWITCHES}
    given["subscribers"] = [
        line.strip() for line in visitor.field("subscribers").splitlines() if line.strip()
    ]
    try:
        syncs(request, visitor).set_error_handling(sync_id, _checked_handling(given))
    except ValidationFailed as exc:
        errors: dict[str, str] = {}
        for path, message in field_errors(exc).items():
            control = path.split("[", 1)[0]
            errors.setdefault(control if control in given else "", message)
        return _page(
            request, visitor, sync_id, status_code=422, handling=given, handling_errors=errors
        )
    return redirect(request, f"/syncs/{sync_id}?done=error-handling")


def rescheduled(view: SyncView, schedule: dict[str, Any]) -> SyncWrite:
    """The `PUT /api/syncs/{id}` body that keeps everything of the stored sync but its
    schedule, which becomes `schedule`; a stored encryption passphrase is kept (`MASK`).

    Raises `ValidationFailed` when the stored configuration no longer reads as a body.
    """
    body = view.config.model_dump(mode="json", exclude={"model_id", "warnings"})
    body["schedule"] = schedule
    body["encryption_passphrase"] = MASK if view.has_passphrase else None
    try:
        return SyncWrite.model_validate(body)
    except ValidationError as exc:
        raise validation_failed([dict(error) for error in exc.errors()]) from None


def _checked_handling(given: dict[str, Any]) -> dict[str, Any]:
    """`given` through the API's schema (`ErrorHandling`); else `ValidationFailed` naming
    the bad path. The sync service checks the subscribers."""
    try:
        body = ErrorHandling.model_validate(given)
    except ValidationError as exc:
        raise validation_failed([dict(error) for error in exc.errors()]) from None
    return body.model_dump()


def _stored_schedule(view: SyncView) -> dict[str, Any]:
    return view.config.schedule.model_dump(mode="json", exclude_none=True)

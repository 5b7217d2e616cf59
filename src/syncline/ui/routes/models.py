"""`/models`: the organization's models; a new one made by browsing a source or writing SQL.

`/models/new` picks a source connection, then walks what its connector offers
(see `ui.model_form.browse`) with plain GET reloads. Choosing a table (or
previewing typed SQL) shows the model form: sample rows under typed column
headers, the identifier and tracking columns to choose among the fields
found, and "Save". Every read and write goes through `ModelService` as the
API's does, so validation, tenancy and roles are the same; a refusal is shown
next to the control its path names (see `ui.model_form.refusal`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from syncline.api.deps import bracket_params
from syncline.api.errors import status_of
from syncline.api.routers.models import PREVIEW
from syncline.connectors.base import SourceConnector
from syncline.connectors.registry import connector_class
from syncline.errors import BadRequest, Conflict, ConnectorError, NotFound, SynclineError
from syncline.services import samples
from syncline.services.discovery import DiscoveryService
from syncline.services.models import Preview
from syncline.services.roles import READ, WRITE
from syncline.store.syncs import ListFilters
from syncline.store.tables import Model
from syncline.ui.access import Visitor, page
from syncline.ui.deps import connections, models, syncs
from syncline.ui.errors import redirect
from syncline.ui.forms import error_for
from syncline.ui.model_form import (
    CONFIG,
    REFUSALS,
    Draft,
    browse,
    label_of,
    new_url,
    placed,
    refusal,
    sample_table,
)
from syncline.ui.pages import render

router = APIRouter(prefix="/models", include_in_schema=False)

SAMPLE_ROWS = 10
"""Rows a preview or a model page shows: the API's default sample size."""

Id = Annotated[str, Query(max_length=64)]


@router.get("")
def model_list(
    request: Request,
    visitor: Annotated[Visitor, page(READ)],
) -> HTMLResponse:
    names = {c.id: c.name for c in connections(request, visitor).all()}
    return render(
        request,
        "models.html",
        visitor,
        section="models",
        models=models(request, visitor).all(),
        connections=names,
        notice="Model deleted." if request.query_params.get("done") == "deleted" else "",
    )


@router.get("/new")
def new_model(
    request: Request,
    visitor: Annotated[Visitor, page(WRITE)],
    connection: Id = "",
    name: Annotated[str, Query(max_length=255)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Browse a source; once a choice completes a configuration, the form with its preview.

    Only a value the source listed is previewed here: a GET never runs typed SQL,
    so a link cannot make a signed-in browser run a query of someone else's.
    """
    service = connections(request, visitor)
    sources = [c for c in service.all() if _is_source(c.type)]
    context: dict[str, Any] = {"sources": [(c.id, f"{c.name} ({c.type})") for c in sources], "q": q}
    if not connection:
        return render(request, "model_new.html", visitor, section="models", **context)
    chosen = service.get(connection)
    params = {k: v[-1] for k, v in bracket_params(request, "params").items() if v}
    try:
        description = DiscoveryService(service).describe_source(
            connection, {k: [v] for k, v in params.items()}
        )
    except (ConnectorError, BadRequest) as exc:
        return render(
            request,
            "model_new.html",
            visitor,
            status_code=status_of(exc),
            section="models",
            connection=chosen,
            error=exc.message,
            **context,
        )
    for key in description.requires_one_of:
        item = description.items.get(key)
        value = params.get(key, "")
        if item is not None and value in {c.value for c in item.choices}:
            draft = Draft(connection, name or value, key, value, typed=False)
            back = new_url(connection, {k: v for k, v in params.items() if k != key})
            return _form(request, visitor, draft, None, back=back)
    return render(
        request,
        "model_new.html",
        visitor,
        section="models",
        connection=chosen,
        browse=browse(connection, description, params, q),
        label_of=label_of,
        **context,
    )


@router.post("/preview")
def preview_model(request: Request, visitor: Annotated[Visitor, page(PREVIEW)]) -> HTMLResponse:
    """The model form again with a fresh preview (the model being edited, if any)."""
    model_id = visitor.field("model_id")
    stored = models(request, visitor).get(model_id).model if model_id else None
    return _form(request, visitor, _posted(visitor), stored)


@router.post("")
def create_model(request: Request, visitor: Annotated[Visitor, page(WRITE)]) -> Response:
    draft = _posted(visitor)
    try:
        view = models(request, visitor).create(draft.write(None))
    except REFUSALS as exc:
        return _form(request, visitor, draft, None, *refusal(exc, draft))
    return redirect(request, f"/models/{view.model.id}")


@router.get("/{model_id}")
def model_detail(
    request: Request, model_id: str, visitor: Annotated[Visitor, page(READ)]
) -> HTMLResponse:
    return _detail(request, visitor, model_id)


@router.get("/{model_id}/edit")
def edit_model(
    request: Request, model_id: str, visitor: Annotated[Visitor, page(WRITE)]
) -> HTMLResponse:
    stored = models(request, visitor).get(model_id).model
    return _form(request, visitor, Draft.stored(stored), stored)


@router.post("/{model_id}/edit")
def update_model(
    request: Request, model_id: str, visitor: Annotated[Visitor, page(WRITE)]
) -> Response:
    service = models(request, visitor)
    stored = service.get(model_id).model
    draft = _posted(visitor)
    try:
        service.update(model_id, draft.write(stored))
    except REFUSALS as exc:
        return _form(request, visitor, draft, stored, *refusal(exc, draft))
    return redirect(request, f"/models/{model_id}")


@router.post("/{model_id}/delete")
def delete_model(
    request: Request, model_id: str, visitor: Annotated[Visitor, page(WRITE)]
) -> Response:
    """Delete a model no sync reads; one that syncs read stays, and its page says why."""
    service = models(request, visitor)
    try:
        service.delete(model_id)
    except Conflict as exc:
        return _detail(request, visitor, model_id, refused=exc)
    return redirect(request, "/models?done=deleted")


def _detail(
    request: Request, visitor: Visitor, model_id: str, refused: Conflict | None = None
) -> HTMLResponse:
    view = models(request, visitor).get(model_id)
    model = view.model
    table, sample_error = None, ""
    try:
        sample = models(request, visitor).sample(
            model_id, limit=SAMPLE_ROWS, budget=samples.SYNC_BUDGET_SECONDS
        )
        table = sample_table(model.fields, sample)
    except (ConnectorError, BadRequest) as exc:
        sample_error = exc.message
    used_by = [
        (v.row.id, v.row.name)
        for v in syncs(request, visitor).listing(ListFilters())
        if model_id in v.model_ids
    ]
    blocking = refused.metadata.get("syncs") if refused is not None else None
    return render(
        request,
        "model.html",
        visitor,
        status_code=409 if refused is not None else 200,
        section="models",
        model=model,
        connection_type=view.connection_type,
        connection=_connection_name(request, visitor, model.connection_id),
        table=table,
        sample_error=sample_error,
        used_by=used_by,
        refused=refused is not None,
        blocking=blocking if isinstance(blocking, list) else [],
        label_of=label_of,
    )


def _form(
    request: Request,
    visitor: Visitor,
    draft: Draft,
    stored: Model | None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    *,
    back: str = "",
) -> HTMLResponse:
    """The model form for `draft`, with a fresh preview unless a refusal concerns its source.

    `errors` come from saving (or none was tried); `back` is where "Choose another"
    goes, the listing the value was picked from.
    """
    saving = bool(errors)
    errors = dict(errors or {})
    preview: Preview | None = None
    if all(path in ("name", "identifier") or path.startswith("tracking") for path in errors):
        try:
            preview = models(request, visitor).preview(
                draft.write(stored, preview=True),
                limit=SAMPLE_ROWS,
                budget=samples.SYNC_BUDGET_SECONDS,
            )
        except REFUSALS as exc:
            found, status = refusal(exc, draft)
            errors.update(found)
            status_code = status_code if status_code != 200 else status
    fields = preview.view.model.fields if preview is not None else []
    names = {f["name"] for f in fields}
    identifier = draft.identifier if draft.identifier in names else ""
    if draft.identifier is None:
        identifier = next((f["name"] for f in fields if f.get("unique")), "")
    errors = placed(errors, draft)
    return render(
        request,
        "model_form.html",
        visitor,
        status_code=status_code,
        section="models",
        draft=draft,
        model=stored,
        action=f"/models/{stored.id}/edit" if stored is not None else "/models",
        connection=_connection_name(request, visitor, draft.connection_id),
        start_over=new_url(draft.connection_id, {}) if draft.connection_id else "/models/new",
        back=back or new_url(draft.connection_id, {}),
        saving=saving,
        config_field=CONFIG + draft.key,
        config_label=label_of(draft.key),
        fields=fields,
        identifier=identifier,
        tracking=[c for c in draft.tracking if c in names],
        table=sample_table(fields, preview.sample) if preview is not None else None,
        errors=errors,
        tracking_error=error_for(errors, "tracking_columns"),
    )


def _posted(visitor: Visitor) -> Draft:
    assert visitor.form is not None  # a POST page's visitor carries the checked form
    return Draft.posted(visitor.form)


def _connection_name(request: Request, visitor: Visitor, connection_id: str) -> str:
    """The connection's name, or its id when it is not one of ours (a forged form)."""
    try:
        return connections(request, visitor).get(connection_id).name
    except NotFound:
        return connection_id


def _is_source(type_id: str) -> bool:
    """Whether connections of `type_id` can be read by a model."""
    try:
        cls = connector_class(type_id)
    except SynclineError:
        return False
    return issubclass(cls, SourceConnector) and cls.capabilities.source

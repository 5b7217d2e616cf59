"""`/syncs/new`: a sync made on one page whose sections open as choices are made.

Model and target connection, then the target object (or a new one), then
mode, identity, field mappings (matched by name and type, with warnings for
values that may not fit), filters, schedule, and a review. Each "Continue"
reloads the page with the choices so far (GET); "Create sync" posts them.
The sync service validates exactly as for `POST /api/syncs`; its refusals
show next to the control their path names.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from syncline.connectors.base import TargetDescription
from syncline.connectors.vocabulary import FILTER_FUNCTIONS
from syncline.errors import SynclineError, ValidationFailed, validation_failed
from syncline.services.discovery import DiscoveryService, TargetCatalog
from syncline.services.roles import WRITE
from syncline.services.syncs.config import SyncWrite
from syncline.services.syncs.suggest import name_key, suggest_mappings
from syncline.ui.access import Visitor, page
from syncline.ui.deps import connections, models, syncs
from syncline.ui.errors import redirect
from syncline.ui.forms import field_errors
from syncline.ui.pages import render
from syncline.ui.sync_form import FILTER_ROWS, Draft

router = APIRouter(prefix="/syncs", include_in_schema=False)


@router.get("/new")
def new_sync(request: Request, visitor: Annotated[Visitor, page(WRITE)]) -> Response:
    draft = Draft.parse(request.query_params)
    return _form(request, visitor, draft, {})


@router.post("/new")
def create_sync(request: Request, visitor: Annotated[Visitor, page(WRITE)]) -> Response:
    assert visitor.form is not None
    draft = Draft.parse(visitor.form)
    try:
        write = SyncWrite.model_validate(draft.body())
    except ValidationError as exc:
        refused = validation_failed([dict(error) for error in exc.errors()])
        return _form(request, visitor, draft, field_errors(refused), 422)
    try:
        view = syncs(request, visitor).create(write)
    except ValidationFailed as exc:
        return _form(request, visitor, draft, field_errors(exc), 422)
    return redirect(request, f"/syncs/{view.row.id}")


def _form(
    request: Request,
    visitor: Visitor,
    draft: Draft,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    """The form for `draft`, with what each chosen step offers and `errors` by control."""
    connection_service = connections(request, visitor)
    discovery = DiscoveryService(connection_service)
    model_views = models(request, visitor).all()
    problems = dict(draft.controls(errors))
    catalog: TargetCatalog | None = None
    target: TargetDescription | None = None
    model = None
    if draft.model_id and draft.connection_id:
        try:
            catalog = discovery.target_catalog(draft.connection_id, include_values=True)
        except SynclineError as exc:
            problems.setdefault("connection", exc.message)
    if catalog is not None and draft.target_chosen:
        try:
            model = syncs(request, visitor).model_info(draft.model_id)
            target = _describe(discovery, draft)
        except SynclineError as exc:
            problems.setdefault("create-name" if draft.is_new_object else "object", exc.message)
    if model is not None and target is not None:
        draft.suggest(suggest_mappings(model, target))
        modes = [support.mode.value for support in target.modes]
        if not draft.mode and modes:
            # The mode most syncs use, where the object offers it.
            draft.mode = "updateOrCreate" if "updateOrCreate" in modes else modes[0]
        # The model's identifier, else a field called `id`: the usual identity of a sync.
        identifier = _identifier(model_views, draft.model_id) or next(
            (f.name for f in model.fields if name_key(f.name) == "id"), ""
        )
        if not draft.identity_source and identifier:
            draft.identity_source = identifier
        if not draft.identity_target and draft.identity_source:
            row = next((r for r in draft.rows if r.source == draft.identity_source), None)
            draft.identity_target = row.target if row else ""
    return render(
        request,
        "sync_new.html",
        visitor,
        status_code=status_code,
        section="syncs",
        draft=draft,
        errors=problems,
        models=[(v.model.id, v.model.name) for v in model_views],
        connections=[(c.id, f"{c.name} ({c.type})") for c in connection_service.all()],
        catalog=catalog,
        target=target,
        model=model,
        functions=[(f.value, info.label) for f, info in FILTER_FUNCTIONS.items()],
        filter_rows=FILTER_ROWS,
        body=draft.body() if target is not None else None,
        model_fields=[(f.name, f"{f.name} ({f.type.value})") for f in model.fields]
        if model is not None
        else [],
        target_fields=[(f.id, f.name) for f in target.fields] if target is not None else [],
        modes=[(s.mode.value, s.mode.value) for s in target.modes] if target is not None else [],
        creation=[
            (prop, [(c.value, c.label) for c in values or []])
            for prop, values in (catalog.creation.properties if catalog is not None else [])
        ],
    )


def _describe(discovery: DiscoveryService, draft: Draft) -> TargetDescription | None:
    if draft.is_new_object:
        if not draft.create:
            return None
        return discovery.target_fields(
            draft.connection_id,
            object_id=None,
            properties={key: [value] for key, value in draft.create.items()},
        )
    return discovery.target_fields(draft.connection_id, object_id=draft.object_id, properties={})


def _identifier(model_views: list[Any], model_id: str) -> str:
    """The model's identifier field ("" when it has none)."""
    view = next((v for v in model_views if v.model.id == model_id), None)
    return str(getattr(view.model, "identifier", "") or "") if view is not None else ""

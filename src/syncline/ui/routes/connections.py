"""`/connections`: the organization's connections; create, edit, test and delete them.

Forms are made from each type's configuration schema (`ui.schema_form`) and
saved through `ConnectionService`, as the API's requests are, so validation,
tenancy and roles are the same. A refused form comes back with each message
next to its control (422, or the check's 400), its values kept, its secrets
never: no page holds a saved secret (a secret the server generates is shown
once, by the answer of the request that made it, as the API's answer does).
An edit keeps a saved secret by sending `MASK` for the empty control.
"Test connection" answers htmx with a fragment (200, which htmx swaps in,
the form untouched) and a plain post with the whole page.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from syncline.api.errors import status_of
from syncline.connectors.base import MASK, Connector
from syncline.connectors.registry import connector_class, connector_classes
from syncline.errors import ConnectorError, InUse, NotFound, ValidationFailed
from syncline.services.connections import ConnectionInput, SavedConnection, connector_type
from syncline.services.roles import READ, WRITE
from syncline.store.tables import Connection
from syncline.ui import schema_form
from syncline.ui.access import Visitor, page
from syncline.ui.connection_views import Check, check_outcome, dependents, labels, placed
from syncline.ui.deps import connections
from syncline.ui.errors import redirect
from syncline.ui.forms import field_errors
from syncline.ui.pages import render
from syncline.ui.schema_form_values import parse, summary

router = APIRouter(prefix="/connections", include_in_schema=False)

NOTICES = {"saved": "Connection saved.", "deleted": "Connection deleted."}
"""What a page says after a change, by the code its address carries: a link can
choose among these, never put its own words on the page."""

MAX_NAME = 255
"""The longest name, as the API's `ConnectionCreate.name` allows."""


@cache
def _spec(cls: type[Connector]) -> schema_form.Spec:
    # The model's own schema, which the API serves after leaving out, for the SDK's sake,
    # the bounds a form wants (min and max).
    return schema_form.spec_of(cls.config_model.model_json_schema())


def _type_name(type_id: str) -> str:
    try:
        return connector_class(type_id).name
    except NotFound:
        return type_id


@router.get("")
def connection_list(request: Request, visitor: Annotated[Visitor, page(READ)]) -> HTMLResponse:
    rows = connections(request, visitor).all()
    return render(
        request,
        "connections.html",
        visitor,
        section="connections",
        connections=sorted(rows, key=lambda row: row.name.lower()),
        type_names={row.type: _type_name(row.type) for row in rows},
        notice=NOTICES.get(request.query_params.get("done", ""), ""),
    )


@router.get("/new")
def new_connection(
    request: Request,
    visitor: Annotated[Visitor, page(WRITE)],
    type_id: Annotated[str, Query(alias="type", max_length=64)] = "",
) -> HTMLResponse:
    """The types to choose from; with `type`, the form for one."""
    if not type_id:
        return render(
            request,
            "connection_types.html",
            visitor,
            section="connections",
            types=connector_classes(),
        )
    return _form(request, visitor, connector_class(type_id), values=None)


@router.post("/new")
def create(request: Request, visitor: Annotated[Visitor, page(WRITE)]) -> Response:
    cls = connector_type(visitor.field("type"))
    name, configuration, errors = _read(visitor, cls, saved=None)
    status = 422
    if not errors:
        request_ = ConnectionInput(
            name=name, type=cls.type_id, configuration=configuration, validate=_check(visitor)
        )
        try:
            return _saved(request, visitor, cls, connections(request, visitor).create(request_))
        except (ValidationFailed, ConnectorError) as exc:
            status, errors = status_of(exc), _refusal(exc)
    return _form(
        request, visitor, cls, values=configuration, name=name, errors=errors, status_code=status
    )


@router.post("/test")
def test_form(request: Request, visitor: Annotated[Visitor, page(WRITE)]) -> Response:
    """Check the form's configuration (an edit form's merged over the saved one)."""
    service = connections(request, visitor)
    connection_id = visitor.field("connection_id")
    row = service.get(connection_id) if connection_id else None
    cls = connector_class(row.type) if row else connector_type(visitor.field("type"))
    saved = service.masked_configuration(row) if row else None
    name, configuration, errors = _read(visitor, cls, saved)
    errors.pop("name", None)  # a test needs no name
    controls = schema_form.controls(_spec(cls), configuration)
    outcome = check_outcome(
        lambda: service.test(cls.type_id, configuration, connection_id or None),
        errors,
        labels(controls),
    )
    if request.headers.get("HX-Request") == "true":
        return render(request, "connection_test.html", visitor, outcome=outcome)
    return _form(
        request, visitor, cls, values=configuration, connection=row, name=name, outcome=outcome
    )


@router.get("/{connection_id}")
def connection_detail(
    request: Request, connection_id: str, visitor: Annotated[Visitor, page(READ)]
) -> HTMLResponse:
    row = connections(request, visitor).get(connection_id)
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    return _detail(request, visitor, row, notice=notice)


@router.post("/{connection_id}/test")
def test_saved(
    request: Request, connection_id: str, visitor: Annotated[Visitor, page(WRITE)]
) -> Response:
    """Check a saved connection as it is stored."""
    service = connections(request, visitor)
    row = service.get(connection_id)
    outcome = check_outcome(lambda: service.test("", {}, row.id), {}, {})
    if request.headers.get("HX-Request") == "true":
        return render(request, "connection_test.html", visitor, outcome=outcome)
    return _detail(request, visitor, row, outcome=outcome)


@router.get("/{connection_id}/edit")
def edit(
    request: Request, connection_id: str, visitor: Annotated[Visitor, page(WRITE)]
) -> HTMLResponse:
    service = connections(request, visitor)
    row = service.get(connection_id)
    values = service.masked_configuration(row)
    return _form(request, visitor, connector_class(row.type), values=values, connection=row)


@router.post("/{connection_id}/edit")
def update(
    request: Request, connection_id: str, visitor: Annotated[Visitor, page(WRITE)]
) -> Response:
    service = connections(request, visitor)
    row = service.get(connection_id)
    cls = connector_class(row.type)
    name, configuration, errors = _read(visitor, cls, service.masked_configuration(row))
    status = 422
    if not errors:
        request_ = ConnectionInput(name=name, configuration=configuration, validate=_check(visitor))
        try:
            return _saved(request, visitor, cls, service.update(row.id, request_))
        except (ValidationFailed, ConnectorError) as exc:
            status, errors = status_of(exc), _refusal(exc)
    return _form(
        request,
        visitor,
        cls,
        values=configuration,
        connection=row,
        name=name,
        errors=errors,
        status_code=status,
    )


@router.post("/{connection_id}/delete")
def delete(
    request: Request, connection_id: str, visitor: Annotated[Visitor, page(WRITE)]
) -> Response:
    """Delete an unused connection; one in use stays, and its page says what uses it."""
    service = connections(request, visitor)
    row = service.get(connection_id)
    try:
        service.delete(row.id)
    except InUse as exc:
        return _detail(
            request,
            visitor,
            row,
            status_code=status_of(exc),
            refusal=exc.message,
            used_by=dependents(request, visitor, exc),
        )
    return redirect(request, "/connections?done=deleted")


def _read(
    visitor: Visitor, cls: type[Connector], saved: dict[str, Any] | None
) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The posted name and configuration, and what is wrong with them before any service
    looks (by path)."""
    name = visitor.field("name").strip()
    parsed = parse(_spec(cls), visitor.form or {}, saved)
    errors = dict(parsed.errors)
    if not name:
        errors["name"] = "Give the connection a name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"A name has at most {MAX_NAME} characters."
    return name, parsed.configuration, errors


def _check(visitor: Visitor) -> bool:
    return visitor.field("check") == "on"


def _refusal(exc: ValidationFailed | ConnectorError) -> dict[str, str]:
    if isinstance(exc, ValidationFailed):
        return field_errors(exc)
    return {
        "": f"The connection test failed, so nothing was saved: {exc.message} "
        "Correct the settings, or untick “Test the connection before saving” to save them "
        "as they are."
    }


def _saved(
    request: Request, visitor: Visitor, cls: type[Connector], saved: SavedConnection
) -> Response:
    """Where a saved form goes: the connection's page; or, when the server generated a
    secret just now, a page showing it this once (as the API's response does)."""
    titles = {key: spec.title for key, spec in _spec(cls).fields}
    generated = [
        (titles.get(key, key), value)
        for key in cls.config_model.generated_secret_fields()
        if (value := saved.configuration.get(key)) and value != MASK
    ]
    if not generated:
        return redirect(request, f"/connections/{saved.connection.id}?done=saved")
    return render(
        request,
        "connection_saved.html",
        visitor,
        section="connections",
        connection=saved.connection,
        generated=generated,
    )


def _form(
    request: Request,
    visitor: Visitor,
    cls: type[Connector],
    *,
    values: dict[str, Any] | None,
    connection: Connection | None = None,
    name: str | None = None,
    errors: dict[str, str] | None = None,
    outcome: Check | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    controls = schema_form.controls(_spec(cls), values)
    return render(
        request,
        "connection_form.html",
        visitor,
        status_code=status_code,
        section="connections",
        cls=cls,
        connection=connection,
        connection_name=name if name is not None else connection.name if connection else "",
        controls=controls,
        errors=placed(errors or {}, controls),
        check=visitor.form is None or _check(visitor),
        outcome=outcome,
    )


def _detail(
    request: Request, visitor: Visitor, row: Connection, status_code: int = 200, **context: Any
) -> HTMLResponse:
    service = connections(request, visitor)
    cls = connector_class(row.type)
    return render(
        request,
        "connection.html",
        visitor,
        status_code=status_code,
        section="connections",
        connection=row,
        type_name=cls.name,
        settings=summary(_spec(cls), service.masked_configuration(row)),
        **context,
    )

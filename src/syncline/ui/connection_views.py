"""What the connection pages show beside their forms: a check's outcome, messages placed
by control, and what keeps a connection from being deleted."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from fastapi import Request

from syncline.errors import ConnectorError, InUse, NotFound, ValidationFailed
from syncline.ui.access import Visitor
from syncline.ui.deps import models, syncs
from syncline.ui.forms import field_errors
from syncline.ui.schema_form import Control


@dataclass(frozen=True)
class Check:
    """The outcome of a connection check, as the page shows it."""

    ok: bool
    message: str
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(control label, message) of each value the check refused before connecting."""


@dataclass(frozen=True)
class Dependent:
    """A model or sync using a connection."""

    kind: str
    name: str
    url: str


def check_outcome(run: Callable[[], None], errors: dict[str, str], names: dict[str, str]) -> Check:
    """Run a check (`ConnectionService.test`) unless the form has `errors` already.

    The driver's message comes back as it is (success or failure);
    `ValidationFailed` comes back as its messages by control label (`names`).
    Other errors propagate.
    """
    if errors:
        return Check(False, "Some values cannot be used:", _problems(errors, names))
    try:
        run()
    except ValidationFailed as exc:
        return Check(False, "Some values cannot be used:", _problems(field_errors(exc), names))
    except ConnectorError as exc:
        return Check(False, exc.message)
    return Check(True, "Connection succeeded.")


def _problems(errors: dict[str, str], names: dict[str, str]) -> list[tuple[str, str]]:
    return [
        (names.get(path, path.removeprefix("configuration.")), message)
        for path, message in errors.items()
    ]


def _walk(controls: Iterable[Control]) -> Iterable[Control]:
    for control in controls:
        yield control
        yield from _walk(control.children)


def labels(controls: Iterable[Control]) -> dict[str, str]:
    """Each control's label by its name (its path); the connection's name too."""
    return {"name": "Name", **{control.name: control.label for control in _walk(controls)}}


def placed(errors: dict[str, str], controls: Iterable[Control]) -> dict[str, str]:
    """`errors` with the messages no control shows moved to `""` (the form's own), with
    their paths, so none is lost: a message about the configuration as a whole, or about
    a list item rather than one of its values. With messages at controls only, `""`
    says to look at them."""
    shown = set(labels(controls))
    kept = {path: message for path, message in errors.items() if path in shown}
    loose = [
        f"{path.removeprefix('configuration.')}: {message}" if path else message
        for path, message in errors.items()
        if path not in shown and path not in ("configuration", "")
    ]
    general = [errors[key] for key in ("", "configuration") if errors.get(key)]
    if general or loose:
        kept[""] = " ".join([*general, *loose])
    elif kept:
        # Said once at the top, so a person (or a screen reader) knows to look below.
        kept[""] = "Correct the values marked below."
    return kept


def dependents(request: Request, visitor: Visitor, refusal: InUse) -> list[Dependent]:
    """The models and syncs an `InUse` refusal names, with their pages."""
    model_ids = set(refusal.metadata.get("model_ids") or [])
    found = [
        Dependent("model", view.model.name, f"/models/{view.model.id}")
        for view in models(request, visitor).all()
        if view.model.id in model_ids
    ]
    service = syncs(request, visitor)
    for sync_id in refusal.metadata.get("sync_ids") or []:
        try:
            found.append(Dependent("sync", service.get(sync_id).config.name, f"/syncs/{sync_id}"))
        except NotFound:
            continue  # deleted since: it no longer keeps the connection
    return found

"""Names a sync makes the target create: new fields, and a new object.

A target declares what names it keeps as given (`TargetDescription.names`,
see `connectors.compatibility.NameRules`); a name it would refuse or alter
is refused here, when the sync is saved, instead of at its first run.
"""

from __future__ import annotations

from syncline.connectors.base import TargetDescription
from syncline.errors import ValidationFailed
from syncline.services.syncs.context import ValidationContext
from syncline.services.syncs.inputs import SyncInput


def check_created_names(request: SyncInput, context: ValidationContext) -> None:
    """Refuse a target field to be created whose name the target cannot keep.

    Every mapped or identity target that is not a field of the target is
    created by the first run (validation of mappings and identities has
    made sure creation was asked for). Raises `ValidationFailed` at the
    first such name's path (`fields[i].target`, `identities.mappings[i].target`).
    """
    existing = {field.id for field in context.target.fields}
    named = [(m.target, f"{m.path}.target") for m in request.mappings]
    if request.identities is not None:
        named += [(i.identity.target, f"{i.path}.target") for i in request.identities.mappings]
    for name, path in named:
        if name not in existing:
            _check(name, "field", context.target, path)


def check_object_name(name: str, target: TargetDescription, path: str) -> None:
    """Refuse the name of a target object to be created, as given in the request.

    Surrounding white space is refused on every target: it would be dropped
    from the object's id but not from the name it is created with.
    """
    if name != name.strip():
        raise ValidationFailed(
            f"name {name!r} starts or ends with white space; remove it", path=path
        )
    _check(name, "name", target, path)


def _check(name: str, what: str, target: TargetDescription, path: str) -> None:
    problem = target.names.problem(name)
    if problem is not None:
        raise ValidationFailed(
            f"{what} {name!r} cannot be created in {target.name!r}: the name {problem}",
            path=path,
        )

"""The model pages' forms: browsing a source, the draft of a model, and its sample table.

`browse` turns a source description (`DiscoveryService.describe_source`, the
API's `modelsync/source`) into what the new-model page offers: the items that
refine the listing (a SQL schema) as selects of a GET form, the items that
complete a configuration (a table, a file) as links, and the free-form ones
(a SQL query) as a text area. `Draft` is what the model form holds and the
`ModelWrite` it makes; `refusal` files a service's refusal under the control
it concerns, so the page shows it there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.datastructures import FormData

from syncline.api.errors import status_of
from syncline.connectors.base import SourceDescription
from syncline.errors import (
    ConnectorError,
    InvalidSourceConfiguration,
    ObjectNotFound,
    SynclineError,
    ValidationFailed,
    validation_failed,
)
from syncline.services.model_write import ModelWrite
from syncline.services.samples import Sample
from syncline.store.tables import Model
from syncline.ui.forms import field_errors

CONFIG = "configuration."
"""Form fields named `configuration.<key>` hold the model's source configuration."""

MAX_LINKS = 200
"""Choices listed at most; a filter narrows longer lists."""

PREVIEW_NAME = "preview"
"""The name a preview of an unnamed draft goes by (a preview saves nothing)."""


def label_of(key: str) -> str:
    """A configuration key as a person reads it: `table` -> `Table`."""
    return "SQL query" if key == "query" else key.replace("_", " ").capitalize()


def new_url(connection_id: str, params: Mapping[str, str], **extra: str) -> str:
    """The new-model page for `connection_id` with the `params[...]` chosen so far."""
    query = [("connection", connection_id)]
    query += [(f"params[{key}]", value) for key, value in params.items()]
    query += [(key, value) for key, value in extra.items() if value]
    return "/models/new?" + urlencode(query)


@dataclass(frozen=True)
class Level:
    """One item of a source description with choices, as the page offers it."""

    key: str
    options: list[tuple[str, str]]
    """`(value, label)` of the choices shown (links carry a URL as the value)."""
    chosen: str = ""
    waits_for: list[str] = field(default_factory=list)
    """Items one of which must be chosen before this one lists anything."""
    hidden: int = 0
    """Choices left out by the filter or past `MAX_LINKS`."""

    @property
    def label(self) -> str:
        return label_of(self.key)


@dataclass(frozen=True)
class Browse:
    """What a connection offers as the source of a new model, refined by `params`."""

    params: dict[str, str]
    refine: list[Level]
    pick: list[Level]
    typed: list[str]


def browse(
    connection_id: str, description: SourceDescription, params: Mapping[str, str], q: str
) -> Browse:
    """The page's view of `description`; `q` filters the choices that complete a
    configuration (by label or value, ignoring case)."""
    refine: list[Level] = []
    pick: list[Level] = []
    typed: list[str] = []
    completing = set(description.requires_one_of)
    kept = {k: v for k, v in params.items() if k not in completing}
    needle = q.casefold()
    for key, item in description.items.items():
        if item is None:
            if key in completing:
                typed.append(key)
            continue
        waits = [k for k in item.requires_one_of if not params.get(k)]
        if key not in completing:
            options = [(c.value, c.label) for c in item.choices]
            refine.append(Level(key, options, params.get(key, ""), waits))
            continue
        found = [c for c in item.choices if needle in f"{c.label}\n{c.value}".casefold()]
        links = [
            (new_url(connection_id, kept, **{f"params[{key}]": c.value, "name": c.label}), c.label)
            for c in found[:MAX_LINKS]
        ]
        pick.append(Level(key, links, "", waits, len(item.choices) - len(links)))
    return Browse(dict(kept), refine, pick, typed)


@dataclass(frozen=True)
class Draft:
    """What the model form holds: one source configuration value and the choices on it."""

    connection_id: str
    name: str
    key: str
    """The configuration key the form sets (`table`, `query`, `file`)."""
    value: str
    typed: bool
    """Whether the value is typed (a query; any value when editing) or was picked by browsing."""
    identifier: str | None = None
    """None until the form has offered a choice (the page then suggests a unique field)."""
    tracking: tuple[str, ...] = ()

    @classmethod
    def posted(cls, form: FormData) -> Draft:
        """The draft a posted model form holds."""
        keys = [name[len(CONFIG) :] for name in form if name.startswith(CONFIG)]
        key = keys[0] if keys else "query"
        return cls(
            connection_id=_text(form, "connection_id"),
            name=_text(form, "name").strip(),
            key=key,
            value=_text(form, CONFIG + key),
            typed=_text(form, "entry") != "chosen",
            identifier=_text(form, "identifier") if "identifier" in form else None,
            tracking=tuple(v for v in form.getlist("tracking_columns") if isinstance(v, str) and v),
        )

    @classmethod
    def stored(cls, model: Model) -> Draft:
        """The draft of a stored model, to edit it."""
        key, value = next(iter(model.configuration.items()), ("query", ""))
        return cls(
            connection_id=model.connection_id,
            name=model.name,
            key=str(key),
            value=value if isinstance(value, str) else json.dumps(value),
            typed=True,
            identifier=model.identifier or "",
            tracking=tuple(str(c) for c in model.tracking_columns),
        )

    def write(self, stored: Model | None, *, preview: bool = False) -> ModelWrite:
        """The `ModelWrite` of this draft; a preview leaves the identifier and tracking
        columns out, so choices that no longer fit do not stop it.

        When editing, what the form does not show of `stored` goes back unchanged
        (an update replaces the whole model): its other configuration keys, labels,
        relations, policies and added fields, and its choice of fields while the
        configuration stays the same. Raises `ValidationFailed` naming the path.
        """
        if not self.value.strip():
            raise ValidationFailed(
                f"{CONFIG}{self.key}: give the {label_of(self.key).lower()}",
                path=CONFIG + self.key,
            )
        configuration = dict(stored.configuration) if stored is not None else {}
        configuration[self.key] = self.value
        body: dict[str, Any] = {
            "name": self.name or (PREVIEW_NAME if preview else ""),
            "connection_id": self.connection_id,
            "configuration": configuration,
        }
        if not preview:
            body["identifier"] = self.identifier or None
            body["tracking_columns"] = list(self.tracking)
        if stored is not None:
            body.update(_kept(stored, same_source=configuration == stored.configuration))
        try:
            return ModelWrite.model_validate(body)
        except ValidationError as exc:
            raise validation_failed([dict(e) for e in exc.errors()]) from None


def _kept(model: Model, *, same_source: bool) -> dict[str, Any]:
    fields = model.fields
    return {
        "fields": [f["name"] for f in fields if not f.get("user_added")] if same_source else None,
        "additional_fields": [
            {
                "name": f["name"],
                "label": f.get("label") or f["name"],
                "type": f.get("remote_type"),
                "example": f.get("example"),
            }
            for f in fields
            if f.get("user_added")
        ],
        "labels": list(model.labels),
        "relations": list(model.relations),
        "policies": list(model.policies),
    }


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


REFUSALS = (ValidationFailed, ConnectorError)
"""What a model write or preview refuses with because of what was asked (shown on the form)."""


def refusal(exc: SynclineError, draft: Draft) -> tuple[dict[str, str], int]:
    """`exc` as messages by JSON path, and the page's status.

    A configuration the source cannot read (bad SQL, a missing table) is shown
    at the configuration's control with 422, as a refused value is; another
    connector failure (the source cannot be reached) concerns the whole form
    and keeps its own status.
    """
    if isinstance(exc, ValidationFailed):
        return field_errors(exc), 422
    if isinstance(exc, InvalidSourceConfiguration | ObjectNotFound):
        return {CONFIG + draft.key: exc.message}, 422
    return {"": exc.message}, status_of(exc)


def placed(errors: dict[str, str], draft: Draft) -> dict[str, str]:
    """`errors` with every message whose path has no control on the form under `""`."""
    shown = ("name", "identifier", CONFIG + draft.key)
    placed_ = {p: m for p, m in errors.items() if p in shown or p.startswith("tracking_columns")}
    loose = [m for p, m in errors.items() if p not in placed_]
    if loose:
        placed_[""] = " ".join(dict.fromkeys(loose))
    return placed_


@dataclass(frozen=True)
class SampleTable:
    """Sample records under typed column headers, each value as text (None: null)."""

    columns: list[dict[str, Any]]
    rows: list[list[str | None]]
    warnings: list[str]


def sample_table(fields: Sequence[dict[str, Any]], sample: Sample) -> SampleTable:
    """The table of `sample` over a model's stored `fields`."""
    names = [f["name"] for f in fields]
    rows = [[_cell(record.get(name)) for name in names] for record in sample.records]
    return SampleTable(list(fields), rows, list(sample.warnings))


def _cell(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)

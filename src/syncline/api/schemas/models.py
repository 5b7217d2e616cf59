"""Model and job shapes (spec sections 8 and 9).

The request body of create, update and preview is `services.model_write.ModelWrite`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from syncline.api.schemas.common import Actor, Envelope
from syncline.api.schemas.modelsync import ModelField as SourceModelField


def _absent(value: Any) -> bool:
    return value is None


class ModelField(SourceModelField):
    """A field of a model: a source field with a stable id, or one the user added."""

    created_at: str | None = None


class Model(BaseModel):
    """`ModelResponse`. `id` is null only in a preview."""

    id: str | None
    name: str
    type: str
    connection_id: str
    organization_id: str
    configuration: dict[str, Any]
    fields: list[ModelField]
    identifier: str | None = None
    tracking_columns: list[str]
    relations: list[dict[str, Any]]
    labels: list[dict[str, Any]]
    enricher: dict[str, Any] | None = None
    policies: list[str]
    version: int
    created_at: str
    created_by: Actor | None = None
    updated_at: str
    updated_by: Actor | None = None


class ModelPreview(Model):
    """A model that was not saved, plus sample rows as `{field name: value}`.

    `records` and `warnings` are extra keys: the SDK keeps them in `model_extra`.
    """

    records: list[dict[str, Any]]
    warnings: list[str]


class ModelSample(BaseModel):
    """`ModelSample`: each record maps the model's id to `{field name: value}`."""

    records: list[dict[str, dict[str, Any]]]
    warnings: list[str]


class Job(BaseModel):
    """`JobResponse`: `result` once done, `error` once failed, neither while running."""

    job_id: str
    type: str
    status: str
    result: Any = Field(default=None, exclude_if=_absent)
    error: str | None = Field(default=None, exclude_if=_absent)


class JobStarted(BaseModel):
    """The answer of an `async=true` call: `{"job": ...}`, without `data`."""

    job: Job


ModelAnswer = Envelope[Model] | JobStarted
PreviewAnswer = Envelope[ModelPreview] | JobStarted
SampleAnswer = Envelope[ModelSample] | JobStarted

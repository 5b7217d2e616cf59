"""`/api/models` and `/api/model-preview`: define, read, sample and delete models.

With `async=true`, create, update, preview and sample answer `{"job": ...}`
at once and do the work on the app's job pool; the job's `result` is what
the synchronous call would have answered under `data`. Reading and deleting
a model are quick and have no job type, so they answer directly whatever
`async` says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from syncline.api.access import allow
from syncline.api.background import Jobs
from syncline.api.deps import Connections
from syncline.api.routers.jobs import job_out
from syncline.api.schemas import models as schemas
from syncline.api.schemas.common import Envelope, actor, timestamp
from syncline.services import samples
from syncline.services.jobs import Work
from syncline.services.model_write import ModelWrite
from syncline.services.models import ModelService, ModelView
from syncline.services.roles import READ, WRITE, Role, at_least
from syncline.services.samples import Sample

router = APIRouter(prefix="/api", tags=["models"])


def model_service(connections: Connections) -> ModelService:
    """Models of the caller's organization."""
    return ModelService(connections)


Models = Annotated[ModelService, Depends(model_service)]
Async = Annotated[bool, Query(alias="async")]
Limit = Annotated[int, Query(ge=1, le=1000, description="How many records to sample.")]


def model_out(view: ModelView) -> schemas.Model:
    """A stored (or previewed) model as `ModelResponse`."""
    row = view.model
    return schemas.Model(
        id=row.id,
        name=row.name,
        type=view.connection_type,
        connection_id=row.connection_id,
        organization_id=row.organization_id,
        configuration=row.configuration,
        fields=[_field_out(f) for f in row.fields],
        identifier=row.identifier,
        tracking_columns=list(row.tracking_columns),
        relations=list(row.relations),
        # Labels are names in requests and objects in responses (`LabelLabel`).
        labels=[{"name": label} for label in row.labels],
        policies=list(row.policies),
        version=row.version,
        created_at=timestamp(row.created_at),
        created_by=actor(row.created_by),
        updated_at=timestamp(row.updated_at),
        updated_by=actor(row.updated_by),
    )


def _field_out(stored: dict[str, Any]) -> schemas.ModelField:
    created = stored.get("created_at")
    return schemas.ModelField.model_validate(
        {**stored, "created_at": timestamp(datetime.fromisoformat(created)) if created else None}
    )


def sample_out(model_id: str, sample: Sample) -> schemas.ModelSample:
    """Sample records keyed by the model's id, as `SampleRecord` has them."""
    return schemas.ModelSample(
        records=[{model_id: record} for record in sample.records], warnings=sample.warnings
    )


def _started(jobs: Jobs, job_type: str, work: Work) -> schemas.JobStarted:
    return schemas.JobStarted(job=job_out(jobs.start(job_type, work)))


def _budget(run_async: bool) -> float | None:
    # Read at call time so the budget stays one setting of the samples module.
    return None if run_async else samples.SYNC_BUDGET_SECONDS


@router.get("/models", dependencies=[allow(READ)])
def list_models(models: Models) -> Envelope[list[schemas.Model]]:
    """Every model of the caller's organization (the SDK reads no pagination here)."""
    return Envelope(data=[model_out(view) for view in models.all()])


@router.post("/models", dependencies=[allow(WRITE)])
def create_model(
    body: ModelWrite, models: Models, jobs: Jobs, run_async: Async = False
) -> schemas.ModelAnswer:
    """Create a model; its fields are discovered from the source."""

    def create() -> schemas.Model:
        return model_out(models.create(body))

    if run_async:
        return _started(jobs, "createmodel", lambda: _dump(create()))
    return Envelope(data=create())


PREVIEW = at_least(
    Role.USER,
    "Saves nothing, but it is how a model is written: it runs a query or table the caller "
    "chooses with the connection's stored credentials, reaching whatever they reach, beyond "
    "what the organization's models expose. Viewers sample existing models with "
    "GET /api/models/{id}/sample.",
)


@router.post("/model-preview", dependencies=[allow(PREVIEW)])
def preview_model(
    body: ModelWrite, models: Models, jobs: Jobs, run_async: Async = False, limit: Limit = 10
) -> schemas.PreviewAnswer:
    """The model `body` would create and sample records of it; nothing is saved."""

    def preview() -> schemas.ModelPreview:
        found = models.preview(body, limit=limit, budget=_budget(run_async))
        return schemas.ModelPreview(
            **model_out(found.view).model_dump(),
            records=found.sample.records,
            warnings=found.sample.warnings,
        )

    if run_async:
        return _started(jobs, "previewmodel", lambda: _dump(preview()))
    return Envelope(data=preview())


@router.get("/models/{model_id}", dependencies=[allow(READ)])
def get_model(model_id: str, models: Models, run_async: Async = False) -> schemas.ModelAnswer:
    """One model. `async` is accepted; reading a model needs no job."""
    del run_async
    return Envelope(data=model_out(models.get(model_id)))


@router.put("/models/{model_id}", dependencies=[allow(WRITE)])
def update_model(
    model_id: str, body: ModelWrite, models: Models, jobs: Jobs, run_async: Async = False
) -> schemas.ModelAnswer:
    """Replace a model (a full replacement); its fields are discovered afresh."""

    def update() -> schemas.Model:
        return model_out(models.update(model_id, body))

    if run_async:
        models.get(model_id)  # an unknown model answers 404 now, not from the job
        return _started(jobs, "updatemodel", lambda: _dump(update()))
    return Envelope(data=update())


@router.delete("/models/{model_id}", dependencies=[allow(WRITE)])
def delete_model(
    model_id: str, models: Models, run_async: Async = False
) -> Envelope[dict[str, str]]:
    """Delete a model that no sync reads (409 names the syncs otherwise)."""
    del run_async
    models.delete(model_id)
    return Envelope(data={"id": model_id})


@router.get("/models/{model_id}/sample", dependencies=[allow(READ)])
def sample_model(
    model_id: str, models: Models, jobs: Jobs, run_async: Async = False, limit: Limit = 10
) -> schemas.SampleAnswer:
    """Up to `limit` records of a model, read with the limit pushed down to the source.

    A synchronous sample stops after 10 s and answers what it read, with a warning.
    """

    def sample() -> schemas.ModelSample:
        return sample_out(model_id, models.sample(model_id, limit=limit, budget=_budget(run_async)))

    if run_async:
        models.get(model_id)
        return _started(jobs, "samplemodel", lambda: _dump(sample()))
    return Envelope(data=sample())


def _dump(payload: schemas.Model | schemas.ModelSample) -> dict[str, Any]:
    """A payload in its JSON form, as a job's `result` keeps it."""
    return payload.model_dump(mode="json")

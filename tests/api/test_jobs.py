"""Asynchronous model operations (`async=true`) and `/api/jobs/{type}/{id}`, driven by the SDK."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from polytomic import JobResponse, Polytomic
from polytomic.errors import BadRequestError, NotFoundError

from tests.api.conftest import Org
from tests.api.model_fixtures import connection, create

QUERY = {"query": "SELECT 1 AS one, 'x' AS letter"}


@pytest.fixture
def pg(org: Org, pg_config: dict[str, Any]) -> str:
    return connection(org, "postgresql", pg_config)


def finished(sdk: Polytomic, job_type: str, job_id: str) -> JobResponse:
    """Poll a job until it leaves `running` (for at most 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        job = sdk.jobs.get(job_type, job_id).data
        assert job is not None
        if job.status != "running":
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} still running")


def test_an_async_create_runs_as_a_job_whose_result_is_the_model(org: Org, pg: str) -> None:
    sdk = org.sdk()
    answer = sdk.models.create(name="Async", connection_id=pg, configuration=QUERY, async_=True)
    assert answer.data is None
    assert answer.job is not None
    assert (answer.job.type, answer.job.status) == ("createmodel", "running")
    assert answer.job.job_id is not None
    job = finished(sdk, "createmodel", answer.job.job_id)
    assert job.status == "done"
    assert job.error is None
    model = job.result
    assert [f["name"] for f in model["fields"]] == ["one", "letter"]
    stored = sdk.models.get(model["id"]).data
    assert stored is not None
    assert stored.name == "Async"


def test_async_update_sample_and_preview_end_with_their_payloads(org: Org, pg: str) -> None:
    sdk = org.sdk()
    model = create(org, {"name": "M", "connection_id": pg, "configuration": QUERY})
    update = sdk.models.update(
        model["id"], name="M2", connection_id=pg, configuration=QUERY, async_=True
    ).job
    sample = sdk.models.sample(model["id"], async_=True).job
    preview = sdk.models.preview(name="P", connection_id=pg, configuration=QUERY, async_=True).job
    assert update is not None
    assert sample is not None
    assert preview is not None
    assert [update.type, sample.type, preview.type] == [
        "updatemodel",
        "samplemodel",
        "previewmodel",
    ]
    updated = finished(sdk, "updatemodel", update.job_id or "").result
    assert (updated["name"], updated["version"]) == ("M2", 2)
    sampled = finished(sdk, "samplemodel", sample.job_id or "").result
    assert sampled == {"records": [{model["id"]: {"one": 1, "letter": "x"}}], "warnings": []}
    previewed = finished(sdk, "previewmodel", preview.job_id or "").result
    assert previewed["id"] is None
    assert previewed["records"] == [{"one": 1, "letter": "x"}]


def test_a_failing_async_create_ends_failed_with_the_message(org: Org, pg: str) -> None:
    sdk = org.sdk()
    job = sdk.models.create(
        name="Bad", connection_id=pg, configuration={"query": "SELEC 1"}, async_=True
    ).job
    assert job is not None
    failed = finished(sdk, "createmodel", job.job_id or "")
    assert failed.status == "failed"
    assert "SELEC" in (failed.error or "")
    assert failed.result is None
    assert sdk.models.list().data == []


def test_get_and_delete_answer_directly_even_when_async(org: Org, pg: str) -> None:
    model = create(org, {"name": "M", "connection_id": pg, "configuration": QUERY})
    got = org.client.get(f"/api/models/{model['id']}", params={"async": "true"}).json()
    assert got == {"data": model}
    deleted = org.client.delete(f"/api/models/{model['id']}", params={"async": "true"})
    assert deleted.json() == {"data": {"id": model["id"]}}


def test_async_calls_on_an_unknown_model_answer_404_at_once(org: Org, pg: str) -> None:
    missing = str(uuid.uuid4())
    body = {"name": "M", "connection_id": pg, "configuration": QUERY}
    put = org.client.put(f"/api/models/{missing}", params={"async": "true"}, json=body)
    assert put.status_code == 404
    sample = org.client.get(f"/api/models/{missing}/sample", params={"async": "true"})
    assert sample.status_code == 404


def test_an_unknown_job_type_answers_400(org: Org) -> None:
    with pytest.raises(BadRequestError):
        org.sdk().jobs.get("exportmodel", str(uuid.uuid4()))


def test_an_unknown_job_or_one_of_another_type_answers_404(org: Org, pg: str) -> None:
    sdk = org.sdk()
    with pytest.raises(NotFoundError):
        sdk.jobs.get("createmodel", str(uuid.uuid4()))
    job = sdk.models.create(name="A", connection_id=pg, configuration=QUERY, async_=True).job
    assert job is not None
    finished(sdk, "createmodel", job.job_id or "")
    with pytest.raises(NotFoundError):
        sdk.jobs.get("samplemodel", job.job_id or "")


def test_another_organization_cannot_see_a_job(org: Org, other_org: Org, pg: str) -> None:
    job = org.sdk().models.create(name="A", connection_id=pg, configuration=QUERY, async_=True).job
    assert job is not None
    finished(org.sdk(), "createmodel", job.job_id or "")
    with pytest.raises(NotFoundError):
        other_org.sdk().jobs.get("createmodel", job.job_id or "")

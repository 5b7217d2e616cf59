"""Error statuses follow what the official SDKs declare for each call, so their
typed errors (`BadRequestError`, ...) are raised instead of the bare `ApiError`."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from polytomic import Polytomic
from polytomic.core.api_error import ApiError
from polytomic.errors import BadRequestError, UnprocessableEntityError

from syncline.api.sdk_statuses import DECLARED, declared_status
from tests.api.conftest import Org, Server, basic_auth
from tests.api.sync_fixtures import SyncSetup
from tests.sdk_calls import normalized, python_sdk_calls


def test_the_table_is_what_the_python_sdk_declares() -> None:
    calls = python_sdk_calls()
    for (method, path), declared in DECLARED.items():
        found = calls.get((method, normalized(path)))
        assert found == declared.python, (method, path)


@pytest.mark.parametrize(
    ("method", "path", "status", "answered"),
    [
        # Both SDKs declare 400 and 403 only.
        ("POST", "/api/models", 404, 400),
        ("POST", "/api/models", 422, 400),
        # Declared, so kept.
        ("GET", "/api/models/{model_id}", 404, 404),
        ("PUT", "/api/syncs/{sync_id}", 422, 422),
        # Python declares 422, TypeScript neither 400 nor 422: the one declared wins.
        ("POST", "/api/syncs/{sync_id}/activate", 422, 422),
        # Python declares 400, TypeScript neither.
        ("GET", "/api/connections/{connection_id}/modelsync/target/fields", 422, 400),
        # Nobody declares a status for bad input here: nothing better to answer.
        ("GET", "/api/models/{model_id}", 422, 422),
        # Both SDKs declare 403 and 422 for users.create (and retry a 409).
        ("POST", "/api/organizations/{org_id}/users", 409, 422),
        # No status for bad input is declared for models.delete: 409 stays.
        ("DELETE", "/api/models/{model_id}", 409, 409),
        # Only 404, 409 and 422 ever give way.
        ("GET", "/api/syncs", 403, 403),
        # Kept: a refused connection configuration is 422 wherever it is refused.
        ("POST", "/api/connections/test", 422, 422),
        # Routes off the table are left alone.
        ("GET", "/api/downloads/{signed}", 422, 422),
    ],
)
def test_undeclared_statuses_give_way_to_declared_ones(
    method: str, path: str, status: int, answered: int
) -> None:
    assert declared_status(method, path, status) == answered


def test_models_create_on_a_missing_table_raises_bad_request(
    org: Org, pg_config: dict[str, Any]
) -> None:
    sdk = org.sdk()
    pg = sdk.connections.create(name="pg", type="postgresql", configuration=pg_config).data
    assert pg is not None
    assert pg.id is not None
    with pytest.raises(BadRequestError) as refused:
        sdk.models.create(
            name="m", connection_id=pg.id, configuration={"table": "public.no_such_table_here"}
        )
    assert "no_such_table_here" in str(refused.value.body)
    with pytest.raises(BadRequestError) as invalid:
        sdk.models.create(
            name="m", connection_id=pg.id, configuration={"query": "SELECT 1 AS a"}, identifier="x"
        )
    assert invalid.value.body.metadata["path"] == "identifier"


def test_bad_input_raises_bad_request_where_the_sdks_declare_it(setup: SyncSetup) -> None:
    sync_id = setup.create(active=True).json()["data"]["id"]
    sdk = setup.org.sdk()
    with pytest.raises(BadRequestError):
        sdk.model_sync.list(mode="upsert")  # type: ignore[arg-type]
    with pytest.raises(BadRequestError):
        sdk.model_sync.error_handling.update(sync_id, subscribers=["not-an-email"])
    with pytest.raises(BadRequestError):
        sdk.model_sync.start(
            sync_id,
            source_identities=[[{"source": setup.source("email"), "value": "a@example.com"}]],
        )


def test_a_duplicate_user_raises_unprocessable_entity(server: Server, org: Org) -> None:
    sdk = Polytomic(
        base_url="http://testserver",
        headers=basic_auth(org.id),
        httpx_client=TestClient(server.app),
        max_retries=0,
    )
    with pytest.raises(UnprocessableEntityError):
        sdk.users.create(org.id, email="owner@example.com")


def test_a_refused_connection_configuration_stays_422_on_every_call(org: Org) -> None:
    # Issue 12 wants a refused configuration (a path outside the roots, a secret to
    # send again) to answer 422, on connection tests and parameter values too,
    # though neither SDK declares 422 for these two calls.
    tested = org.client.post(
        "/api/connections/test", json={"type": "postgresql", "configuration": {"port": "x"}}
    )
    assert tested.status_code == 422, tested.text
    assert tested.json()["metadata"]["path"].startswith("configuration.")
    listed = org.client.post(
        "/api/connection_types/postgresql/parameter_values",
        json={"field": "database", "parameters": {"port": "x"}},
    )
    assert listed.status_code == 422, listed.text


def test_another_organizations_object_stays_404_where_no_sdk_declares_it(
    org: Org, other_org: Org
) -> None:
    # users.create declares 403 and 422 only; tenancy answers 404 all the same.
    users = f"/api/organizations/{other_org.id}/users"
    response = org.client.post(users, json={"email": "someone@example.com"})
    assert response.status_code == 404, response.text


def test_the_sdk_still_raises_422_where_it_declares_it(setup: SyncSetup) -> None:
    body = setup.body(name="x")
    body["fields"] = [{"source": setup.source("nope"), "target": "email"}]
    with pytest.raises(ApiError) as refused:
        setup.org.sdk().model_sync.create(**body)
    assert refused.value.status_code == 422


def test_the_openapi_document_lists_the_declared_status(org: Org) -> None:
    paths = org.client.get("/openapi.json").json()["paths"]
    create = paths["/api/models"]["post"]["responses"]
    assert "400" in create
    assert "422" not in create
    assert "422" in paths["/api/syncs"]["post"]["responses"]

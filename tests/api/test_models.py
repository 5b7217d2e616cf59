"""Models through the API, over real PostgreSQL, MariaDB and files."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from polytomic import ModelModelFieldRequest, ModelRelation, ModelRelationTo
from polytomic.core.api_error import ApiError
from polytomic.errors import NotFoundError

from syncline.services import samples
from syncline.store.tables import Sync, SyncModel
from tests.api.conftest import Org
from tests.api.model_fixtures import connection, create
from tests.conftest import temporary_maria_database, temporary_pg_schema

PEOPLE_COLUMNS = ["id", "email", "name", "score", "signed_up", "tags", "photo"]


@pytest.fixture(scope="module")
def pg_schema() -> Iterator[str]:
    """A schema holding a `people` table of three rows."""
    with temporary_pg_schema(
        "models",
        "CREATE TABLE {schema}.people (id bigint PRIMARY KEY, email text UNIQUE NOT NULL,"
        " name text, score numeric(10,2), signed_up timestamptz, tags text[], photo bytea)",
        "INSERT INTO {schema}.people VALUES"
        " (1, 'ada@example.com', 'Ada', 9.5, '2024-01-15T09:30:00Z', '{a,b}', '\\x0102'),"
        " (2, 'grace@example.com', 'Grace', 8.25, NULL, '{}', NULL),"
        " (3, 'alan@example.com', 'Alan', NULL, NULL, NULL, NULL)",
    ) as schema:
        yield schema


@pytest.fixture(scope="module")
def mysql_database() -> Iterator[str]:
    """A MariaDB database holding a `contacts` table of two rows."""
    with temporary_maria_database(
        "models",
        "CREATE TABLE {database}.contacts (id INT PRIMARY KEY, email VARCHAR(200) NOT NULL,"
        " score DECIMAL(10,2))",
        "INSERT INTO {database}.contacts VALUES (1, 'a@example.com', 1.50), (2, 'b', 2)",
    ) as name:
        yield name


@pytest.fixture
def pg(org: Org, pg_config: dict[str, Any]) -> str:
    return connection(org, "postgresql", pg_config)


def people(pg: str, pg_schema: str, **extra: Any) -> dict[str, Any]:
    """A model body over the `people` table."""
    return {
        "name": "People",
        "connection_id": pg,
        "configuration": {"table": f"{pg_schema}.people"},
        **extra,
    }


def test_a_model_over_a_table_exposes_its_typed_columns(org: Org, pg: str, pg_schema: str) -> None:
    model = create(
        org,
        people(
            pg,
            pg_schema,
            identifier="id",
            tracking_columns=["signed_up"],
            labels=["crm"],
            policies=["p1"],
        ),
    )
    assert [f["name"] for f in model["fields"]] == PEOPLE_COLUMNS
    by_name = {f["name"]: f for f in model["fields"]}
    assert by_name["id"]["type"] == "number"
    assert by_name["id"]["unique"] is True
    assert by_name["email"]["remote_type"] == "text"
    assert by_name["tags"]["type"] == "array"
    assert all(uuid.UUID(f["id"]) and f["label"] == f["name"] for f in model["fields"])
    assert not any(f["user_added"] for f in model["fields"])
    assert model["type"] == "postgresql"
    assert model["organization_id"] == org.id
    assert (model["identifier"], model["tracking_columns"]) == ("id", ["signed_up"])
    assert model["labels"] == [{"name": "crm"}]
    assert model["policies"] == ["p1"]
    assert model["enricher"] is None
    assert model["version"] == 1
    assert model["created_by"]["id"] == org.user_id
    assert org.client.get(f"/api/models/{model['id']}").json()["data"] == model
    assert org.client.get("/api/models").json()["data"] == [model]


def test_a_model_over_a_query_exposes_the_result_columns(org: Org, pg: str, pg_schema: str) -> None:
    query = f'SELECT id, upper(email) AS shout FROM "{pg_schema}".people'
    model = create(org, {"name": "Q", "connection_id": pg, "configuration": {"query": query}})
    assert [(f["name"], f["type"]) for f in model["fields"]] == [
        ("id", "number"),
        ("shout", "string"),
    ]
    sample = org.client.get(f"/api/models/{model['id']}/sample", params={"limit": 1})
    assert sample.json()["data"]["records"] == [
        {model["id"]: {"id": 1, "shout": "ADA@EXAMPLE.COM"}}
    ]


def test_a_files_model_samples_its_rows(org: Org, files_dir: Path) -> None:
    files = connection(org, "files", {"path": str(files_dir)})
    model = create(
        org, {"name": "F", "connection_id": files, "configuration": {"file": "people.csv"}}
    )
    assert [f["name"] for f in model["fields"]] == ["id", "name", "score"]
    records = org.client.get(f"/api/models/{model['id']}/sample").json()["data"]["records"]
    assert [r[model["id"]]["name"] for r in records] == ["Ada", "Grace"]


def test_a_mariadb_model_samples_exact_decimals(
    org: Org, mysql_config: dict[str, Any], mysql_database: str
) -> None:
    maria = connection(org, "mysql", {**mysql_config, "dbname": mysql_database})
    model = create(
        org,
        {
            "name": "M",
            "connection_id": maria,
            "configuration": {"table": f"{mysql_database}.contacts"},
        },
    )
    records = org.client.get(f"/api/models/{model['id']}/sample").json()["data"]["records"]
    assert [r[model["id"]] for r in records] == [
        {"id": 1, "email": "a@example.com", "score": "1.50"},
        {"id": 2, "email": "b", "score": "2.00"},
    ]


def test_fields_choose_source_columns_and_additional_fields_are_user_added(
    org: Org, pg: str, pg_schema: str
) -> None:
    extra = {"name": "segment", "label": "Segment", "type": "bigint", "example": "7"}
    model = create(
        org,
        people(
            pg, pg_schema, fields=["email", "id"], additional_fields=[extra], identifier="segment"
        ),
    )
    fields = [(f["name"], f["label"], f["type"], f["user_added"]) for f in model["fields"]]
    assert fields == [
        ("id", "id", "number", False),
        ("email", "email", "string", False),
        ("segment", "Segment", "number", True),
    ]
    assert model["fields"][2]["remote_type"] == "bigint"
    assert model["fields"][2]["example"] == "7"
    sample = org.client.get(f"/api/models/{model['id']}/sample", params={"limit": 1}).json()
    assert sample["data"]["records"] == [
        {model["id"]: {"id": 1, "email": "ada@example.com", "segment": None}}
    ]


def test_update_replaces_the_model_and_keeps_surviving_field_ids(
    org: Org, pg: str, pg_schema: str
) -> None:
    model = create(
        org, people(pg, pg_schema, fields=["id", "email", "name"], labels=["a"], identifier="id")
    )
    ids = {f["name"]: f["id"] for f in model["fields"]}
    response = org.client.put(
        f"/api/models/{model['id']}",
        json=people(pg, pg_schema, name="Renamed", fields=["id", "email", "score"]),
    )
    assert response.status_code == 200, response.text
    updated = response.json()["data"]
    new_ids = {f["name"]: f["id"] for f in updated["fields"]}
    assert list(new_ids) == ["id", "email", "score"]
    assert (new_ids["id"], new_ids["email"]) == (ids["id"], ids["email"])
    assert new_ids["score"] not in ids.values()
    assert updated["version"] == 2
    assert updated["name"] == "Renamed"
    assert (updated["labels"], updated["identifier"]) == ([], None)
    assert updated["created_at"] == model["created_at"]
    assert updated["updated_at"] >= model["updated_at"]
    assert org.client.get(f"/api/models/{model['id']}").json()["data"] == updated


def _extra(**field: str) -> dict[str, Any]:
    return {"additional_fields": [field]}


def _relation(source: str) -> dict[str, Any]:
    return {"relations": [{"from": source, "to": {"model_id": "m", "field": "id"}}]}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"fields": ["id", "nope"]}, "fields[1]"),
        ({"fields": ["id", "id"]}, "fields[1]"),
        (_extra(name="email", label="E", type="string"), "additional_fields[0].name"),
        (_extra(name="x", label="X", type="decimal"), "additional_fields[0].type"),
        (_extra(name="x", type="string"), "additional_fields[0].label"),
        ({"identifier": "nope"}, "identifier"),
        ({"tracking_columns": ["id", "nope"]}, "tracking_columns[1]"),
        (_relation("nope"), "relations[0].from"),
        (_relation("id"), "relations[0].to.model_id"),
        ({"enricher": {"connection_id": "c"}}, "enricher"),
        ({"organization_id": "another"}, "organization_id"),
        ({"connection_id": str(uuid.uuid4())}, "connection_id"),
        ({"name": ""}, "name"),
    ],
)
def test_create_refuses_an_invalid_model_naming_the_path(
    org: Org, pg: str, pg_schema: str, change: dict[str, Any], path: str
) -> None:
    response = org.client.post("/api/models", json={**people(pg, pg_schema), **change})
    assert response.status_code == 400, response.text
    assert response.json()["metadata"]["path"] == path
    assert org.client.get("/api/models").json()["data"] == []


def test_relations_point_at_a_field_of_another_model(org: Org, pg: str, pg_schema: str) -> None:
    target = create(org, people(pg, pg_schema, fields=["id"]))
    relation = {"from": "email", "to": {"model_id": target["id"], "field": "id"}}
    model = create(org, people(pg, pg_schema, relations=[relation]))
    assert model["relations"] == [relation]
    wrong = {"from": "email", "to": {"model_id": target["id"], "field": "email"}}
    response = org.client.post("/api/models", json=people(pg, pg_schema, relations=[wrong]))
    assert response.status_code == 400
    assert response.json()["metadata"]["path"] == "relations[0].to.field"


def test_connector_errors_answer_400(org: Org, pg: str, pg_schema: str) -> None:
    # Both SDKs declare 400 and 403 for models.create: a missing table is bad input.
    bad_sql = org.client.post(
        "/api/models",
        json={"name": "Q", "connection_id": pg, "configuration": {"query": "SELEC 1"}},
    )
    assert bad_sql.status_code == 400
    assert "SELEC" in bad_sql.json()["message"]
    missing = org.client.post(
        "/api/models", json=people(pg, pg_schema, configuration={"table": f"{pg_schema}.nope"})
    )
    assert missing.status_code == 400


def test_preview_answers_the_model_and_records_without_saving(
    org: Org, pg: str, pg_schema: str
) -> None:
    response = org.client.post(
        "/api/model-preview", params={"limit": 2}, json=people(pg, pg_schema, fields=["id", "name"])
    )
    assert response.status_code == 200, response.text
    preview = response.json()["data"]
    assert preview["id"] is None
    assert [f["name"] for f in preview["fields"]] == ["id", "name"]
    assert preview["records"] == [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Grace"}]
    assert preview["warnings"] == []
    assert org.client.get("/api/models").json()["data"] == []
    invalid = org.client.post("/api/model-preview", json=people(pg, pg_schema, identifier="x"))
    assert invalid.json()["metadata"]["path"] == "identifier"


def test_sample_converts_values_to_json_and_respects_the_limit(
    org: Org, pg: str, pg_schema: str
) -> None:
    model = create(org, people(pg, pg_schema))
    response = org.client.get(f"/api/models/{model['id']}/sample", params={"limit": 2})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["warnings"] == []
    first, second = (r[model["id"]] for r in data["records"])
    assert first == {
        "id": 1,
        "email": "ada@example.com",
        "name": "Ada",
        "score": "9.50",
        "signed_up": "2024-01-15T09:30:00+00:00",
        "tags": ["a", "b"],
        "photo": base64.b64encode(b"\x01\x02").decode(),
    }
    assert second["tags"] == []
    assert second["photo"] is None


@pytest.mark.parametrize("limit", [0, 1001])
def test_sample_refuses_a_limit_out_of_range(org: Org, pg: str, pg_schema: str, limit: int) -> None:
    model = create(org, people(pg, pg_schema))
    response = org.client.get(f"/api/models/{model['id']}/sample", params={"limit": limit})
    assert response.status_code == 400
    assert "limit" in response.json()["message"]


def test_sample_pushes_the_limit_down_to_the_source(org: Org, pg: str) -> None:
    # Producing ten billion rows takes the server minutes; five rows take no time.
    query = "SELECT generate_series(1, 10000000000) AS i"
    model = create(org, {"name": "Huge", "connection_id": pg, "configuration": {"query": query}})
    started = time.monotonic()
    response = org.client.get(f"/api/models/{model['id']}/sample", params={"limit": 5})
    assert time.monotonic() - started < 5
    assert [r[model["id"]]["i"] for r in response.json()["data"]["records"]] == [1, 2, 3, 4, 5]


def test_a_slow_sample_answers_within_its_budget_with_a_warning(
    org: Org, pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = "SELECT 1 AS a FROM (SELECT pg_sleep(1.5)) AS slow"
    model = create(org, {"name": "Slow", "connection_id": pg, "configuration": {"query": query}})
    monkeypatch.setattr(samples, "SYNC_BUDGET_SECONDS", 0.3)
    started = time.monotonic()
    response = org.client.get(f"/api/models/{model['id']}/sample")
    assert time.monotonic() - started < 1.2
    data = response.json()["data"]
    assert data["records"] == []
    assert "async=true" in data["warnings"][0]


def test_delete_removes_the_model(org: Org, pg: str, pg_schema: str) -> None:
    model = create(org, people(pg, pg_schema))
    response = org.client.delete(f"/api/models/{model['id']}")
    assert response.status_code == 200
    assert response.json() == {"data": {"id": model["id"]}}
    assert org.client.get(f"/api/models/{model['id']}").status_code == 404
    assert org.client.delete(f"/api/models/{model['id']}").status_code == 404


def test_delete_refuses_a_model_that_syncs_read(org: Org, pg: str, pg_schema: str) -> None:
    model = create(org, people(pg, pg_schema))
    store = org.server.app.state.syncline.store
    with store.session() as session:
        for name in ("nightly", "hourly"):
            sync = Sync(organization_id=org.id, name=name, mode="replace", target_connection_id=pg)
            session.add(sync)
            session.flush()
            session.add(SyncModel(sync_id=sync.id, model_id=model["id"]))
    response = org.client.delete(f"/api/models/{model['id']}")
    assert response.status_code == 409
    message = response.json()["message"]
    assert "is used by syncs: hourly (" in message
    assert "nightly (" in message
    assert [s["name"] for s in response.json()["metadata"]["syncs"]] == ["hourly", "nightly"]
    assert org.client.get(f"/api/models/{model['id']}").status_code == 200


def test_another_organization_cannot_see_or_use_a_model(
    org: Org, other_org: Org, pg: str, pg_schema: str, pg_config: dict[str, Any]
) -> None:
    model = create(org, people(pg, pg_schema))
    path = f"/api/models/{model['id']}"
    for run_async in ("false", "true"):
        params = {"async": run_async}
        assert other_org.client.get(path, params=params).status_code == 404
        assert (
            other_org.client.put(path, params=params, json=people(pg, pg_schema)).status_code == 404
        )
        assert other_org.client.get(f"{path}/sample", params=params).status_code == 404
    assert other_org.client.delete(path).status_code == 404
    assert other_org.client.get("/api/models").json()["data"] == []
    theirs = other_org.client.post("/api/models", json=people(pg, pg_schema))
    assert theirs.status_code == 400
    assert theirs.json()["metadata"]["path"] == "connection_id"
    preview = other_org.client.post("/api/model-preview", json=people(pg, pg_schema))
    assert preview.json()["metadata"]["path"] == "connection_id"
    own = connection(other_org, "postgresql", pg_config)
    related = {"from": "id", "to": {"model_id": model["id"], "field": "id"}}
    relation = other_org.client.post(
        "/api/models", json=people(own, pg_schema, relations=[related])
    )
    assert relation.json()["metadata"]["path"] == "relations[0].to.model_id"
    assert org.client.get(path).status_code == 200


def test_the_sdk_drives_every_model_endpoint(org: Org, pg: str, pg_schema: str) -> None:
    sdk = org.sdk()
    table = {"table": f"{pg_schema}.people"}
    created = sdk.models.create(
        name="People",
        connection_id=pg,
        configuration=table,
        fields=["id", "email"],
        additional_fields=[ModelModelFieldRequest(name="tier", label="Tier", type="string")],
        identifier="id",
        labels=["crm"],
    ).data
    assert created is not None
    assert created.id
    assert [f.name for f in created.fields or []] == ["id", "email", "tier"]
    assert created.labels == [{"name": "crm"}]
    assert [m.id for m in sdk.models.list().data or []] == [created.id]
    fetched = sdk.models.get(created.id).data
    assert fetched is not None
    assert fetched.created_at is not None
    related = sdk.models.update(
        created.id,
        name="People",
        connection_id=pg,
        configuration=table,
        relations=[
            ModelRelation(from_="email", to=ModelRelationTo(model_id=created.id, field="id"))
        ],
    ).data
    assert related is not None
    assert related.version == 2
    assert related.relations is not None
    assert related.relations[0].from_ == "email"
    sample = sdk.models.sample(created.id).data
    assert sample is not None
    assert sample.records is not None
    assert sample.records[0][created.id]["email"] == "ada@example.com"
    preview = sdk.models.preview(name="P", connection_id=pg, configuration=table).data
    assert preview is not None
    assert (preview.model_extra or {})["records"][0]["id"] == 1
    sdk.models.delete(created.id)
    with pytest.raises(NotFoundError):
        sdk.models.get(created.id)


def test_the_sdk_sees_a_refused_delete_as_409(org: Org, pg: str, pg_schema: str) -> None:
    model = create(org, people(pg, pg_schema))
    with org.server.app.state.syncline.store.session() as session:
        sync = Sync(organization_id=org.id, name="nightly", mode="replace", target_connection_id=pg)
        session.add(sync)
        session.flush()
        session.add(SyncModel(sync_id=sync.id, model_id=model["id"]))
    with pytest.raises(ApiError) as refused:
        org.sdk().models.delete(model["id"])
    assert refused.value.status_code == 409

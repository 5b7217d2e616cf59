"""The official `polytomic` SDK parses every answer of the foundation endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from polytomic import Polytomic
from polytomic.errors import BadRequestError, NotFoundError, UnauthorizedError

from tests.api.conftest import Org


def test_sdk_reads_identity_and_organization(org: Org) -> None:
    sdk = org.sdk()
    me = sdk.identity.get().data
    assert me is not None
    assert me.organization_id == org.id
    assert me.is_user is True
    current = sdk.organization.get_current().data
    assert current is not None
    assert current.id == org.id
    assert [o.id for o in sdk.organization.list().data or []] == [org.id]
    assert sdk.organization.get(org.id).data is not None


def test_sdk_lists_connection_types_and_schema(org: Org) -> None:
    sdk = org.sdk()
    types = sdk.connections.get_types().data or []
    assert {t.id for t in types} == {"postgresql", "mysql", "sqlite", "files", "webhook", "http"}
    assert all(t.capabilities.logging is False for t in types)
    for type_id in ("postgresql", "mysql", "sqlite", "files", "webhook", "http"):
        schema = sdk.connections.get_connection_type_schema(type_id)
        assert schema.properties is not None


def test_sdk_manages_a_connection(org: Org, pg_config: dict[str, Any]) -> None:
    sdk = org.sdk()
    created = sdk.connections.create(name="pg", type="postgresql", configuration=pg_config).data
    assert created is not None
    assert created.id
    assert created.status == "healthy"
    fetched = sdk.connections.get(created.id).data
    assert fetched is not None
    assert fetched.type is not None
    assert fetched.type.id == "postgresql"
    assert [c.id for c in sdk.connections.list().data or []] == [created.id]
    updated = sdk.connections.update(
        created.id, name="renamed", configuration=dict(fetched.configuration or {})
    ).data
    assert updated is not None
    assert updated.name == "renamed"
    sdk.connections.test_connection(type="postgresql", configuration=pg_config)
    values = sdk.connections.get_parameter_values(created.id).data or {}
    assert "database" in values
    type_values = sdk.connections.get_type_parameter_values(
        "postgresql", field="database", parameters=pg_config
    ).data
    assert type_values is not None
    sdk.connections.delete(created.id)
    with pytest.raises(NotFoundError):
        sdk.connections.get(created.id)


def test_sdk_raises_typed_errors(org: Org, pg_config: dict[str, Any]) -> None:
    sdk = org.sdk()
    with pytest.raises(BadRequestError) as failed:
        sdk.connections.test_connection(
            type="postgresql", configuration={**pg_config, "port": 59999}
        )
    assert "59999" in (failed.value.body.message or "")
    with pytest.raises(NotFoundError):
        sdk.connections.get("00000000-0000-0000-0000-000000000000")
    anonymous = Polytomic(
        base_url="http://testserver",
        token="sl_wrong",
        httpx_client=TestClient(org.server.app),
        max_retries=0,
    )
    with pytest.raises(UnauthorizedError):
        anonymous.identity.get()


def test_sdk_walks_source_and_target_discovery(org: Org, files_dir: Path) -> None:
    sdk = org.sdk()
    created = sdk.connections.create(
        name="files", type="files", configuration={"path": str(files_dir)}
    ).data
    assert created is not None
    assert created.id
    meta = sdk.model_sync.get_source(created.id).data
    assert meta is not None
    assert meta.items is not None
    fields = sdk.model_sync.get_source_fields(created.id, params={"file": ["people.csv"]}).data
    assert [f.name for f in fields or []] == ["id", "name", "score"]
    objects = sdk.model_sync.targets.list(created.id, include_target_creation_values=True)
    assert [o.id for o in objects.data or []] == ["people.csv"]
    assert objects.target_creation is not None
    assert objects.target_creation.supported is True
    target = sdk.model_sync.targets.get_target_fields(created.id, target="people.csv").data
    assert target is not None
    assert [f.id for f in target.fields or []] == ["id", "name", "score"]
    prop = sdk.model_sync.targets.get_create_property(created.id, "format").data
    assert prop is not None
    assert [v.value for v in prop.values or []] == ["csv", "jsonl", "parquet"]

"""The official SDK parses every sync answer, including errors and pages."""

from __future__ import annotations

import pytest
from polytomic.errors import NotFoundError, UnprocessableEntityError

from tests.api.sync_fixtures import SyncSetup


def test_sdk_reads_syncs_pages_and_settings(setup: SyncSetup) -> None:
    ids = [setup.create(name=f"s{i}").json()["data"]["id"] for i in range(3)]
    sdk = setup.org.sdk()
    first = sdk.model_sync.list(limit=2)
    assert first.pagination is not None
    assert first.pagination.next_page_token
    second = sdk.model_sync.list(limit=2, page_token=first.pagination.next_page_token)
    assert {s.id for s in (first.data or []) + (second.data or [])} == set(ids)
    assert second.pagination is None or second.pagination.next_page_token is None
    sync = sdk.model_sync.get(ids[0]).data
    assert sync is not None
    assert sync.identities is not None
    assert sync.identities.mappings[0].function == "Equality"
    handling = sdk.model_sync.error_handling.get(ids[0]).data
    assert handling is not None
    assert handling.subscribers == []
    options = sdk.model_sync.get_schedule_options().data
    assert options is not None
    assert {o.frequency for o in options.schedule_options or []} >= {"manual", "custom"}


def test_sdk_raises_typed_errors_for_syncs(setup: SyncSetup) -> None:
    sdk = setup.org.sdk()
    with pytest.raises(NotFoundError):
        sdk.model_sync.get("00000000-0000-0000-0000-000000000000")
    body = setup.body(mode="replace", identities=None, name="x")
    body["fields"] = [{"source": setup.source("nope"), "target": "email"}]
    with pytest.raises(UnprocessableEntityError) as refused:
        sdk.model_sync.create(**body)
    assert (refused.value.body.metadata or {}).get("path") == "fields[0].source.field"

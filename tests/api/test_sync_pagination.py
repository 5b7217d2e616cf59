"""Paging through `GET /api/syncs`: clamped limits, opaque tokens, a stable snapshot."""

from __future__ import annotations

from typing import Any

from tests.api.sync_fixtures import SyncSetup

PAGED = {"X-Polytomic-Version": "2025-09-18"}
"""The version whose `GET /api/syncs` answers pages of list items."""


def _create_many(setup: SyncSetup, count: int) -> list[dict[str, Any]]:
    created = []
    for index in range(count):
        response = setup.create(name=f"sync {index:03d}")
        assert response.status_code == 200, response.text
        created.append(response.json()["data"])
    return created


def test_paging_while_syncs_change_misses_and_repeats_nothing(setup: SyncSetup) -> None:
    created = _create_many(setup, 120)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 25}
        if token:
            params["page_token"] = token
        page = setup.org.client.get("/api/syncs", params=params, headers=PAGED).json()
        seen.extend(s["id"] for s in page["data"])
        pages += 1
        # Change syncs both behind and ahead of the cursor between pages.
        for sync in (created[pages * 7 % 120], created[(pages * 31 + 5) % 120]):
            body = setup.body(name=f"{sync['name']} (edited {pages})")
            assert setup.org.client.put(f"/api/syncs/{sync['id']}", json=body).status_code == 200
        if pages == 2:
            setup.create(name="born during paging")
        token = page["pagination"]["next_page_token"]
        if not token:
            break
    assert len(seen) == len(set(seen))
    assert set(seen) == {s["id"] for s in created}
    assert pages == 5


def test_listing_is_newest_change_first(setup: SyncSetup) -> None:
    first, second = _create_many(setup, 2)
    listed = [s["id"] for s in setup.org.client.get("/api/syncs", headers=PAGED).json()["data"]]
    assert listed == [second["id"], first["id"]]
    setup.org.client.put(f"/api/syncs/{first['id']}", json=setup.body(name="touched"))
    listed = [s["id"] for s in setup.org.client.get("/api/syncs", headers=PAGED).json()["data"]]
    assert listed == [first["id"], second["id"]]


def test_limit_is_clamped_to_50_and_defaults_when_not_positive(setup: SyncSetup) -> None:
    _create_many(setup, 55)
    for limit, expected in ((0, 50), (-3, 50), (500, 50), (7, 7)):
        page = setup.org.client.get("/api/syncs", params={"limit": limit}, headers=PAGED).json()
        assert len(page["data"]) == expected, limit
        assert page["pagination"]["next_page_token"]


def test_a_forged_page_token_answers_400(setup: SyncSetup) -> None:
    response = setup.org.client.get(
        "/api/syncs", params={"page_token": "not-a-token"}, headers=PAGED
    )
    assert response.status_code == 400
    assert response.json()["metadata"]["path"] == "page_token"

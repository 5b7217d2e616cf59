"""A webhook connection through the REST API: its generated secret, shown once, kept while
its URL stays, and made anew (shown once more) when the URL moves, so a secret is never
sent to a host it was not made for."""

from __future__ import annotations

from typing import Any

from syncline.connectors.base import MASK
from tests.api.conftest import Org
from tests.receivers import Receiver


def _save(
    org: Org, receiver: Receiver, path: str, connection_id: str | None = None, *, keep: bool = False
) -> Any:
    """Create (or update) the webhook at `path`; `keep` sends the header's value masked."""
    body = {
        "name": "hook",
        "type": "webhook",
        "configuration": {
            "url": receiver.url_for(path),
            "secret": "whsec_Y2FsbGVyLWNob3Nlbg==",  # read-only: ignored
            "headers": [{"name": "X-Team", "value": "growth"}],
        },
    }
    if connection_id is None:
        response = org.client.post("/api/connections", json=body)
    else:
        if keep:
            body["configuration"]["headers"] = [{"name": "X-Team", "value": MASK}]
        response = org.client.put(f"/api/connections/{connection_id}", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_the_secret_is_shown_once_kept_in_place_and_made_anew_for_a_new_url(
    org: Org, receiver: Receiver
) -> None:
    created = _save(org, receiver, "/a")
    first = created["configuration"]["secret"]
    assert first.startswith("whsec_")
    assert first != "whsec_Y2FsbGVyLWNob3Nlbg=="
    assert created["configuration"]["headers"] == [{"name": "X-Team", "value": MASK}]

    shown = org.client.get(f"/api/connections/{created['id']}").json()["data"]
    assert shown["configuration"]["secret"] == MASK

    same_place = _save(org, receiver, "/a", created["id"], keep=True)
    assert same_place["configuration"]["secret"] == MASK

    # A masked header may not follow the URL; the generated secret is made anew instead.
    refused = org.client.put(
        f"/api/connections/{created['id']}",
        json={
            "name": "hook",
            "type": "webhook",
            "configuration": {
                "url": receiver.url_for("/b"),
                "headers": [{"name": "X-Team", "value": MASK}],
            },
        },
    )
    assert refused.status_code == 422
    moved = _save(org, receiver, "/b", created["id"])
    second = moved["configuration"]["secret"]
    assert second.startswith("whsec_")
    assert second != first


def test_a_webhook_without_a_url_is_refused_with_its_path(org: Org) -> None:
    response = org.client.post(
        "/api/connections", json={"name": "hook", "type": "webhook", "configuration": {}}
    )
    assert response.status_code == 422
    assert response.json()["metadata"]["path"] == "configuration.url"


def test_an_auth_method_without_its_settings_is_refused(org: Org, receiver: Receiver) -> None:
    response = org.client.post(
        "/api/connections",
        json={
            "name": "hook",
            "type": "webhook",
            "configuration": {"url": receiver.url_for("/a"), "auth_method": "basic"},
        },
    )
    assert response.status_code == 422
    assert "basic" in response.json()["message"]

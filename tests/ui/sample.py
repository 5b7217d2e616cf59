"""A sync to show in the browser: SQLite customers into a CSV file, made through the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from syncline.services.demo import write_customers
from tests.ui.server import UiServer


@dataclass(frozen=True)
class Sample:
    """The ids of what `customers_sync` made."""

    source_id: str
    export_id: str
    model_id: str
    sync_id: str


def customers_sync(server: UiServer, *, count: int, active: bool, fields: Sequence[str]) -> Sample:
    """`count` customers in `<local root>/customers.db`, a files connection on
    `<local root>/export`, a model of the table (identifier `id`) and an updateOrCreate
    sync of `fields` into a new `customers.csv`, identity `id`."""
    source = server.local_root / "customers.db"
    write_customers(source, count)
    export = server.local_root / "export"
    export.mkdir()
    with httpx.Client(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=60,
    ) as api:

        def created(path: str, body: dict[str, Any]) -> str:
            answer = api.post(path, json=body)
            assert answer.status_code == 200, answer.text
            return str(answer.json()["data"]["id"])

        source_id = created(
            "/api/connections",
            {"name": "Customers", "type": "sqlite", "configuration": {"path": str(source)}},
        )
        export_id = created(
            "/api/connections",
            {"name": "Export", "type": "files", "configuration": {"path": str(export)}},
        )
        model_id = created(
            "/api/models",
            {
                "name": "Customers",
                "connection_id": source_id,
                "configuration": {"table": "main.customers"},
                "identifier": "id",
            },
        )
        identity = {"model_id": model_id, "field": "id"}
        sync_id = created(
            "/api/syncs",
            {
                "name": "Customers to CSV",
                "mode": "updateOrCreate",
                "active": active,
                "schedule": {"frequency": "manual"},
                "target": {
                    "connection_id": export_id,
                    "create": {"format": "csv"},
                    "new_name": "customers.csv",
                },
                "fields": [
                    {"source": {"model_id": model_id, "field": f}, "target": f, "new": True}
                    for f in fields
                ],
                "identities": {
                    "mappings": [{"source": identity, "target": "id", "function": "Equality"}]
                },
            },
        )
    return Sample(source_id, export_id, model_id, sync_id)

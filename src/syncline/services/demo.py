"""The demo a first start leaves in place: something a newcomer can run at once.

A SQLite database of sample customers under the data directory, a model
over it, and an active sync writing them into a CSV file beside it.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncline.services.connections import ConnectionInput, ConnectionService
from syncline.services.model_write import ModelWrite
from syncline.services.models import ModelService
from syncline.services.syncs.config import SyncWrite
from syncline.services.syncs.service import SyncService

CUSTOMERS = 1_000
_PLANS = ("free", "starter", "pro", "enterprise")
_COUNTRIES = ("US", "GB", "DE", "FR", "NL", "SE", "JP", "BR", "IN", "CA")


@dataclass(frozen=True)
class Demo:
    """What the demo consists of."""

    sync_id: str
    source_path: Path
    export_dir: Path


def create_demo(connections: ConnectionService) -> Demo:
    """Create the demo database, connections, model and sync for the organization of
    `connections`. The demo's directory, `<data dir>/demo`, is one of the default local
    roots; with other roots configured, it must be among them."""
    demo_dir = (connections.settings.data_dir / "demo").resolve()
    export_dir = demo_dir / "export"
    export_dir.mkdir(parents=True, exist_ok=True)
    source_path = demo_dir / "customers.db"
    write_customers(source_path)

    source = connections.create(
        ConnectionInput(
            name="Demo customers (SQLite)", type="sqlite", configuration={"path": str(source_path)}
        )
    ).connection
    export = connections.create(
        ConnectionInput(
            name="Demo export (files)", type="files", configuration={"path": str(export_dir)}
        )
    ).connection
    model = ModelService(connections).create(
        ModelWrite(
            name="Demo customers",
            connection_id=source.id,
            configuration={"table": "main.customers"},
            identifier="id",
        )
    )
    model_id = model.model.id
    mapped = ("id", "email", "name", "plan", "mrr", "country", "signed_up_at")
    sync = SyncService(connections).create(
        SyncWrite.model_validate(
            {
                "name": "Demo: customers to CSV",
                "mode": "updateOrCreate",
                "active": True,
                "schedule": {"frequency": "manual"},
                "target": {
                    "connection_id": export.id,
                    "create": {"format": "csv"},
                    "new_name": "customers.csv",
                },
                "fields": [
                    {"source": {"model_id": model_id, "field": f}, "target": f, "new": True}
                    for f in mapped
                ],
                "identities": {
                    "mappings": [
                        {
                            "source": {"model_id": model_id, "field": "id"},
                            "target": "id",
                            "function": "Equality",
                        }
                    ]
                },
            }
        )
    )
    return Demo(sync_id=sync.row.id, source_path=source_path, export_dir=export_dir)


def write_customers(path: Path, count: int = CUSTOMERS) -> None:
    """A deterministic table of sample customers (replaced if it exists)."""
    rng = random.Random(7)  # noqa: S311 - sample data, not secrets
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        (
            i,
            f"customer{i}@example.com",
            f"Customer {i}",
            rng.choice(_PLANS),
            round(rng.uniform(0, 5000), 2),
            rng.choice(_COUNTRIES),
            (start + timedelta(minutes=rng.randrange(0, 1_000_000))).isoformat(),
        )
        for i in range(1, count + 1)
    ]
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE IF EXISTS customers")
        conn.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT,"
            " plan TEXT, mrr REAL, country TEXT, signed_up_at TEXT)"
        )
        conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.close()

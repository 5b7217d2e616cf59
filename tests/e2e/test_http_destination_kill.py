"""`syncline serve` killed (SIGKILL) in the middle of a run to a webhook, or to an HTTP
API one record per request: the next run sends only what was not confirmed, with the
same idempotency keys, so a deduplicating receiver holds every record once.

The receiver answers a little slowly, so a run is many requests long; the server
is killed once the receiver has taken part of the records (observed, never
timed), started again on the same data directory, and the sync run again.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import temporary_pg_schema
from tests.e2e.conftest import API_KEY, PATIENCE, serve_process
from tests.e2e.serve_api import ServeApi
from tests.receivers import Receiver, wait_for

pytestmark = pytest.mark.e2e

ROWS = 3000
BATCH = 20
CONCURRENCY = 4


TARGETS = {
    "webhook": (
        lambda url: {"type": "webhook", "configuration": {"url": f"{url}/hook"}},
        {"batch_size": BATCH},
    ),
    "http, one request per record": (
        lambda url: {"type": "http", "configuration": {"base_url": url}},
        {"insert": {"method": "POST", "path": "/people"}},
    ),
}


def _id(record: dict[str, Any]) -> int:
    value: int = record["fields"]["id"] if "fields" in record else record["id"]
    return value


@pytest.mark.parametrize("kind", TARGETS)
def test_a_killed_server_resends_only_unconfirmed_records_with_the_same_keys(
    tmp_path: Path, pg_config: dict[str, Any], kind: str
) -> None:
    connection, target_configuration = TARGETS[kind]
    per_request = BATCH if kind == "webhook" else 1
    rows = ROWS if kind == "webhook" else ROWS // 4
    data_dir = tmp_path / "data"
    env = {"SYNCLINE_API_KEY": API_KEY, "SYNCLINE_DEMO": "false"}
    with (
        Receiver(latency=0.02) as receiver,
        temporary_pg_schema(
            "e2e_hook_kill",
            "CREATE TABLE {schema}.people (id int PRIMARY KEY, email text)",
            f"INSERT INTO {{schema}}.people SELECT i, 'p' || i || '@x' "
            f"FROM generate_series(1, {rows}) i",
        ) as schema,
    ):
        with serve_process(data_dir, **env) as served:
            api = ServeApi(served.url)
            pg = api.create(
                "/api/connections", {"name": "pg", "type": "postgresql", "configuration": pg_config}
            )
            made = connection(receiver.url)
            made["configuration"]["concurrency"] = CONCURRENCY
            hook = api.create("/api/connections", {"name": "hook", **made})
            model = api.create(
                "/api/models",
                {
                    "name": "people",
                    "connection_id": pg["id"],
                    "configuration": {
                        "query": f'SELECT id, email FROM "{schema}".people ORDER BY id'
                    },
                },
            )
            sync = api.create(
                "/api/syncs",
                {
                    "name": "people",
                    "mode": "updateOrCreate",
                    "active": True,
                    "schedule": {"frequency": "manual"},
                    "target": {
                        "connection_id": hook["id"],
                        "object": "http",
                        "configuration": target_configuration,
                    },
                    "fields": [
                        {"source": {"model_id": model["id"], "field": name}, "target": name}
                        for name in ("id", "email")
                    ],
                    "identity": {
                        "source": {"model_id": model["id"], "field": "id"},
                        "target": "id",
                        "function": "Equality",
                    },
                },
            )
            api.start(sync["id"])
            wait_for(lambda: len(receiver.records()) >= rows // 3, PATIENCE)
            served.process.kill()
            served.process.wait()
        sent_before = len(receiver.records(everything=True))
        accepted_before = len(receiver.records())
        assert accepted_before < rows

        with serve_process(data_dir, **env) as served:
            api = ServeApi(served.url)
            execution = api.finished(sync["id"], api.start(sync["id"]))
            assert execution["status"] == "completed", execution

    delivered = Counter(_id(record) for record in receiver.records())
    assert sorted(delivered) == list(range(1, rows + 1))
    assert set(delivered.values()) == {1}
    # The rerun sent again at most the requests in flight at the kill, never what
    # the receiver had confirmed before it; resent requests carried their old keys.
    resent = len(receiver.records(everything=True)) - sent_before - (rows - accepted_before)
    assert 0 <= resent <= CONCURRENCY * per_request
    keys = Counter(request.key for request in receiver.received() if request.method == "POST")
    assert sum(1 for count in keys.values() if count > 1) <= CONCURRENCY

"""A sync that creates its target table may mark its identity `new_field` without
mapping the identity's column: the table is created with that column as its key."""

from __future__ import annotations

from typing import Any

from tests.api.execution_fixtures import Runner, pg, source_rows


def _body(runner: Runner, schema: str) -> dict[str, Any]:
    src = lambda f: {"model_id": runner.model_id, "field": f}  # noqa: E731
    return {
        "name": "people into a new table",
        "mode": "updateOrCreate",
        "active": True,
        "schedule": {"frequency": "manual"},
        "target": {
            "connection_id": runner.connection_id,
            "create": {"schema": schema, "name": "people_new"},
        },
        "fields": [{"source": src(f), "target": f, "new": True} for f in ("email", "score")],
        # The deprecated single identity, as the TypeScript SDK declares it.
        "identity": {
            "source": src("id"),
            "target": "id",
            "function": "Equality",
            "new_field": True,
        },
    }


def test_the_new_table_gets_the_identity_column_as_its_key(runner: Runner, schema: str) -> None:
    created = runner.org.client.post("/api/syncs", json=_body(runner, schema))
    assert created.status_code == 200, created.text
    sync = created.json()["data"]
    assert sync["identity"]["new_field"] is True
    assert sync["identities"]["mappings"][0]["target"] == "id"
    first = runner.run(sync["id"])
    assert first["status"] == "completed", first
    assert first["counts"]["insert"] == 500
    rows = pg(f'SELECT id, email, score FROM "{schema}".people_new ORDER BY id')
    assert rows == [row[:3] for row in source_rows(schema)]
    key = pg(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
        " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        f" WHERE i.indrelid = '\"{schema}\".people_new'::regclass AND i.indisprimary"
    )
    assert key == [("id",)]
    pg(f'UPDATE "{schema}".people SET score = 0 WHERE id = 7')
    second = runner.run(sync["id"])
    assert (second["counts"]["insert"], second["counts"]["update"]) == (0, 1), second
    assert pg(f'SELECT score FROM "{schema}".people_new WHERE id = 7') == [(0,)]

"""The shared sync scenarios run under both executors with identical results.

Each scenario is a sync of one mode from a PostgreSQL source table into a
PostgreSQL target table, and a sequence of steps: change the source (SQL),
run the sync through the API, record the execution's status and counts.
The whole list is played twice, on real processes, each time in a fresh
schema with a fresh metadata store:

- `local`: `syncline serve` with the default local executor (runs inside it);
- `celery`: `syncline serve` handing executions over Redis to two
  `syncline worker --concurrency 2` processes.

For every scenario the final target rows and every run's status and counts
must be the same under both executors, and equal to what the mode promises
where the scenario states it. The steps of all scenarios run side by side,
so executions of different syncs overlap on the workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import temporary_pg_schema
from tests.e2e.cluster import TERMINAL, Cluster, broker_url, pg, running_cluster
from tests.e2e.conftest import PATIENCE

pytestmark = pytest.mark.e2e

Row = tuple[int, str]
EXECUTORS = ("local", "celery")


def _rows(ids: range, version: str = "v1") -> list[Row]:
    return [(i, f"{version}-{i}@x.io") for i in ids]


FIRST = _rows(range(1, 51))
# Ids 1-5 changed, 50 gone, 51 and 52 new.
CHANGES = (
    "UPDATE {src} SET email = 'v2-' || id || '@x.io' WHERE id <= 5",
    "DELETE FROM {src} WHERE id = 50",
    "INSERT INTO {src} VALUES (51, 'v1-51@x.io'), (52, 'v1-52@x.io')",
)
SECOND = sorted([*_rows(range(1, 6), "v2"), *_rows(range(6, 50)), *_rows(range(51, 53))])


@dataclass(frozen=True)
class Scenario:
    """One sync and the runs it goes through.

    `target` is the target table's column list (it may carry constraints);
    `seed` rows are in the target before the first run. Each entry of
    `steps` is the SQL run on the source (`{src}`) before one run.
    `expected_counts` (insert, update, delete, error) per run and
    `expected_rows` (the final target) are checked when given.
    """

    name: str
    mode: str
    steps: tuple[tuple[str, ...], ...]
    target: str = "id bigint PRIMARY KEY, email text"
    seed: tuple[Row, ...] = ()
    source: tuple[Row, ...] = tuple(FIRST)
    identity: bool = True
    fields: tuple[str, ...] = ("id", "email")
    expected_counts: tuple[tuple[int, int, int, int], ...] | None = None
    expected_rows: list[Row] | None = None


SCENARIOS = (
    Scenario(
        "upsert_then_incremental",
        "updateOrCreate",
        steps=((), CHANGES),
        expected_counts=((50, 0, 0, 0), (2, 5, 0, 0)),
        expected_rows=sorted([*SECOND, (50, "v1-50@x.io")]),  # updateOrCreate never deletes
    ),
    Scenario(
        "create",
        "create",
        steps=((), CHANGES),
        expected_counts=((50, 0, 0, 0), (2, 0, 0, 0)),
        expected_rows=sorted([*FIRST, *_rows(range(51, 53))]),
    ),
    Scenario(
        "update",
        "update",
        steps=((),),
        seed=tuple((i, "stale") for i in range(1, 11)),
        fields=("email",),
        expected_counts=((0, 10, 0, 0),),
        expected_rows=FIRST[:10],
    ),
    Scenario(
        "append",
        "append",
        steps=((), CHANGES),
        target="id bigint, email text",
        identity=False,
        expected_counts=((50, 0, 0, 0), (7, 0, 0, 0)),  # 5 changed and 2 new rows appended
        expected_rows=sorted([*FIRST, *_rows(range(1, 6), "v2"), *_rows(range(51, 53))]),
    ),
    Scenario(
        "replace",
        "replace",
        steps=((), CHANGES),
        seed=((999, "old"),),
        identity=False,
        expected_rows=SECOND,
    ),
    Scenario(
        "remove",
        "remove",
        steps=((),),
        source=tuple(FIRST[:2]),
        seed=((1, "t1"), (2, "t2"), (3, "t3"), (100, "t100")),
        expected_counts=((0, 0, 2, 0),),
        expected_rows=[(3, "t3"), (100, "t100")],
    ),
    Scenario(
        "a_bad_record_is_rejected_then_retried",
        "updateOrCreate",
        steps=((), ("UPDATE {src} SET email = 'fixed-13@x.io' WHERE id = 13",)),
        target="id bigint PRIMARY KEY, email text CHECK (email <> 'v1-13@x.io')",
        expected_counts=((49, 0, 0, 1), (1, 0, 0, 0)),
        expected_rows=sorted([*FIRST[:12], (13, "fixed-13@x.io"), *FIRST[13:]]),
    ),
)


@dataclass
class Outcome:
    """What one scenario gave under one executor."""

    runs: list[dict[str, Any]] = field(default_factory=list)  # status and counts of each run
    rows: list[tuple[Any, ...]] = field(default_factory=list)  # the final target


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory, pg_config: dict[str, Any]
) -> dict[str, dict[str, Outcome]]:
    """Every scenario's outcome, by executor then scenario name."""
    return {
        executor: _play(executor, tmp_path_factory.mktemp(executor), pg_config)
        for executor in EXECUTORS
    }


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_a_scenario_ends_the_same_under_both_executors(
    scenario: Scenario, outcomes: dict[str, dict[str, Outcome]]
) -> None:
    local, celery = (outcomes[executor][scenario.name] for executor in EXECUTORS)
    assert [run["status"] for run in local.runs] == ["completed"] * len(scenario.steps), local
    assert celery.runs == local.runs
    assert celery.rows == local.rows
    if scenario.expected_counts is not None:
        kinds = ("insert", "update", "delete", "error")
        counts = [tuple(run["counts"][kind] for kind in kinds) for run in local.runs]
        assert counts == list(scenario.expected_counts)
    if scenario.expected_rows is not None:
        assert local.rows == scenario.expected_rows


def _play(executor: str, data_dir: Path, pg_config: dict[str, Any]) -> dict[str, Outcome]:
    """Play every scenario on a fresh cluster running `executor`; the outcomes by name."""
    setup = [statement for scenario in SCENARIOS for statement in _tables(scenario)]
    celery = executor == "celery"
    with (
        temporary_pg_schema(f"e2e_agree_{executor}", *setup) as schema,
        running_cluster(
            data_dir,
            schema=schema,
            pg_config=pg_config,
            broker=broker_url("redis") if celery else None,
            schedulers=0,
            workers=2 if celery else 0,
            env={"SYNCLINE_BATCH_SIZE": "16"},
        ) as cluster,
    ):
        syncs = {scenario.name: _sync(cluster, scenario) for scenario in SCENARIOS}
        outcomes = {scenario.name: Outcome() for scenario in SCENARIOS}
        for step in range(max(len(scenario.steps) for scenario in SCENARIOS)):
            started: dict[str, str] = {}
            for scenario in SCENARIOS:
                if step < len(scenario.steps):
                    for statement in scenario.steps[step]:
                        pg(statement.format(src=f"{schema}.{scenario.name}_src"))
                    started[scenario.name] = cluster.start(syncs[scenario.name])
            for name, execution_id in started.items():
                ended = _wait(cluster, syncs[name], execution_id)
                outcomes[name].runs.append({"status": ended["status"], "counts": ended["counts"]})
        for scenario in SCENARIOS:
            outcomes[scenario.name].rows = pg(
                f"SELECT id, email FROM {schema}.{scenario.name}_dst ORDER BY id, email"
            )
        if celery:  # the runs happened on the workers, not inside `serve`
            runs = sum(len(scenario.steps) for scenario in SCENARIOS)
            logs = "".join(cluster.log(f"worker-{n}").read_text() for n in range(2))
            assert logs.count(" succeeded in ") == runs, logs
    return outcomes


def _tables(scenario: Scenario) -> list[str]:
    """Create and fill the scenario's source and target tables in `{schema}`."""
    src, dst = f"{{schema}}.{scenario.name}_src", f"{{schema}}.{scenario.name}_dst"
    statements = [
        f"CREATE TABLE {src} (id bigint PRIMARY KEY, email text)",
        f"CREATE TABLE {dst} ({scenario.target})",
    ]
    for table, rows in ((src, scenario.source), (dst, scenario.seed)):
        if rows:
            values = ", ".join(f"({i}, '{email}')" for i, email in rows)
            statements.append(f"INSERT INTO {table} VALUES {values}")
    return statements


def _sync(cluster: Cluster, scenario: Scenario) -> str:
    """The scenario's active manual sync (with its model); its id."""
    model_id = cluster.model(scenario.name, {"table": f"{cluster.schema}.{scenario.name}_src"})
    src = lambda f: {"model_id": model_id, "field": f}  # noqa: E731
    identities = {"mappings": [{"source": src("id"), "target": "id", "function": "Equality"}]}
    created = cluster.call(
        "POST",
        "/api/syncs",
        {
            "name": scenario.name,
            "mode": scenario.mode,
            "active": True,
            "schedule": {"frequency": "manual"},
            "target": {
                "connection_id": cluster.connection_id,
                "object": f"{cluster.schema}.{scenario.name}_dst",
            },
            "fields": [{"source": src(f), "target": f} for f in scenario.fields],
            "identities": identities if scenario.identity else None,
        },
    )
    sync_id: str = created["id"]
    return sync_id


def _wait(cluster: Cluster, sync_id: str, execution_id: str) -> dict[str, Any]:
    """The execution once it has ended; fails after 60 s."""
    ended = cluster.wait(sync_id, execution_id, TERMINAL, timeout=PATIENCE)
    assert ended["status"] in TERMINAL, ended
    return ended

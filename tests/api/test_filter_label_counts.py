"""Model filters of any size run: generated labels pass over the operator words.

Unlabelled conditions are labelled A, B, ..., Z, AA, ...; the 408th label of
that sequence is OR and the 1,044th AND, which filter logic reads as
operators. Each sync here filters the 500 `people` rows with many conditions
that hold for every row and, last, one that keeps ids 1-10, and is run on
PostgreSQL (which takes the filter into its query).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from syncline.store.syncs import SyncRepository
from tests.api.execution_fixtures import Runner, copy_rows, source_rows

# What these tests check is decided before the metadata store (validation against the
# model and the target), so they run on one metadata backend.
pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


def _conditions(runner: Runner, count: int) -> list[dict[str, Any]]:
    source = {"model_id": runner.model_id, "field": "id"}
    always = [{"source": source, "function": "GreaterThan", "value": -i} for i in range(count - 1)]
    return [*always, {"source": source, "function": "LessThanEqual", "value": 10}]


@pytest.mark.parametrize("count", [407, 408, 1043, 1044, 3000])
def test_a_sync_with_many_unlabelled_model_filters_runs(runner: Runner, count: int) -> None:
    sync_id = runner.sync(model_filters={"conditions": _conditions(runner, count)})
    stored = runner.org.client.get(f"/api/syncs/{sync_id}").json()["data"]["model_filters"]
    labels = [c["label"] for c in stored["conditions"]]
    assert len(set(labels)) == count
    assert not {"OR", "AND"} & set(labels)

    execution = runner.run(sync_id)

    assert execution["status"] == "completed", execution["errors"]
    assert copy_rows(runner.schema) == source_rows(runner.schema)[:10]


def test_a_sync_stored_with_an_operator_word_as_label_still_runs(runner: Runner) -> None:
    sync_id = runner.sync(model_filters={"conditions": _conditions(runner, 408)})
    store = runner.org.server.app.state.syncline.store
    with store.session() as session:
        sync = SyncRepository(session, runner.org.id).get(sync_id)
        config = copy.deepcopy(sync.config)
        # As labelled before labels passed over the operator words.
        config["model_filters"]["conditions"][407]["label"] = "OR"
        sync.config = config

    execution = runner.run(sync_id)

    assert execution["status"] == "completed", execution["errors"]
    assert copy_rows(runner.schema) == source_rows(runner.schema)[:10]

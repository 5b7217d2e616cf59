"""Every sync mode: the first run, then runs after the model gained, changed and lost records."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from syncline.connectors.vocabulary import SyncMode
from tests.engine.memory import MemorySource, MemoryTarget
from tests.engine.support import (
    PEOPLE,
    STARTED,
    by_id,
    counts,
    key_numbers,
    make_spec,
    people,
    person,
    state_of,
    sync,
    target_row,
)


def changed_model() -> list[dict[str, object]]:
    """People 1..3 after: 2 renamed, 3 removed, 4 added."""
    return [person(1), person(2, "renamed"), person(4)]


def test_update_or_create_inserts_then_sends_only_new_and_changed(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    source, target = MemorySource(PEOPLE, people(1, 2, 3)), MemoryTarget()
    assert sync(spec, source, target)[0] == counts(total=3, insert=3)
    source.rows = changed_model()
    assert sync(spec, source, target)[0] == counts(total=2, insert=1, update=1)
    assert by_id(target.rows) == [
        target_row(1),
        target_row(2, "renamed"),
        target_row(3),
        target_row(4),
    ]
    assert sync(spec, source, target)[0] == counts()
    assert target.sent[-2:] == [target_row(2, "renamed"), target_row(4)]


def test_create_inserts_new_records_and_leaves_existing_ones_alone(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, SyncMode.CREATE)
    source, target = MemorySource(PEOPLE, people(1, 2, 3)), MemoryTarget()
    assert sync(spec, source, target)[0] == counts(total=3, insert=3)
    source.rows = changed_model()
    assert sync(spec, source, target)[0] == counts(total=2, insert=1)
    assert by_id(target.rows) == [target_row(1), target_row(2), target_row(3), target_row(4)]


def test_create_does_not_resend_a_skipped_record(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, SyncMode.CREATE)
    source, target = MemorySource(PEOPLE, people(1)), MemoryTarget(rows=[target_row(1, "old")])
    assert sync(spec, source, target)[0] == counts(total=1)
    assert sync(spec, source, target)[0] == counts()
    assert len(target.batches) == 1


def test_update_updates_matches_and_warns_about_missing_records_every_run(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, SyncMode.UPDATE)
    target = MemoryTarget(rows=[target_row(1, "old"), target_row(2, "old")])
    source = MemorySource(PEOPLE, people(1, 2, 3))
    result, hooks = sync(spec, source, target)
    assert result == counts(total=3, update=2, warnings=1)
    assert hooks.kinds("warnings") == ["3"]
    assert target.rows == [target_row(1), target_row(2)]
    assert sync(spec, source, target)[0] == counts(total=1, warnings=1)
    target.rows.append(target_row(3, "old"))
    assert sync(spec, source, target)[0] == counts(total=1, update=1)
    assert target.rows[-1] == target_row(3)
    assert sync(spec, source, target)[0] == counts()


def test_update_skips_records_the_target_filter_excludes(tmp_path: Path) -> None:
    from syncline.connectors.vocabulary import FilterFunction
    from syncline.connectors.writing import TargetCondition, TargetFilter

    only_ann = TargetFilter({"A": TargetCondition("name", FilterFunction.EQUALITY, "ann")})
    spec = make_spec(tmp_path, SyncMode.UPDATE, target_filter=only_ann)
    target = MemoryTarget(rows=[target_row(1, "ann"), target_row(2, "bob")])
    source = MemorySource(PEOPLE, [person(1, "ann", 40), person(2, "bob", 40)])
    assert sync(spec, source, target)[0] == counts(total=2, update=1)
    assert target.rows == [target_row(1, "ann", 40), target_row(2, "bob")]
    assert target.plans[0].target_filter == only_ann


def test_append_appends_new_and_changed_records(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, SyncMode.APPEND)
    source, target = MemorySource(PEOPLE, people(1, 2, 3)), MemoryTarget()
    assert sync(spec, source, target)[0] == counts(total=3, insert=3)
    source.rows = changed_model()
    assert sync(spec, source, target)[0] == counts(total=2, insert=2)
    assert target.rows == [
        target_row(1),
        target_row(2),
        target_row(3),
        target_row(2, "renamed"),
        target_row(4),
    ]


def test_append_without_identity_keys_records_by_content(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, SyncMode.APPEND, identity=False)
    source, target = MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    assert sync(spec, source, target)[0] == counts(total=2, insert=2)
    source.rows = [person(1), person(2, "renamed")]
    result, hooks = sync(spec, source, target)
    assert result == counts(total=1, insert=1)
    assert hooks.kinds("inserts") == [None]
    assert target.rows[-1] == target_row(2, "renamed")
    assert target.plans[-1].identity == ()


def test_remove_deletes_records_that_appear_in_the_model(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, SyncMode.REMOVE)
    target = MemoryTarget(rows=[target_row(n) for n in range(1, 6)])
    source = MemorySource(PEOPLE, people(2, 3))
    assert sync(spec, source, target)[0] == counts(total=2, delete=2)
    assert target.rows == [target_row(1), target_row(4), target_row(5)]
    assert sync(spec, source, target)[0] == counts()
    source.rows = people(2, 3, 4, 9)
    result, hooks = sync(spec, source, target)
    assert result == counts(total=2, delete=1, warnings=1)
    assert hooks.kinds("deletes") == ["4"]
    assert hooks.kinds("warnings") == ["9"]
    assert target.rows == [target_row(1), target_row(5)]
    assert sync(spec, source, target)[0] == counts(total=1, warnings=1)


def test_replace_leaves_the_target_holding_exactly_the_model(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, SyncMode.REPLACE)
    source, target = MemorySource(PEOPLE, people(1, 2, 3)), MemoryTarget(rows=[target_row(7)])
    assert sync(spec, source, target)[0] == counts(total=3, insert=3)
    assert target.rows == [target_row(1), target_row(2), target_row(3)]
    source.rows = changed_model()
    assert sync(spec, source, target)[0] == counts(total=3, insert=3)
    assert target.rows == [target_row(1), target_row(2, "renamed"), target_row(4)]
    assert target.finished == 2


def test_snapshot_appends_the_whole_model_stamped_with_the_run_time(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, SyncMode.SNAPSHOT)
    source, target = MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    assert sync(spec, source, target)[0] == counts(total=2, insert=2)
    later = STARTED + timedelta(days=1)
    assert sync(replace(spec, started_at=later), source, target)[0] == counts(total=2, insert=2)
    column = spec.snapshot_column
    assert [(row["id"], row[column]) for row in target.rows] == [
        (1, STARTED),
        (2, STARTED),
        (1, later),
        (2, later),
    ]


def test_record_that_leaves_the_model_and_returns_is_sent_again(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    source, target = MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    sync(spec, source, target)
    source.rows = people(1)
    assert sync(spec, source, target)[0] == counts()
    assert set(state_of(tmp_path)) == key_numbers("1")
    source.rows = people(1, 2)
    assert sync(spec, source, target)[0] == counts(total=1, update=1)


def test_create_only_column_is_written_on_insert_and_only_fills_empty_values(
    tmp_path: Path,
) -> None:
    from syncline.engine.spec import FieldMapping

    mappings = (
        FieldMapping("id", source="id"),
        FieldMapping("name", source="name", create_only=True),
        FieldMapping("age", source="age"),
    )
    spec = make_spec(tmp_path, mappings=mappings)
    source, target = MemorySource(PEOPLE, people(1)), MemoryTarget()
    sync(spec, source, target)
    source.rows = [person(1, "renamed", 50)]
    assert sync(spec, source, target)[0] == counts(total=1, update=1)
    assert target.rows == [target_row(1, "p1", 50)]
    assert target.plans[0].columns[1].create_only

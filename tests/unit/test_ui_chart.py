"""The run-history chart: one bar per run, stacked by kind, oldest on the left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncline.store.tables import Execution
from syncline.ui import chart


def _execution(number: int, **counts: int) -> Execution:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=number)
    return Execution(
        id=f"run-{number}",
        sync_id="sync<1>",
        status="completed",
        counts=counts,
        created_at=start,
        started_at=start,
        completed_at=start + timedelta(seconds=number + 1),
    )


def test_runs_go_oldest_first_with_their_counts_and_seconds() -> None:
    runs = chart.runs_of([_execution(2, insert=5), _execution(1, update=3, error=1)])
    assert [run.id for run in runs] == ["run-1", "run-2"]
    assert runs[0].counts == {"insert": 0, "update": 3, "delete": 0, "error": 1}
    assert runs[1].seconds == 3.0


def test_each_run_is_one_group_stacked_by_kind_with_its_figures_in_the_title() -> None:
    svg = str(chart.svg(chart.runs_of([_execution(1, insert=10, update=5), _execution(2)])))
    assert svg.count("<g data-run=") == 2
    assert svg.count('class="insert"') == 1
    assert svg.count('class="update"') == 1
    assert svg.count('class="none"') == 1  # a run that wrote nothing still shows
    assert "10 inserts, 5 updates, 0 deletes, 0 errors; 2.0 s" in svg
    assert "15 records" in svg


def test_text_in_the_chart_is_escaped() -> None:
    execution = _execution(1, insert=1)
    execution.id = '"><script>'
    svg = str(chart.svg(chart.runs_of([execution])))
    assert "<script>" not in svg
    assert "&#34;&gt;&lt;script&gt;" in svg


def test_no_runs_draw_nothing() -> None:
    assert str(chart.svg([])) == ""

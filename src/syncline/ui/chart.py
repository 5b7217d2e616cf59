"""The run-history chart: records per run (stacked by kind) and each run's duration.

Drawn on the server as SVG, so it needs no script and no charting library.
Runs go oldest to newest, left to right. Each bar carries a `<title>` (a
tooltip); the chart is one image to assistive technology, so its bars hold
no links: the table under it lists the same runs, each a link to its page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from syncline.store.tables import Execution

KINDS = (("insert", "inserts"), ("update", "updates"), ("delete", "deletes"), ("error", "errors"))
WIDTH, HEIGHT, GAP = 1000, 140, 2
DURATION_HEIGHT = 40
TOP = 18
"""Room above the bars for the scale's label."""
MIN_SLOTS = 25
"""Bars keep the width of one run in 25 while there are fewer runs."""


@dataclass(frozen=True)
class Run:
    """One bar of the chart."""

    id: str
    sync_id: str
    status: str
    label: str
    counts: dict[str, int]
    seconds: float | None


def runs_of(executions: Sequence[Execution]) -> list[Run]:
    """The chart's bars for `executions` (any order), oldest first."""
    ordered = sorted(executions, key=lambda e: (e.created_at, e.id))
    runs = []
    for execution in ordered:
        counts = {kind: int(execution.counts.get(kind) or 0) for kind, _ in KINDS}
        seconds = None
        if execution.started_at is not None and execution.completed_at is not None:
            seconds = max(0.0, (execution.completed_at - execution.started_at).total_seconds())
        runs.append(
            Run(
                id=execution.id,
                sync_id=execution.sync_id,
                status=execution.status,
                label=execution.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                counts=counts,
                seconds=seconds,
            )
        )
    return runs


def svg(runs: Sequence[Run]) -> Markup:
    """Two aligned charts: records per run by kind, and duration per run."""
    if not runs:
        return Markup("")
    slot = WIDTH / max(len(runs), MIN_SLOTS)
    bar = max(1.0, slot - GAP)
    most = max(1, *(sum(run.counts.values()) for run in runs))
    longest = max([1.0, *(run.seconds or 0.0 for run in runs)])
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {TOP + HEIGHT + DURATION_HEIGHT + 20}" '
        'role="img" aria-labelledby="chart-title">',
        f'<title id="chart-title">Records written per run by kind, and duration per run, '
        f"for the last {len(runs)} runs</title>",
        f'<text class="scale" x="0" y="12">{most:,} records</text>',
        f'<text class="scale" x="0" y="{TOP + HEIGHT + 14}">{longest:.1f} s</text>',
    ]
    for index, run in enumerate(runs):
        x = index * slot
        y = float(TOP + HEIGHT)
        total = sum(run.counts.values())
        tip = (
            f"{run.label}: {run.status}; "
            + ", ".join(f"{run.counts[kind]:,} {name}" for kind, name in KINDS)
            + (f"; {run.seconds:.1f} s" if run.seconds is not None else "")
        )
        parts.append(f'<g data-run="{escape(run.id)}"><title>{escape(tip)}</title>')
        if total == 0:
            parts.append(
                f'<rect class="none" x="{x:.1f}" y="{TOP + HEIGHT - 2}" width="{bar:.1f}" '
                'height="2"/>'
            )
        for kind, _ in KINDS:
            height = HEIGHT * run.counts[kind] / most
            if height <= 0:
                continue
            y -= height
            parts.append(
                f'<rect class="{kind}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{bar:.1f}" height="{height:.1f}"/>'
            )
        if run.seconds is not None:
            height = max(1.0, DURATION_HEIGHT * run.seconds / longest)
            top = TOP + HEIGHT + 20 + DURATION_HEIGHT - height
            parts.append(
                f'<rect class="duration" x="{x:.1f}" y="{top:.1f}" '
                f'width="{bar:.1f}" height="{height:.1f}"/>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    # Every text put into `parts` went through `escape`; the rest are numbers.
    return Markup("".join(parts))  # noqa: S704

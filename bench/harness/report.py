"""The machine description and the Markdown report (medians, ratios, every raw run)."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from harness.common import RESULTS_DIR, CaseResult, Measurement, git
from harness.data import mysql_connect, pg_connect

PHASES = {
    "full": "first full run",
    "change_a": "1% changed",
    "tracking_setup": "tracking column on, nothing changed (setup)",
    "change_b": "1% changed again, tracking column `updated_at`",
}
"""The cases of one target, in order, and how the table names them."""

COPY_PIPE = "psql binary COPY pipe"
LOAD_PIPE = "psql CSV → LOAD DATA LOCAL pipe"
BASELINE_GROUP = "baselines"


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _versions() -> tuple[str, str]:
    try:
        with pg_connect() as conn:
            row = conn.execute("SELECT version()").fetchone()
            pg = str(row[0]) if row else "?"
    except Exception as exc:  # noqa: BLE001 - a description, never a reason to stop
        pg = f"unknown ({exc})"
    try:
        with mysql_connect() as mysql, mysql.cursor() as cursor:
            cursor.execute("SELECT VERSION()")
            found = cursor.fetchone()
            maria = str(found[0]) if found else "?"
    except Exception as exc:  # noqa: BLE001
        maria = f"unknown ({exc})"
    return pg, maria


def machine() -> list[tuple[str, str]]:
    """What the numbers were measured on, as (name, value) pairs."""
    cpuinfo = _read("/proc/cpuinfo")
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "?",
    )
    mem_kb = next(
        (int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
         if line.startswith("MemTotal:")),
        0,
    )  # fmt: skip
    commit = git("rev-parse", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "src")
    pg, maria = _versions()
    return [
        ("CPU", model),
        ("cores (logical, usable)", f"{os.cpu_count()}, {len(os.sched_getaffinity(0))}"),
        ("RAM", f"{mem_kb / 1024 / 1024:.1f} GiB"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("PostgreSQL", pg),
        ("MariaDB", maria),
        ("Syncline commit", commit + (" + uncommitted changes in src/" if dirty else "")),
        ("load average at start", " ".join(_read("/proc/loadavg").split()[:3])),
    ]


@dataclass
class Report:
    """Everything one benchmark run found."""

    rows: int
    repeat: int
    command: str
    machine: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)
    cases: dict[tuple[str, str, str], CaseResult] = field(default_factory=dict)

    def case(self, group: str, tool: str, phase: str) -> CaseResult:
        """The result holder of one case, created on first use."""
        key = (group, tool, phase)
        if key not in self.cases:
            self.cases[key] = CaseResult(group, tool, PHASES[phase], phase)
        return self.cases[key]

    def failures(self) -> list[str]:
        """Every failure, prefixed with its case."""
        return [
            f"{c.group} / {c.tool} / {c.case}: {failure}"
            for c in self.cases.values()
            for failure in c.failures
        ]

    def groups(self) -> list[str]:
        """The target groups (not the baselines), in the order they ran."""
        seen: list[str] = []
        for group, _, _ in self.cases:
            if group != BASELINE_GROUP and group not in seen:
                seen.append(group)
        return seen

    def markdown(self) -> str:
        """The whole report."""
        changed = self.rows // 100
        out = [
            f"# Model sync benchmark: {self.rows:,} rows",
            "",
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. `{self.command}`",
            "",
            f"Every figure is the median of {self.repeat} run(s). The goal ratio divides a "
            "median by the median of the whole-table pipe measured in the same sitting: a "
            "re-run that finds 1% changed should cost less than copying the table once. The "
            "phase ratio divides by the pipe of the same phase (the changed rows only, for "
            "an incremental run). "
            f"rows/s counts the rows the case had to move: {self.rows:,} for a full run, "
            f"about {changed:,} for a 1% change. Peak RSS is that of the `syncline serve` "
            "process during the run (VmHWM, reset before each run), of the dlt or sling process, "
            "or none for the pipes.",
            "",
            "| machine | |",
            "|---|---|",
            *(f"| {name} | {value} |" for name, value in self.machine),
            "",
        ]
        for group in self.groups():
            out += self._table(group)
        if self.notes:
            out += ["## Notes", "", *(f"- {note}" for note in self.notes), ""]
        failures = self.failures()
        if failures:
            out += ["## Failures", "", *(f"- {f}" for f in failures), ""]
        out += self._raw()
        return "\n".join(out)

    def _baseline(self, tool: str, phase: str) -> float | None:
        found = self.cases.get((BASELINE_GROUP, tool, phase))
        return found.median_seconds() if found else None

    def _table(self, group: str) -> list[str]:
        mariadb = "MariaDB" in group
        head = (
            "| case | tool | wall s | rows/s | peak RSS MB | goal ratio (whole-table COPY pipe) "
            "| phase ratio (COPY pipe) |"
        )
        rule = "|---|---|---:|---:|---:|---:|---:|"
        if mariadb:
            head += " goal ratio (whole-table LOAD DATA pipe) |"
            rule += "---:|"
        out = [f"## {group}", "", head + " details |", rule + "---|"]
        for phase, label in PHASES.items():
            rows: list[CaseResult] = []
            copy = self.cases.get((BASELINE_GROUP, COPY_PIPE, phase))
            if copy is not None:
                rows.append(copy)
            load = self.cases.get((BASELINE_GROUP, LOAD_PIPE, phase))
            if mariadb and load is not None:
                rows.append(load)
            rows += [c for (g, _, p), c in self.cases.items() if g == group and p == phase]
            for case in rows:
                out.append(self._line(label, case, mariadb))
        return [*out, ""]

    def _line(self, label: str, case: CaseResult, mariadb: bool) -> str:
        seconds = case.median_seconds()
        cells = [label, case.tool]
        if seconds is None:
            cells += ["FAILED", "", "", "", ""] + ([""] if mariadb else [])
            cells.append(case.failures[0].splitlines()[0][:200] if case.failures else "")
            return "| " + " | ".join(cells) + " |"
        moved = case.runs[0].rows
        rss = case.median_rss()
        cells += [
            f"{seconds:.2f}",
            f"{moved / seconds:,.0f}" if moved else "-",
            f"{rss:,.0f}" if rss is not None else "-",
            _ratio(seconds, self._baseline(COPY_PIPE, "full")),
            _ratio(seconds, self._baseline(COPY_PIPE, case.phase)),
        ]
        if mariadb:
            cells.append(_ratio(seconds, self._baseline(LOAD_PIPE, "full")))
        detail = case.runs[-1].detail
        if case.failures:
            detail += f" ({len(case.failures)} failed run(s))"
        cells.append(detail)
        return "| " + " | ".join(cells) + " |"

    def _raw(self) -> list[str]:
        out = [
            "## Every run",
            "",
            "| target | tool | case | wall s per repeat | peak RSS MB per repeat |",
            "|---|---|---|---|---|",
        ]
        for case in self.cases.values():
            out.append(
                f"| {case.group} | {case.tool} | {case.case} | {_each(case.runs, 'seconds')} "
                f"| {_each(case.runs, 'peak_rss_mb')} |"
            )
        return [*out, ""]

    def write(self) -> Path:
        """Write the report to bench/results/<date>-<rows>.md (never over an earlier one)."""
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stem = f"{datetime.now(UTC):%Y-%m-%d}-{self.rows}"
        path = RESULTS_DIR / f"{stem}.md"
        number = 2
        while path.exists():
            path = RESULTS_DIR / f"{stem}-{number}.md"
            number += 1
        temporary = path.with_suffix(".md.tmp")
        temporary.write_text(self.markdown())
        temporary.replace(path)
        return path


def _ratio(seconds: float, baseline: float | None) -> str:
    return f"{seconds / baseline:.1f}" if baseline else "-"


def _each(runs: Sequence[Measurement], attribute: str) -> str:
    values = [getattr(run, attribute) for run in runs]
    return ", ".join("-" if v is None else f"{v:.2f}" for v in values) or "-"

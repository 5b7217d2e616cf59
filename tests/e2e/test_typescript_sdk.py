"""`syncline serve` driven by the official TypeScript SDK (npm `polytomic`, pinned in
tests/e2e/ts/package-lock.json) through tests/e2e/ts/flow.js, on Node."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from syncline.api.sdk_statuses import DECLARED
from tests.conftest import PG_DSN, temporary_pg_schema
from tests.e2e.conftest import API_KEY, serving
from tests.sdk_calls import normalized, typescript_sdk_calls

pytestmark = pytest.mark.e2e

FLOW_DIR = Path(__file__).parent / "ts"
STAMP = FLOW_DIR / "node_modules" / ".syncline-lock-sha256"


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """The flow's packages, installed by `npm ci` from the lockfile when it changed."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: ./scripts/test.sh installs Node and npm "
            "(Debian's nodejs and npm packages) when it runs as root with apt-get"
        )
    digest = hashlib.sha256((FLOW_DIR / "package-lock.json").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        installed = subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=FLOW_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert installed.returncode == 0, installed.stdout + installed.stderr
        STAMP.write_text(digest)
    return FLOW_DIR / "node_modules"


@pytest.fixture(scope="module")
def people() -> Iterator[str]:
    """A schema whose `people` table is the flow's source."""
    with temporary_pg_schema(
        "ts",
        "CREATE TABLE {schema}.people (id bigint PRIMARY KEY, email text NOT NULL,"
        " score numeric(10,2))",
        "INSERT INTO {schema}.people SELECT i, 'p' || i || '@example.com', i * 1.25"
        " FROM generate_series(1, 300) i",
    ) as schema:
        yield schema


def _rows(schema: str, table: str, columns: str = "id, email, score") -> list[tuple[Any, ...]]:
    with psycopg.connect(PG_DSN) as conn:
        return conn.execute(f'SELECT {columns} FROM "{schema}".{table} ORDER BY id').fetchall()


def test_the_typescript_sdk_flow(
    node_modules: Path,
    people: str,
    pg_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    lock = secrets.randbelow(2**31)
    roots = tmp_path / "local"
    roots.mkdir()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    output: list[str] = []
    with psycopg.connect(PG_DSN, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock,))
        try:
            with serving(
                data_dir,
                SYNCLINE_API_KEY=API_KEY,
                SYNCLINE_DEMO="false",
                SYNCLINE_WORKERS="1",
                SYNCLINE_LOCAL_ROOTS=str(roots),
            ) as (url, _log):
                env = {
                    **os.environ,
                    "SYNCLINE_URL": url,
                    "SYNCLINE_API_KEY": API_KEY,
                    "FLOW_PG": json.dumps(pg_config),
                    "FLOW_SCHEMA": people,
                    "FLOW_LOCK": str(lock),
                }
                flow = subprocess.Popen(
                    ["node", "flow.js"],
                    cwd=FLOW_DIR,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                assert flow.stdout is not None
                for line in flow.stdout:
                    output.append(line.rstrip("\n"))
                    if line.startswith("waiting for the lock"):
                        holder.execute("SELECT pg_advisory_unlock(%s)", (lock,))
                assert flow.wait(timeout=60) == 0, "\n".join(output)
        finally:
            holder.execute("SELECT pg_advisory_unlock_all()")
    print("\n".join(output))
    assert output[-1] == "flow: ok", output
    steps = [line.split(" (")[0] for line in output if line.startswith("ok ")]
    assert steps == [
        "ok connections.getTypes",
        "ok connections.create",
        "ok modelSync.getSource",
        "ok modelSync.getSourceFields",
        "ok models.create",
        "ok models.create on a missing table",
        "ok modelSync.targets.getTarget",
        "ok modelSync.create",
        "ok modelSync.start + executions.get",
        "ok target table contents",
        "ok modelSync.list",
        "ok executions.update to completed refused",
        "ok executions.update to canceled",
    ]
    assert _rows(people, "people_copy") == _rows(people, "people")
    assert _rows(people, "people_gated", "id, email") == _rows(people, "people", "id, email")


def test_the_status_table_is_what_the_typescript_sdk_declares(node_modules: Path) -> None:
    calls = typescript_sdk_calls(node_modules / "polytomic")
    for (method, path), declared in DECLARED.items():
        found = calls.get((method, normalized(path)))
        assert found == declared.typescript, (method, path)

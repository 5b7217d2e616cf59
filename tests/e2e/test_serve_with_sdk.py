"""`syncline serve` as a subprocess, driven by the official `polytomic` SDK."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pymysql
import pytest
from polytomic import Polytomic

from tests.conftest import (
    MYSQL_HOST,
    MYSQL_PORT,
    MYSQL_USER,
    PG_DATABASE,
    PG_HOST,
    PG_PORT,
    PG_USER,
)

pytestmark = pytest.mark.e2e

API_KEY = "sl_e2e_key"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A `syncline serve` process on the embedded default; yields (base URL, its output)."""
    data_dir = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {**os.environ, "SYNCLINE_DATA_DIR": str(data_dir), "SYNCLINE_API_KEY": API_KEY}
    env.pop("SYNCLINE_DATABASE_URL", None)
    log_path = data_dir / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "syncline.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process, log_path)
        yield base_url, log_path.read_text()
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert (data_dir / "syncline.db").exists()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"syncline serve exited early:\n{log_path.read_text()}")
        try:
            httpx.get(f"{base_url}/api/me", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"syncline serve did not answer within 30 s:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def pg_table() -> Iterator[str]:
    schema = f"e2e_{uuid.uuid4().hex[:8]}"
    dsn = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={PG_DATABASE}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(
            f'CREATE TABLE "{schema}".accounts (id bigint PRIMARY KEY, domain text NOT NULL,'
            " mrr numeric(10,2), renewed_at timestamptz)"
        )
    yield schema
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="module")
def mysql_table() -> Iterator[str]:
    name = f"e2e_{uuid.uuid4().hex[:8]}"
    conn = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
        cur.execute(
            f"CREATE TABLE `{name}`.crm_accounts (id BIGINT PRIMARY KEY,"
            " domain VARCHAR(255) NOT NULL, mrr DECIMAL(10,2))"
        )
    yield name
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE `{name}`")
    conn.close()


def test_serve_prints_the_url_and_api_key(served: tuple[str, str]) -> None:
    base_url, output = served
    assert base_url in output
    assert f"API key: {API_KEY}" in output


def test_sdk_discovers_sources_and_targets(
    served: tuple[str, str],
    pg_table: str,
    mysql_table: str,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
) -> None:
    sdk = Polytomic(base_url=served[0], token=API_KEY, max_retries=0)
    assert sdk.identity.get().data is not None

    types = {t.id for t in sdk.connections.get_types().data or []}
    assert {"postgresql", "mysql"} <= types

    pg = sdk.connections.create(name="pg", type="postgresql", configuration=pg_config).data
    maria = sdk.connections.create(
        name="maria", type="mysql", configuration={**mysql_config, "dbname": mysql_table}
    ).data
    assert pg is not None
    assert pg.id
    assert pg.status == "healthy"
    assert maria is not None
    assert maria.id
    assert maria.status == "healthy"

    top = sdk.model_sync.get_source(pg.id).data
    assert top is not None
    assert top.items is not None
    schema_item = top.items["schema"]
    assert schema_item is not None
    assert pg_table in [i["value"] for i in schema_item.items or []]
    refined = sdk.model_sync.get_source(pg.id, params={"schema": [pg_table]}).data
    assert refined is not None
    assert refined.items is not None
    table_item = refined.items["table"]
    assert table_item is not None
    table = next(i["value"] for i in table_item.items or [] if i["label"] == "accounts")

    fields = sdk.model_sync.get_source_fields(pg.id, params={"table": [table]}).data or []
    assert [(f.name, f.type) for f in fields] == [
        ("id", "number"),
        ("domain", "string"),
        ("mrr", "number"),
        ("renewed_at", "datetime"),
    ]

    targets = sdk.model_sync.targets.list(maria.id).data or []
    target_id = f"{mysql_table}.crm_accounts"
    assert target_id in [t.id for t in targets]
    target = sdk.model_sync.targets.get_target_fields(maria.id, target=target_id).data
    assert target is not None
    assert [f.id for f in target.fields or []] == ["id", "domain", "mrr"]
    domain = next(f for f in target.fields or [] if f.id == "domain")
    assert domain.supports_identity is True
    assert domain.required is True

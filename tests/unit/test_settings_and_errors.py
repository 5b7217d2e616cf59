"""Settings resolution and the shape of validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncline.errors import json_path, validation_failed
from syncline.settings import Settings, normalize_database_url


def test_default_database_is_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'syncline.db'}"


def test_settings_come_from_syncline_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SYNCLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SYNCLINE_DATABASE_URL", "postgresql://u@h:5432/db")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.resolved_database_url() == "postgresql+psycopg://u@h:5432/db"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_select_psycopg(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


def test_json_path_joins_names_and_indexes() -> None:
    assert json_path(("fields", 0, "target")) == "fields[0].target"
    assert json_path(()) == ""


def test_validation_failed_names_the_first_path_and_counts_the_rest() -> None:
    failed = validation_failed(
        [
            {"loc": ("hostname",), "type": "missing", "msg": "Field required"},
            {"loc": ("port",), "type": "int_parsing", "msg": "Input should be an integer"},
        ],
        prefix=("configuration",),
    )
    assert failed.message == "configuration.hostname: field required (and 1 more)"
    assert failed.path == "configuration.hostname"
    assert [e["path"] for e in failed.metadata["errors"]] == [
        "configuration.hostname",
        "configuration.port",
    ]


def test_validation_failed_never_echoes_the_input() -> None:
    failed = validation_failed(
        [{"loc": ("password",), "type": "string_type", "msg": "bad", "input": "hunter2"}]
    )
    assert "hunter2" not in failed.message
    assert "hunter2" not in str(failed.metadata)


def test_a_dead_runner_is_found_within_a_minute_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from syncline.services.reaper import beat_interval

    monkeypatch.delenv("SYNCLINE_HEARTBEAT_TIMEOUT", raising=False)
    timeout = Settings().heartbeat_timeout
    # Stale `timeout` s after its last beat, found at the reaper's next look.
    assert timeout + beat_interval(timeout) <= 60

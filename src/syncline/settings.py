"""Syncline's settings: one object, read from `SYNCLINE_*` environment variables.

The embedded default needs none of them: metadata goes to a SQLite file and
the generated secret key to a file, both under `SYNCLINE_DATA_DIR`.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SUPPORTED_API_VERSIONS = ("2025-09-18", "2024-02-08", "2023-04-25", "2022-12-12", "2021-05-23")


class Settings(BaseSettings):
    """Every setting of a Syncline process."""

    model_config = SettingsConfigDict(env_prefix="SYNCLINE_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".syncline"),
        description="Directory for the SQLite metadata file and the generated secret key.",
    )
    local_roots: Annotated[list[Path] | None, NoDecode] = Field(
        default=None,
        description="Directories that connections taking a local path (`sqlite`, `files`) may "
        "reach: a JSON array or a `:`-separated list. Default: `<data_dir>/files` and the "
        "demo's directory `<data_dir>/demo`.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata store; default: SQLite under data_dir.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key encrypting connection secrets; default: generated into data_dir.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="When set, the API key of the first admin user (created on first start).",
    )
    deployment_key: SecretStr | None = Field(
        default=None,
        description="Key for Basic `<organization_id>:<deployment key>` authentication.",
    )
    organization_name: str = Field(
        default="Syncline", description="Name of the first organization."
    )
    admin_email: str = Field(
        default="admin@localhost", description="E-mail of the first admin user."
    )
    batch_size: int = Field(
        default=25_000,
        ge=1,
        description="Records per Arrow batch read from sources, mapped and written in one "
        "transaction. Memory holds a few batches: lower it for very wide records.",
    )
    statement_timeout: float = Field(
        default=300.0,
        gt=0,
        description="Seconds one call to a PostgreSQL or MySQL/MariaDB source or target (a "
        "statement, a fetch of a streamed read, a COPY or LOAD chunk) may go without an "
        "answer. Then Syncline cancels it and, if the server does not answer that either "
        "(a frozen server), cuts the connection: the run fails naming the connection, and "
        "the batch being written rolls back.",
    )
    engine_memory_mb: int = Field(
        default=128,
        ge=64,
        description="Megabytes DuckDB may hold while diffing a run against its state; beyond "
        "it, it spills to disk, so any model size fits (a larger limit spills less).",
    )
    demo: bool = Field(
        default=True, description="On the very first start, create a demo sync to try."
    )
    max_body_mb: int = Field(
        default=16,
        ge=1,
        description="Largest request body accepted, in MiB. A larger `Content-Length` is "
        "refused at once with 413; a body without one is counted as it arrives and cut "
        "at the limit.",
    )
    body_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a request body may go without sending data before the request "
        "is answered 408 and its connection closed.",
    )
    url: str = Field(
        default="http://127.0.0.1:8000", description="Where CLI commands reach the server."
    )
    ui_session_hours: float = Field(
        default=12.0,
        gt=0,
        le=24 * 30,
        description="Hours a web UI sign-in lasts before the UI asks for the API key again.",
    )
    scheduler: bool = Field(default=True, description="Run the scheduler inside `syncline serve`.")
    scheduler_interval: float = Field(
        default=5.0, gt=0, description="Seconds between two looks at which syncs are due."
    )
    max_concurrent_executions: int = Field(
        default=0, ge=0, description="Scheduled executions running at once; 0: no cap."
    )
    max_executions_per_connection: int = Field(
        default=0, ge=0, description="Scheduled executions per target connection; 0: no cap."
    )
    continuous_interval: int = Field(
        default=60, ge=1, description="Seconds between runs of a `continuous` sync."
    )
    workers: int = Field(
        default=4, ge=1, description="Executions the embedded executor runs at once."
    )
    executor: Literal["local", "celery"] = Field(
        default="local",
        description="Where executions run: `local` (a pool inside `syncline serve`) or "
        "`celery` (`syncline worker` processes fed through `broker_url`).",
    )
    broker_url: str | None = Field(
        default=None,
        description="Celery broker for `executor=celery`: `redis://...` or `amqp://...`.",
    )
    celery_queue: str = Field(
        default="syncline", description="Broker queue the executions are sent to and read from."
    )
    heartbeat_timeout: int = Field(
        default=45,
        ge=1,
        description="Seconds without a heartbeat after which a started execution is "
        "marked `interrupted` (its runner is presumed dead). A dead runner is found "
        "at most this plus one reaper interval (up to 10 s) after it stopped: by "
        "default within 55 s.",
    )
    requeue_after: int = Field(
        default=300,
        ge=1,
        description="Seconds a queued execution may wait without starting before it is "
        "handed to the executor again (a broker message can be lost); a duplicate "
        "delivery never runs twice.",
    )
    retry_interrupted: bool = Field(
        default=False,
        description="When an execution is found interrupted, start a fresh one of its sync "
        "at once (type `retry`); otherwise the sync runs again at its next slot.",
    )

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            from cryptography.fernet import Fernet

            try:
                Fernet(value.get_secret_value().encode())
            except ValueError:
                raise ValueError(
                    "must be a Fernet key (32 url-safe base64-encoded bytes); make one with: "
                    'python -c "from cryptography.fernet import Fernet; '
                    'print(Fernet.generate_key().decode())"'
                ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _usable_store_url(cls, value: str | None) -> str | None:
        if value:
            check_database_url(normalize_database_url(value))
        return value

    @field_validator("local_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: Any) -> Any:
        # An environment value is a JSON array or a PATH-style list.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    return json.loads(text)
                except json.JSONDecodeError:
                    raise ValueError(
                        'not a JSON array of paths; write it as ["/a", "/b"] or /a:/b'
                    ) from None
            return [part for part in text.split(os.pathsep) if part.strip()]
        return value

    def default_local_roots(self) -> list[Path]:
        """The roots used when `local_roots` is not set: `files/` and `demo/` in the data dir."""
        return [self.data_dir / "files", self.data_dir / "demo"]

    def resolved_database_url(self) -> str:
        """The metadata store URL, defaulting to `sqlite:///<data_dir>/syncline.db`."""
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{self.data_dir.resolve() / 'syncline.db'}"


def normalize_database_url(url: str) -> str:
    """Select the psycopg 3 driver for plain `postgresql://` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


_STORE_EXAMPLES = "sqlite:////var/lib/syncline/syncline.db or postgresql://user:password@host/db"


def check_database_url(url: str) -> None:
    """Raise `ValueError` (a one-line reason) unless `url` names a usable metadata store:
    SQLite or PostgreSQL, with its driver installed."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"not a database URL; use {_STORE_EXAMPLES}") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(
            f"the metadata store must be SQLite or PostgreSQL, not {backend!r}; "
            f"use {_STORE_EXAMPLES}"
        )
    try:
        parsed.get_dialect().import_dbapi()
    except (ImportError, NoSuchModuleError):
        raise ValueError(
            f"the driver {parsed.drivername!r} is not installed; use {_STORE_EXAMPLES} "
            "(PostgreSQL through psycopg 3)"
        ) from None


def describe_invalid(exc: ValidationError) -> str:
    """One line naming every invalid `SYNCLINE_*` variable and why; secrets are not echoed."""
    parts = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        variable = f"SYNCLINE_{field.upper()}" if field else "settings"
        reason = str(error["msg"]).removeprefix("Value error, ")
        shown = error.get("input")
        if field not in _SECRET_SETTINGS and isinstance(shown, str | int | float):
            reason += f" (got {shown!r})"
        parts.append(f"{variable}: {reason}")
    return "; ".join(parts)


_SECRET_SETTINGS = frozenset({"secret_key", "api_key", "deployment_key", "database_url"})
"""Settings whose values may hold credentials, never echoed in a message."""


@cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()

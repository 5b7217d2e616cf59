"""The metadata tables. Every tenant-owned row carries `organization_id`.

The schema changes only through Alembic migrations (`store/migrations`);
a test checks that these models and the migrations agree.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, LargeBinary, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def new_id() -> str:
    """A new object id: a random UUID in its canonical text form."""
    return str(uuid.uuid4())


def is_id(value: object) -> bool:
    """Whether `value` has the form of an object id (`new_id`): canonical UUID text.

    Values from requests are checked with this before they reach a query, so
    a NUL byte (which PostgreSQL refuses in text) or any other oddity is
    "not found" instead of a database error.
    """
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def parse_utc(text: object) -> datetime:
    """An ISO 8601 timestamp with a zone, as an aware datetime in UTC.

    Raises `ValueError` for anything else (not text, no zone, or out of
    range once in UTC), so a value from a request never reaches a query
    that `UtcDateTime` would refuse.
    """
    if not isinstance(text, str):
        raise ValueError("a timestamp must be text")
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("a timestamp must carry its zone")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp out of range") from None


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware in UTC.

    SQLite keeps no zone, so values are normalised to UTC on the way in and
    the zone is put back on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use syncline.store.tables.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every metadata table."""

    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Organization(Base):
    """A tenant. Every other object belongs to exactly one."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class User(Base):
    """A person in an organization."""

    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_organization_email", "organization_id", "email", unique=True),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(32), default="admin")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A user's API key. Only a SHA-256 digest of the key is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UiSession(Base):
    """A web UI sign-in: the digest of its cookie token and the API key it was made with.

    Deleting the key (or its user or organization) deletes the session with it.
    """

    __tablename__ = "ui_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    api_key_id: Mapped[str] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Connection(Base):
    """A configured connector. Secret configuration values live encrypted in `secrets`."""

    __tablename__ = "connections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    configuration: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32), default="unknown")
    status_error: Mapped[str] = mapped_column(Text, default="")
    healthcheck_interval: Mapped[str] = mapped_column(String(32), default="")
    policies: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class IdempotencyRecord(Base):
    """The first outcome of a request sent with an `Idempotency-Key`.

    `status_code` is None while the first request is still running.
    """

    __tablename__ = "idempotency_keys"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(nullable=True)
    content_type: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Model(Base):
    """A query, table or file on one source connection, with its discovered fields.

    `fields` is a list of field objects (`id`, `name`, `label`, `type`,
    `remote_type`, `unique`, `user_added`, ...); a field keeps its id across
    updates as long as its name stays.
    """

    __tablename__ = "models"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    configuration: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fields: Mapped[list[Any]] = mapped_column(default=list)
    identifier: Mapped[str | None] = mapped_column(String(255), nullable=True)
    tracking_columns: Mapped[list[Any]] = mapped_column(default=list)
    labels: Mapped[list[Any]] = mapped_column(default=list)
    relations: Mapped[list[Any]] = mapped_column(default=list)
    policies: Mapped[list[Any]] = mapped_column(default=list)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class Sync(Base):
    """A model sync. `config` holds the validated configuration in the new shape.

    `mode`, `active`, `target_connection_id` and `target_object` are copied
    out of `config` so lists can filter on them; the encryption passphrase
    lives encrypted in `secrets`.
    """

    __tablename__ = "syncs"
    __table_args__ = (Index("ix_syncs_listing", "organization_id", "updated_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=False)
    mode: Mapped[str] = mapped_column(String(32))
    target_connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id"), index=True)
    target_object: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets: Mapped[str] = mapped_column(Text, default="")
    error_handling: Mapped[dict[str, Any]] = mapped_column(default=dict)
    current_execution_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    """The execution holding this sync's single run slot, taken and released atomically."""
    scheduled_through: Mapped[datetime | None] = mapped_column(nullable=True)
    """The latest schedule slot (or upstream completion) the scheduler has acted on."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class SyncModel(Base):
    """That a sync reads a model, so a model in use cannot be deleted."""

    __tablename__ = "sync_models"

    sync_id: Mapped[str] = mapped_column(
        ForeignKey("syncs.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), primary_key=True, index=True)


class SyncRevision(Base):
    """Every `updated_at` a sync has had, so a listing can page over a stable snapshot."""

    __tablename__ = "sync_revisions"

    sync_id: Mapped[str] = mapped_column(
        ForeignKey("syncs.id", ondelete="CASCADE"), primary_key=True
    )
    updated_at: Mapped[datetime] = mapped_column(primary_key=True)


class Job(Base):
    """An asynchronous model operation (`/api/jobs/{type}/{id}`)."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="created")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Execution(Base):
    """One run of a sync. The store is the only source of truth for its status.

    `counts` holds total/insert/update/upserts/delete/error/warnings;
    `options` how it was started (resync, test, identities);
    `heartbeat_at` is refreshed by whoever runs it, so a dead runner shows;
    `owner` names the process that claimed it (`services.owners.Owner`).
    """

    __tablename__ = "executions"
    __table_args__ = (Index("ix_executions_sync_created", "sync_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    sync_id: Mapped[str] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="created", index=True)
    type: Mapped[str] = mapped_column(String(16), default="manual")
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(nullable=True)
    owner: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class ExecutionLog(Base):
    """One console line of an execution."""

    __tablename__ = "execution_logs"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    execution_id: Mapped[str] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), index=True
    )
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    level: Mapped[str] = mapped_column(String(16), default="info")
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SchedulerLease(Base):
    """Which process may schedule: one row per lease, taken by a conditional UPDATE."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column()


class SyncState(Base):
    """Which state of a sync its runs must find in the data dir (`engine.generation`).

    No row: the sync has no state yet. A row without a generation: the
    sync's state was kept before generations were recorded (migration
    0008_state), and the next run takes the one its directory holds.
    """

    __tablename__ = "sync_states"

    sync_id: Mapped[str] = mapped_column(
        ForeignKey("syncs.id", ondelete="CASCADE"), primary_key=True
    )
    generation: Mapped[int | None] = mapped_column(nullable=True)
    execution_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    """The execution that made this generation."""
    hash_version: Mapped[int | None] = mapped_column(nullable=True)
    """The change hash version the state's records were stored with."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SharedStateDocument(Base):
    """One document of the state shared by every process (`store.shared_state`).

    `document` is JSON text; while a row is being created inside an update it
    holds `null` (no document yet), which no other transaction ever sees.
    """

    __tablename__ = "shared_states"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Shared documents kept in the metadata store, for every process using it.

A `SharedState` (`connectors.delivery.shared`) over the metadata store: what
a connection's rate budget keeps when no Redis broker is there to hold it.

Each update is one short transaction that holds its document from the read
to the commit, so no two updates of a key ever start from the same document,
whichever process or machine makes them:

- PostgreSQL: `INSERT ... ON CONFLICT DO NOTHING` makes sure the row exists,
  `SELECT ... FOR UPDATE` takes its lock, the change is written back and the
  commit lets the next one in.
- SQLite: the database's write lock is taken up front (`BEGIN IMMEDIATE`). A
  transaction that read first and wrote later could find another writer had
  committed meanwhile and fail at once (its snapshot is stale), instead of
  waiting; a write lock asked for at the start waits like any other write, up
  to the store's busy timeout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Insert, make_url, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from syncline.errors import ConnectorError
from syncline.store.db import Store
from syncline.store.tables import SharedStateDocument, utcnow

T = TypeVar("T")

_NO_DOCUMENT = "null"
"""What a row holds between its creation and the first write, inside one transaction."""


class StoreState:
    """A `SharedState` whose documents are rows of the metadata store (`shared_states`)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def update(
        self, key: str, change: Callable[[dict[str, Any] | None], tuple[dict[str, Any], T]]
    ) -> T:
        """Apply `change` to the document under `key` in one transaction; return its result.

        `change` runs once, while the document is held. An exception it
        raises rolls the transaction back and propagates unchanged. Raises
        `ConnectorError` (naming the database, without its password) when the
        metadata database cannot be used, or stays locked past its busy timeout;
        a commit whose answer was lost may have landed, and is not made again.
        """
        try:
            with self._store.session() as session:
                connection = session.connection()
                dialect = connection.dialect.name
                if dialect == "sqlite":
                    # The driver has begun nothing yet (it waits for a first
                    # write), so this BEGIN is the transaction's own.
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                session.execute(
                    _insert_missing(dialect).values(
                        key=key, document=_NO_DOCUMENT, updated_at=utcnow()
                    )
                )
                stored = session.execute(
                    select(SharedStateDocument.document)
                    .where(SharedStateDocument.key == key)
                    .with_for_update()
                ).scalar_one()
                document, result = change(json.loads(stored))
                session.execute(
                    update(SharedStateDocument)
                    .where(SharedStateDocument.key == key)
                    .values(document=_dumps(document), updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
        except DBAPIError as exc:
            raise ConnectorError(self._unusable(exc)) from None
        return result

    def _unusable(self, exc: DBAPIError) -> str:
        shown = make_url(self._store.url).render_as_string(hide_password=True)
        said = str(exc.orig).strip()
        reason = said.splitlines()[0] if said else type(exc.orig).__name__
        return (
            f"cannot use the metadata database {shown} to share connection state "
            f"(rate budgets): {reason}"
        )


def _insert_missing(dialect: str) -> Insert:
    """An INSERT of a `shared_states` row that does nothing when the key has one."""
    if dialect == "postgresql":
        return postgresql.insert(SharedStateDocument).on_conflict_do_nothing(
            index_elements=[SharedStateDocument.key]
        )
    if dialect == "sqlite":
        return sqlite.insert(SharedStateDocument).on_conflict_do_nothing(
            index_elements=[SharedStateDocument.key]
        )
    raise ConnectorError(f"shared connection state cannot be kept in a {dialect} database")


def _dumps(document: dict[str, Any]) -> str:
    # NaN and infinities are not JSON: refuse them here rather than store text
    # another reader cannot parse.
    return json.dumps(document, separators=(",", ":"), allow_nan=False)

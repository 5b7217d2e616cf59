"""`SqlConnection`: connecting, error translation and the catalog hooks every
SQL dialect fills in."""

from __future__ import annotations

import os
import socket
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from typing import Any, ClassVar

from syncline.connectors.base import Choice, Connector, ParameterValues
from syncline.connectors.calls import CallWatch
from syncline.connectors.sql.catalog import Column, RelationKind, TableRef, quote_identifier
from syncline.connectors.sql.types import TypeMapping
from syncline.errors import ConnectionCheckFailed, ConnectorError

DbConnection = Any
"""An open DB-API connection of the dialect's driver (psycopg, pymysql, sqlite3)."""

CONNECT_TIMEOUT_SECONDS = 5

_WATCH_ATTRIBUTE = "_syncline_watch"
"""Where a driver connection keeps its `CallWatch`."""


class SqlConnection(Connector):
    """Shared plumbing of the SQL connectors.

    Dialects implement the hooks (the methods starting with `_` that are
    abstract here, and `map_type`); everything else is shared. Every hook may
    raise the driver's own errors: the shared code runs them inside
    `_session`/`_translate`, which turn them into `ConnectorError`s with
    scrubbed messages.
    """

    quote_char: ClassVar[str] = '"'
    placeholder: ClassVar[str] = "%s"
    """How the driver spells a bound parameter (`%s` also means `%` must be doubled)."""
    guards_calls: ClassVar[bool] = True
    """Whether `call_limits` bound this dialect's calls (`_watched`)."""
    max_identifier_length: ClassVar[int | None] = None
    """Longest table name the database keeps intact, in UTF-8 bytes; None for no limit."""

    # ------------------------------------------------------------ dialect hooks

    @property
    @abstractmethod
    def default_schema(self) -> str:
        """The schema of a `table` value without a dot."""

    @abstractmethod
    def _open(self) -> DbConnection:
        """Open a connection for reading, with a short connect timeout."""

    def _open_writable(self) -> DbConnection:
        """Open a connection that may write, in autocommit mode (for small upkeep
        such as removing commit markers; writers open their own)."""
        return self._open()

    @abstractmethod
    def _driver_errors(self) -> tuple[type[Exception], ...]:
        """The driver's exception classes, translated by `_translate`."""

    @abstractmethod
    def _error_message(self, exc: Exception) -> str:
        """The database's own explanation of a failed statement."""

    def _connect_error_message(self, exc: Exception) -> str:
        """A short, actionable explanation of a failed connection attempt."""
        return self._error_message(exc)

    @abstractmethod
    def _schemas(self, conn: DbConnection) -> list[str]:
        """Every non-system schema the user may use, sorted."""

    @abstractmethod
    def _tables(
        self, conn: DbConnection, schemas: Sequence[str] | None, *, views: bool
    ) -> list[TableRef]:
        """Base tables (and views when `views`) of `schemas` (None: every
        non-system schema), sorted, in one catalog query."""

    @abstractmethod
    def _relation_kind(self, conn: DbConnection, ref: TableRef) -> RelationKind | None:
        """Whether `ref` is a table or a view of a non-system schema; None if neither."""

    @abstractmethod
    def _columns(self, conn: DbConnection, ref: TableRef) -> list[Column]:
        """The columns of a table or view in order; empty when it does not exist."""

    @abstractmethod
    def map_type(self, type_name: str) -> TypeMapping:
        """The field type and Arrow type of a native type name."""

    def _parameter_values(self, conn: DbConnection, parameter: str) -> list[str]:
        """The values of a parameter listed in `parameter_fields`."""
        return []

    def _untransactional(self, conn: DbConnection, ref: TableRef) -> str | None:
        """Why writes to table `ref` (or the table a writer would create there)
        cannot commit atomically with a commit marker; None when they can."""
        return None

    def _ping(self, conn: DbConnection) -> None:
        """Run a trivial statement proving the connection works."""
        self._fetch_all(conn, "SELECT 1")

    def _close(self, conn: DbConnection) -> None:
        """Close a connection, ignoring failures (it may be broken already)."""
        with suppress(*self._driver_errors(), OSError):
            conn.close()

    def _interrupt(self, conn: DbConnection) -> None:
        """Ask the server to stop the statement running on `conn` (from another
        thread; may block on a server that does not answer). Default: nothing."""

    def _sever(self, conn: DbConnection) -> None:
        """Shut the socket of `conn` (from another thread, without blocking), so a
        call blocked on it raises at once. Default: nothing."""

    # ------------------------------------------------------------ guarded calls

    def _watched(self, conn: DbConnection) -> AbstractContextManager[None]:
        """Guard one call on `conn` by this connector's `call_limits` (`connectors.calls`).

        Inside, the call raises `CallTimedOut` or `CallCanceled` when it was
        interrupted (never a driver error then); outside, it is unguarded.
        """
        limits = self.call_limits
        if not limits.bounded or not self.guards_calls:
            return nullcontext()
        watch: CallWatch | None = getattr(conn, _WATCH_ATTRIBUTE, None)
        if watch is None or watch.limits is not limits:
            watch = CallWatch(limits, lambda: self._interrupt(conn), lambda: self._sever(conn))
            setattr(conn, _WATCH_ATTRIBUTE, watch)
        return watch.call()

    # ------------------------------------------------------------ shared

    def check(self) -> None:
        """Connect and run a trivial statement. Raises `ConnectionCheckFailed`."""
        with self._session(ConnectionCheckFailed) as conn:
            self._ping(conn)

    def parameter_values(self, parameter: str, query: str | None = None) -> ParameterValues:
        """List a parameter's values (for example the databases), narrowed by
        a case-insensitive `query`. Raises `BadRequest` for other parameters."""
        if parameter not in self.parameter_fields:
            return super().parameter_values(parameter, query)
        with self._session() as conn:
            values = self._parameter_values(conn, parameter)
        needle = (query or "").casefold()
        return ParameterValues([Choice(v, v) for v in values if needle in v.casefold()])

    def quote(self, identifier: str) -> str:
        """An identifier quoted for this dialect."""
        return quote_identifier(identifier, self.quote_char)

    def qualified(self, ref: TableRef) -> str:
        """`schema.table` quoted for this dialect."""
        return f"{self.quote(ref.schema)}.{self.quote(ref.name)}"

    def bindable(self, sql: str) -> str:
        """SQL text (possibly written by a user) made safe to run with bound parameters."""
        return sql.replace("%", "%%") if self.placeholder == "%s" else sql

    @contextmanager
    def _translate(self, kind: type[ConnectorError] = ConnectorError) -> Iterator[None]:
        """Turn driver errors raised inside the block into `kind`, scrubbed."""
        try:
            yield
        except self._driver_errors() as exc:
            raise kind(self.scrub(self._error_message(exc))) from None

    def _connect(self) -> DbConnection:
        """Open a connection. Raises `ConnectionCheckFailed` with a short message."""
        try:
            return self._open()
        except self._driver_errors() as exc:
            raise ConnectionCheckFailed(self.scrub(self._connect_error_message(exc))) from None

    @contextmanager
    def _session(self, kind: type[ConnectorError] = ConnectorError) -> Iterator[DbConnection]:
        """A connection for the duration of the block, closed afterwards.

        Driver errors inside the block become `kind`; failing to connect is
        always `ConnectionCheckFailed`.
        """
        conn = self._connect()
        try:
            with self._translate(kind):
                yield conn
        finally:
            self._close(conn)

    def _fetch_all(
        self, conn: DbConnection, sql: str, params: Sequence[Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run a catalog statement and return its (small) result."""
        with self._watched(conn):
            cursor = conn.cursor()
            try:
                if params is None:
                    cursor.execute(sql)
                else:
                    cursor.execute(sql, params)
                return [tuple(row) for row in cursor.fetchall()]
            finally:
                cursor.close()


def shut_socket(fd: int) -> None:
    """Shut down both directions of the socket behind file descriptor `fd` (the
    descriptor stays open for its owner, which sees the connection end)."""
    sock = socket.socket(fileno=os.dup(fd))
    try:
        sock.shutdown(socket.SHUT_RDWR)
    finally:
        sock.close()

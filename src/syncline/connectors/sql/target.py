"""`SqlTarget`: the target side of every SQL connector over the dialect hooks.

This module lists and describes tables and validates a new table's name;
each dialect's `open_writer` returns its `SqlWriter` (`sql.writer`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from syncline.connectors.base import (
    Choice,
    CreationProperty,
    TargetCapabilities,
    TargetConnector,
    TargetDescription,
    TargetField,
    TargetObject,
)
from syncline.connectors.compatibility import ANY_NAME, Acceptance, NameRules
from syncline.connectors.sql.catalog import Column, TableRef, split_table
from syncline.connectors.sql.connection import DbConnection, SqlConnection
from syncline.connectors.sql.markers import MARKER_TABLE, SqlCommitLedger
from syncline.connectors.sql.modes import SQL_MODES, SQL_TARGET_CAPABILITIES
from syncline.connectors.vocabulary import FILTER_FUNCTIONS_BY_TYPE, FieldType
from syncline.connectors.writing import CommitLedger, CommitMarking
from syncline.errors import ObjectNotFound, ValidationFailed

_NO_IDENTITY = frozenset({FieldType.OBJECT, FieldType.ARRAY, FieldType.BINARY})

CREATION_PROPERTIES = [
    CreationProperty("schema", "Schema", enum=True),
    CreationProperty("name", "Table name", enum=False),
]


class SqlTarget(SqlConnection, TargetConnector):
    """Base tables of a SQL database as sync targets."""

    target_capabilities: ClassVar[TargetCapabilities] = SQL_TARGET_CAPABILITIES
    acceptance: ClassVar[Acceptance] = Acceptance()
    """Which kinds of value the dialect's columns take (see `compatibility`)."""
    names: ClassVar[NameRules] = ANY_NAME
    """What names of new tables and columns the database keeps as given."""

    def target_objects(self) -> list[TargetObject]:
        """Every base table (never a view) of the non-system schemas, as `schema.table`,
        except Syncline's own commit markers (`markers.MARKER_TABLE`)."""
        with self._session() as conn:
            tables = self._tables(conn, None, views=False)
        return [
            TargetObject(id=t.value, name=t.value, modes=SQL_MODES)
            for t in tables
            if t.name != MARKER_TABLE
        ]

    def describe_target(self, object_id: str) -> TargetDescription:
        """A base table's columns and what a sync may do with each.

        Raises `ObjectNotFound` for an unknown table, a view, or Syncline's
        commit markers table.
        """
        ref = split_table(object_id, self.default_schema)
        with self._session() as conn:
            kind = self._relation_kind(conn, ref) if ref.name != MARKER_TABLE else None
            columns = self._columns(conn, ref) if kind == "table" else []
            marking = self._marking(conn, ref) if columns else (CommitMarking.NONE, "")
        if not columns:
            raise ObjectNotFound(
                f"target table {object_id!r} not found", metadata={"target": object_id}
            )
        return TargetDescription(
            id=ref.value,
            name=ref.value,
            fields=[self._target_field(column) for column in columns],
            modes=SQL_MODES,
            properties=self.target_capabilities,
            acceptance=self.acceptance,
            names=self.names,
            commit_marking=marking[0],
            marking_note=marking[1],
        )

    def commit_ledger(
        self, object_id: str, create: Mapping[str, str] | None = None
    ) -> CommitLedger:
        """The markers in the schema of `object_id`, or of the table `create` makes."""
        schema = (create or {}).get("schema") or split_table(object_id, self.default_schema).schema
        return SqlCommitLedger(self, schema)

    def _marking(self, conn: DbConnection, ref: TableRef) -> tuple[CommitMarking, str]:
        """How writers of `ref` mark their commits, and why not when they cannot."""
        reason = self._untransactional(conn, ref)
        if reason is None:
            return CommitMarking.BATCH, ""
        return CommitMarking.NONE, (
            f"table {ref.value} cannot record which batches committed: {reason}; "
            "after a crash the batch being written is sent again, so an append or "
            "snapshot may hold it twice (convert the table to a transactional engine, "
            "such as InnoDB, to rule this out)"
        )

    def _target_field(self, column: Column) -> TargetField:
        field_type = self.map_type(column.mapped_name)[0]
        return TargetField(
            id=column.name,
            name=column.name,
            type=field_type,
            remote_type=column.remote_type,
            required=not column.nullable and not column.has_default and not column.generated,
            createable=not column.generated,
            updateable=not column.generated,
            filterable=True,
            supports_identity=field_type not in _NO_IDENTITY,
            filter_functions=FILTER_FUNCTIONS_BY_TYPE[field_type],
            domain=self.value_domain(column.mapped_name),
        )

    def creation_properties(self) -> list[CreationProperty]:
        """A new table needs a schema (chosen from a list) and a name."""
        return list(CREATION_PROPERTIES)

    def creation_property_values(self, property_id: str) -> list[Choice]:
        """The schemas a new table may go in. Raises `ObjectNotFound` for other properties."""
        if property_id != "schema":
            raise ObjectNotFound(
                f"connection type {self.type_id!r} has no enum creation property "
                f"{property_id!r}; enum properties: schema"
            )
        with self._session() as conn:
            return [Choice(s, s) for s in self._schemas(conn)]

    def describe_new_target(self, properties: Mapping[str, str]) -> TargetDescription:
        """The table `properties` would create: no fields yet, the SQL modes.

        Raises `ValidationFailed` naming the property when one is missing,
        the schema is unknown, the name is too long, or the table exists.
        """
        values: dict[str, str] = {}
        for prop in CREATION_PROPERTIES:
            value = properties.get(prop.id)
            if not isinstance(value, str) or not value.strip():
                raise ValidationFailed(
                    f"{prop.title.lower()} is required", path=f"properties.{prop.id}"
                )
            values[prop.id] = value.strip()
        ref = TableRef(values["schema"], values["name"])
        limit = self.max_identifier_length
        if limit is not None and len(ref.name.encode("utf-8")) > limit:
            raise ValidationFailed(
                f"table name {ref.name!r} is longer than {limit} bytes", path="properties.name"
            )
        if ref.name == MARKER_TABLE:
            raise ValidationFailed(
                f"table name {ref.name!r} is Syncline's own (its commit markers); choose another",
                path="properties.name",
            )
        with self._session() as conn:
            if ref.schema not in self._schemas(conn):
                raise ValidationFailed(f"schema {ref.schema!r} not found", path="properties.schema")
            exists = self._relation_kind(conn, ref) is not None
            marking = self._marking(conn, ref)
        if exists:
            raise ValidationFailed(
                f"table {ref.value!r} already exists; choose it as the target object instead",
                path="properties.name",
            )
        return TargetDescription(
            id=ref.value,
            name=ref.value,
            fields=[],
            modes=SQL_MODES,
            properties=self.target_capabilities,
            acceptance=self.acceptance,
            names=self.names,
            commit_marking=marking[0],
            marking_note=marking[1],
        )

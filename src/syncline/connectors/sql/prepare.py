"""Getting a table ready for a `WritePlan`, once, when a writer opens.

`prepare` checks the plan, creates the table or its missing columns when
the plan asks (idempotently: a rerun after a crash finds them made), reads
the table's columns, and builds what the mode needs: value converters, the
temporary staging table and merge statements of identity modes, the replace
staging table.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from syncline.connectors.sql.catalog import Column, TableRef, split_table
from syncline.connectors.sql.ddl import add_column_sql, create_table_sql, stage_name
from syncline.connectors.sql.dialect import UniqueKey, WriteDialect
from syncline.connectors.sql.merge import (
    FILTERED_MODES,
    IDENTITY_MODES,
    ROW_COLUMN,
    Assignment,
    MergeTables,
    insert_missing_sql,
    preselect_sql,
)
from syncline.connectors.sql.target_filter import Clause, FilterColumn, compile_target_filter
from syncline.connectors.sql.values import Converter
from syncline.connectors.vocabulary import FieldType, IdentityFunction, SyncMode
from syncline.connectors.writing import WritePlan
from syncline.errors import ConnectorError, ObjectNotFound

SNAPSHOT_TYPE = pa.timestamp("us", tz="UTC")


@dataclass
class Prepared:
    """What a writer applies each batch with.

    `names` are the plan's columns in batch order; `insert_names` add the
    snapshot column in snapshot mode. `merge` is set for identity modes:
    the temporary staging table, the query reading which records match
    (with its bound values), and the statements applying the batch.
    """

    ref: TableRef
    names: list[str]
    insert_names: list[str]
    converters: list[Converter | None]
    snapshot_value: Any = None
    stage: TableRef | None = None
    merge: Merge | None = None


@dataclass(frozen=True)
class Merge:
    """The staged merge of an identity mode (see `sql.merge`).

    `columns` are the staging table's columns: the record index, then the
    values at `positions` of each row. `insert_directly` is set when a
    unique key on exactly the identity guarantees that a batch inserted
    into the table without a conflict held only new identities.
    """

    stage: TableRef
    columns: list[str]
    positions: list[int]
    tables: MergeTables
    preselect: Clause
    statements: list[Clause]
    insert_directly: bool = False


def prepare(dialect: WriteDialect, plan: WritePlan, now: datetime) -> Prepared:
    """Prepare the table for `plan` (see the module docstring).

    Raises `ObjectNotFound` for a missing table or column the plan does not
    create, `ConnectorError` for a plan the table cannot take; driver errors
    propagate for the caller to translate.
    """
    _check_plan(plan)
    target = dialect.target
    ref = _table_ref(dialect, plan)
    existing = _ensure_table(dialect, plan, ref)
    names = [column.name for column in plan.columns]
    prepared = Prepared(
        ref=ref,
        names=names,
        insert_names=list(names),
        converters=[dialect._converter(c, existing[c.name]) for c in plan.columns],
    )
    if plan.mode is SyncMode.SNAPSHOT:
        assert plan.snapshot_column is not None
        prepared.insert_names.append(plan.snapshot_column)
        prepared.snapshot_value = dialect.bind(plan.snapshot_time or now)
    elif plan.mode is SyncMode.REPLACE:
        prepared.stage = TableRef(ref.schema, stage_name(ref.name, target.max_identifier_length))
        dialect._create_replace_stage(prepared.stage, ref)
    elif plan.mode in IDENTITY_MODES:
        prepared.merge = _merge(dialect, plan, ref, existing, now)
    return prepared


def _check_plan(plan: WritePlan) -> None:
    if plan.mode in IDENTITY_MODES:
        if not plan.identity:
            raise ConnectorError(f"mode {plan.mode.value} needs identity columns")
        missing = set(plan.identity) - {c.name for c in plan.columns}
        if missing:
            raise ConnectorError(f"identity column {sorted(missing)[0]!r} is not written")
        if plan.identity_function is not IdentityFunction.EQUALITY:
            raise ConnectorError("SQL tables match identities by equality only")
    filtered = plan.target_filter is not None and bool(plan.target_filter.conditions)
    if filtered and plan.mode not in FILTERED_MODES:
        raise ConnectorError(f"mode {plan.mode.value} takes no target filter")
    if plan.mode is SyncMode.SNAPSHOT and not plan.snapshot_column:
        raise ConnectorError("snapshot mode needs a snapshot column")


def _table_ref(dialect: WriteDialect, plan: WritePlan) -> TableRef:
    target = dialect.target
    if plan.create is None:
        return split_table(plan.object_id, target.default_schema)
    schema, name = plan.create.get("schema"), plan.create.get("name")
    if not schema or not name:
        raise ConnectorError("creating a table needs the properties 'schema' and 'name'")
    limit = target.max_identifier_length
    if limit is not None and len(name.encode("utf-8")) > limit:
        raise ConnectorError(f"table name {name!r} is longer than {limit} bytes")
    return TableRef(schema, name)


def _ensure_table(dialect: WriteDialect, plan: WritePlan, ref: TableRef) -> dict[str, Column]:
    """The table's columns, after creating the table or the columns the plan adds."""
    target, conn = dialect.target, dialect.conn
    wanted = [(c.name, c.arrow_type, c.new) for c in plan.columns]
    if plan.mode is SyncMode.SNAPSHOT and plan.snapshot_column:
        wanted.append((plan.snapshot_column, SNAPSHOT_TYPE, True))
    kind = target._relation_kind(conn, ref)
    if kind != "table":
        if kind == "view" or plan.create is None:
            raise ObjectNotFound(
                f"target table {ref.value!r} not found", metadata={"target": ref.value}
            )
        definitions = [
            (dialect.q(name), dialect.column_type(arrow, identity=name in plan.identity))
            for name, arrow, _ in wanted
        ]
        key = [dialect.q(name) for name in plan.identity]
        dialect.execute(create_table_sql(dialect.qualified(ref), definitions, key))
    existing = {c.name: c for c in target._columns(conn, ref)}
    missing = [(name, arrow, new) for name, arrow, new in wanted if name not in existing]
    for name, arrow, new in missing:
        if not (new or plan.create is not None):
            raise ObjectNotFound(
                f"column {name!r} not found in target table {ref.value!r}",
                metadata={"target": ref.value, "column": name},
            )
        type_sql = dialect.column_type(arrow, identity=False)
        dialect.execute(add_column_sql(dialect.qualified(ref), dialect.q(name), type_sql))
    if missing:
        existing = {c.name: c for c in target._columns(conn, ref)}
    return existing


def _merge(
    dialect: WriteDialect,
    plan: WritePlan,
    ref: TableRef,
    existing: dict[str, Column],
    now: datetime,
) -> Merge:
    q, target = dialect.q, dialect.target
    names = [c.name for c in plan.columns]
    # Remove needs only the identity; staging other values could only fail.
    staged = list(plan.identity) if plan.mode is SyncMode.REMOVE else names
    stage = create_stage(dialect, ref, staged)
    tables = MergeTables(
        target=dialect.qualified(ref),
        stage=dialect.qualified(stage),
        row=q(ROW_COLUMN),
        identity=tuple(q(name) for name in plan.identity),
        columns=tuple(q(name) for name in names),
        assignments=tuple(
            Assignment(
                q(c.name),
                create_only=c.create_only,
                text=target.map_type(existing[c.name].mapped_name)[0] is FieldType.STRING,
            )
            for c in plan.columns
            if c.name not in plan.identity
        ),
    )
    inserting = plan.mode in (SyncMode.CREATE, SyncMode.UPDATE_OR_CREATE)
    keys = dialect._unique_keys(ref) if inserting else []
    identity = frozenset(plan.identity)
    where = _filter(dialect, plan, existing, now)
    condition = where("t")
    if condition is None:
        preselect: Clause = (preselect_sql(tables, None), [])
    else:
        preselect = (preselect_sql(tables, condition[0]), condition[1])
    return Merge(
        stage=stage,
        columns=[ROW_COLUMN, *staged],
        positions=[names.index(name) for name in staged],
        tables=tables,
        preselect=preselect,
        statements=_statements(dialect, plan, keys, tables, where),
        insert_directly=any(key.usable and key.columns == identity for key in keys),
    )


def create_stage(dialect: WriteDialect, ref: TableRef, names: list[str]) -> TableRef:
    """Create a temporary staging table: each record's index (`ROW_COLUMN`),
    then the `names` columns with the types of `ref`'s and no constraints."""
    q = dialect.q
    stage = TableRef(dialect.temp_schema or ref.schema, f"_syncline_stage_{uuid.uuid4().hex[:8]}")
    select = (
        f"SELECT CAST(0 AS {dialect.row_type}) AS {q(ROW_COLUMN)}, "
        + ", ".join(f"{dialect.stage_column_sql.format(column=q(n))} AS {q(n)}" for n in names)
        + f" FROM {dialect.qualified(ref)} AS t LIMIT 0"
    )
    dialect.execute(dialect.create_temp_sql.format(name=dialect.qualified(stage), select=select))
    return stage


def _statements(
    dialect: WriteDialect,
    plan: WritePlan,
    keys: list[UniqueKey],
    tables: MergeTables,
    where: Callable[[str], Clause | None],
) -> list[Clause]:
    """The statements applying a staged batch by the plan's mode.

    updateOrCreate is one upsert when a unique key on exactly the identity
    lets the database find each row, else an update then an insert of the
    records no row matched (both set-based, in the batch's transaction).
    """
    insert_missing: Clause = (insert_missing_sql(tables), [])
    updates = bool(tables.assignments)
    if plan.mode is SyncMode.CREATE:
        return [insert_missing]
    if plan.mode is SyncMode.UPDATE:
        return [dialect.update_sql(tables, where("t"))] if updates else []
    if plan.mode is SyncMode.REMOVE:
        return [dialect.delete_sql(tables, where(dialect.delete_filter_alias(tables)))]
    if updates and dialect.upsert_usable(keys, frozenset(plan.identity)):
        return [dialect.upsert_sql(tables)]
    return [*([dialect.update_sql(tables, None)] if updates else []), insert_missing]


def _filter(
    dialect: WriteDialect, plan: WritePlan, existing: dict[str, Column], now: datetime
) -> Callable[[str], Clause | None]:
    """The target filter compiled for a given alias of the target table, or
    always None when the plan has none."""
    target_filter = plan.target_filter
    if target_filter is None or not target_filter.conditions:
        return lambda alias: None
    target = dialect.target
    columns = {
        name: FilterColumn(*target.map_type(column.mapped_name))
        for name, column in existing.items()
    }
    return lambda alias: compile_target_filter(target_filter, columns, dialect, alias, now)

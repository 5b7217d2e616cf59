"""The write plan of a run: what the writer is told about the target and the batches."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import CommitMark, WriteColumn, WritePlan
from syncline.engine.spec import RunSpec


def write_plan(spec: RunSpec, columns: pa.Schema, now: datetime) -> WritePlan:
    """The plan for writing batches of `columns` (the mapped schema) by `spec`.

    Columns carry their mapping's per-field flags; identity columns added by
    the mapper have none. A snapshot is stamped with `now`, the run's start.
    An empty replace is allowed only on a resync, where a person asked for
    every record to be sent again, and so for exactly the model's records.
    Commits are marked (`mark`) unless the run is limited to some
    identities, which never advances the state.
    """
    flags = {mapping.target: mapping for mapping in spec.mappings}
    write_columns = []
    for field in columns:
        mapping = flags.get(field.name)
        write_columns.append(
            WriteColumn(
                name=field.name,
                arrow_type=field.type,
                create_only=mapping is not None and mapping.create_only,
                new=mapping is not None and mapping.new,
            )
        )
    snapshot = spec.mode is SyncMode.SNAPSHOT
    return WritePlan(
        object_id=spec.target_object,
        mode=spec.mode,
        columns=tuple(write_columns),
        identity=tuple(pair.target for pair in spec.identity),
        identity_function=spec.identity_function,
        create=spec.create_target,
        target_filter=spec.target_filter,
        snapshot_column=spec.snapshot_column if snapshot else None,
        snapshot_time=now if snapshot else None,
        allow_empty_replace=spec.options.resync,
        configuration=spec.target_configuration,
        mark=(
            CommitMark(spec.sync_id, spec.execution_id)
            if spec.options.only_identities is None
            else None
        ),
    )

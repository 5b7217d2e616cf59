"""A file target publishes at finish: a canceled run confirms nothing, the next sends all."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path
from typing import Any

import pytest

from syncline.connectors.files import FilesConnector
from syncline.connectors.files.config import FilesConfig
from syncline.connectors.postgresql import PostgresqlConnector
from syncline.connectors.postgresql.config import PostgresqlConfig
from syncline.connectors.vocabulary import SyncMode
from syncline.engine.run import run_sync
from syncline.engine.spec import Counts, FieldMapping, IdentityPair, RunCanceled, RunSpec
from tests.engine.memory import RecordingHooks
from tests.engine.test_modes_on_real_targets import pg


class CancelAfter(RecordingHooks):
    """Asks to cancel once `records` records were handed to the writer (a file
    target counts none of them as written before it publishes them)."""

    def __init__(self, records: int) -> None:
        super().__init__()
        self.records_wanted = records
        self.written = 0

    def progress(self, counts: Counts, read: int) -> None:
        super().progress(counts, read)
        self.written = counts.total

    def cancelled(self) -> bool:
        return self.written >= self.records_wanted


def test_a_canceled_run_into_a_file_is_redone_whole(
    tmp_path: Path, pg_config: dict[str, Any]
) -> None:
    schema = f"files_aon_{uuid.uuid4().hex[:8]}"
    pg(f'CREATE SCHEMA "{schema}"')
    try:
        pg(
            f"CREATE TABLE \"{schema}\".src AS SELECT i AS id, 'e' || i AS email"
            " FROM generate_series(1, 100) i"
        )
        target = tmp_path / "out"
        target.mkdir()
        (target / "people.csv").write_text("id,email\n")
        spec = RunSpec(
            sync_id="s",
            execution_id="e",
            mode=SyncMode.UPDATE_OR_CREATE,
            source_configuration={"table": f"{schema}.src"},
            mappings=(FieldMapping("id", source="id"), FieldMapping("email", source="email")),
            target_object="people.csv",
            state_dir=tmp_path / "state",
            identity=(IdentityPair("id", "id"),),
            batch_size=16,
        )
        source = PostgresqlConnector(PostgresqlConfig.model_validate(pg_config))
        files = FilesConnector(FilesConfig(path=str(target)))
        canceled = CancelAfter(32)
        with pytest.raises(RunCanceled):
            run_sync(spec, source, files, canceled)
        assert (target / "people.csv").read_text() == "id,email\n"
        # Nothing was published, so nothing was ever counted as written.
        assert canceled.progress_calls[-1][0].total >= 32
        assert [c.upserts for c, _ in canceled.progress_calls] == [0] * len(canceled.progress_calls)
        counts = run_sync(spec, source, files, RecordingHooks())
        assert counts.insert == 100
        with (target / "people.csv").open() as handle:
            assert len(list(csv.DictReader(handle))) == 100
    finally:
        pg(f'DROP SCHEMA "{schema}" CASCADE')

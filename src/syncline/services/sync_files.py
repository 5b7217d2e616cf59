"""A sync's files in the data directory: its state and its executions' record logs.

They go with the sync: deleting it removes them, so nothing of a deleted sync
stays readable, and signed record-log links issued before stop working.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from syncline.services.syncs.runspec import state_dir
from syncline.store.record_logs import execution_dir


def remove_sync_files(data_dir: Path, sync_id: str, execution_ids: Iterable[str]) -> None:
    """Delete the state of `sync_id` and the record logs of `execution_ids`.

    What is already gone is fine. Ids come from the store (generated UUIDs),
    never from a request.
    """
    for directory in (
        state_dir(data_dir, sync_id),
        *(execution_dir(data_dir, e) for e in execution_ids),
    ):
        shutil.rmtree(directory, ignore_errors=True)

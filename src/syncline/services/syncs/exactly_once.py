"""Whether a sync's target can keep a crash from writing a batch twice.

Targets declare how their writers mark commits (`TargetDescription.commit_marking`).
Where they cannot (a MariaDB table on an engine without transactions, such
as MyISAM), a crash between a batch's commit and Syncline's record of it
makes the next run send that batch again: harmless for modes that match
records by identity, but an `append` or `snapshot` then holds it twice. Such
a sync is saved with a warning in `problems` saying so.
"""

from __future__ import annotations

from syncline.connectors.base import TargetDescription
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import CommitMarking
from syncline.services.syncs.config import SyncWarning

REPEATING_MODES = frozenset({SyncMode.APPEND, SyncMode.SNAPSHOT})
"""Modes in which a batch sent twice is written twice."""


def check_exactly_once(mode: SyncMode, target: TargetDescription) -> list[SyncWarning]:
    """A warning when `mode` into `target` may duplicate a batch after a crash."""
    if mode not in REPEATING_MODES or target.commit_marking is not CommitMarking.NONE:
        return []
    reason = target.marking_note or f"target {target.id} cannot record which batches committed"
    return [SyncWarning(code="duplicates_after_crash", message=reason, path="target.object")]

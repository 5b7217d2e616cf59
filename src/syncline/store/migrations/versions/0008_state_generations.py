"""Each sync's state generation, so a run never mistakes a missing state for a new sync.

Syncs that have run before may have a state in some data dir whose
generation was never recorded: they get a row without a generation, and
their next run takes the state its directory holds (and fails, sending
nothing, when the directory holds none). A sync with no row is new.

Revision ID: 0008_state
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syncline.store.tables import UtcDateTime, utcnow

revision = "0008_state"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    states = op.create_table(
        "sync_states",
        sa.Column(
            "sync_id",
            sa.String(36),
            sa.ForeignKey("syncs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("generation", sa.Integer(), nullable=True),
        sa.Column("execution_id", sa.String(36), nullable=True),
        sa.Column("hash_version", sa.Integer(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    executions = sa.table(
        "executions", sa.column("sync_id", sa.String(36)), sa.column("started_at", UtcDateTime())
    )
    ran = (
        sa.select(executions.c.sync_id, sa.literal(utcnow(), UtcDateTime()))
        .where(executions.c.started_at.is_not(None))
        .distinct()
    )
    op.execute(states.insert().from_select(["sync_id", "updated_at"], ran))


def downgrade() -> None:
    op.drop_table("sync_states")

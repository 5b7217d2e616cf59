"""Documents every process shares through the store (connection rate budgets).

Revision ID: 0010_shared
Revises: 0009_owner
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syncline.store.tables import UtcDateTime

revision = "0010_shared"
down_revision = "0009_owner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_states",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("shared_states")

"""Models, syncs (with their models and revisions) and jobs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syncline.store.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _organization() -> sa.Column[str]:
    return sa.Column(
        "organization_id",
        sa.String(36),
        sa.ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
    )


def _audit() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(36), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.String(36), primary_key=True),
        _organization(),
        sa.Column("connection_id", sa.String(36), sa.ForeignKey("connections.id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("configuration", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("identifier", sa.String(255), nullable=True),
        sa.Column("tracking_columns", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("relations", sa.JSON(), nullable=False),
        sa.Column("policies", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *_audit(),
    )
    op.create_index("ix_models_organization_id", "models", ["organization_id"])
    op.create_index("ix_models_connection_id", "models", ["connection_id"])

    op.create_table(
        "syncs",
        sa.Column("id", sa.String(36), primary_key=True),
        _organization(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(32), nullable=False),
        sa.Column(
            "target_connection_id",
            sa.String(36),
            sa.ForeignKey("connections.id"),
            nullable=False,
        ),
        sa.Column("target_object", sa.String(1024), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=False),
        sa.Column("error_handling", sa.JSON(), nullable=False),
        *_audit(),
    )
    op.create_index("ix_syncs_organization_id", "syncs", ["organization_id"])
    op.create_index("ix_syncs_target_connection_id", "syncs", ["target_connection_id"])
    op.create_index("ix_syncs_listing", "syncs", ["organization_id", "updated_at", "id"])

    op.create_table(
        "sync_models",
        sa.Column(
            "sync_id",
            sa.String(36),
            sa.ForeignKey("syncs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("model_id", sa.String(36), sa.ForeignKey("models.id"), primary_key=True),
    )
    op.create_index("ix_sync_models_model_id", "sync_models", ["model_id"])

    op.create_table(
        "sync_revisions",
        sa.Column(
            "sync_id",
            sa.String(36),
            sa.ForeignKey("syncs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("updated_at", UtcDateTime(), primary_key=True),
    )

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        _organization(),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_jobs_organization_id", "jobs", ["organization_id"])


def downgrade() -> None:
    for table in ("jobs", "sync_revisions", "sync_models", "syncs", "models"):
        op.drop_table(table)

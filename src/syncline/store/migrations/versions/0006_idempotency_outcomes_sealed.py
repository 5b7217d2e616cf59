"""Idempotency records no longer keep anything in clear.

Outcome bodies are now encrypted with the secret box and requests are
recognised by a keyed digest. Records kept before carry a body in clear
(the value of a new API key, for one) and an unkeyed digest of the request
(which may hold a password); both are dropped here. Their keys answer 409
until they expire, 24 hours after their first use, instead of running the
request a second time.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_records = sa.table(
    "idempotency_keys",
    sa.column("fingerprint", sa.String(64)),
    sa.column("body", sa.LargeBinary()),
)


def upgrade() -> None:
    op.execute(_records.update().values(fingerprint="", body=b""))


def downgrade() -> None:
    # What was dropped cannot come back; the emptied records read as
    # different requests to the older code, so their keys answer 422.
    pass

"""operations: the worker's heartbeat (time since its last pass, for /metrics)

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.core.db

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker_id", sa.String(length=128), nullable=False),
        sa.Column("started_at", manyi.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_pass_at", manyi.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("passes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeats")

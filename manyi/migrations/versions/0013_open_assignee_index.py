"""orders: a partial index of open assigned orders by assignee, for the one open-load count

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ASSIGNED = sa.text(
    "assignee_id IS NOT NULL AND deleted_at IS NULL AND status IN ('acknowledged', 'inProgress', 'pending', 'held')"
)


def upgrade() -> None:
    op.create_index(
        "ix_work_orders_open_assignee",
        "work_orders",
        ["assignee_id"],
        unique=False,
        postgresql_where=OPEN_ASSIGNED,
        sqlite_where=OPEN_ASSIGNED,
    )


def downgrade() -> None:
    op.drop_index("ix_work_orders_open_assignee", table_name="work_orders")

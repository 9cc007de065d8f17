"""list indexes on live orders only (partial), so exact counts are index-only scans

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 19:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "status_team": ["status", "team_id"],
    "team_status": ["team_id", "status"],
    "region_status": ["region_code", "status"],
    "breached_status": ["sla_breached", "status"],
    "created_at": ["created_at"],
    "updated_at": ["updated_at"],
}
LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(f"ix_work_orders_{name}")
    for name, columns in INDEXES.items():
        op.create_index(
            f"ix_work_orders_{name}", "work_orders", columns, postgresql_where=LIVE, sqlite_where=LIVE
        )


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(f"ix_work_orders_{name}", table_name="work_orders")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(f"ix_work_orders_{name}", columns, unique=False)

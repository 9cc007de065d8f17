"""console: indexes for queues, board and supervision; daily timeliness sums

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.core.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")
UNASSIGNED = sa.text(
    "assignee_id IS NULL AND deleted_at IS NULL AND status IN ('acknowledged', 'inProgress', 'pending', 'held')"
)
PROVISIONAL = sa.text("sla_provisional")
RUNNING = sa.text("state = 'running'")
MET = sa.text("met_at IS NOT NULL")


def _partial(name: str, table: str, columns: list[str], where: sa.TextClause | None) -> None:
    if where is None:
        op.create_index(name, table, columns, unique=False)
    else:
        op.create_index(name, table, columns, unique=False, postgresql_where=where, sqlite_where=where)


def upgrade() -> None:
    op.create_table(
        "timeliness_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("settled", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "team_id", "region_code", "kind", name=op.f("pk_timeliness_days")),
    )
    op.create_table(
        "timeliness_days_summed",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("summed_at", manyi.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_timeliness_days_summed")),
    )
    # (region, status) grows a team column: the same list filter, plus supervisors' scoped counts.
    op.drop_index("ix_work_orders_region_status", table_name="work_orders")
    _partial("ix_work_orders_region_status_team", "work_orders", ["region_code", "status", "team_id"], LIVE)
    op.create_index(
        "ix_work_orders_stage_created",
        "work_orders",
        ["stage", "created_at", "id"],
        unique=False,
        postgresql_include=["region_code", "team_id", "type"],  # the board's filters, index-only
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )
    _partial("ix_work_orders_unassigned", "work_orders", ["team_id", "created_at"], UNASSIGNED)
    _partial("ix_work_orders_provisional", "work_orders", ["region_code"], PROVISIONAL)
    _partial("ix_sla_clocks_running_due", "sla_clocks", ["due_at", "id"], RUNNING)
    _partial("ix_sla_clocks_due_at", "sla_clocks", ["due_at"], None)
    _partial("ix_sla_clocks_met_at", "sla_clocks", ["met_at"], MET)
    _partial("ix_outbox_messages_recipient_user_id_id", "outbox_messages", ["recipient_user_id", "id"], None)
    op.drop_index("ix_customers_name", table_name="customers")
    op.create_index(
        "ix_customers_name_pattern",
        "customers",
        ["name"],
        unique=False,
        postgresql_ops={"name": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_customers_name_pattern", table_name="customers")
    op.create_index("ix_customers_name", "customers", ["name"], unique=False)
    for name, table in (
        ("ix_outbox_messages_recipient_user_id_id", "outbox_messages"),
        ("ix_sla_clocks_met_at", "sla_clocks"),
        ("ix_sla_clocks_due_at", "sla_clocks"),
        ("ix_sla_clocks_running_due", "sla_clocks"),
        ("ix_work_orders_provisional", "work_orders"),
        ("ix_work_orders_unassigned", "work_orders"),
        ("ix_work_orders_stage_created", "work_orders"),
        ("ix_work_orders_region_status_team", "work_orders"),
    ):
        op.drop_index(name, table_name=table)
    _partial("ix_work_orders_region_status", "work_orders", ["region_code", "status"], LIVE)
    op.drop_table("timeliness_days_summed")
    op.drop_table("timeliness_days")

"""organisations (own operator, channel partners, contractors): users and teams belong to one;
orders record the organisation that created them and the partner they were given to; SLA targets
may hold a contractor organisation's own limit

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-03 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _organisation_column(table: str, column: str, *, index: bool) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f(f"fk_{table}_{column}_organisations"), "organisations", [column], ["id"]
        )
        if index:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_organisations_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    # Existing users, teams, orders and targets stay the operator's own (null): nothing an operator
    # edited changes, and no existing account loses sight of an order.
    _organisation_column("users", "organisation_id", index=True)
    _organisation_column("teams", "organisation_id", index=True)
    _organisation_column("work_orders", "created_by_org_id", index=True)
    _organisation_column("work_orders", "partner_org_id", index=True)
    _organisation_column("sla_targets", "organisation_id", index=False)


def downgrade() -> None:
    for table, column, index in (
        ("sla_targets", "organisation_id", False),
        ("work_orders", "partner_org_id", True),
        ("work_orders", "created_by_org_id", True),
        ("teams", "organisation_id", True),
        ("users", "organisation_id", True),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if index:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_{column}_organisations"), type_="foreignkey")
            batch_op.drop_column(column)
    op.drop_table("organisations")

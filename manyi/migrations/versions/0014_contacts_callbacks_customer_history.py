"""closed loop: contact attempts, callbacks, customer history

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.core.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _order_table(name: str, value: sa.Column[str]) -> None:
    op.create_table(
        name,
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("at", manyi.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        value,
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f(f"fk_{name}_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["work_orders.id"], name=op.f(f"fk_{name}_order_id_work_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_order_id"), ["order_id"], unique=False)


def upgrade() -> None:
    _order_table("order_contacts", sa.Column("outcome", sa.String(length=16), nullable=False))
    _order_table("order_callbacks", sa.Column("result", sa.String(length=24), nullable=False))
    with op.batch_alter_table("order_callbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_callbacks_at"), ["at"], unique=False)

    op.create_table(
        "customer_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("at", manyi.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_customer_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_events_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_events")),
    )
    with op.batch_alter_table("customer_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_events_customer_id"), ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_events_customer_id"))
    op.drop_table("customer_events")
    with op.batch_alter_table("order_callbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_callbacks_at"))
    for name in ("order_callbacks", "order_contacts"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_order_id"))
        op.drop_table(name)

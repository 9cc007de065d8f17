"""standard TMF clients: long party ids, organization customers and contacts, PIPL erasure records,
API keys' default region, orders awaiting their region (triage)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.core.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING_REGION = sa.text("region_pending AND deleted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        # A client's own party id (a UUID is 36 characters) becomes the customer number.
        batch_op.alter_column(
            "customer_no",
            existing_type=sa.String(length=32),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="individual", nullable=False)
        )
        batch_op.add_column(sa.Column("erased_at", manyi.core.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "customer_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_contacts_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_contacts")),
    )
    op.create_index(
        op.f("ix_customer_contacts_customer_id"), "customer_contacts", ["customer_id"], unique=False
    )
    op.create_table(
        "customer_erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("at", manyi.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_customer_erasures_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_erasures_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_erasures")),
    )
    op.create_index(
        op.f("ix_customer_erasures_customer_id"), "customer_erasures", ["customer_id"], unique=False
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_region_code", sa.String(length=12), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_keys_default_region_code_regions"),
            "regions",
            ["default_region_code"],
            ["code"],
        )
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("region_pending", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_index(
        "ix_work_orders_region_pending",
        "work_orders",
        ["created_at"],
        unique=False,
        postgresql_where=PENDING_REGION,
        sqlite_where=PENDING_REGION,
    )


def downgrade() -> None:
    op.drop_index("ix_work_orders_region_pending", table_name="work_orders")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_column("region_pending")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_api_keys_default_region_code_regions"), type_="foreignkey")
        batch_op.drop_column("default_region_code")
    op.drop_index(op.f("ix_customer_erasures_customer_id"), table_name="customer_erasures")
    op.drop_table("customer_erasures")
    op.drop_index(op.f("ix_customer_contacts_customer_id"), table_name="customer_contacts")
    op.drop_table("customer_contacts")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("kind")
        batch_op.alter_column(
            "customer_no",
            existing_type=sa.String(length=64),
            type_=sa.String(length=32),
            existing_nullable=False,
        )

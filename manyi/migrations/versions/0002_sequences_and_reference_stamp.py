"""order numbers from a sequence; counters table with the reference-data stamp

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 18:10:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    # Continue above every number already issued, whatever day it was issued on, so the new global
    # sequence can never repeat an old daily number (GD + 8-digit date + sequence).
    bind = op.get_bind()
    last = bind.execute(
        sa.text("SELECT COALESCE(MAX(CAST(SUBSTR(number, 11) AS BIGINT)), 0) FROM work_orders")
    ).scalar_one()
    if bind.dialect.name == "postgresql":
        op.execute(sa.text(f"CREATE SEQUENCE work_order_number_seq START WITH {int(last) + 1}"))
    elif last:
        op.execute(
            sa.text(f"INSERT INTO counters (name, value) VALUES ('work_order_number_seq', {int(last)})")
        )
    # A random stamp, as manyi.core.refdata writes: a recreated database never matches an old cache.
    op.execute(
        sa.text(f"INSERT INTO counters (name, value) VALUES ('reference_data', {secrets.randbits(62)})")
    )
    op.drop_table("order_number_sequences")


def downgrade() -> None:
    op.create_table(
        "order_number_sequences",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_order_number_sequences")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("DROP SEQUENCE work_order_number_seq"))
    op.drop_table("counters")

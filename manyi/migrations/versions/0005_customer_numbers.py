"""customer numbers from a sequence

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Continue above every number already given (C + digits), so a new one never repeats an old one.
    bind = op.get_bind()
    numbers = bind.execute(sa.text("SELECT customer_no FROM customers WHERE customer_no LIKE 'C%'")).scalars()
    last = max((int(n[1:]) for n in numbers if n[1:].isdigit()), default=0)
    if bind.dialect.name == "postgresql":
        op.execute(sa.text(f"CREATE SEQUENCE customer_number_seq START WITH {last + 1}"))
    elif last:
        op.execute(sa.text(f"INSERT INTO counters (name, value) VALUES ('customer_number_seq', {last})"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("DROP SEQUENCE customer_number_seq"))
    else:
        op.execute(sa.text("DELETE FROM counters WHERE name = 'customer_number_seq'"))

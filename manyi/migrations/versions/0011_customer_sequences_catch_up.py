"""customer sequences catch up with rows written outside them (data only, no schema change)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:00:00

Until now `manyi demo` gave its customers ids and numbers of its own (C + id) without taking them
from the sequences, so on a demo database the first customer created through the API was given the
first demo customer's number (and, on PostgreSQL, its id) and refused as a duplicate. Move both
sequences past what is there; numbering itself now skips taken numbers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    numbers = bind.execute(sa.text("SELECT customer_no FROM customers WHERE customer_no LIKE 'C%'")).scalars()
    last_number = max((int(n[1:]) for n in numbers if n[1:].isdigit() and len(n) <= 19), default=0)
    if bind.dialect.name == "postgresql":
        top_id = bind.execute(sa.text("SELECT max(id) FROM customers")).scalar()
        id_sequence = bind.execute(sa.text("SELECT pg_get_serial_sequence('customers', 'id')")).scalar()
        for sequence, value in ((id_sequence, top_id), ("customer_number_seq", last_number)):
            if sequence and value:
                # setval never moves a sequence back here: only past what it handed out already.
                last = "CASE WHEN is_called THEN last_value ELSE last_value - 1 END"
                bind.execute(
                    sa.text(f"SELECT setval('{sequence}', :v) FROM {sequence} WHERE {last} < :v"),
                    {"v": value},
                )
    elif last_number:
        bind.execute(
            sa.text(
                "INSERT INTO counters (name, value) VALUES ('customer_number_seq', :v) "
                "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)"
            ),
            {"v": last_number},
        )


def downgrade() -> None:
    """Nothing to undo: sequences that moved on stay moved on, so no number is handed out twice."""

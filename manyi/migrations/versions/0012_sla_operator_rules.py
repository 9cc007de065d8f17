"""sla: the operator's rules -- the install pipeline's clocks, settled outcomes credited to a team

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:00:00

Schema: sla_clocks records when each clock's outcome was decided, whether on time, and the team
credited with it (settled_at, settled_on_time, credited_team_id; see manyi.sla.kpis). Clocks whose
outcome is already known are filled in from the rule used until now (met or breached; the team is
the order's current one, the best there is), and the daily timeliness sums are emptied so they are
summed again, on first need, under the new definition.

Data: the default SLA policies shipped before become seed 004's (docs/kpis.md). A default policy
whose targets are still exactly the old shipped ones is updated; one an operator edited is left as
it is and named in the log. Open orders keep the clocks they have; the policy recompute
(PATCH /api/v1/slaPolicies/{id}, or the admin page) moves them to the new limits on request.
"""

import logging
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import manyi.core.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("manyi.migrations")

SETTLED = sa.text("settled_at IS NOT NULL")
MET = sa.text("met_at IS NOT NULL")

# The shipped defaults as they were (0001-0008) and as they are now (manyi.sla.policies), written out
# here so this migration means the same thing whatever the code says later.
OLD_PIPELINE = {("first_contact", 2.0, "working_hours"), ("appointment", 24.0, "natural_hours")} | {
    ("resolution", 3.0, "working_days")
}
FAULT = [("first_contact", 2.0, "working_hours"), ("resolution", 3.0, "working_days")]
INSTALL = [
    ("extraction", 2.0, "natural_hours"),
    ("appointment", 24.0, "natural_hours"),
    ("installation", 3.0, "working_days"),
    ("resolution", 3.0, "natural_days"),
]
REMOVE = [
    ("extraction", 2.0, "natural_hours"),
    ("appointment", 24.0, "natural_hours"),
    ("resolution", 3.0, "working_days"),
]
OLD_REMOVE_MOVE, NEW_REMOVE, NEW_MOVE = "拆移机 remove/move", "拆机 remove", "移机 move"
CRITERIA = (
    "category_path_prefixes",
    "products",
    "brands",
    "vip_levels",
    "priorities",
    "channels",
    "region_codes",
)

policies = sa.table(
    "sla_policies",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("rank", sa.Integer),
    sa.column("order_types", sa.JSON),
    *(sa.column(name, sa.JSON) for name in CRITERIA),
    sa.column("calendar_name", sa.String),
    sa.column("warning_share", sa.Float),
    sa.column("active", sa.Boolean),
    sa.column("version", sa.Integer),
)
targets = sa.table(
    "sla_targets",
    sa.column("id", sa.Integer),
    sa.column("policy_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("amount", sa.Float),
    sa.column("unit", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settled_at", manyi.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("settled_on_time", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("credited_team_id", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE sla_clocks SET
          settled_on_time = (met_at IS NOT NULL AND met_at <= due_at AND NOT breached),
          settled_at = CASE
            WHEN met_at IS NOT NULL AND met_at <= due_at AND NOT breached THEN met_at
            WHEN met_at IS NOT NULL AND met_at < due_at THEN met_at
            ELSE due_at END,
          credited_team_id = (SELECT team_id FROM work_orders WHERE work_orders.id = sla_clocks.order_id)
        WHERE met_at IS NOT NULL OR breached
        """
    )
    op.drop_index("ix_sla_clocks_met_at", table_name="sla_clocks")
    op.create_index(
        "ix_sla_clocks_settled_at",
        "sla_clocks",
        ["settled_at"],
        unique=False,
        postgresql_where=SETTLED,
        sqlite_where=SETTLED,
    )
    op.execute("DELETE FROM timeliness_days")
    op.execute("DELETE FROM timeliness_days_summed")
    _update_default_policies(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_sla_clocks_settled_at", table_name="sla_clocks")
    op.create_index(
        "ix_sla_clocks_met_at", "sla_clocks", ["met_at"], unique=False, postgresql_where=MET, sqlite_where=MET
    )
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_column("credited_team_id")
        batch_op.drop_column("settled_on_time")
        batch_op.drop_column("settled_at")
    op.execute("DELETE FROM timeliness_days")
    op.execute("DELETE FROM timeliness_days_summed")
    log.warning("SLA policies keep the limits 0012 gave them; edit them to go back")


def _policy(bind: Any, name: str) -> Any:
    return bind.execute(sa.select(policies).where(policies.c.name == name)).first()


def _targets(bind: Any, policy_id: int) -> set[tuple[str, float, str]]:
    rows = bind.execute(
        sa.select(targets.c.kind, targets.c.amount, targets.c.unit).where(targets.c.policy_id == policy_id)
    )
    return {(kind, float(amount), unit) for kind, amount, unit in rows}


def _set_targets(bind: Any, policy_id: int, new: list[tuple[str, float, str]]) -> None:
    bind.execute(sa.delete(targets).where(targets.c.policy_id == policy_id))
    bind.execute(
        sa.insert(targets),
        [{"policy_id": policy_id, "kind": k, "amount": a, "unit": u} for k, a, u in new],
    )
    # A new version: API clients holding the old ETag must re-read before they edit it.
    bind.execute(sa.update(policies).where(policies.c.id == policy_id).values(version=policies.c.version + 1))


def _left(name: str, why: str) -> None:
    log.warning("SLA policy %r was edited (%s): left as it is; compare it with docs/kpis.md", name, why)


def _update_default_policies(bind: Any) -> None:
    changed = False
    for name, new in (("故障 fault", FAULT), ("装机 install", INSTALL)):
        row = _policy(bind, name)
        if row is None:
            continue
        if _targets(bind, row.id) != OLD_PIPELINE:
            _left(name, "its targets are not the old defaults")
            continue
        _set_targets(bind, row.id, new)
        log.warning("SLA policy %r: targets set to the seed 004 defaults %s", name, new)
        changed = True

    row = _policy(bind, OLD_REMOVE_MOVE)
    if row is not None:
        if _targets(bind, row.id) != OLD_PIPELINE:
            _left(OLD_REMOVE_MOVE, "its targets are not the old defaults")
        elif sorted(row.order_types or []) != ["move", "remove"]:
            _left(OLD_REMOVE_MOVE, "its order types are not remove and move")
        elif _policy(bind, NEW_REMOVE) is not None or _policy(bind, NEW_MOVE) is not None:
            _left(OLD_REMOVE_MOVE, f"a policy named {NEW_REMOVE!r} or {NEW_MOVE!r} exists already")
        else:
            # Moves follow the install pipeline, removals their own: the one policy becomes two,
            # the move policy matching what the old one matched (its criteria, rank and calendar).
            bind.execute(
                sa.update(policies)
                .where(policies.c.id == row.id)
                .values(name=NEW_REMOVE, order_types=["remove"])
            )
            _set_targets(bind, row.id, REMOVE)
            copied = {
                name: getattr(row, name)
                for name in (*CRITERIA, "rank", "calendar_name", "warning_share", "active")
            }
            move_id = bind.execute(
                sa.insert(policies)
                .values(name=NEW_MOVE, order_types=["move"], version=1, **copied)
                .returning(policies.c.id)
            ).scalar_one()
            bind.execute(
                sa.insert(targets),
                [{"policy_id": move_id, "kind": k, "amount": a, "unit": u} for k, a, u in INSTALL],
            )
            log.warning(
                "SLA policy %r split into %r %s and %r %s",
                OLD_REMOVE_MOVE,
                NEW_REMOVE,
                REMOVE,
                NEW_MOVE,
                INSTALL,
            )
            changed = True
    if changed:
        # Processes still running cache the policies until this stamp changes (manyi.core.refdata).
        stamp = secrets.randbits(62)
        updated = bind.execute(
            sa.text("UPDATE counters SET value = :v WHERE name = 'reference_data'"), {"v": stamp}
        )
        if not updated.rowcount:
            bind.execute(
                sa.text("INSERT INTO counters (name, value) VALUES ('reference_data', :v)"), {"v": stamp}
            )

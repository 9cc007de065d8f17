"""Which SLA policy an order gets, and on which calendar its clocks run; the default policies.

Policies are read on every new order and edited a few times a year, so they are cached as plain data
per process (see manyi.core.refdata); an edit is seen by every process on its next order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.categories.tree import category_path
from manyi.core.errors import ValidationFailed
from manyi.core.refdata import cached
from manyi.core.settings import get_settings
from manyi.customers.models import Customer
from manyi.org.reference import region_chain, region_index, team_calendar
from manyi.sla.models import TARGET_KINDS, SlaPolicy, SlaTarget
from manyi.sla.rules import STARTS_WHEN_HANDED_ON, OrderFacts, policy_matches


@dataclass(frozen=True)
class TargetData:
    kind: str
    amount: float
    unit: str


@dataclass(frozen=True)
class PolicyData:
    """An active policy and its targets as plain data (satisfies rules.PolicyCriteria)."""

    id: int
    name: str
    order_types: list[str] | None
    category_path_prefixes: list[str] | None
    products: list[str] | None
    brands: list[str] | None
    vip_levels: list[int] | None
    priorities: list[int] | None
    channels: list[str] | None
    region_codes: list[str] | None
    calendar_name: str | None
    warning_share: float
    targets: tuple[TargetData, ...]


class OrderLike(Protocol):
    """What policy choice reads: a WorkOrder, or the values of one about to be inserted."""

    type: str
    customer_id: int | None
    category_id: int | None
    product: str | None
    priority: int
    channel: str
    region_code: str
    team_id: int | None


def _targets(rows: list[SlaTarget]) -> tuple[TargetData, ...]:
    """A policy's targets, those that start later last: an order's clocks are written in this
    order (the bulk writer relies on it to write the same rows as the services)."""
    ordered = sorted(rows, key=lambda t: (t.kind in STARTS_WHEN_HANDED_ON, t.id))
    return tuple(TargetData(t.kind, t.amount, t.unit) for t in ordered)


def _policy_data(policy: SlaPolicy, targets: tuple[TargetData, ...]) -> PolicyData:
    return PolicyData(
        id=policy.id,
        name=policy.name,
        order_types=policy.order_types,
        category_path_prefixes=policy.category_path_prefixes,
        products=policy.products,
        brands=policy.brands,
        vip_levels=policy.vip_levels,
        priorities=policy.priorities,
        channels=policy.channels,
        region_codes=policy.region_codes,
        calendar_name=policy.calendar_name,
        warning_share=policy.warning_share,
        targets=targets,
    )


def _load_policies(session: Session) -> list[PolicyData]:
    policies = list(
        session.scalars(
            select(SlaPolicy).where(SlaPolicy.active.is_(True)).order_by(SlaPolicy.rank, SlaPolicy.id)
        )
    )
    rows: dict[int, list[SlaTarget]] = {}
    for t in session.scalars(select(SlaTarget).order_by(SlaTarget.id)):
        rows.setdefault(t.policy_id, []).append(t)
    return [_policy_data(p, _targets(rows.get(p.id, []))) for p in policies]


def active_policies(session: Session) -> list[PolicyData]:
    return cached(session, "sla_policies", _load_policies)


def policy_data(session: Session, *, policy_id: int) -> PolicyData | None:
    """The policy an order was given, active or not (an order keeps its policy)."""
    found = next((p for p in active_policies(session) if p.id == policy_id), None)
    if found is not None:
        return found
    policy = session.get(SlaPolicy, policy_id)
    if policy is None:
        return None
    rows = list(session.scalars(select(SlaTarget).where(SlaTarget.policy_id == policy_id)))
    return _policy_data(policy, _targets(rows))


def order_facts(session: Session, order: OrderLike, customer: Customer | None = None) -> OrderFacts:
    """What policy matching looks at, from the order, its category, customer and region chain."""
    if customer is None and order.customer_id:
        customer = session.get(Customer, order.customer_id)
    return OrderFacts(
        order_type=order.type,
        category_path=category_path(session, order.category_id),
        product=order.product,
        brand=customer.brand if customer else None,
        vip_level=customer.vip_level if customer else None,
        priority=order.priority,
        channel=order.channel,
        region_codes=region_chain(session, order.region_code),
    )


def choose_policy(
    session: Session, *, order: OrderLike, customer: Customer | None = None
) -> PolicyData | None:
    """Return the lowest-ranked active policy that matches the order."""
    facts = order_facts(session, order, customer)
    return next((p for p in active_policies(session) if policy_matches(p, facts)), None)


def calendar_for(session: Session, *, order: OrderLike, policy: PolicyData) -> str:
    """The policy's calendar, else the team's, else the region's, else the configured default."""
    if policy.calendar_name:
        return policy.calendar_name
    if order.team_id:
        name = team_calendar(session, order.team_id)
        if name:
            return name
    region = region_index(session).get(order.region_code)
    if region and region.calendar_name:
        return region.calendar_name
    return get_settings().default_calendar


# The install pipeline of seed 004 (有线宽带, 400 pre-acceptance): the branch's back office extracts
# the order within 2 hours (分公司预约工单提取时限：2小时), the crew phones to book the visit within 24
# hours of acceptance (电话预约上门时限：400受理计起的24小时), and the installation is complete within
# the one promise the seed proposes for own and partner crews alike, 3 natural days (安装总时限：3天,
# "3个自然日"); the crew's own KPI, 3 working days from the installation task (装机及时率), runs as
# `installation` from the order's hand-over by the back office. Hours the seed does not call
# working hours (工作小时) are natural hours.
INSTALL_PIPELINE: list[tuple[str, float, str]] = [
    ("extraction", 2, "natural_hours"),
    ("appointment", 24, "natural_hours"),
    ("installation", 3, "working_days"),
    ("resolution", 3, "natural_days"),
]
DEFAULT_POLICIES: list[tuple[str, int, list[str], list[tuple[str, float, str]]]] = [
    # name, rank, order types, [(target kind, amount, unit)] -- DOMAIN.md's limits
    (
        "投诉 complaint",
        100,
        ["complaint"],
        [
            ("first_contact", 2, "working_hours"),
            ("response", 2, "working_days"),
            ("resolution", 15, "natural_days"),
        ],
    ),
    # Seed 004, after-sales: first contact within 2 working hours of receipt; a visit only where
    # needed, by appointment (预约率 <= 30 %), so no appointment clock: a remote fix taking a day is
    # not late. No seed gives a fault resolution limit: 3 working days.
    (
        "故障 fault",
        100,
        ["fault"],
        [("first_contact", 2, "working_hours"), ("resolution", 3, "working_days")],
    ),
    ("装机 install", 100, ["install"], INSTALL_PIPELINE),
    # DOMAIN.md: these clocks belong to installs and moves; a move is an installation at the new address.
    ("移机 move", 100, ["move"], INSTALL_PIPELINE),
    # A removal is booked through the same 400 pipeline (an appointment order, 预约工单: extracted by
    # the back office, a visit booked by the crew to take the equipment back), but nothing is
    # installed: no installation clock, and the 3-natural-day installation promise does not apply.
    (
        "拆机 remove",
        100,
        ["remove"],
        [
            ("extraction", 2, "natural_hours"),
            ("appointment", 24, "natural_hours"),
            ("resolution", 3, "working_days"),
        ],
    ),
    (
        "变更与咨询 change/inquiry",
        100,
        ["change", "inquiry"],
        [("first_contact", 2, "working_hours"), ("resolution", 1, "working_days")],
    ),
    ("回访与关怀 callback/care", 100, ["callback", "proactiveCare"], [("resolution", 2, "working_days")]),
]


def seed_default_policies(session: Session) -> None:
    """Create the default policies from DOMAIN.md when absent (idempotent)."""
    for name, rank, types, targets in DEFAULT_POLICIES:
        if session.scalars(select(SlaPolicy).where(SlaPolicy.name == name)).first():
            continue
        policy = SlaPolicy(
            name=name, rank=rank, order_types=types, warning_share=get_settings().sla_warning_share
        )
        session.add(policy)
        session.flush()
        session.add_all(SlaTarget(policy_id=policy.id, kind=k, amount=a, unit=u) for k, a, u in targets)
    session.flush()


def check_target(kind: str, unit: str, amount: float) -> None:
    if kind not in TARGET_KINDS:
        raise ValidationFailed(f"kind: expected one of {', '.join(TARGET_KINDS)}, got {kind!r}", field="kind")
    if amount <= 0:
        raise ValidationFailed(f"amount: expected a positive number, got {amount}", field="amount")

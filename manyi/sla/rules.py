"""Pure SLA rules: which policy matches an order, which order change starts or meets which clock,
and when a clock's outcome is settled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# Stages that prove the customer was reached, in lifecycle order.
CONTACTED_STAGES = frozenset({"contacted", "responded", "appointed", "on_site"})
# Stages past the back office's extraction (seed 004: 提取时限): `extract`, or any later step.
HANDED_ON_STAGES = CONTACTED_STAGES | {"extracted"}
# Clocks that start when the order is handed on rather than when it is accepted: the crew's
# installation task (seed 004, 装机及时率: "在IMEP平台接到装机任务单后的三个工作日内") reaches the
# crew once the back office has extracted the pre-accepted order and entered it (PBOSS -> IMEP).
STARTS_WHEN_HANDED_ON = frozenset({"installation"})


@dataclass(frozen=True)
class OrderFacts:
    """What policy matching looks at, gathered from the order and its customer."""

    order_type: str
    category_path: str | None
    product: str | None
    brand: str | None
    vip_level: int | None
    priority: int
    channel: str
    region_codes: tuple[str, ...]  # the order's region and its ancestors


class PolicyCriteria(Protocol):
    @property
    def order_types(self) -> list[str] | None: ...
    @property
    def category_path_prefixes(self) -> list[str] | None: ...
    @property
    def products(self) -> list[str] | None: ...
    @property
    def brands(self) -> list[str] | None: ...
    @property
    def vip_levels(self) -> list[int] | None: ...
    @property
    def priorities(self) -> list[int] | None: ...
    @property
    def channels(self) -> list[str] | None: ...
    @property
    def region_codes(self) -> list[str] | None: ...


def _ok(criteria: Sequence[object] | None, value: object) -> bool:
    return not criteria or value in criteria


def policy_matches(p: PolicyCriteria, facts: OrderFacts) -> bool:
    """True when every non-empty criterion of the policy admits the order."""
    return (
        _ok(p.order_types, facts.order_type)
        and _ok(p.products, facts.product)
        and _ok(p.brands, facts.brand)
        and _ok(p.vip_levels, facts.vip_level)
        and _ok(p.priorities, facts.priority)
        and _ok(p.channels, facts.channel)
        and (not p.region_codes or any(r in p.region_codes for r in facts.region_codes))
        and (
            not p.category_path_prefixes
            or any((facts.category_path or "").startswith(x) for x in p.category_path_prefixes)
        )
    )


def handed_on(status: str, stage: str) -> bool:
    """Whether an order in (status, stage) has left the back office's extraction queue."""
    return status in ("resolved", "closed") or stage in HANDED_ON_STAGES


def clock_starts(kind: str, *, old_status: str, old_stage: str, status: str, stage: str) -> bool:
    """Whether the clock of this kind starts on the change from (old_status, old_stage) to (status,
    stage); clocks of other kinds start when the order is accepted."""
    return kind in STARTS_WHEN_HANDED_ON and handed_on(status, stage) and not handed_on(old_status, old_stage)


def clock_met(kind: str, status: str, stage: str) -> bool:
    """Whether an order now in (status, stage) has met the clock of this kind."""
    if status in ("resolved", "closed"):
        return True
    if kind == "extraction":
        return stage in HANDED_ON_STAGES
    if kind == "first_contact":
        return stage in CONTACTED_STAGES
    if kind == "appointment":
        return stage in ("appointed", "on_site")
    if kind == "response":
        return stage == "responded"
    return False


def settle(clock: Any, *, at: Any, on_time: bool, team_id: int | None) -> None:
    """Record when the clock's outcome was decided, whether on time, and the team credited with it
    (the one holding the order then) -- the first time only: a re-opened clock, a later transfer or
    a late sweep does not move it. Shared by the services, the sweep and the bulk writer (whose
    instants are integers)."""
    if clock.settled_at is None:
        clock.settled_at, clock.settled_on_time, clock.credited_team_id = at, on_time, team_id

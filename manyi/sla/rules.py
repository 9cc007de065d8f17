"""Pure SLA rules: which policy matches an order, and which order change meets which clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Stages that prove the customer was reached, in lifecycle order.
CONTACTED_STAGES = frozenset({"contacted", "responded", "appointed", "on_site"})


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


def clock_met(kind: str, status: str, stage: str) -> bool:
    """Whether an order now in (status, stage) has met the clock of this kind."""
    if status in ("resolved", "closed"):
        return True
    if kind == "first_contact":
        return stage in CONTACTED_STAGES
    if kind == "appointment":
        return stage in ("appointed", "on_site")
    if kind == "response":
        return stage == "responded"
    return False

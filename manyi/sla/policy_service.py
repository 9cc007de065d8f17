"""Creating and changing SLA policies. Flush, never commit.

Criteria, rank and `active` decide the policy of orders created from now on; an order keeps the
policy it was given. Targets, the warning share and the calendar are the limits of the open clocks
that follow the policy, so changing them recomputes those clocks from their start (pauses kept).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from manyi.calendars.arithmetic import UNITS
from manyi.calendars.models import Calendar
from manyi.categories.models import Category
from manyi.core.errors import Conflict, NotFound, ValidationFailed
from manyi.core.settings import get_settings
from manyi.customers.models import BRANDS, PRODUCTS
from manyi.orders.lifecycle import ORDER_TYPES
from manyi.orders.models import WorkOrder
from manyi.orders.service import CHANNELS
from manyi.org.reference import region_index
from manyi.sla.models import TARGET_KINDS, SlaClock, SlaPolicy, SlaTarget
from manyi.sla.policies import PolicyData, TargetData, calendar_for, check_target
from manyi.sla.service import recompute_policy_clocks

CRITERIA = (
    "order_types",
    "category_path_prefixes",
    "products",
    "brands",
    "vip_levels",
    "priorities",
    "channels",
    "region_codes",
)
CHANGEABLE = frozenset({"name", "rank", "calendar_name", "warning_share", "active", "targets", *CRITERIA})
DAY_UNITS = ("working_days", "natural_days")


@dataclass(frozen=True)
class PolicyChange:
    policy: SlaPolicy
    recomputed_clocks: int


def get_policy(session: Session, *, policy_id: int) -> SlaPolicy:
    policy = session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound(f"SLA policy {policy_id} does not exist")
    return policy


def policy_targets(session: Session, *, policy_id: int) -> list[TargetData]:
    rows = session.scalars(select(SlaTarget).where(SlaTarget.policy_id == policy_id).order_by(SlaTarget.id))
    return [TargetData(t.kind, t.amount, t.unit) for t in rows]


def _check_name(session: Session, name: Any, policy_id: int | None = None) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 128:
        raise ValidationFailed(f"name: expected 1-128 characters, got {name!r}", field="name")
    name = name.strip()
    other = session.scalars(select(SlaPolicy).where(SlaPolicy.name == name)).first()
    if other is not None and other.id != policy_id:
        raise Conflict(f"name: an SLA policy called {name!r} already exists", field="name")
    return name


def check_targets(targets: Sequence[TargetData]) -> list[TargetData]:
    """At least one target, one per kind, a known unit, a positive amount; whole days for day units."""
    if not targets:
        raise ValidationFailed(
            f"targets: give at least one target ({', '.join(TARGET_KINDS)})", field="targets"
        )
    seen: set[str] = set()
    for i, t in enumerate(targets):
        where = f"targets[{i}]"
        try:
            check_target(t.kind, t.unit, t.amount)
        except ValidationFailed as exc:
            raise ValidationFailed(f"{where}.{exc.message}", field="targets") from None
        if t.unit not in UNITS:
            raise ValidationFailed(
                f"{where}.unit: expected one of {', '.join(UNITS)}, got {t.unit!r}", field="targets"
            )
        if t.unit in DAY_UNITS and t.amount != int(t.amount):
            raise ValidationFailed(
                f"{where}.amount: {t.unit} are counted in whole days, got {t.amount}", field="targets"
            )
        if t.kind in seen:
            raise ValidationFailed(f"{where}.kind: {t.kind} is given twice", field="targets")
        seen.add(t.kind)
    return list(targets)


def _one_of(values: list[Any], allowed: Sequence[Any], field: str) -> None:
    for value in values:
        if value not in allowed:
            raise ValidationFailed(
                f"{field}: expected values from {', '.join(map(str, allowed))}, got {value!r}", field=field
            )


def check_criteria(session: Session, criteria: Mapping[str, Any]) -> dict[str, list[Any] | None]:
    """Validate criteria lists; an empty list is stored as null (matches anything)."""
    out: dict[str, list[Any] | None] = {}
    for key, raw in criteria.items():
        if raw is None or len(raw) == 0:
            out[key] = None
            continue
        values = list(dict.fromkeys(raw))  # duplicates dropped, order kept
        if key == "order_types":
            _one_of(values, ORDER_TYPES, "orderTypes")
        elif key == "products":
            _one_of(values, PRODUCTS, "products")
        elif key == "brands":
            _one_of(values, BRANDS, "brands")
        elif key == "channels":
            _one_of(values, CHANNELS, "channels")
        elif key == "vip_levels":
            _one_of(values, range(4), "vipLevels")
        elif key == "priorities":
            _one_of(values, range(1, 5), "priorities")
        elif key == "region_codes":
            unknown = [v for v in values if v not in region_index(session)]
            if unknown:
                raise ValidationFailed(
                    f"regionCodes: unknown region code {unknown[0]!r}", field="regionCodes"
                )
        elif key == "category_path_prefixes":
            paths = set(session.scalars(select(Category.path).where(Category.path.in_(values))))
            unknown = [v for v in values if v not in paths]
            if unknown:
                raise ValidationFailed(
                    f"categoryPathPrefixes: {unknown[0]!r} is not the path of a category (e.g. NET or NET/NET.BB)",
                    field="categoryPathPrefixes",
                )
        else:
            raise ValidationFailed(f"{key}: not a policy criterion", field=key)
        out[key] = values
    return out


def _check_calendar(session: Session, name: str | None) -> str | None:
    if name is not None and session.get(Calendar, name) is None:
        known = ", ".join(session.scalars(select(Calendar.name).order_by(Calendar.name)))
        raise ValidationFailed(f"calendar: unknown calendar {name!r} (known: {known})", field="calendar")
    return name


def _check_share(share: float) -> float:
    if not 0 < share < 1:
        raise ValidationFailed(
            f"warningShare: expected a share between 0 and 1 (0.8 warns at 80% of the limit), got {share}",
            field="warningShare",
        )
    return share


def _set_targets(session: Session, policy_id: int, targets: list[TargetData]) -> None:
    session.execute(delete(SlaTarget).where(SlaTarget.policy_id == policy_id))
    session.add_all(
        SlaTarget(policy_id=policy_id, kind=t.kind, amount=t.amount, unit=t.unit) for t in targets
    )


def create_policy(
    session: Session,
    *,
    name: str,
    targets: Sequence[TargetData],
    rank: int = 100,
    calendar_name: str | None = None,
    warning_share: float | None = None,
    active: bool = True,
    criteria: Mapping[str, Any] | None = None,
) -> SlaPolicy:
    """Create a policy with its targets; criteria keys are those of CRITERIA (null: any)."""
    checked = check_criteria(session, {k: None for k in CRITERIA} | dict(criteria or {}))
    policy = SlaPolicy(
        name=_check_name(session, name),
        rank=rank,
        calendar_name=_check_calendar(session, calendar_name),
        warning_share=_check_share(
            get_settings().sla_warning_share if warning_share is None else warning_share
        ),
        active=active,
        **checked,
    )
    valid_targets = check_targets(targets)
    session.add(policy)
    session.flush()
    _set_targets(session, policy.id, valid_targets)
    session.flush()
    return policy


def _move_clocks_to_calendar(session: Session, policy: SlaPolicy) -> None:
    """Open clocks follow the policy's calendar, or the team's/region's/default one when it has none."""
    data = PolicyData(
        id=policy.id,
        name=policy.name,
        calendar_name=policy.calendar_name,
        warning_share=policy.warning_share,
        targets=(),
        **{key: getattr(policy, key) for key in CRITERIA},
    )
    clocks = list(
        session.scalars(
            select(SlaClock).where(SlaClock.policy_id == policy.id, SlaClock.state.in_(("running", "paused")))
        )
    )
    order_ids = {c.order_id for c in clocks}
    orders = {o.id: o for o in session.scalars(select(WorkOrder).where(WorkOrder.id.in_(order_ids)))}
    for clock in clocks:
        clock.calendar_name = calendar_for(session, order=orders[clock.order_id], policy=data)


def update_policy(
    session: Session, *, policy_id: int, changes: Mapping[str, Any], at: datetime | None = None
) -> PolicyChange:
    """Apply changes (keys of CHANGEABLE); recompute the open clocks when their limits changed."""
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]}: cannot be changed", field=sorted(unknown)[0])
    policy = get_policy(session, policy_id=policy_id)
    limits_changed = False
    if "name" in changes:
        policy.name = _check_name(session, changes["name"], policy.id)
    if "rank" in changes:
        policy.rank = changes["rank"]
    if "active" in changes:
        policy.active = changes["active"]
    for key, value in check_criteria(session, {k: v for k, v in changes.items() if k in CRITERIA}).items():
        setattr(policy, key, value)
    if "calendar_name" in changes and changes["calendar_name"] != policy.calendar_name:
        policy.calendar_name = _check_calendar(session, changes["calendar_name"])
        session.flush()
        _move_clocks_to_calendar(session, policy)
        limits_changed = True
    if "warning_share" in changes and changes["warning_share"] != policy.warning_share:
        policy.warning_share = _check_share(changes["warning_share"])
        limits_changed = True
    if "targets" in changes:
        targets = check_targets(changes["targets"])
        if targets != policy_targets(session, policy_id=policy.id):
            _set_targets(session, policy.id, targets)
            # The targets are rows of their own: bump the policy's version so its ETag changes too.
            flag_modified(policy, "name")
            limits_changed = True
    session.flush()
    recomputed = recompute_policy_clocks(session, policy_id=policy.id, at=at) if limits_changed else 0
    return PolicyChange(policy, recomputed)

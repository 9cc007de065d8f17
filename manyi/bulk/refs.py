"""Checking bulk order specs and deciding what the services would decide for each (manyi.bulk.writer).

Every check create_order, transition_order, assign_order and transfer_order make is made here too,
with their messages, prefixed with the spec's index (and step). Routing, policy choice and the
calendar come from the services' own functions, asked once per distinct combination of what they
read, since a million orders have only a few thousand of those.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from operator import itemgetter, le
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.auth.actors import permissions_of
from manyi.bulk.clocks import from_us, to_us
from manyi.bulk.paths import (
    ORDER_ACTIONS,
    Path,
    Program,
    Starts,
    StepRefused,
    clock_program,
    compile_path,
    start_steps,
)
from manyi.bulk.rows import OrderSpec, Resolved, Step
from manyi.calendars.arithmetic import INDEX_FIRST_YEAR, INDEX_LAST_YEAR, WorkingCalendar
from manyi.calendars.service import get_calendar
from manyi.categories.tree import category_by_code
from manyi.core.clock import ensure_aware
from manyi.core.errors import ManyiError, ValidationFailed
from manyi.customers.models import Customer, Subscription
from manyi.orders import closed_loop, lifecycle
from manyi.orders.callbacks import contact_rule
from manyi.orders.planning import OrderDraft
from manyi.orders.routing import check_assignee, route
from manyi.orders.service import CHANNELS, SEVERITIES
from manyi.orders.transfers import check_transfer_target
from manyi.org.reference import region_chain, region_index, team_name, team_region, user_index
from manyi.sla.policies import PolicyData, active_policies, calendar_for, choose_policy

_TYPES = frozenset(lifecycle.ORDER_TYPES)
_CHANNELS = frozenset(CHANNELS)
_SEVERITIES = frozenset(SEVERITIES)
_PRIORITIES = frozenset((1, 2, 3, 4))
_MISSING: Any = object()
_FAILED_OR_NONE = frozenset({None, *closed_loop.FAILED_OUTCOMES})


def _draft(spec: OrderSpec, category_id: int | None, product: str | None, team_id: int | None) -> OrderDraft:
    """The draft routing, policy and calendar choice read, of an order about to be inserted."""
    return OrderDraft(
        type=spec.type,
        channel=spec.channel,
        priority=spec.priority,
        region_code=spec.region_code,
        product=product,
        customer_id=spec.customer_id,
        category_id=category_id,
        team_id=team_id,
    )


def _spec_error(index: int, error: ManyiError, step: int | None = None, action: str = "") -> ValidationFailed:
    where = f"orders[{index}]" if step is None else f"orders[{index}].steps[{step}]"
    what = f"order {index}" if step is None else f"order {index}, step {step} ({action})"
    field = f"{where}.{error.field}" if error.field else where
    return ValidationFailed(f"{what}: {error.message}", field=field)


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", field=field)


class References:
    """Per write_orders call: what was looked up so far, and the checks."""

    def __init__(self, session: Session, *, now: datetime | None, lock: AbstractContextManager[Any]) -> None:
        self.session = session
        # Held around every use of the session: a writer thread shares its connection. Lookups go
        # to the database only on the first order of a kind (reference data are cached).
        self.lock = lock
        self.now_us = None if now is None else to_us(ensure_aware(now, field="now"))
        self.paths: dict[tuple[str, tuple[str, ...]], Path | StepRefused] = {}
        self.routes: dict[tuple[Any, ...], int | None] = {}
        self.policies: dict[tuple[Any, ...], PolicyData | None] = {}
        self.calendars: dict[tuple[Any, ...], WorkingCalendar] = {}
        self.programs: dict[tuple[Any, ...], tuple[Starts, Program | None]] = {}
        self.customers: dict[int, tuple[str | None, int | None]] = {}  # id -> (brand, vip level)
        self.subscriptions: dict[int, tuple[int, str]] = {}  # id -> (customer id, product)
        self.categories: dict[str, tuple[int, str] | None] = {}  # code -> (id, path)
        self.teams: dict[int, bool] = {}
        self.users = user_index(session)
        self.regions = region_index(session)
        self.policy_key: Callable[[tuple[Any, ...]], Any] | None = None
        self.contact_rule = contact_rule()

    def load(self, specs: Sequence[OrderSpec]) -> None:
        """Fetch the customers and subscriptions of these specs not fetched yet (caller holds the lock)."""
        self.users = user_index(self.session)  # per batch: cached, but checked against the data stamp
        self.regions = region_index(self.session)
        customers = sorted({s.customer_id for s in specs if s.customer_id is not None} - set(self.customers))
        for start in range(0, len(customers), 1000):
            rows = self.session.execute(
                select(Customer.id, Customer.brand, Customer.vip_level).where(
                    Customer.id.in_(customers[start : start + 1000])
                )
            )
            for cid, brand, vip in rows:
                self.customers[cid] = (brand, vip)
        subs = sorted(
            {s.subscription_id for s in specs if s.subscription_id is not None} - set(self.subscriptions)
        )
        for start in range(0, len(subs), 1000):
            found = self.session.execute(
                select(Subscription.id, Subscription.customer_id, Subscription.product).where(
                    Subscription.id.in_(subs[start : start + 1000])
                )
            )
            for sub_id, owner_id, product in found:
                self.subscriptions[sub_id] = (owner_id, product)

    def resolve(self, index: int, spec: OrderSpec) -> Resolved:
        """Check the spec as the services would and decide its team, policy, calendar and path."""
        # The common case first, in few operations (a million specs pass here); anything odd is
        # looked at again by the checks that name what is wrong.
        (kind, description, channel, region, _, category_code, customer_id, subscription_id, priority) = spec[
            :9
        ]
        category = self.categories.get(category_code) if category_code else None
        sub = self.subscriptions.get(subscription_id) if subscription_id is not None else None
        if (
            kind not in _TYPES
            or channel not in _CHANNELS
            or spec.severity not in _SEVERITIES
            or not (description and not description.isspace())
            or priority not in _PRIORITIES
            or region not in self.regions
            or (category_code and category is None)
            or (customer_id is not None and customer_id not in self.customers)
            or (
                subscription_id is not None
                and (sub is None or (customer_id is not None and sub[0] != customer_id))
            )
            or (spec.actor_id is not None and spec.actor_id not in self.users)
        ):
            try:
                category, sub = self._check_order(spec)
            except ManyiError as error:
                raise _spec_error(index, error) from None
        category_id, category_path = category or (None, None)
        product = sub[1] if sub else None
        steps = spec.steps
        actions = tuple([s.action for s in steps])
        path = self.paths.get((kind, actions))
        if not isinstance(path, Path):
            path = self._path(index, spec, actions)
        times = self._times(index, spec)
        key = (kind, product, region, category_path)
        team_id = self.routes.get(key, _MISSING)
        if team_id is _MISSING:
            with self.lock:
                probe = _draft(spec, category_id, product, None)
                rule = route(self.session, order=probe, category_path=category_path)
            team_id = self.routes[key] = rule.team_id if rule is not None else None
        team_now = team_id  # the order's team at each step: assignees must be of it
        for j, check in path.checks:
            step = steps[j]
            if not self._step_ok(check, step, path.steps[j].old_status):
                try:
                    self._check_step(path, j, step, team_now, region)
                    if check == "loop":
                        self._check_loop(kind, path, j, steps, times)
                except ManyiError as error:
                    raise _spec_error(index, error, j, step.action) from None
            if check == "transfer":
                team_now = step.team_id
        for j, step in enumerate(steps):
            if step.actor_id is not None and step.actor_id not in self.users:
                raise _spec_error(index, _refuse("actor", f"unknown user id {step.actor_id}"), j, step.action)
        customer = self.customers.get(customer_id) if customer_id is not None else None
        # Only what some active policy has a criterion on can change its choice (empty criteria
        # admit anything), so orders differing only there share one choose_policy call.
        facts = (kind, category_path, product, *(customer or (None, None)), priority, channel, region)
        policy_key = self._policy_key(facts)
        policy = self.policies.get(policy_key, _MISSING)
        if policy is _MISSING:
            probe = _draft(spec, category_id, product, team_id)
            facts_of = Customer(brand=customer[0], vip_level=customer[1]) if customer else None  # never added
            with self.lock:
                policy = self.policies[policy_key] = choose_policy(
                    self.session, order=probe, customer=facts_of
                )
        calendar = program = None
        starts: Starts = ()
        if policy is not None:
            cal_key = (policy.id, team_id, region)
            calendar = self.calendars.get(cal_key)
            if calendar is None:
                probe = _draft(spec, category_id, product, team_id)
                with self.lock:
                    name = calendar_for(self.session, order=probe, policy=policy)
                    calendar = self.calendars[cal_key] = get_calendar(self.session, name=name)
            program_key = (kind, actions, policy.id, calendar.name)
            known = self.programs.get(program_key)
            if known is None:
                kinds = tuple(t.kind for t in policy.targets)
                starts = start_steps(path, kinds)
                known = self.programs[program_key] = (starts, clock_program(path, kinds, calendar, starts))
            starts, program = known
        return Resolved(spec, path, times, category_id, product, team_id, policy, calendar, program, starts)

    def _policy_key(self, facts: tuple[Any, ...]) -> Any:
        if self.policy_key is None:
            with self.lock:
                policies = active_policies(self.session)
            names: tuple[str, ...] = (
                "order_types",
                "category_path_prefixes",
                "products",
                "brands",
                "vip_levels",
                "priorities",
            )
            names += ("channels", "region_codes")
            relevant = [i for i, name in enumerate(names) if any(getattr(p, name) for p in policies)]
            self.policy_key = itemgetter(*relevant) if relevant else (lambda _facts: ())
        return self.policy_key(facts)

    @staticmethod
    def _step_ok(check: str, step: Step, status: str) -> bool:
        if check == "loop":  # the common case: a contact attempt while the order is worked
            outcome = step.outcome
            if step.action == "contact":
                return outcome is None or outcome == "reached"
            return step.action == "contact_failed" and status != "resolved" and outcome in _FAILED_OR_NONE
        if check == "reason":
            return bool(step.reason and step.reason.strip())
        if check == "resolves":
            return bool(step.resolution_code)
        if check == "appoints":
            return step.appointment_at is not None and step.appointment_at.utcoffset() is not None
        return False  # assign and transfer: looked up by _check_step

    def _check_order(self, spec: OrderSpec) -> tuple[tuple[int, str] | None, tuple[int, str] | None]:
        """create_order's checks, in its order, naming the field; return the category and subscription."""
        lifecycle.check_type(spec.type)
        if spec.channel not in CHANNELS:
            raise _refuse("channel", f"expected one of {', '.join(CHANNELS)}, got {spec.channel!r}")
        if spec.severity not in SEVERITIES:
            raise _refuse("severity", f"expected one of {', '.join(SEVERITIES)}, got {spec.severity!r}")
        if not spec.description or not spec.description.strip():
            raise _refuse("description", "expected a non-empty text")
        if not 1 <= spec.priority <= 4:
            raise _refuse("priority", f"expected 1 (highest) to 4 (lowest), got {spec.priority}")
        if spec.region_code not in self.regions:
            raise _refuse("region_code", f"unknown region {spec.region_code!r}")
        category = None
        if spec.category_code:
            if spec.category_code not in self.categories:
                with self.lock:
                    info = category_by_code(self.session, spec.category_code)
                self.categories[spec.category_code] = (info.id, info.path) if info else None
            category = self.categories[spec.category_code]
            if category is None:
                raise _refuse("category", f"unknown category {spec.category_code!r}")
        if spec.customer_id is not None and spec.customer_id not in self.customers:
            raise _refuse("customer", f"unknown customer id {spec.customer_id}")
        sub = None
        if spec.subscription_id is not None:
            sub = self.subscriptions.get(spec.subscription_id)
            if sub is None or (spec.customer_id is not None and sub[0] != spec.customer_id):
                raise _refuse(
                    "subscription", f"{spec.subscription_id} is not a subscription of this customer"
                )
        if spec.actor_id is not None and spec.actor_id not in self.users:
            raise _refuse("actor", f"unknown user id {spec.actor_id}")
        return category, sub

    def _path(self, index: int, spec: OrderSpec, actions: tuple[str, ...]) -> Path:
        key = (spec.type, actions)
        path = self.paths.get(key)
        if path is None:
            if spec.type not in _TYPES:
                raise _spec_error(
                    index, ValidationFailed(f"type: unknown order type {spec.type!r}", field="type")
                )
            try:
                path = compile_path(*key)
            except StepRefused as refused:
                path = refused
            self.paths[key] = path
        if isinstance(path, StepRefused):
            action = spec.steps[path.step].action
            raise _spec_error(index, ValidationFailed(path.message, field="action"), path.step, action)
        return path

    def _times(self, index: int, spec: OrderSpec) -> list[int]:
        """created_at and each step's instant as epoch microseconds, checked to run forward."""
        created = spec.created_at
        try:
            times = [to_us(created), *[to_us(s.at) for s in spec.steps]]  # naive ones raise TypeError
            ordered = all(map(le, times, times[1:]))
        except TypeError:
            ordered = False
        in_range = INDEX_FIRST_YEAR <= created.year <= INDEX_LAST_YEAR
        if ordered and in_range and (self.now_us is None or times[-1] <= self.now_us):
            return times
        try:
            ensure_aware(created, field="created_at")
            if not INDEX_FIRST_YEAR <= created.year <= INDEX_LAST_YEAR:
                raise _refuse(
                    "created_at", f"{created.isoformat()} is outside {INDEX_FIRST_YEAR}-{INDEX_LAST_YEAR}"
                )
        except ManyiError as error:
            raise _spec_error(index, error) from None
        before = to_us(created)
        for j, step in enumerate(spec.steps):
            try:
                at = to_us(ensure_aware(step.at, field="at"))
                if at < before:
                    raise _refuse("at", f"{step.at.isoformat()} is before the step or creation it follows")
            except ManyiError as error:
                raise _spec_error(index, error, j, step.action) from None
            before = at
        late = "is after `now`, the instant the clocks are swept to"
        if not spec.steps:
            raise _spec_error(index, _refuse("created_at", late))
        raise _spec_error(index, _refuse("at", late), len(spec.steps) - 1, spec.steps[-1].action)

    def _check_loop(self, kind: str, path: Path, j: int, steps: tuple[Step, ...], times: list[int]) -> None:
        """closed_loop.check_step for step j, as transition_order makes it: the resolver and the
        failed attempts since the resolution read from the spec's earlier steps."""
        step = steps[j]
        resolves = [k for k in range(j) if steps[k].action == "resolve"]

        def resolver() -> int | None:
            return steps[resolves[-1]].actor_id if resolves else None

        def failed_attempts() -> list[datetime]:
            if not resolves:
                return []
            resolved_at = times[resolves[-1] + 1]
            return [
                from_us(times[k + 1])
                for k in range(j)
                if steps[k].action == "contact_failed" and times[k + 1] >= resolved_at
            ]

        actor = self.users.get(step.actor_id) if step.actor_id is not None else None
        closed_loop.check_step(
            order_type=kind,
            status=path.steps[j].old_status,
            action=step.action,
            outcome=step.outcome,
            reason=step.reason,
            actor_id=step.actor_id,
            permissions=permissions_of(actor),
            resolver=resolver,
            failed_attempts=failed_attempts,
            rule=self.contact_rule,
        )

    def _team(self, team_id: int) -> bool:
        if team_id not in self.teams:
            with self.lock:
                self.teams[team_id] = team_name(self.session, team_id) is not None
        return self.teams[team_id]

    def _check_step(self, path: Path, j: int, step: Step, team_id: int | None, region: str) -> None:
        """The value checks of transition_order, assign_order and transfer_order for one step, the
        order (of region) being with team_id."""
        kind = path.steps[j]
        if kind.needs_reason and not (step.reason and step.reason.strip()):
            raise _refuse("reason", f"{step.action} needs a reason the customer can be told")
        if kind.resolves and not step.resolution_code:
            raise _refuse("resolution_code", "resolving an order needs a resolution code")
        if kind.appoints:
            if step.appointment_at is None:
                raise _refuse("appointment_at", "booking an appointment needs its date and time")
            ensure_aware(step.appointment_at, field="appointment_at")
        users = self.users
        if step.action in ORDER_ACTIONS:
            if step.action == "assign":
                assignee_id = step.assignee_id
                user = users.get(assignee_id) if assignee_id is not None else None
                if assignee_id is None or user is None:
                    raise _refuse("assignee", f"unknown or inactive user id {assignee_id}")
                check_assignee(assignee_id, active=user.active, member_of=user.team_id, team_id=team_id)
            elif step.team_id is None or not self._team(step.team_id):
                raise _refuse("team", f"unknown team id {step.team_id}")
            else:
                with self.lock:
                    target_region = team_region(self.session, step.team_id)
                    label = team_name(self.session, step.team_id) or ""
                    chain = region_chain(self.session, region)
                check_transfer_target(
                    order_region=region,
                    order_region_chain=chain,
                    team_id=step.team_id,
                    team_label=label,
                    team_region=target_region,
                )
        if step.actor_id is not None and step.actor_id not in users:
            raise _refuse("actor", f"unknown user id {step.actor_id}")

"""Realistic work-order histories for the demo, as specs for the bulk writer (manyi.bulk.writer).

Most orders are handled in time, ~8% breach their first contact (or, on the install pipeline of
installs, moves and removals, their extraction by the back office), some wait on the customer, some
are re-opened after an unhappy callback; the newest are still open. Callbacks are made by the
callback seats (回访坐席), as the closed loop requires; complaints close only through one. The bulk writer stores them as
the services would have, so the demo's history, SLA clocks and breaches are what production would
have recorded. Random draws and working-time arithmetic are done for a whole chunk of orders at once
(one slot per possible step), since a million orders must be generated in seconds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise, repeat

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.bulk.writer import OrderSpec, Step
from manyi.calendars.arithmetic import WorkingCalendar
from manyi.categories.tree import category_by_code
from manyi.customers.models import Customer, Subscription
from manyi.demo.organisation import DemoOrg
from manyi.orders.lifecycle import ANSWER_AT_ONCE_TYPES, ON_SITE_TYPES
from manyi.orders.routing import route

# Orders the 400 line pre-accepts and the branch's back office extracts (seed 004, 预约工单).
PIPELINE_TYPES = ("install", "move", "remove")

TYPE_WEIGHTS = {
    "fault": 0.30,
    "complaint": 0.18,
    "install": 0.14,
    "inquiry": 0.14,
    "change": 0.08,
    "move": 0.05,
    "remove": 0.03,
    "callback": 0.05,
    "proactiveCare": 0.03,
}
CATEGORY = {
    "fault": ["NET.BB", "NET.SLOW", "USE.IPTV"],
    "complaint": [
        "FEE.DISPUTE",
        "SERVICE.TIMELY",
        "NET.SIGNAL",
        "UNINFORMED.VAS",
        "PROMO.GIFT",
        "SECURITY.SPAM",
    ],
    "install": ["HANDLE.INSTALL"],
    "move": ["HANDLE.MOVE"],
    "remove": ["HANDLE.CHANGE"],
    "change": ["HANDLE.CHANGE"],
    "inquiry": ["FEE.BILL", "PROMO.RULES", "USE.DATA"],
    "callback": ["SERVICE.ATTITUDE"],
    "proactiveCare": ["FEE.BILL"],
}
DESCRIPTIONS = {
    "fault": ["宽带无法上网，光猫LOS灯红", "晚上网速很慢，测速不到10M", "IPTV频繁卡顿", "宽带经常掉线"],
    "complaint": [
        "对上月账单有异议，多扣了流量费",
        "报修三天无人联系",
        "未经同意开通了增值业务",
        "活动承诺的礼品未到",
    ],
    "install": ["新装200M宽带", "新装宽带+IPTV融合套餐"],
    "move": ["搬家，宽带移机到新地址"],
    "remove": ["宽带拆机"],
    "change": ["套餐从128元变更为98元"],
    "inquiry": ["咨询国际漫游资费", "咨询宽带续费优惠", "查询本月流量使用"],
    "callback": ["装机后满意度回访"],
    "proactiveCare": ["本月流量异常升高，主动提醒"],
}
CHANNELS = (["hotline"] * 6) + ["hall", "hall", "app", "web", "sms", "partner"]
PRIORITIES, PRIORITY_WEIGHTS = [1, 2, 3, 4], [0.05, 0.2, 0.6, 0.15]
SEVERITIES, SEVERITY_WEIGHTS = ["critical", "major", "minor"], [0.05, 0.25, 0.7]

# The steps an order may take, in order; each order takes a subset (a slot with no time is skipped).
SLOTS = (
    "answer",  # simple requests answered on the spot
    "extract",  # the back office takes an install-pipeline order on (its SLA: 2 hours)
    "contact_failed",
    "contact",
    "respond",
    "pause",
    "resume",
    "appoint",
    "arrive",
    "resolve",
    "callback_unsatisfied",
    "resolve_again",
    "final",  # callback_ok by a callback seat (always for complaints), or close
)


def order_specs(
    session: Session,
    *,
    rng: random.Random,
    org: DemoOrg,
    office: WorkingCalendar,
    count: int,
    now: datetime,
    days: int = 60,
    chunk: int = 20_000,
) -> Iterator[OrderSpec]:
    """count orders created over the past `days` days (oldest first), each walked through its life
    as far as it got by `now`."""
    draw = np.random.default_rng(rng.getrandbits(64))
    world = _World(session, org)
    now_s = int(now.timestamp())
    created = np.sort(now_s - draw.integers(600, days * 86400, count, endpoint=True))
    # Customers call mostly in working hours: move 80% of off-hours starts into the next interval.
    working = office.add_working_seconds_many(created, 1) == created + 1
    shifted = office.add_working_seconds_many(created, draw.integers(0, 3600, count, endpoint=True))
    created = np.where((draw.random(count) < 0.8) & ~working, shifted, created)
    created = np.where(created >= now_s, now_s - draw.integers(5, 600, count, endpoint=True) * 60, created)
    for start in range(0, count, chunk):
        yield from _chunk(draw, world, office, created[start : start + chunk], now_s)


class _World:
    """The demo's customers, their subscriptions, and who routing lets an order be assigned to."""

    def __init__(self, session: Session, org: DemoOrg) -> None:
        self.session = session
        self.customers = [
            (cid, region) for cid, region in session.execute(select(Customer.id, Customer.region_code))
        ]
        self.subs: dict[int, list[tuple[int, str]]] = {}
        query = select(Subscription.id, Subscription.customer_id, Subscription.product)
        for sid, cid, product in session.execute(query):
            self.subs.setdefault(cid, []).append((sid, product))
        self.agents = [u.id for u in org.hotline_agents]
        self.seats = [u.id for u in org.callback_agents]
        self.members: dict[int, list[int]] = {}
        for user in org.users:
            if user.team_id is not None and user.active is not False:
                self.members.setdefault(user.team_id, []).append(user.id)
        self._assignable: dict[tuple[str, str | None, str, str], list[int]] = {}

    def assignable(self, order_type: str, product: str | None, region: str, category: str) -> list[int]:
        """The active members of the team routing gives such an order (assign_order picks among them)."""
        key = (order_type, product, region, category)
        if key not in self._assignable:
            info = category_by_code(self.session, category)
            probe = _Probe(order_type, product, region)
            rule = route(self.session, order=probe, category_path=info.path if info else None)
            self._assignable[key] = self.members.get(rule.team_id, []) if rule is not None else []
        return self._assignable[key]


class _Probe:
    def __init__(self, order_type: str, product: str | None, region_code: str) -> None:
        self.type, self.product, self.region_code = order_type, product, region_code


def _chunk(
    draw: np.random.Generator, world: _World, office: WorkingCalendar, created: np.ndarray, now_s: int
) -> Iterator[OrderSpec]:
    n = created.size
    kinds = draw.choice(list(TYPE_WEIGHTS), n, p=list(TYPE_WEIGHTS.values()))
    late = draw.random(n) < 0.08  # a slice of orders breaches its first contact, as in real life
    on_site = np.isin(kinds, list(ON_SITE_TYPES))
    quick = np.isin(kinds, list(ANSWER_AT_ONCE_TYPES)) & (draw.random(n) < 0.6)
    minutes = np.zeros((n, len(SLOTS)))

    def slot(name: str, where: np.ndarray, low: float | np.ndarray, high: float | np.ndarray) -> None:
        minutes[:, SLOTS.index(name)] = np.where(where, draw.uniform(low, high, n), 0.0)

    worked = ~quick
    slot("answer", quick, 1, 20)
    slot("extract", worked & np.isin(kinds, PIPELINE_TYPES), np.where(late, 130, 5), np.where(late, 300, 90))
    slot("contact_failed", worked & (draw.random(n) < 0.1), 10, 60)
    slot("contact", worked, np.where(late, 150, 5), np.where(late, 400, 90))
    slot("respond", worked & (kinds == "complaint"), 30, 600)
    paused = worked & (draw.random(n) < 0.06)
    slot("pause", paused, 10, 60)
    slot("resume", paused, 120, 1200)
    slot("appoint", worked & on_site, 10, 200)
    slot("arrive", worked & on_site, 60, 900)
    slot("resolve", worked, np.where(late, 1500, 20), np.where(late, 3000, 900))
    unhappy = draw.random(n) < 0.05
    slot("callback_unsatisfied", unhappy, 60, 600)
    slot("resolve_again", unhappy, 60, 900)
    slot("final", np.ones(n, dtype=bool), 60, 900)
    # Each step comes so many working minutes after the one before; an order stops at the first
    # step that would be at or after `now` (it is still being worked on).
    at = np.empty((n, len(SLOTS)), dtype=np.int64)
    t = created
    for k in range(len(SLOTS)):
        t = office.add_working_seconds_many(t, np.rint(minutes[:, k] * 60).astype(np.int64))
        at[:, k] = t
    taken = (minutes > 0) & (np.cumsum((minutes > 0) & (at >= now_s), axis=1) == 0)
    # The steps taken, all orders' one after the other (in slot order): order i's are those from
    # bounds[i] to bounds[i + 1]. Their instants are made in one pass, not slot by slot.
    rows, slots = np.nonzero(taken)
    bounds = np.searchsorted(rows, np.arange(n + 1)).tolist()
    step_s = at[rows, slots].tolist()
    step_at = list(map(datetime.fromtimestamp, step_s, repeat(UTC, len(step_s))))
    step_slot = slots.tolist()
    # customer, subscription, category, description, assignee, agent, callback seat, the customer's mood
    picks = draw.random((n, 8)).tolist()
    columns = zip(
        kinds.tolist(),
        created.tolist(),
        pairwise(bounds),
        (draw.integers(4, 30, n, endpoint=True) * 3600).tolist(),
        (draw.random(n) < 0.85).tolist(),
        picks,
        draw.choice(CHANNELS, n).tolist(),
        draw.choice(PRIORITIES, n, p=PRIORITY_WEIGHTS).tolist(),
        draw.choice(SEVERITIES, n, p=SEVERITY_WEIGHTS).tolist(),
        strict=True,
    )
    # Steps and specs are built as plain tuples (what their NamedTuple constructors would make,
    # without keyword handling): a million orders take five million of them.
    make = tuple.__new__
    utc_at = datetime.fromtimestamp
    customers, n_customers, subs, agents = world.customers, len(world.customers), world.subs, world.agents
    seats = world.seats
    for kind, created_s, (first, end), ahead, okay, pick, channel, priority, severity in columns:
        cid, region = customers[int(pick[0] * n_customers)]
        owned = subs.get(cid, [])
        # On-site work is about the broadband line, when the customer has one.
        site = kind in ON_SITE_TYPES
        choices = ([s for s in owned if s[1] == "broadband"] if site else owned) or owned
        sub_id, product = choices[int(pick[1] * len(choices))] if choices else (None, None)
        categories = CATEGORY[kind]
        category = categories[int(pick[2] * len(categories))]
        agent = agents[int(pick[5] * len(agents))]
        seat = seats[int(pick[6] * len(seats))]
        # Complaints close only through their callback; other orders sometimes plainly.
        called = okay or kind == "complaint"
        created_at = utc_at(created_s, UTC)
        steps = []
        members = world.assignable(kind, product, region, category)
        if members:
            assignee = members[int(pick[4] * len(members))]
            steps.append(
                make(Step, ("assign", created_at, None, None, None, None, None, assignee, None, None))
            )
        for k, when, when_s in zip(step_slot[first:end], step_at[first:end], step_s[first:end], strict=True):
            steps.append(_step(k, when, when_s, site, agent, ahead, called, seat, pick[7]))
        descriptions = DESCRIPTIONS[kind]
        yield make(
            OrderSpec,
            (
                kind,
                descriptions[int(pick[3] * len(descriptions))],
                channel,
                region,
                created_at,
                category,
                cid,
                sub_id,
                priority,
                severity,
                None,  # title
                agent,  # actor_id
                tuple(steps),
            ),
        )


# The fields of each slot's step after `action, at` (actor_id, reason, resolution_code, resolution,
# appointment_at, assignee_id, team_id, outcome), where they do not depend on the order. Resolution
# codes are from manyi.orders.resolutions, as staff would choose them.
_PLAIN = (None, None, None, None, None, None, None, None)
_TAILS = {
    "pause": (None, "客户要求延后处理", None, None, None, None, None, None),
    "resolve_again": (None, None, "fixed", "二次处理完成", None, None, None, None),
}
_RESOLVED = {
    True: (None, None, "repaired", "问题已处理", None, None, None, None),
    False: (None, None, "explained", "问题已处理", None, None, None, None),
}
_ANSWER, _PAUSE, _APPOINT, _RESOLVE, _FINAL, _UNHAPPY, _FAILED = (
    SLOTS.index(name)
    for name in ("answer", "pause", "appoint", "resolve", "final", "callback_unsatisfied", "contact_failed")
)
_ACTIONS = tuple("resolve" if name in ("answer", "resolve_again") else name for name in SLOTS)


def _step(
    slot: int,
    when: datetime,
    when_s: int,
    on_site: bool,
    agent: int,
    ahead: int,
    called: bool,
    seat: int,
    mood: float,
) -> Step:
    """The step of a slot taken at `when` (epoch second when_s); callbacks by the callback seat."""
    make = tuple.__new__
    if slot == _FINAL:
        if not called:
            return make(Step, ("close", when, *_PLAIN))
        result = "basically_satisfied" if mood < 0.25 else "satisfied"
        return make(Step, ("callback_ok", when, seat, None, None, None, None, None, None, result))
    if slot == _UNHAPPY:
        return make(Step, ("callback_unsatisfied", when, seat, "客户对处理结果不满意", *_PLAIN[2:]))
    if slot == _RESOLVE:
        return make(Step, ("resolve", when, *_RESOLVED[on_site]))
    if slot == _APPOINT:
        appointment = datetime.fromtimestamp(when_s + ahead, UTC)
        return make(Step, ("appoint", when, None, None, None, None, appointment, None, None, None))
    if slot == _ANSWER:
        return make(Step, ("resolve", when, agent, None, "answered", "已当场答复", None, None, None, None))
    if slot == _FAILED:
        outcome = "wrong_number" if mood < 0.2 else "not_reached"
        return make(Step, ("contact_failed", when, None, None, None, None, None, None, None, outcome))
    name = SLOTS[slot]
    return make(Step, (_ACTIONS[slot], when, *_TAILS.get(name, _PLAIN)))

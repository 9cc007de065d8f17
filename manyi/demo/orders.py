"""Realistic work-order histories for the demo, as specs for the bulk writer (manyi.orders.bulk).

Most orders are handled in time, ~8% breach their first contact, some wait on the customer, some
are re-opened after an unhappy callback; the newest are still open. The bulk writer stores them as
the services would have, so the demo's history, SLA clocks and breaches are what production would
have recorded. Random draws and working-time arithmetic are done for a whole chunk of orders at once
(one slot per possible step), since a million orders must be generated in seconds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.calendars.arithmetic import WorkingCalendar
from manyi.customers.models import Customer, Subscription
from manyi.demo.organisation import DemoOrg
from manyi.orders.bulk import OrderSpec, Step
from manyi.orders.categories import category_by_code
from manyi.orders.lifecycle import ANSWER_AT_ONCE_TYPES, ON_SITE_TYPES
from manyi.orders.routing import route

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
    "final",  # callback_ok, or close
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
    picks = draw.random((n, 6)).tolist()  # customer, subscription, category, description, assignee, agent
    columns = zip(
        kinds.tolist(),
        created.tolist(),
        at.tolist(),
        taken.tolist(),
        (draw.integers(4, 30, n, endpoint=True) * 3600).tolist(),
        (draw.random(n) < 0.85).tolist(),
        picks,
        draw.choice(CHANNELS, n).tolist(),
        draw.choice(PRIORITIES, n, p=PRIORITY_WEIGHTS).tolist(),
        draw.choice(SEVERITIES, n, p=SEVERITY_WEIGHTS).tolist(),
        strict=True,
    )
    for kind, created_s, times, steps_taken, ahead, okay, pick, channel, priority, severity in columns:
        cid, region = world.customers[int(pick[0] * len(world.customers))]
        owned = world.subs.get(cid, [])
        # On-site work is about the broadband line, when the customer has one.
        choices = ([s for s in owned if s[1] == "broadband"] if kind in ON_SITE_TYPES else owned) or owned
        sub_id, product = choices[int(pick[1] * len(choices))] if choices else (None, None)
        category = CATEGORY[kind][int(pick[2] * len(CATEGORY[kind]))]
        agent = world.agents[int(pick[5] * len(world.agents))]
        created_at = datetime.fromtimestamp(created_s, UTC)
        steps = []
        members = world.assignable(kind, product, region, category)
        if members:
            steps.append(Step("assign", created_at, assignee_id=members[int(pick[4] * len(members))]))
        for name, when_s, took in zip(SLOTS, times, steps_taken, strict=True):
            if took:
                steps.append(_step(name, when_s, kind, agent, ahead, okay))
        yield OrderSpec(
            type=kind,
            description=DESCRIPTIONS[kind][int(pick[3] * len(DESCRIPTIONS[kind]))],
            channel=channel,
            region_code=region,
            created_at=created_at,
            category_code=category,
            customer_id=cid,
            subscription_id=sub_id,
            priority=priority,
            severity=severity,
            actor_id=agent,
            steps=tuple(steps),
        )


def _step(name: str, when_s: int, kind: str, agent: int, ahead: int, okay: bool) -> Step:
    when = datetime.fromtimestamp(when_s, UTC)
    if name == "answer":
        return Step("resolve", when, agent, resolution_code="ANSWERED", resolution="已当场答复")
    if name == "pause":
        return Step("pause", when, reason="客户要求延后处理")
    if name == "appoint":
        return Step("appoint", when, appointment_at=datetime.fromtimestamp(when_s + ahead, UTC))
    if name == "resolve":
        code = "FIXED" if kind in ON_SITE_TYPES else "EXPLAINED"
        return Step("resolve", when, resolution_code=code, resolution="问题已处理")
    if name == "callback_unsatisfied":
        return Step("callback_unsatisfied", when, reason="客户对处理结果不满意")
    if name == "resolve_again":
        return Step("resolve", when, resolution_code="FIXED", resolution="二次处理完成")
    if name == "final":
        return Step("callback_ok" if okay else "close", when)
    return Step(name, when)

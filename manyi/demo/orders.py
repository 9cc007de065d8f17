"""Replay realistic work-order histories through the real services, with timestamps in the past.

Most orders are handled in time, some breach, some wait on the customer, some are re-opened after
an unhappy callback; the newest are still open. Every step goes through orders.service, so the
demo's history, SLA clocks and breaches are exactly what production would have recorded.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.calendars.arithmetic import WorkingCalendar
from manyi.customers.models import Customer, Subscription
from manyi.demo.organisation import DemoOrg
from manyi.orders import service
from manyi.orders.lifecycle import ON_SITE_TYPES

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


def replay_orders(
    session: Session,
    *,
    rng: random.Random,
    org: DemoOrg,
    office: WorkingCalendar,
    count: int,
    now: datetime,
    days: int = 60,
    progress: Callable[[int], None] | None = None,
    commit_every: int = 200,
) -> None:
    """Create count orders over the past `days` days and walk each through its life."""
    customers = session.execute(select(Customer.id, Customer.region_code)).all()
    subs: dict[int, list[tuple[int, str]]] = {}
    for sid, cid, product in session.execute(
        select(Subscription.id, Subscription.customer_id, Subscription.product)
    ):
        subs.setdefault(cid, []).append((sid, product))
    types, weights = list(TYPE_WEIGHTS), list(TYPE_WEIGHTS.values())
    span = days * 86400
    starts = sorted(now - timedelta(seconds=rng.randint(600, span)) for _ in range(count))
    for i, created in enumerate(starts, start=1):
        # Customers call mostly in working hours; move an off-hours start into the next interval.
        if rng.random() < 0.8 and not office.is_working_time(created):
            created = office.add_working_seconds(created, rng.randint(0, 3600)).due_at
        if created >= now:
            created = now - timedelta(minutes=rng.randint(5, 600))
        _one_order(
            session,
            rng=rng,
            org=org,
            office=office,
            now=now,
            created=created,
            customers=customers,
            subs=subs,
            kind=rng.choices(types, weights)[0],
        )
        if i % commit_every == 0:
            session.commit()
        if progress:
            progress(1)
    session.commit()


def _one_order(
    session: Session,
    *,
    rng: random.Random,
    org: DemoOrg,
    office: WorkingCalendar,
    now: datetime,
    created: datetime,
    customers: Any,
    subs: dict[int, list[tuple[int, str]]],
    kind: str,
) -> None:
    cid, region = rng.choice(customers)
    wanted = "broadband" if kind in ON_SITE_TYPES else None
    choices = [s for s in subs.get(cid, []) if wanted is None or s[1] == wanted] or subs.get(cid, [])
    sub_id = rng.choice(choices)[0] if choices else None
    agent = rng.choice(org.hotline_agents)
    order = service.create_order(
        session,
        type=kind,
        description=rng.choice(DESCRIPTIONS[kind]),
        channel=rng.choice(CHANNELS),
        region_code=region,
        category_code=rng.choice(CATEGORY[kind]),
        customer_id=cid,
        subscription_id=sub_id,
        priority=rng.choices([1, 2, 3, 4], [0.05, 0.2, 0.6, 0.15])[0],
        severity=rng.choices(["critical", "major", "minor"], [0.05, 0.25, 0.7])[0],
        actor_id=agent.id,
        at=created,
    )
    t = created
    late = rng.random() < 0.08  # a slice of orders breaches, as in real life

    def step(action: str, working_minutes: float, **kw: Any) -> bool:
        nonlocal t
        nxt = office.add_working_seconds(t, working_minutes * 60).due_at
        if nxt >= now:
            return False
        t = nxt
        service.transition_order(
            session, order_id=order.id, action=action, actor_id=kw.pop("actor", None), at=t, **kw
        )
        return True

    if order.team_id:
        service.assign_order(session, order_id=order.id, at=created)
    if kind in ("inquiry", "change", "callback", "proactiveCare") and rng.random() < 0.6:
        if not step(
            "resolve", rng.uniform(1, 20), resolution_code="ANSWERED", resolution="已当场答复", actor=agent.id
        ):
            return
    else:
        if rng.random() < 0.1:
            step("contact_failed", rng.uniform(10, 60))
        if not step("contact", rng.uniform(150, 400) if late else rng.uniform(5, 90)):
            return
        if kind == "complaint" and not step("respond", rng.uniform(30, 600)):
            return
        if rng.random() < 0.06:
            if not step("pause", rng.uniform(10, 60), reason="客户要求延后处理"):
                return
            if not step("resume", rng.uniform(120, 1200)):
                return
        if kind in ON_SITE_TYPES:
            if not step(
                "appoint", rng.uniform(10, 200), appointment_at=t + timedelta(hours=rng.randint(4, 30))
            ):
                return
            if not step("arrive", rng.uniform(60, 900)):
                return
        minutes = rng.uniform(1500, 3000) if late else rng.uniform(20, 900)
        if not step(
            "resolve",
            minutes,
            resolution_code="FIXED" if kind in ON_SITE_TYPES else "EXPLAINED",
            resolution="问题已处理",
        ):
            return
    if rng.random() < 0.05:
        if not step("callback_unsatisfied", rng.uniform(60, 600), reason="客户对处理结果不满意"):
            return
        if not step("resolve", rng.uniform(60, 900), resolution_code="FIXED", resolution="二次处理完成"):
            return
    step("callback_ok" if rng.random() < 0.85 else "close", rng.uniform(60, 900))

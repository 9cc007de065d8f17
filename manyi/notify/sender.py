"""Send due SMS through the gateways, a window at a time, and record what the gateways said.

A pass claims up to one window of due messages (status `sending`, attempts + 1, available_at moved
to the end of a lease) and commits; submits them; records every result and commits again. A worker
killed between the two commits leaves at most that window `sending`: after the lease another pass
claims them again and they go a second time (the gateway has no idempotency). That is the bound on
duplicates: one window per kill; nothing is ever lost, since a message leaves the queue only with
the gateway's answer recorded.

Retries back off (manyi.notify.rules.backoff); after `notify_failover_after` failed attempts a
message moves to the next gateway; after `notify_max_attempts` it is failed with the last code.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from manyi.core.clock import now
from manyi.core.db import is_postgres, unit_of_work
from manyi.core.logging import get_logger
from manyi.core.settings import get_settings
from manyi.notify import rules
from manyi.notify.gateways import Gateway
from manyi.notify.link import SmsLink
from manyi.notify.models import InboundSms, NotifyMessage, SmsOptOut, SmsReceipt, SmsSegment
from manyi.notify.sms import DeliveryReceipt, OutgoingSms, SubmitResult
from manyi.notify.sms import InboundSms as InboundText

log = get_logger("manyi.notify")
_MSG = cast(Table, NotifyMessage.__table__)
_SEG = cast(Table, SmsSegment.__table__)
_OPT = cast(Table, SmsOptOut.__table__)

_SUBMITTED = (
    update(_MSG)
    .where(_MSG.c.id == bindparam("b_id"))
    .values(
        status="submitted",
        gateway=bindparam("b_gateway"),
        gateway_ids=bindparam("b_ids"),
        submitted_at=bindparam("b_at"),
        available_at=None,
        error_code=None,
        last_error=None,
    )
)
_RETRY = (
    update(_MSG)
    .where(_MSG.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        available_at=bindparam("b_next"),
        error_code=bindparam("b_code"),
        last_error=bindparam("b_error"),
        gateway=bindparam("b_gateway"),
    )
)


@dataclass(frozen=True)
class Claimed:
    id: int
    address: str
    text: str
    extension: str | None
    attempts: int  # counting this one


def claim_due_sms(session: Session, *, at: datetime, limit: int, lease: timedelta) -> list[Claimed]:
    """Mark up to limit due SMS `sending` under a lease and return them; opted-out numbers' care
    messages are suppressed instead. The caller commits."""
    query = (
        select(
            _MSG.c.id,
            _MSG.c.address,
            _MSG.c.text,
            _MSG.c.extension,
            _MSG.c.attempts,
            _MSG.c.urgent,
            _OPT.c.at,
        )
        .outerjoin(_OPT, _OPT.c.address == _MSG.c.address)
        .where(_MSG.c.channel == "sms", _MSG.c.available_at <= at)
        .order_by(_MSG.c.available_at, _MSG.c.id)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True, of=_MSG)
    rows = session.connection().execute(query).all()
    stopped = [r.id for r in rows if r.at is not None and not r.urgent]
    claimed = [
        Claimed(r.id, r.address, r.text, r.extension, r.attempts + 1) for r in rows if r.id not in stopped
    ]
    if stopped:
        session.connection().execute(
            update(_MSG)
            .where(_MSG.c.id.in_(stopped))
            .values(
                status="suppressed",
                available_at=None,
                error_code="opted_out",
                last_error="opted out by reply",
            )
        )
    if claimed:
        session.connection().execute(
            update(_MSG)
            .where(_MSG.c.id == bindparam("b_id"))
            .values(status="sending", attempts=bindparam("b_attempts"), available_at=bindparam("b_lease")),
            [{"b_id": c.id, "b_attempts": c.attempts, "b_lease": at + lease} for c in claimed],
        )
    return claimed


def record_results(
    session: Session, *, results: list[tuple[Claimed, Gateway, SubmitResult]], at: datetime, gateways: int
) -> tuple[int, int]:
    """Write each gateway answer on its message; return (submitted, failed or retried)."""
    settings = get_settings()
    submitted: list[dict[str, Any]] = []
    segments: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for claimed, gateway, result in results:
        if result.accepted:
            submitted.append(
                {
                    "b_id": claimed.id,
                    "b_gateway": gateway.name,
                    "b_ids": ",".join(result.gateway_ids)[:400],
                    "b_at": at,
                }
            )
            segments.extend(
                {"gateway": gateway.name, "gateway_id": gid, "message_id": claimed.id}
                for gid in result.gateway_ids
            )
            continue
        final = not result.retryable or claimed.attempts >= settings.notify_max_attempts
        others.append(
            {
                "b_id": claimed.id,
                "b_status": "failed" if final else "queued",
                "b_next": None if final else at + rules.backoff(claimed.attempts),
                "b_code": (result.error_code or "unknown")[:48],
                "b_error": f"{gateway.name}: {result.error_code} (attempt {claimed.attempts})",
                "b_gateway": gateway.name,
            }
        )
    connection = session.connection()
    if submitted:
        connection.execute(_SUBMITTED, submitted)
    if segments:
        connection.execute(insert(_SEG), segments)
    if others:
        connection.execute(_RETRY, others)
        log.warning("sms_submit_failed", count=len(others), first=others[0]["b_error"])
    return len(submitted), len(others)


def gateway_index(attempts: int, gateways: int) -> int:
    return rules.gateway_for(attempts, gateways, failover_after=get_settings().notify_failover_after)


def send_due_sms(link: SmsLink, *, at: datetime | None = None, limit: int = 100_000) -> int:
    """Claim, submit and record windows of due SMS until none is due or limit is reached; return how
    many the gateways accepted. Each claim and each record is a short transaction of its own.

    Two half-windows are in flight at once: while the gateway answers one, the other's answers are
    recorded and the next is claimed, so the gateway's window stays full. Claimed and unrecorded
    messages never exceed one window: the most a kill -9 can send twice.
    """
    settings = get_settings()
    lease = timedelta(seconds=settings.notify_lease_seconds)
    gateways = link.gateways
    if not gateways:
        return 0
    chunk = max(1, max(g.window for g in gateways) // 2)
    accepted = claimed_total = 0
    in_flight: deque[tuple[list[Claimed], list[Gateway], Future[list[list[SubmitResult]]]]] = deque()
    exhausted = False
    while True:
        if not exhausted and len(in_flight) < 2 and claimed_total < limit:
            with unit_of_work() as session:
                claimed = claim_due_sms(
                    session, at=at or now(), limit=min(chunk, limit - claimed_total), lease=lease
                )
            if claimed:
                claimed_total += len(claimed)
                in_flight.append(_start(link, claimed))
                continue
            exhausted = True
        if not in_flight:
            return accepted
        items, routes, future = in_flight.popleft()
        answers = [answer for batch in future.result() for answer in batch]
        with unit_of_work() as session:
            ok, _ = record_results(
                session,
                results=list(zip(items, routes, answers, strict=True)),
                at=at or now(),
                gateways=len(gateways),
            )
        accepted += ok


def _start(
    link: SmsLink, claimed: list[Claimed]
) -> tuple[list[Claimed], list[Gateway], Future[list[list[SubmitResult]]]]:
    """Submit a claimed chunk, each message through the gateway its attempt goes to."""
    gateways = link.gateways
    by_gateway: dict[int, list[Claimed]] = {}
    for item in claimed:
        by_gateway.setdefault(gateway_index(item.attempts, len(gateways)), []).append(item)
    ordered = [item for items in by_gateway.values() for item in items]
    routes = [gateways[index] for index, items in by_gateway.items() for _ in items]
    batches = [
        (gateways[index], [OutgoingSms(c.id, c.address, c.text, extension=c.extension) for c in items])
        for index, items in by_gateway.items()
    ]
    return ordered, routes, link.submit_later(batches)


def store_receipt(gateway: str, receipt: DeliveryReceipt) -> None:
    """Keep a receipt (the gateway is answered only after this commits)."""
    with unit_of_work() as session:
        session.add(
            SmsReceipt(
                gateway=gateway,
                gateway_id=receipt.gateway_id[:80],
                delivered=receipt.delivered,
                status=receipt.status[:16],
                received_at=receipt.at or now(),
                applied=False,
            )
        )


def store_inbound(gateway: str, sms: InboundText) -> None:
    """Keep a customer's message (answered only after this commits); the worker handles it."""
    with unit_of_work() as session:
        session.add(
            InboundSms(
                gateway=gateway,
                sender=(rules.normalise_msisdn(sms.sender) or sms.sender)[:32],
                to=sms.to[:32],
                text=sms.text,
                received_at=sms.received_at or now(),
            )
        )


def apply_receipts(session: Session, *, at: datetime, limit: int = 5000) -> int:
    """Move messages to delivered or failed by their receipts; a receipt whose submit answer is not
    recorded yet waits for it (an hour at most, then it is dropped as unmatched)."""
    rows = session.execute(
        select(SmsReceipt, SmsSegment.message_id)
        .outerjoin(
            SmsSegment,
            (SmsSegment.gateway == SmsReceipt.gateway) & (SmsSegment.gateway_id == SmsReceipt.gateway_id),
        )
        .where(SmsReceipt.applied.is_(False))
        .order_by(SmsReceipt.id)
        .limit(limit)
    ).all()
    applied = 0
    for receipt, message_id in rows:
        if message_id is None:
            if receipt.received_at < at - timedelta(hours=1):
                receipt.applied = True
                log.warning("sms_receipt_unmatched", gateway=receipt.gateway, gateway_id=receipt.gateway_id)
            continue
        message = session.get(NotifyMessage, message_id)
        receipt.applied = True
        applied += 1
        if message is None or message.status in ("failed",):
            continue
        if receipt.delivered:
            if message.status == "submitted":
                message.status, message.delivered_at = "delivered", receipt.received_at
        else:
            message.status, message.error_code = "failed", receipt.status
            message.last_error = f"{receipt.gateway}: receipt {receipt.status}"
    session.flush()
    return applied

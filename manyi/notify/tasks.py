"""The worker's notification work per pass: send due SMS, apply receipts, handle customers' replies."""

from __future__ import annotations

from manyi.core.clock import now
from manyi.core.db import unit_of_work
from manyi.core.logging import get_logger
from manyi.core.settings import get_settings
from manyi.notify.gateways import parse_gateways
from manyi.notify.inbound import process_inbound
from manyi.notify.link import SmsLink
from manyi.notify.sender import apply_receipts, send_due_sms, store_inbound, store_receipt

log = get_logger("manyi.notify")


class NotifyWork:
    """Holds the gateway binds for the worker's life; without gateways SMS wait in the queue."""

    def __init__(self, link: SmsLink | None) -> None:
        self.link = link

    @classmethod
    def from_settings(cls) -> NotifyWork:
        gateways = parse_gateways(get_settings().notify_sms_gateways)
        if not gateways:
            return cls(None)
        link = SmsLink(gateways, on_receipt=store_receipt, on_inbound=store_inbound)
        link.connect()
        log.info("sms_gateways", gateways=[g.name for g in gateways])
        return cls(link)

    def run(self, *, limit: int) -> int:
        """One pass; return how much was done (SMS accepted, receipts applied, replies handled)."""
        done = send_due_sms(self.link, limit=limit) if self.link is not None else 0
        with unit_of_work() as session:
            done += apply_receipts(session, at=now())
        with unit_of_work() as session:
            done += process_inbound(session, at=now())
        return done

    def close(self) -> None:
        if self.link is not None:
            self.link.close()
            self.link = None

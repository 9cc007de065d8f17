"""The gateway's DELIVERs turned into what the callbacks take: a status report into a
DeliveryReceipt, a customer's reply (joined when it came in segments) into an InboundSms.

Each DELIVER is answered only after its callback returned: a callback that raises, or a process
that dies first, leaves it unanswered and the gateway sends it again after its timeout (the
specification's retransmission). So a receipt or reply may come twice, never not at all:
callbacks dedupe by the gateway id (`DeliveryReceipt.gateway_id`, `InboundSms.extra["gateway_id"]`).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from manyi.core.clock import now
from manyi.core.logging import get_logger
from manyi.notify.cmpp.config import CmppConfig
from manyi.notify.cmpp.constants import DELIVERED
from manyi.notify.cmpp.errors import CmppPduError
from manyi.notify.cmpp.link import Link
from manyi.notify.cmpp.pdu import Deliver, DeliverResp, Header, StatusReport
from manyi.notify.cmpp.reassembly import Part, Reassembler
from manyi.notify.cmpp.stats import ClientStats
from manyi.notify.cmpp.text import decode_text, parse_udh
from manyi.notify.sms import DeliveryReceipt, InboundSms

log = get_logger(__name__)

T = TypeVar("T")
ReceiptHandler = Callable[[DeliveryReceipt], Awaitable[None] | None]
InboundHandler = Callable[[InboundSms], Awaitable[None] | None]


@dataclass(frozen=True)
class _Received:
    """A DELIVER waiting for its DELIVER_RESP, on the link it came by."""

    link: Link
    sequence_id: int
    deliver: Deliver

    def answer(self, result: int) -> bool:
        return self.link.respond(self.sequence_id, DeliverResp(self.deliver.msg_id, result))


class Inbox:
    def __init__(
        self, config: CmppConfig, stats: ClientStats, spawn: Callable[[Coroutine[Any, Any, None]], None]
    ) -> None:
        self.on_receipt: ReceiptHandler | None = None
        self.on_inbound: InboundHandler | None = None
        self._config = config
        self._stats = stats
        self._spawn = spawn
        self._replies: Reassembler[_Received] = Reassembler()
        self._reply_timers: dict[Hashable, asyncio.TimerHandle] = {}

    def take(self, link: Link, header: Header, data: bytes) -> None:
        """Handle one DELIVER from the link's reader; the callback runs in a task so the reader
        keeps reading SUBMIT_RESPs meanwhile."""
        try:
            body = link.conn.decode(data).body
        except CmppPduError as exc:
            # Re-sending the same bytes cannot help: refuse it as a structure error (Result 1).
            log.warning("cmpp.bad_deliver", error=exc.message)
            msg_id = int.from_bytes(data[12:20], "big") if len(data) >= 20 else 0
            link.respond(header.sequence_id, DeliverResp(msg_id, 1))
            return
        if isinstance(body, Deliver):
            self._spawn(self._deliver(_Received(link, header.sequence_id, body)))

    def close(self) -> None:
        """Stop waiting for missing parts of long replies (they stay unanswered: sent again later)."""
        for timer in self._reply_timers.values():
            timer.cancel()
        self._reply_timers.clear()

    async def _deliver(self, received: _Received) -> None:
        deliver = received.deliver
        if deliver.report is not None:
            if await self._hand(self.on_receipt, self._receipt(deliver.report)):
                self._stats.receipts += 1
                received.answer(0)
            return
        if not deliver.tp_udhi:
            await self._hand_reply([Part(1, deliver.msg_content, received)], total=1)
            return
        try:
            udh = parse_udh(deliver.msg_content, "CMPP_DELIVER.Msg_Content")
            key = (deliver.src_terminal_id, deliver.dest_id, udh.reference, udh.total)
            parts = self._replies.add(
                key, udh.total, Part(udh.number, deliver.msg_content[udh.size :], received)
            )
        except (CmppPduError, ValueError) as exc:
            log.warning("cmpp.bad_reply_segment", error=str(exc))
            received.answer(1)
            return
        if parts is None:
            # The parts are answered once the whole reply is handed over; give up waiting in time.
            if key not in self._reply_timers:
                loop = asyncio.get_running_loop()
                timeout = self._config.mo_reassembly_timeout
                self._reply_timers[key] = loop.call_later(timeout, self._expire_reply, key, udh.total)
            return
        timer = self._reply_timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        await self._hand_reply(parts, total=udh.total)

    def _expire_reply(self, key: Hashable, total: int) -> None:
        self._reply_timers.pop(key, None)
        parts = self._replies.take(key)
        if parts:
            self._spawn(self._hand_reply(parts, total=total))

    async def _hand_reply(self, parts: list[Part[_Received]], *, total: int) -> None:
        first = parts[0].token.deliver
        try:
            text = decode_text(
                b"".join(part.payload for part in parts), first.msg_fmt, "CMPP_DELIVER.Msg_Content"
            )
        except CmppPduError as exc:
            log.warning("cmpp.bad_reply_text", error=exc.message)
            for part in parts:
                part.token.answer(1)
            return
        extra = {"gateway_id": str(first.msg_id), "msg_fmt": str(first.msg_fmt)}
        extra |= {"service_id": first.service_id} if first.service_id else {}
        extra |= {"link_id": first.link_id} if first.link_id else {}
        if total > 1:
            extra["segments"] = f"{len(parts)}/{total}"
        reply = InboundSms(first.src_terminal_id, first.dest_id, text, now(), extra)
        if await self._hand(self.on_inbound, reply):
            self._stats.inbound += 1
            for part in parts:
                part.token.answer(0)

    def _receipt(self, report: StatusReport) -> DeliveryReceipt:
        at: datetime | None
        try:
            local = datetime.strptime(report.done_time, "%y%m%d%H%M").replace(tzinfo=self._config.zone)
            at = local.astimezone(UTC)
        except ValueError:
            at = None
        return DeliveryReceipt(str(report.msg_id), report.stat == DELIVERED, report.stat, at)

    async def _hand(self, handler: Callable[[T], Awaitable[None] | None] | None, item: T) -> bool:
        """Give the item to the callback; True when it accepted (returned without raising)."""
        if handler is None:
            # Nobody wants it: acknowledge, or the gateway would deliver it again forever.
            log.info("cmpp.unhandled", kind=type(item).__name__)
            return True
        try:
            outcome = handler(item)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            # Unanswered, the DELIVER comes again: losing it would be worse than a duplicate.
            log.exception("cmpp.callback_failed", kind=type(item).__name__)
            self._stats.callback_failures += 1
            return False
        return True

"""The CMPP client (the SP's side of an ISMG link): submit messages, receive receipts and replies.

    async with CmppClient(config, on_receipt=store_receipt, on_inbound=store_reply) as client:
        results = await client.submit_many(messages)

Guarantees the caller can build on:
- every message gets a SubmitResult: accepted with the gateway's ids, refused with the gateway's
  Result, or not sent / unknown (link lost, no answer in time) and then `retryable` — a message
  is never silently lost. A retry after `link-lost` or `timeout` may duplicate: the gateway may
  have taken the message before the link died (at-least-once, as the protocol allows);
- at most `window` SUBMITs wait for an answer, at most `rate` per second leave (token bucket);
- a DELIVER is answered (DELIVER_RESP) only after its callback returned: a callback that raises,
  or a process that dies, leaves it unanswered and the gateway delivers it again (at-least-once:
  callbacks dedupe by gateway id). A long reply is handed over once whole;
- a dropped link is re-opened with exponential backoff; ACTIVE_TEST keeps an idle link checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import Coroutine, Iterable
from datetime import date
from types import TracebackType
from typing import Any, Self

from manyi.core.logging import get_logger
from manyi.notify.cmpp.config import CmppConfig
from manyi.notify.cmpp.constants import FLOW_CONTROL, CommandId
from manyi.notify.cmpp.errors import CmppError, CmppLinkError, CmppNotSent, CmppPduError, CmppTimeout
from manyi.notify.cmpp.flow import TokenBucket, Window
from manyi.notify.cmpp.inbound import InboundHandler, Inbox, ReceiptHandler
from manyi.notify.cmpp.link import Link
from manyi.notify.cmpp.pdu import (
    ActiveTest,
    ActiveTestResp,
    Cancel,
    CancelResp,
    Header,
    Query,
    QueryResp,
    Submit,
    SubmitResp,
    TerminateResp,
    encode,
    terminal_width,
)
from manyi.notify.cmpp.stats import ClientStats
from manyi.notify.cmpp.text import encode_text
from manyi.notify.sms import OutgoingSms, SubmitResult

log = get_logger(__name__)

# SubmitResult.error_code beside the gateway's numeric Result
NOT_CONNECTED = "not-connected"  # never sent: no link within the response timeout
LINK_LOST = "link-lost"  # sent, and the link dropped before the answer: the gateway may have it
TIMEOUT = "timeout"  # sent, and no answer in time: the gateway may have it
BAD_RESPONSE = "bad-response"  # an answer we cannot read: the gateway may have it
INVALID_TO = "invalid-to"  # not a number the protocol can carry: retrying cannot help
INVALID_TEXT = "invalid-text"  # empty, or beyond 255 segments
INVALID_EXTENSION = "invalid-extension"
_UNKNOWN_OUTCOME = frozenset({NOT_CONNECTED, LINK_LOST, TIMEOUT, BAD_RESPONSE})


class CmppClient:
    def __init__(
        self,
        config: CmppConfig,
        *,
        on_receipt: ReceiptHandler | None = None,
        on_inbound: InboundHandler | None = None,
    ) -> None:
        self.config = config
        self.stats = ClientStats()
        self._inbox = Inbox(config, self.stats, self._spawn)
        self.on_receipt = on_receipt
        self.on_inbound = on_inbound
        self.last_error: str | None = None  # why the last (re)connection failed
        self._sequence = 0
        self._references = itertools.count(random.randrange(256))  # UDH references of long messages
        self._window = Window(config.window)
        self._bucket = TokenBucket(config.rate, config.bucket_size)
        self._link: Link | None = None
        self._ready = asyncio.Event()
        self._closing = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # DELIVERs being handed to callbacks
        self._keepalives: set[asyncio.Task[None]] = set()
        self._retryable = _UNKNOWN_OUTCOME | {str(code) for code in config.retryable_results}

    # -- life cycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Connect and log in. Raises CmppAuthError (refused: reconnecting would not help) or
        CmppLinkError (unreachable); once started, a dropped link is re-opened in the background."""
        if self._supervisor is not None:
            raise CmppLinkError("the client is already started")
        self._install(await self._open())
        self._supervisor = asyncio.create_task(self._supervise(), name="cmpp-supervisor")

    async def close(self) -> None:
        """Answer the DELIVERs being handled, log out (TERMINATE) and stop reconnecting."""
        if self._closing.is_set():
            return
        self._closing.set()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        self._inbox.close()
        for keepalive in self._keepalives:
            keepalive.cancel()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=self.config.response_timeout)
            for task in late:
                task.cancel()
        link, self._link = self._link, None
        self._ready.clear()
        if link is not None and not link.closed.is_set():
            await link.terminate(min(5.0, self.config.response_timeout))

    @property
    def on_receipt(self) -> ReceiptHandler | None:
        """Called with each DeliveryReceipt (may be a coroutine function); its return answers the gateway."""
        return self._inbox.on_receipt

    @on_receipt.setter
    def on_receipt(self, handler: ReceiptHandler | None) -> None:
        self._inbox.on_receipt = handler

    @property
    def on_inbound(self) -> InboundHandler | None:
        """Called with each InboundSms (a customer's reply, long ones joined)."""
        return self._inbox.on_inbound

    @on_inbound.setter
    def on_inbound(self, handler: InboundHandler | None) -> None:
        self._inbox.on_inbound = handler

    @property
    def connected(self) -> bool:
        return self._link is not None and not self._link.closed.is_set()

    async def wait_connected(self, timeout: float) -> bool:
        """Wait until a link is up (after a drop); False after `timeout` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout)
        return self.connected

    def _next_sequence(self) -> int:
        self._sequence = self._sequence % 0xFFFFFFFF + 1  # 1 .. 2**32-1, wrapping as the spec says
        return self._sequence

    async def _open(self) -> Link:
        return await Link.open(self.config, sequences=self._next_sequence, on_request=self._on_request)

    def _install(self, link: Link) -> None:
        self._link = link
        self._ready.set()
        self._spawn(self._keepalive(link), into=self._keepalives)

    def _spawn(self, work: Coroutine[Any, Any, None], *, into: set[asyncio.Task[None]] | None = None) -> None:
        tasks = self._tasks if into is None else into
        task = asyncio.create_task(work)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def _pause(self, seconds: float) -> bool:
        """Sleep unless the client closes first; True when it did."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)
        return self._closing.is_set()

    async def _supervise(self) -> None:
        while True:
            link = self._link
            if link is None:
                return
            await link.closed.wait()
            self._ready.clear()
            log.warning("cmpp.link_down", reason=link.reason)
            delay = self.config.reconnect_initial
            while True:
                if await self._pause(delay * random.uniform(0.8, 1.2)):
                    return
                try:
                    self._install(await self._open())
                except CmppError as exc:
                    self.last_error = exc.message
                    log.warning("cmpp.reconnect_failed", error=exc.message, retry_in=delay)
                    delay = min(delay * 2, self.config.reconnect_max)
                    continue
                self.stats.reconnects += 1
                break

    async def _keepalive(self, link: Link) -> None:
        """ACTIVE_TEST after `active_test_interval` idle seconds; drop the link after
        `active_test_retries` unanswered ones (a half-open TCP link looks alive otherwise)."""
        loop = asyncio.get_running_loop()
        misses = 0
        while not link.closed.is_set():
            idle = loop.time() - link.last_received
            if idle < self.config.active_test_interval:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(link.closed.wait(), self.config.active_test_interval - idle)
                continue
            self.stats.active_tests_sent += 1
            try:
                await link.request(ActiveTest(), self.config.response_timeout)
            except CmppTimeout:
                misses += 1
                if misses >= self.config.active_test_retries:
                    link.abort(f"no answer to {misses} ACTIVE_TESTs")
                    return
                continue
            except CmppError:
                return
            misses = 0
            self.stats.active_tests_answered += 1

    async def _current_link(self) -> Link | None:
        """The link to send on, waiting for a reconnection up to the response timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.response_timeout
        while not self._closing.is_set():
            link = self._link
            if link is not None and not link.closed.is_set():
                return link
            self._ready.clear()  # the link died and the supervisor has not run yet
            waiters = [asyncio.ensure_future(self._ready.wait()), asyncio.ensure_future(self._closing.wait())]
            await asyncio.wait(
                waiters, timeout=max(0.0, deadline - loop.time()), return_when="FIRST_COMPLETED"
            )
            for waiter in waiters:
                waiter.cancel()
            if loop.time() >= deadline:
                break
        return None

    # -- submitting ------------------------------------------------------------------------

    async def submit_many(self, messages: Iterable[OutgoingSms]) -> list[SubmitResult]:
        """Submit messages, `window` at a time; the results are in the order of the messages."""
        items = list(messages)
        results: list[SubmitResult | None] = [None] * len(items)
        pending = iter(range(len(items)))

        async def worker() -> None:
            for index in pending:  # one shared iterator: each message is taken by one worker
                results[index] = await self.submit(items[index])

        await asyncio.gather(*(worker() for _ in range(min(len(items), self.config.window))))
        return [result for result in results if result is not None]

    async def submit(self, sms: OutgoingSms) -> SubmitResult:
        """Submit one message (one SUBMIT per segment); never raises for the gateway's refusals."""
        if self._supervisor is None:
            raise CmppLinkError("the client is not started: use `async with CmppClient(config)`")
        try:
            segments = self._segments(sms)
        except (ValueError, CmppPduError) as exc:
            code = INVALID_TO if str(exc).startswith("to") else INVALID_TEXT
            code = INVALID_EXTENSION if str(exc).startswith("extension") else code
            log.warning("cmpp.submit_invalid", message_id=sms.message_id, error=str(exc))
            return SubmitResult(sms.message_id, False, error_code=code, retryable=False)
        gateway_ids: list[str] = []
        for segment in segments:
            # A later segment throttled is re-sent: the message's first part is already out.
            outcome = await self._submit_segment(
                segment, retries=self.config.segment_retries if gateway_ids else 0
            )
            if isinstance(outcome, str):
                retryable = outcome in self._retryable
                return SubmitResult(sms.message_id, False, tuple(gateway_ids), outcome, retryable)
            gateway_ids.append(str(outcome))
        return SubmitResult(sms.message_id, True, tuple(gateway_ids))

    def _segments(self, sms: OutgoingSms) -> list[Submit]:
        config = self.config
        to = sms.to.strip().removeprefix("+")
        if not to.isdigit() or len(to) > terminal_width(config.version):
            raise ValueError(f"to: expected a mobile number of digits, got {sms.to!r}")
        src_id = config.src_id + (sms.extension or "")
        if not src_id.isdigit() or len(src_id) > 21:
            raise ValueError(
                f"extension: expected digits, at most 21 with the access code, got {sms.extension!r}"
            )
        encoded = encode_text(sms.text, next(self._references))
        total = len(encoded.payloads)
        segments = [
            Submit(
                dest_terminal_ids=(to,),
                msg_content=payload,
                msg_fmt=encoded.msg_fmt,
                src_id=src_id,
                msg_src=config.source_addr,
                service_id=config.service_id,
                pk_total=total,
                pk_number=number,
                registered_delivery=1 if sms.want_receipt else 0,
                msg_level=config.msg_level,
                fee_user_type=config.fee_user_type,
                tp_udhi=int(encoded.udhi),
                fee_type=config.fee_type,
                fee_code=config.fee_code,
            )
            for number, payload in enumerate(encoded.payloads, start=1)
        ]
        for segment in segments:
            encode(segment, 0, config.version)  # refuse now what could not be encoded later
        return segments

    async def _submit_segment(self, segment: Submit, *, retries: int) -> int | str:
        """The gateway's Msg_Id for one SUBMIT, or why there is none."""
        attempt = 0
        while True:
            answer = await self._submit_once(segment)
            if isinstance(answer, str):
                return answer
            if answer.result == 0:
                return answer.msg_id
            if answer.result not in self.config.retryable_results or attempt >= retries:
                return str(answer.result)
            pause = 1 / self.config.rate if self.config.rate > 0 else 0.1
            await asyncio.sleep(min(1.0, pause * 2**attempt))
            attempt += 1

    async def _submit_once(self, segment: Submit) -> SubmitResp | str:
        await self._window.acquire()
        try:
            self.stats.peak_in_flight = self._window.peak
            await self._bucket.acquire()
            link = await self._current_link()
            if link is None:
                return NOT_CONNECTED
            self.stats.submits_sent += 1
            try:
                answer = await link.request(segment, self.config.response_timeout)
            except CmppTimeout:
                return TIMEOUT
            except CmppNotSent:
                return NOT_CONNECTED
            except CmppLinkError:
                return LINK_LOST
            except CmppPduError as exc:
                log.warning("cmpp.bad_submit_resp", error=exc.message)
                return BAD_RESPONSE
            if not isinstance(answer, SubmitResp):
                return BAD_RESPONSE
            self.stats.submits_answered += 1
            if answer.result == FLOW_CONTROL:
                self.stats.throttled += 1
            return answer
        finally:
            self._window.release()

    # -- other requests ---------------------------------------------------------------------

    async def active_test(self) -> float:
        """Send an ACTIVE_TEST now; return the round trip in seconds."""
        link = await self._require_link()
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.stats.active_tests_sent += 1
        await link.request(ActiveTest(), self.config.response_timeout)
        self.stats.active_tests_answered += 1
        return loop.time() - started

    async def query(self, day: date, service_id: str | None = None) -> QueryResp:
        """The gateway's traffic counters of a day, in total or of one service code."""
        link = await self._require_link()
        body = Query(day.strftime("%Y%m%d"), 1 if service_id else 0, service_id or "")
        answer = await link.request(body, self.config.response_timeout)
        if not isinstance(answer, QueryResp):
            raise CmppPduError("CMPP_QUERY_RESP", "a query response", type(answer).__name__)
        return answer

    async def cancel(self, gateway_id: str) -> bool:
        """Ask the gateway to drop a message it has not delivered yet; True when it did."""
        link = await self._require_link()
        answer = await link.request(Cancel(int(gateway_id)), self.config.response_timeout)
        if not isinstance(answer, CancelResp):
            raise CmppPduError("CMPP_CANCEL_RESP", "a cancel response", type(answer).__name__)
        return answer.success_id == 0

    async def _require_link(self) -> Link:
        link = await self._current_link()
        if link is None:
            raise CmppLinkError(f"no link to the gateway: {self.last_error or 'not connected'}")
        return link

    # -- the gateway's requests ---------------------------------------------------------------

    async def _on_request(self, link: Link, header: Header, data: bytes) -> None:
        """The gateway's requests, from the link's reader."""
        command = header.command_id
        if command == CommandId.DELIVER:
            self._inbox.take(link, header, data)
        elif command == CommandId.ACTIVE_TEST:
            self.stats.gateway_active_tests += 1
            link.respond(header.sequence_id, ActiveTestResp())
        elif command == CommandId.TERMINATE:
            link.respond(header.sequence_id, TerminateResp())
            link.finish("the gateway ended the session (CMPP_TERMINATE)")
        else:
            log.warning("cmpp.unexpected_request", command=f"0x{command:08X}")

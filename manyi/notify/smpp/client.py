"""An asyncio SMPP 3.4 transceiver: one bind to the operator's gateway that submits with a window of
unanswered submit_sm at the agreed rate, keeps the link alive with enquire_link, comes back after a
lost link, and hands delivery receipts and customers' messages to callbacks.

    async with SmppClient(config, on_receipt=store_receipt, on_inbound=store_reply) as client:
        results = await client.submit_many(messages)

Nothing is lost silently: a submit whose answer never came (the link broke, the gateway was silent)
comes back as a retryable SubmitResult, and a deliver_sm is answered only after its callback returned
(a callback that raises, or a missing one, answers ESME_RX_T_APPN so the gateway delivers it again).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

from manyi.core.clock import now
from manyi.core.errors import ManyiError
from manyi.core.logging import get_logger
from manyi.notify.smpp import pdus
from manyi.notify.smpp.config import SmppConfig
from manyi.notify.smpp.receipts import SegmentAssembler, is_receipt, parse_receipt
from manyi.notify.smpp.throttle import TokenBucket
from manyi.notify.sms import DeliveryReceipt, InboundSms, OutgoingSms, SubmitResult, ucs2_segments

log = get_logger("manyi.notify.smpp")
T = TypeVar("T")

ReceiptHandler = Callable[[DeliveryReceipt], Awaitable[None] | None]
InboundHandler = Callable[[InboundSms], Awaitable[None] | None]

# Outcomes of a submit that has no command_status from the gateway.
CONNECTION_LOST = "CONNECTION_LOST"
RESPONSE_TIMEOUT = "RESPONSE_TIMEOUT"
NOT_CONNECTED = "NOT_CONNECTED"
_LOST, _TIMEOUT, _NOT_CONNECTED = -1, -2, -3


class SmppBindError(ManyiError):
    """The gateway refused the bind (wrong password, unknown system_id, ...) or never answered it."""

    status = 502
    code = "smpp_bind_refused"

    def __init__(self, message: str, *, command_status: int | None = None) -> None:
        super().__init__(message, field="password" if command_status == 0x0E else None)
        self.command_status = command_status


@dataclass
class SmppStats:
    """What the link did, for metrics and for tests that check the contract was kept."""

    binds: int = 0
    link_losses: int = 0
    submits_sent: int = 0
    max_in_flight: int = 0
    throttled: int = 0
    enquire_links_sent: int = 0
    enquire_links_answered: int = 0
    enquire_links_received: int = 0
    receipts: int = 0
    inbound: int = 0
    last_error: str | None = None  # the latest failure to bind, cleared by a bind
    last_loss: str | None = None  # why the latest link ended


@dataclass
class _Pending:
    future: asyncio.Future[tuple[int, str]]
    deadline: float


@dataclass
class _Link:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    unbound: asyncio.Event = field(default_factory=asyncio.Event)


class SmppClient:
    """One transceiver bind; use as an async context manager (it binds on entry, unbinds on exit)."""

    def __init__(
        self,
        config: SmppConfig,
        *,
        on_receipt: ReceiptHandler | None = None,
        on_inbound: InboundHandler | None = None,
    ) -> None:
        self.config = config
        self.on_receipt = on_receipt
        self.on_inbound = on_inbound
        self.stats = SmppStats()
        self._zone = ZoneInfo(config.receipt_timezone)
        # Counters, not itertools.cycle: a cycle keeps a copy of every value it has handed out.
        self._sequence = 0
        self._reference = 0
        self._bucket = TokenBucket(config.rate, config.bucket_size)
        self._pause_until = 0.0
        self._link: _Link | None = None
        self._bound = asyncio.Event()
        self._window = asyncio.Semaphore(config.window)
        self._in_flight: dict[int, _Pending] = {}
        self._enquiries: dict[int, _Pending] = {}
        self._assembler = SegmentAssembler()
        self._inbound: asyncio.Queue[tuple[_Link, int, pdus.Deliver | None]] = asyncio.Queue(maxsize=1000)
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> SmppClient:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Bind now (raising SmppBindError or OSError when that fails), then keep the link up."""
        await self._connect()
        self._tasks = [
            asyncio.create_task(self._supervise(), name="smpp-link"),
            asyncio.create_task(self._deliveries(), name="smpp-deliveries"),
        ]

    async def close(self) -> None:
        """Answer what was delivered, unbind politely, and stop."""
        self._closing = True
        # Deliveries already read are answered first, so the gateway need not deliver them again.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._inbound.join(), self.config.response_timeout)
        link = self._link
        if link is not None:
            with contextlib.suppress(TimeoutError, OSError):
                self._write(link, pdus.pack(pdus.UNBIND, self._next_sequence()))
                await asyncio.wait_for(link.unbound.wait(), self.config.response_timeout)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._drop(link, "closed")

    @property
    def bound(self) -> bool:
        return self._bound.is_set()

    # -- submitting ------------------------------------------------------------------------------

    async def submit_many(self, messages: Iterable[OutgoingSms]) -> list[SubmitResult]:
        """Submit every message (window and rate shared with any other caller); results in order."""
        items = list(messages)
        results: list[SubmitResult | None] = [None] * len(items)
        queue = iter(enumerate(items))

        async def worker() -> None:
            for index, message in queue:
                results[index] = await self.submit(message)

        await asyncio.gather(*(worker() for _ in range(min(self.config.window, len(items)))))
        return [result for result in results if result is not None]

    async def submit(self, message: OutgoingSms) -> SubmitResult:
        """Submit one message, its segments in order; the gateway's id for each accepted segment."""
        source = self.config.source_addr + (message.extension or "")
        refused = _check(message, source)
        if refused is None:
            try:
                self._reference = (self._reference + 1) % 256
                payloads = ucs2_segments(message.text, self._reference)
            except ValueError as exc:
                refused = str(exc)
        if refused is not None:
            return SubmitResult(message.message_id, accepted=False, error_code=refused)
        udh = len(payloads) > 1
        ids: list[str] = []
        for payload in payloads:
            body = pdus.submit_sm_body(
                self.config,
                source=source,
                to=message.to,
                payload=payload,
                udh=udh,
                receipt=message.want_receipt,
            )
            status, answer = await self._submit_pdu(body)
            if status != pdus.ESME_ROK:
                code, retryable = _failure(status)
                return SubmitResult(message.message_id, False, tuple(ids), code, retryable)
            ids.append(answer)
        return SubmitResult(message.message_id, accepted=True, gateway_ids=tuple(ids))

    async def _submit_pdu(self, body: bytes) -> tuple[int, str]:
        """Send one submit_sm within the window and the rate; re-send it while the gateway throttles."""
        throttled = 0
        while True:
            async with self._window:
                link = await self._wait_for_link()
                if link is None:
                    return _NOT_CONNECTED, NOT_CONNECTED
                await self._bucket.take()
                pause = self._pause_until - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                if link is not self._link:
                    continue  # the link changed while we waited for a token: take the new one
                sequence = self._next_sequence()
                future: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
                self._in_flight[sequence] = _Pending(future, time.monotonic() + self.config.response_timeout)
                self.stats.max_in_flight = max(self.stats.max_in_flight, len(self._in_flight))
                self.stats.submits_sent += 1
                self._write(link, pdus.pack(pdus.SUBMIT_SM, sequence, body))
                if link.writer.transport.get_write_buffer_size() > 1 << 16:
                    await link.writer.drain()
                status, answer = await future
            if status not in (pdus.ESME_RTHROTTLED, pdus.ESME_RMSGQFUL):
                return status, answer
            throttled += 1
            self.stats.throttled += 1
            if throttled > self.config.throttle_retries:
                return status, answer
            # Everyone pauses, not only this PDU: the gateway's limit is for the whole bind.
            backoff = self.config.throttle_backoff * 2 ** (throttled - 1)
            self._pause_until = max(self._pause_until, time.monotonic() + backoff)

    async def _wait_for_link(self) -> _Link | None:
        if not self._bound.is_set():
            try:
                await asyncio.wait_for(self._bound.wait(), self.config.link_wait)
            except TimeoutError:
                return None
        return self._link

    # -- the link --------------------------------------------------------------------------------

    async def _connect(self) -> None:
        config = self.config
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(config.host, config.port, limit=pdus.MAX_PDU_LENGTH),
            config.connect_timeout,
        )
        try:
            writer.write(pdus.bind_transceiver(config, self._next_sequence()))
            await writer.drain()
            command_id, status, _sequence, body = await asyncio.wait_for(
                _read(reader), config.response_timeout
            )
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            writer.close()
            raise SmppBindError(
                f"the SMPP gateway {config.host}:{config.port} closed the connection instead of answering "
                f"the bind of {config.system_id}"
            ) from exc
        except TimeoutError as exc:
            writer.close()
            raise SmppBindError(
                f"the SMPP gateway {config.host}:{config.port} did not answer the bind of "
                f"{config.system_id} within {config.response_timeout} s"
            ) from exc
        if command_id != pdus.BIND_TRANSCEIVER_RESP or status != pdus.ESME_ROK:
            writer.close()
            raise SmppBindError(
                f"the SMPP gateway {config.host}:{config.port} refused the bind of {config.system_id}: "
                f"{pdus.status_text(status)}",
                command_status=status,
            )
        self._link = _Link(reader, writer)
        self.stats.binds += 1
        self.stats.last_error = None
        self._bound.set()
        log.info(
            "smpp_bound",
            host=config.host,
            port=config.port,
            system_id=config.system_id,
            gateway=pdus.c_string(body),
        )

    async def _supervise(self) -> None:
        """Serve the link while it lives; after a loss, bind again with a doubling pause."""
        delay = self.config.reconnect_initial
        while True:
            link = self._link
            if link is not None:
                # Served even when closing has begun: the unbind_resp is read here.
                reason = await self._serve(link)
                self._drop(link, reason)
                if self._closing:
                    return
                self.stats.link_losses += 1
                self.stats.last_loss = reason
                log.warning("smpp_link_lost", reason=reason)
                delay = self.config.reconnect_initial
            await asyncio.sleep(delay)
            if self._closing:
                return
            delay = min(delay * 2, self.config.reconnect_max)
            try:
                await self._connect()
            except (SmppBindError, OSError, TimeoutError) as exc:
                self.stats.last_error = str(exc) or type(exc).__name__
                log.warning("smpp_bind_failed", error=self.stats.last_error, retry_in=delay)

    async def _serve(self, link: _Link) -> str:
        """Read and keep alive until one of them ends; return why the link ended."""
        tasks = [asyncio.create_task(self._read_loop(link)), asyncio.create_task(self._watch(link))]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finished = next(iter(done))
        if finished.cancelled():
            return "cancelled"
        error = finished.exception()
        if error is not None:
            return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return finished.result()

    def _drop(self, link: _Link | None, reason: str) -> None:
        """Forget a dead link; every submit still waiting on it comes back retryable."""
        if link is None:
            return
        if self._link is link:
            self._link = None
            self._bound.clear()
        link.unbound.set()  # some gateways close the socket instead of answering an unbind
        link.writer.close()
        for pending in (*self._in_flight.values(), *self._enquiries.values()):
            if not pending.future.done():
                pending.future.set_result((_LOST, reason))
        self._in_flight.clear()
        self._enquiries.clear()

    async def _read_loop(self, link: _Link) -> str:
        while True:
            try:
                command_id, status, sequence, body = await _read(link.reader)
            except asyncio.IncompleteReadError:
                return "the gateway closed the connection"
            if command_id in (pdus.SUBMIT_SM_RESP, pdus.GENERIC_NACK):
                pending = self._in_flight.pop(sequence, None)
                if pending is not None and not pending.future.done():
                    pending.future.set_result((status, pdus.c_string(body)))
            elif command_id == pdus.DELIVER_SM:
                try:
                    deliver: pdus.Deliver | None = pdus.parse_deliver(
                        pdus.pack(command_id, sequence, body, status), status, sequence
                    )
                except (ValueError, UnicodeError, IndexError) as exc:
                    log.warning("smpp_deliver_undecodable", error=str(exc))
                    deliver = None
                await self._inbound.put((link, sequence, deliver))
            elif command_id == pdus.ENQUIRE_LINK:
                self.stats.enquire_links_received += 1
                self._write(link, pdus.pack(pdus.ENQUIRE_LINK_RESP, sequence))
            elif command_id == pdus.ENQUIRE_LINK_RESP:
                pending = self._enquiries.pop(sequence, None)
                if pending is not None and not pending.future.done():
                    self.stats.enquire_links_answered += 1
                    pending.future.set_result((status, ""))
            elif command_id == pdus.UNBIND:
                self._write(link, pdus.pack(pdus.UNBIND_RESP, sequence))
                return "the gateway unbound"
            elif command_id == pdus.UNBIND_RESP:
                link.unbound.set()
                return "unbound"
            elif not command_id & 0x80000000:
                self._write(link, pdus.pack(pdus.GENERIC_NACK, sequence, status=pdus.ESME_RINVCMDID))

    async def _watch(self, link: _Link) -> str:
        """enquire_link every interval; expire submits the gateway left unanswered too long."""
        config = self.config
        tick = min(0.25, config.response_timeout / 4, config.enquire_interval / 2)
        next_enquiry = time.monotonic() + config.enquire_interval
        while True:
            await asyncio.sleep(tick)
            moment = time.monotonic()
            for sequence, pending in list(self._in_flight.items()):
                if pending.deadline > moment:
                    break  # insertion order is deadline order
                del self._in_flight[sequence]
                if not pending.future.done():
                    pending.future.set_result((_TIMEOUT, RESPONSE_TIMEOUT))
            for pending in self._enquiries.values():
                if pending.deadline <= moment:
                    return f"no enquire_link_resp within {config.response_timeout} s"
            if moment >= next_enquiry:
                next_enquiry = moment + config.enquire_interval
                sequence = self._next_sequence()
                future: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
                self._enquiries[sequence] = _Pending(future, moment + config.response_timeout)
                self.stats.enquire_links_sent += 1
                self._write(link, pdus.pack(pdus.ENQUIRE_LINK, sequence))

    # -- deliveries ------------------------------------------------------------------------------

    async def _deliveries(self) -> None:
        """Hand each deliver_sm to its callback, then answer it on the link it came on."""
        while True:
            link, sequence, deliver = await self._inbound.get()
            try:
                status = await self._dispatch(deliver)
                if link is self._link:
                    self._write(link, pdus.deliver_sm_resp(sequence, status))
            finally:
                self._inbound.task_done()

    async def _dispatch(self, deliver: pdus.Deliver | None) -> int:
        if deliver is None:
            return pdus.ESME_RX_P_APPN
        if is_receipt(deliver.esm_class):
            receipt = parse_receipt(
                deliver.text,
                receipted_id=deliver.receipted_id,
                message_state=deliver.message_state,
                zone=self._zone,
            )
            if receipt is None:
                return pdus.ESME_RX_P_APPN
            self.stats.receipts += 1
            return await _call(self.on_receipt, receipt)
        text = self._assembler.add(
            sender=deliver.sender,
            to=deliver.to,
            reference=deliver.reference,
            total=deliver.total,
            number=deliver.number,
            text=deliver.text,
        )
        if text is None:
            return pdus.ESME_ROK  # a segment kept until its message is whole
        self.stats.inbound += 1
        return await _call(
            self.on_inbound, InboundSms(sender=deliver.sender, to=deliver.to, text=text, received_at=now())
        )

    # -- helpers ---------------------------------------------------------------------------------

    def _next_sequence(self) -> int:
        self._sequence = self._sequence % 0x7FFFFFFF + 1  # 1 .. 2**31 - 1, as SMPP 3.4 allows
        return self._sequence

    def _write(self, link: _Link, data: bytes) -> None:
        if not link.writer.is_closing():
            link.writer.write(data)


async def _read(reader: asyncio.StreamReader) -> tuple[int, int, int, bytes]:
    length, command_id, status, sequence = pdus.HEADER.unpack(await reader.readexactly(pdus.HEADER_LENGTH))
    if not pdus.HEADER_LENGTH <= length <= pdus.MAX_PDU_LENGTH:
        raise ConnectionError(f"a PDU of {length} bytes: the stream is out of step")
    body = await reader.readexactly(length - pdus.HEADER_LENGTH) if length > pdus.HEADER_LENGTH else b""
    return command_id, status, sequence, body


async def _call(handler: Callable[[T], Awaitable[None] | None] | None, item: T) -> int:
    """Run a callback; the deliver_sm's answer: accepted, or to be delivered again later."""
    if handler is None:
        log.warning("smpp_delivery_without_handler", kind=type(item).__name__)
        return pdus.ESME_RX_T_APPN
    try:
        outcome = handler(item)
        if inspect.isawaitable(outcome):
            await outcome
    except Exception as exc:  # the gateway keeps the message and delivers it again
        log.warning("smpp_delivery_handler_failed", kind=type(item).__name__, error=repr(exc))
        return pdus.ESME_RX_T_APPN
    return pdus.ESME_ROK


def _check(message: OutgoingSms, source: str) -> str | None:
    """Why a message cannot be submitted as it is (the gateway would refuse it), or None."""
    if not message.text:
        return "text: empty"
    if not (message.to.isascii() and message.to.isdigit() and 5 <= len(message.to) <= 20):
        return "to: expected 5..20 digits"
    if len(source) > 20 or not source.isascii():
        return "extension: the service code and extension exceed 20 characters"
    return None


def _failure(status: int) -> tuple[str, bool]:
    """The error_code and retryability of a submit that did not get ESME_ROK."""
    if status == _LOST:
        return CONNECTION_LOST, True
    if status == _TIMEOUT:
        return RESPONSE_TIMEOUT, True
    if status == _NOT_CONNECTED:
        return NOT_CONNECTED, True
    return pdus.status_name(status), status in pdus.RETRYABLE_STATUSES

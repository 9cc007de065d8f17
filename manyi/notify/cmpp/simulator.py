"""An ISMG (China Mobile SMS gateway) simulator for tests and benchmarks: a real CMPP server on a
TCP port, speaking 3.0 and 2.0.

It logs SPs in with their account and shared secret, answers SUBMITs with Msg_Ids, enforces a
window and a rate (Result 8 beyond them), joins long messages, sends status reports after a delay
(UNDELIV or any Stat for configured numbers), re-sends DELIVERs left unanswered, injects replies
(MO), runs ACTIVE_TEST, and drops connections on demand.

    python -m manyi.notify.cmpp.simulator --port 7890 --account 901234:secret --rate 200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo

from manyi.core.clock import now
from manyi.core.logging import configure_logging, get_logger
from manyi.notify.cmpp.connection import Connection
from manyi.notify.cmpp.constants import DELIVERED, FLOW_CONTROL, Version
from manyi.notify.cmpp.errors import CmppLinkError, CmppPduError
from manyi.notify.cmpp.msgid import MsgIdFactory
from manyi.notify.cmpp.pdu import Deliver, StatusReport, Submit
from manyi.notify.cmpp.sim_session import Session
from manyi.notify.cmpp.sim_store import ReceivedMessage, ReceivedSegment, SubmitStore
from manyi.notify.cmpp.text import encode_text

log = get_logger(__name__)


@dataclass
class SimulatorConfig:
    accounts: dict[str, str]  # source address (SP id) -> shared secret
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port (read `IsmgSimulator.port`)
    max_version: Version = Version.V30
    window: int = 16  # unanswered SUBMITs per connection before Result 8
    rate: float = 0.0  # SUBMITs per second per account before Result 8; 0: no limit
    rate_period: float = 1.0  # the sliding period the rate is counted over (rate x period allowed)
    submit_resp_delay: float = 0.0  # seconds before each SUBMIT_RESP: lets a client fill its window
    report_delay: float = 0.05  # seconds between a SUBMIT and its status report
    failing_numbers: dict[str, str] = field(default_factory=dict)  # number -> Stat, e.g. UNDELIV
    src_id_prefix: str = ""  # when set, a Src_Id must start with it (Result 10)
    gateway_code: int = 123456  # the 22-bit code inside every Msg_Id
    active_test_interval: float = 0.0  # seconds between our ACTIVE_TESTs; 0: never
    deliver_retry_after: float = 60.0  # an unanswered DELIVER is sent again after this (the spec's T)
    deliver_attempts: int = 3  # ... at most this many times in all (the spec's N)
    timezone: str = "Asia/Shanghai"


@dataclass
class SimulatorStats:
    logins: int = 0
    refused_logins: int = 0
    accepted: int = 0
    refused: int = 0  # SUBMITs answered with a Result other than 0
    throttled: int = 0  # of which Result 8 for the rate
    over_window: int = 0  # of which Result 8 for the window
    peak_in_flight: int = 0  # the most SUBMITs of one connection waiting for their answer
    reports_sent: int = 0
    delivers_acknowledged: int = 0
    delivers_abandoned: int = 0
    active_tests_sent: int = 0
    active_tests_answered: int = 0  # the client's answers to ours
    active_tests_received: int = 0  # the client's ACTIVE_TESTs we answered
    drops: int = 0


@dataclass
class _Pending:
    """A DELIVER (report or MO) waiting for its DELIVER_RESP with Result 0."""

    deliver: Deliver
    attempts: int = 0
    sent_at: float | None = None


class IsmgSimulator:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.stats = SimulatorStats()
        self.store = SubmitStore()
        self.sessions: list[Session] = []
        self.zone = ZoneInfo(config.timezone)
        self._ids = MsgIdFactory(config.gateway_code)
        self._server: asyncio.Server | None = None
        self._pending: dict[str, dict[int, _Pending]] = {account: {} for account in config.accounts}
        self._recent: dict[str, deque[float]] = {account: deque() for account in config.accounts}
        self._report_timers: dict[int, asyncio.TimerHandle] = {}
        self._mo_references = itertools.count(1)
        self._smsc_sequence = itertools.count(1)
        self._drop_after: int | None = None
        self.muted = False  # a hung gateway: the TCP link stays up, nothing is answered
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.config.host, self.config.port)
        self._spawn(self._resend_loop())

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self.drop_connections(count=False)
        for timer in self._report_timers.values():
            timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise CmppLinkError("the simulator is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def messages(self) -> list[ReceivedMessage]:
        return self.store.messages

    @property
    def segments(self) -> list[ReceivedSegment]:
        return self.store.segments

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def touch(self) -> None:
        """Wake whoever waits in `wait_until`: something changed."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `condition()` holds (checked after every change); TimeoutError otherwise."""
        async with asyncio.timeout(timeout):
            while not condition():
                await self._changed.wait()

    # -- what tests and benchmarks steer ----------------------------------------------------

    def drop_connections(self, *, count: bool = True) -> None:
        """Cut every connection now, answering nothing more (what a network failure looks like)."""
        for session in list(self.sessions):
            session.conn.abort()
        if count and self.sessions:
            self.stats.drops += 1
        self.touch()

    def terminate_sessions(self) -> None:
        """End every session politely (CMPP_TERMINATE), as a gateway going into maintenance does."""
        for session in list(self.sessions):
            session.terminate()

    def drop_after(self, submits: int) -> None:
        """Cut every connection once `submits` SUBMITs have been accepted in all, before answering
        the last: the gateway has it, the SP never hears so (the case that makes duplicates)."""
        self._drop_after = submits

    def inject_mo(
        self, sender: str, to: str, text: str, *, account: str | None = None, link_id: str = ""
    ) -> list[str]:
        """Queue a customer's message to `to` (our access code + extension) as one DELIVER per
        segment; return their Msg_Ids. It goes out on the account's connection, now or at login."""
        account = account or next(iter(self.config.accounts))
        encoded = encode_text(text, next(self._mo_references))
        ids = []
        for payload in encoded.payloads:
            msg_id = self._ids.next(self.local_now()).value
            deliver = Deliver(
                msg_id=msg_id,
                dest_id=to,
                src_terminal_id=sender,
                msg_content=payload,
                msg_fmt=encoded.msg_fmt,
                tp_udhi=int(encoded.udhi),
                link_id=link_id,
            )
            self.queue_deliver(account, deliver)
            ids.append(str(msg_id))
        return ids

    def inject_raw(self, account: str, deliver: Deliver) -> None:
        """Queue any DELIVER as it is (a GBK reply, a hand-made report)."""
        self.queue_deliver(account, deliver)

    # -- the gateway's work -----------------------------------------------------------------

    def local_now(self) -> datetime:
        return now().astimezone(self.zone)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(self, Connection(reader, writer, self.config.max_version))
        try:
            await session.run()
        finally:
            if session in self.sessions:
                self.sessions.remove(session)
            session.conn.abort()
            self.touch()

    def logged_in(self, session: Session) -> None:
        self.sessions.append(session)
        self.stats.logins += 1
        if self.config.active_test_interval > 0:
            self._spawn(session.keep_alive(self.config.active_test_interval))
        for pending in self._pending[session.account].values():
            pending.sent_at = None  # send again at once on the new connection
        self._flush(session.account)
        self.touch()

    def decide(self, session: Session, submit: Submit) -> int:
        """The Result for a SUBMIT, as a gateway's checks would give it."""
        loop_now = asyncio.get_running_loop().time()
        if session.in_flight >= self.config.window:
            self.stats.over_window += 1
            return FLOW_CONTROL
        if self.config.rate > 0:
            recent = self._recent[session.account]
            while recent and recent[0] <= loop_now - self.config.rate_period:
                recent.popleft()
            if len(recent) >= self.config.rate * self.config.rate_period:
                self.stats.throttled += 1
                return FLOW_CONTROL
            recent.append(loop_now)
        if submit.msg_src and submit.msg_src != session.account:
            return 11
        if not submit.src_id.startswith(self.config.src_id_prefix):
            return 10
        if not all(number.isdigit() for number in submit.dest_terminal_ids):
            return 13
        try:
            self.store.check(submit)
        except CmppPduError:
            return 1
        return 0

    def accept(self, session: Session, submit: Submit) -> int:
        """Keep an accepted SUBMIT; return its Msg_Id and schedule its reports."""
        msg_id = self._ids.next(self.local_now()).value
        self.stats.accepted += 1
        received = ReceivedSegment(session.account, str(msg_id), submit, asyncio.get_running_loop().time())
        self.store.add(received)
        if submit.registered_delivery == 1:
            loop = asyncio.get_running_loop()
            submitted = self.local_now()
            self._report_timers[msg_id] = loop.call_later(
                self.config.report_delay, self._report, session.account, msg_id, submit, submitted
            )
        self.touch()
        return msg_id

    def drop_if_due(self) -> bool:
        """Cut the connections if `drop_after` says so (once)."""
        if self._drop_after is None or len(self.store.segments) < self._drop_after:
            return False
        self._drop_after = None
        self.drop_connections()
        return True

    def cancel(self, msg_id: int) -> bool:
        """Cancel a message whose report has not been produced yet (it is still 'at the gateway')."""
        timer = self._report_timers.pop(msg_id, None)
        if timer is None:
            return False
        timer.cancel()
        return True

    def _report(self, account: str, msg_id: int, submit: Submit, submitted: datetime) -> None:
        self._report_timers.pop(msg_id, None)
        done = self.local_now().strftime("%y%m%d%H%M")
        for number in submit.dest_terminal_ids:
            stat = self.config.failing_numbers.get(number, DELIVERED)
            report = StatusReport(
                msg_id, stat, submitted.strftime("%y%m%d%H%M"), done, number, next(self._smsc_sequence)
            )
            deliver = Deliver(
                msg_id=self._ids.next(self.local_now()).value,
                dest_id=submit.src_id,
                src_terminal_id=number,
                report=report,
                service_id=submit.service_id,
            )
            self.stats.reports_sent += 1
            self.queue_deliver(account, deliver)

    def queue_deliver(self, account: str, deliver: Deliver) -> None:
        self._pending[account][deliver.msg_id] = _Pending(deliver)
        self._flush(account)

    def acknowledged(self, account: str, msg_id: int, result: int) -> None:
        pending = self._pending[account].pop(msg_id, None)
        if pending is not None and result == 0:
            self.stats.delivers_acknowledged += 1
        elif pending is not None:
            self.stats.delivers_abandoned += 1  # the SP refused it: the same bytes would fail again
        self.touch()

    def _flush(self, account: str) -> None:
        """Send the account's DELIVERs that are due: never sent, or unanswered for too long."""
        session = next((s for s in self.sessions if s.account == account), None)
        if session is None:
            return
        loop_now = asyncio.get_running_loop().time()
        for msg_id, pending in list(self._pending[account].items()):
            if pending.sent_at is not None and loop_now - pending.sent_at < self.config.deliver_retry_after:
                continue
            if pending.attempts >= self.config.deliver_attempts:
                del self._pending[account][msg_id]
                self.stats.delivers_abandoned += 1
                continue
            pending.attempts += 1
            pending.sent_at = loop_now
            session.send_deliver(pending.deliver)

    async def _resend_loop(self) -> None:
        tick = max(0.01, min(1.0, self.config.deliver_retry_after / 4))
        while True:
            await asyncio.sleep(tick)
            for account in self._pending:
                self._flush(account)

    @property
    def pending_delivers(self) -> int:
        return sum(len(pending) for pending in self._pending.values())


def _parse_args(argv: list[str] | None) -> SimulatorConfig:
    parser = argparse.ArgumentParser(
        prog="python -m manyi.notify.cmpp.simulator", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7890)
    parser.add_argument("--account", action="append", default=[], help="SP_ID:SECRET (repeatable)")
    parser.add_argument("--version", choices=["2.0", "3.0"], default="3.0", help="the highest version spoken")
    parser.add_argument("--window", type=int, default=16)
    parser.add_argument("--rate", type=float, default=0.0, help="SUBMITs per second per account; 0: no limit")
    parser.add_argument("--submit-resp-delay", type=float, default=0.0)
    parser.add_argument("--report-delay", type=float, default=0.5)
    parser.add_argument(
        "--fail", action="append", default=[], help="NUMBER[=STAT]: reports UNDELIV (or STAT)"
    )
    parser.add_argument("--active-test-interval", type=float, default=0.0)
    args = parser.parse_args(argv)
    accounts = dict(item.split(":", 1) for item in args.account) or {"901234": "secret"}
    failing = {n.split("=")[0]: (n.split("=") + ["UNDELIV"])[1] for n in args.fail}
    return SimulatorConfig(
        accounts=accounts,
        host=args.host,
        port=args.port,
        max_version=Version.V20 if args.version == "2.0" else Version.V30,
        window=args.window,
        rate=args.rate,
        submit_resp_delay=args.submit_resp_delay,
        report_delay=args.report_delay,
        failing_numbers=failing,
        active_test_interval=args.active_test_interval,
    )


async def serve(config: SimulatorConfig) -> None:
    """Run until interrupted, printing where it listens and, at the end, what it saw."""
    async with IsmgSimulator(config) as simulator:
        print(f"CMPP {config.max_version.label} simulator on {config.host}:{simulator.port}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            print(f"stats: {simulator.stats}", flush=True)


def main(argv: list[str] | None = None) -> None:
    config = _parse_args(argv)
    configure_logging(json=False)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config))


if __name__ == "__main__":
    main()

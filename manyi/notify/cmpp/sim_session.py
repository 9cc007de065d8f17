"""One SP's connection to the simulated gateway: the login check, then SUBMITs answered (after a
configurable delay, so a client's window fills), DELIVERs sent and their answers matched, and the
small requests (ACTIVE_TEST, TERMINATE, QUERY, CANCEL) answered."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from manyi.core.logging import get_logger
from manyi.notify.cmpp.auth import authenticator_ismg, authenticator_source
from manyi.notify.cmpp.connection import Connection
from manyi.notify.cmpp.constants import CommandId, Version
from manyi.notify.cmpp.errors import CmppLinkError, CmppPduError
from manyi.notify.cmpp.pdu import (
    ActiveTest,
    ActiveTestResp,
    Body,
    Cancel,
    CancelResp,
    Connect,
    ConnectResp,
    Deliver,
    DeliverResp,
    Header,
    Query,
    QueryResp,
    Submit,
    SubmitResp,
    Terminate,
    TerminateResp,
    status_width,
)

if TYPE_CHECKING:
    from manyi.notify.cmpp.simulator import IsmgSimulator

log = get_logger(__name__)

LOGIN_TIMEOUT = 30.0  # a connection that does not log in is closed


class Session:
    def __init__(self, gateway: IsmgSimulator, conn: Connection) -> None:
        self.gateway = gateway
        self.conn = conn
        self.account = ""
        self.in_flight = 0  # SUBMITs accepted and not answered yet
        self.closed = False
        self._sequence = 0
        self._delivers: dict[int, int] = {}  # our Sequence_Id -> the Msg_Id of that DELIVER

    def next_sequence(self) -> int:
        self._sequence = self._sequence % 0xFFFFFFFF + 1
        return self._sequence

    def send(self, body: Body, sequence_id: int) -> None:
        with contextlib.suppress(CmppLinkError):
            self.conn.send(body, sequence_id)

    async def run(self) -> None:
        try:
            if not await self._login():
                return
            self.gateway.logged_in(self)
            while not self.closed:
                header, data = await self.conn.read()
                self._handle(header, data)
        except (CmppLinkError, CmppPduError, TimeoutError) as exc:
            log.info("cmpp_sim.session_end", account=self.account, reason=str(exc))
        finally:
            self.closed = True

    async def _login(self) -> bool:
        header, data = await asyncio.wait_for(self.conn.read(), LOGIN_TIMEOUT)
        while self.gateway.muted:
            header, data = await asyncio.wait_for(self.conn.read(), LOGIN_TIMEOUT)
        highest = self.gateway.config.max_version
        try:
            frame = self.conn.decode(data)  # CMPP_CONNECT is laid out alike in both versions
        except CmppPduError:
            self.send(ConnectResp(1, b"\0" * 16, highest), header.sequence_id)
            self.conn.close_soon()
            return False
        if not isinstance(frame.body, Connect):
            self.conn.close_soon()  # the specification: nothing but CMPP_CONNECT before a login
            return False
        status, version = self._check(frame.body)
        self.conn.version = version  # the answer and everything after it use the agreed layout
        secret = self.gateway.config.accounts.get(frame.body.source_addr, "")
        proof = (
            authenticator_ismg(0, frame.body.authenticator_source, secret, status_size=status_width(version))
            if status == 0
            else b"\0" * 16
        )
        self.send(ConnectResp(status, proof, highest), frame.sequence_id)
        if status != 0:
            self.gateway.stats.refused_logins += 1
            self.conn.close_soon()
            return False
        self.account = frame.body.source_addr
        return True

    def _check(self, connect: Connect) -> tuple[int, Version]:
        """The login Status and the version the session will speak."""
        highest = self.gateway.config.max_version
        if connect.version > highest:
            return 4, highest
        if connect.version not in tuple(Version):
            return 1, highest
        version = Version(connect.version)
        secret = self.gateway.config.accounts.get(connect.source_addr)
        if secret is None:
            return 2, version
        if (
            authenticator_source(connect.source_addr, secret, connect.timestamp)
            != connect.authenticator_source
        ):
            return 3, version
        return 0, version

    def _handle(self, header: Header, data: bytes) -> None:
        command, sequence = header.command_id, header.sequence_id
        stats = self.gateway.stats
        if self.gateway.muted:
            return
        try:
            body = self.conn.decode(data).body
        except CmppPduError as exc:
            log.info("cmpp_sim.malformed", error=exc.message)
            if command == CommandId.SUBMIT:
                stats.refused += 1
                self.send(SubmitResp(0, 1), sequence)  # Result 1: message structure error
            return
        if isinstance(body, Submit):
            self._submit(sequence, body)
        elif isinstance(body, DeliverResp):
            self.gateway.acknowledged(self.account, self._delivers.pop(sequence, body.msg_id), body.result)
        elif isinstance(body, ActiveTest):
            stats.active_tests_received += 1
            self.send(ActiveTestResp(), sequence)
        elif command == CommandId.ACTIVE_TEST_RESP:
            stats.active_tests_answered += 1
        elif command == CommandId.TERMINATE_RESP:
            self.closed = True
            self.conn.close_soon()
        elif command == CommandId.TERMINATE:
            self.send(TerminateResp(), sequence)
            self.closed = True
            self.conn.close_soon()
        elif isinstance(body, Query):
            self.send(self._query(body), sequence)
        elif isinstance(body, Cancel):
            self.send(CancelResp(0 if self.gateway.cancel(body.msg_id) else 1), sequence)
        self.gateway.touch()

    def _submit(self, sequence: int, submit: Submit) -> None:
        gateway = self.gateway
        result = gateway.decide(self, submit)
        if result != 0:
            gateway.stats.refused += 1
            self.send(SubmitResp(0, result), sequence)
            return
        msg_id = gateway.accept(self, submit)
        if gateway.drop_if_due():
            return  # taken and never answered: the SP cannot know whether we have it
        self.in_flight += 1
        gateway.stats.peak_in_flight = max(gateway.stats.peak_in_flight, self.in_flight)
        delay = gateway.config.submit_resp_delay
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self._answer, sequence, msg_id)
        else:
            self._answer(sequence, msg_id)

    def _answer(self, sequence: int, msg_id: int) -> None:
        self.in_flight -= 1
        if not self.closed:
            self.send(SubmitResp(msg_id, 0), sequence)

    def terminate(self) -> None:
        self.send(Terminate(), self.next_sequence())

    def send_deliver(self, deliver: Deliver) -> None:
        sequence = self.next_sequence()
        self._delivers[sequence] = deliver.msg_id
        self.send(deliver, sequence)

    def _query(self, query: Query) -> QueryResp:
        segments = [s for s in self.gateway.segments if s.account == self.account]
        if query.query_type == 1:
            segments = [s for s in segments if s.submit.service_id == query.query_code]
        users = len({s.dest for s in segments})
        stats = self.gateway.stats
        counters = (len(segments), users, len(segments), 0, 0, stats.delivers_acknowledged, 0, 0)
        return QueryResp(query.time, query.query_type, query.query_code, counters)

    async def keep_alive(self, interval: float) -> None:
        while not self.closed:
            await asyncio.sleep(interval)
            if self.closed:
                return
            self.gateway.stats.active_tests_sent += 1
            self.send(ActiveTest(), self.next_sequence())

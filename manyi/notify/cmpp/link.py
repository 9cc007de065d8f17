"""One logged-in connection to the gateway, ESME side: the login handshake, Sequence_Ids pairing
responses with requests, and a reader task that hands the gateway's own requests (DELIVER,
ACTIVE_TEST, TERMINATE) to the client. When the connection ends every request still waiting is
failed with CmppLinkError: its caller learns the outcome is unknown, nothing waits forever."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from manyi.core.clock import now
from manyi.core.logging import get_logger
from manyi.notify.cmpp.auth import authenticator_source, connect_timestamp, ismg_authenticator_matches
from manyi.notify.cmpp.config import CmppConfig
from manyi.notify.cmpp.connection import Connection
from manyi.notify.cmpp.constants import RESPONSE_BIT, CommandId, connect_status_reason
from manyi.notify.cmpp.errors import CmppAuthError, CmppLinkError, CmppNotSent, CmppPduError, CmppTimeout
from manyi.notify.cmpp.pdu import Body, Connect, ConnectResp, Header, Terminate, status_width

log = get_logger(__name__)

RequestHandler = Callable[["Link", Header, bytes], Awaitable[None]]


class Link:
    def __init__(self, conn: Connection, *, sequences: Callable[[], int], on_request: RequestHandler) -> None:
        self.conn = conn
        self._sequences = sequences
        self._on_request = on_request
        self._pending: dict[int, tuple[int, asyncio.Future[Body]]] = {}
        self.closed = asyncio.Event()
        self.reason = ""
        self.closing_reason: str | None = None  # set when we close on purpose, before the EOF arrives
        self.last_received = asyncio.get_running_loop().time()
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, config: CmppConfig, *, sequences: Callable[[], int], on_request: RequestHandler
    ) -> Link:
        """Connect and log in; raises CmppAuthError when refused, CmppLinkError when unreachable."""
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(config.host, config.port), config.connect_timeout
            )
        except (OSError, TimeoutError) as exc:
            raise CmppLinkError(f"cannot reach the gateway at {config.host}:{config.port}: {exc!r}") from exc
        conn = Connection(reader, writer, config.version)
        try:
            await asyncio.wait_for(cls._login(conn, config, sequences()), config.connect_timeout)
        except BaseException as exc:
            conn.abort()
            if isinstance(exc, TimeoutError):
                raise CmppTimeout("the gateway did not answer CMPP_CONNECT in time") from exc
            raise
        link = cls(conn, sequences=sequences, on_request=on_request)
        link._reader = asyncio.create_task(link._read_loop(), name=f"cmpp-reader-{conn.peer}")
        return link

    @staticmethod
    async def _login(conn: Connection, config: CmppConfig, sequence: int) -> None:
        timestamp = connect_timestamp(now().astimezone(config.zone))
        source = authenticator_source(config.source_addr, config.shared_secret, timestamp)
        conn.send(Connect(config.source_addr, source, config.version, timestamp), sequence)
        _, data = await conn.read()
        frame = conn.decode(data)
        answer = frame.body
        if not isinstance(answer, ConnectResp) or frame.sequence_id != sequence:
            raise CmppLinkError(f"expected CMPP_CONNECT_RESP to Sequence_Id {sequence}, got {answer!r}")
        if answer.status != 0:
            reason = connect_status_reason(answer.status)
            zh = connect_status_reason(answer.status, zh=True)
            raise CmppAuthError(
                f"the gateway refused the login of {config.source_addr!r}: Status {answer.status}, {reason} ({zh})",
                status=answer.status,
            )
        width = status_width(config.version)
        proven = ismg_authenticator_matches(
            answer.authenticator_ismg, answer.status, source, config.shared_secret, status_size=width
        )
        if config.verify_gateway and not proven:
            raise CmppAuthError("AuthenticatorISMG does not match: the peer does not know the shared secret")

    async def _read_loop(self) -> None:
        loop = asyncio.get_running_loop()
        reason = "closed"
        try:
            while True:
                header, data = await self.conn.read()
                self.last_received = loop.time()
                if header.command_id & RESPONSE_BIT:
                    self._resolve(header, data)
                else:
                    await self._on_request(self, header, data)
        except (CmppLinkError, CmppPduError) as exc:
            reason = exc.message
        except asyncio.CancelledError:
            reason = "closed by us"
            raise
        finally:
            self._shutdown(reason)

    def _resolve(self, header: Header, data: bytes) -> None:
        waiting = self._pending.pop(header.sequence_id, None)
        if waiting is None:
            # a response after its request timed out: the caller was told the outcome is unknown
            log.warning(
                "cmpp.late_response", command=f"0x{header.command_id:08X}", sequence=header.sequence_id
            )
            return
        expected, future = waiting
        if future.done():
            return
        if header.command_id != expected:
            error = CmppPduError("Command_Id", f"0x{expected:08X} for Sequence_Id {header.sequence_id}")
            future.set_exception(error)
            return
        try:
            future.set_result(self.conn.decode(data).body)
        except CmppPduError as exc:
            future.set_exception(exc)

    def _shutdown(self, reason: str) -> None:
        if self.closed.is_set():
            return
        self.reason = self.closing_reason or reason
        self.closed.set()
        self.conn.abort()
        for _, future in self._pending.values():
            if not future.done():
                future.set_exception(CmppLinkError(f"link lost before the answer: {reason}"))
        self._pending.clear()
        log.info("cmpp.link_closed", peer=self.conn.peer, reason=self.reason)

    async def request(self, body: Body, timeout: float) -> Body:
        """Send a request and return the gateway's response. Raises CmppNotSent if the link was
        already down, CmppLinkError if it goes down before the answer (the request may or may not
        have been acted upon), CmppTimeout after `timeout`."""
        if self.closed.is_set():
            raise CmppNotSent(f"link down: {self.reason}")
        sequence = self._sequences()
        future: asyncio.Future[Body] = asyncio.get_running_loop().create_future()
        try:
            self.conn.send(body, sequence)
        except CmppLinkError as exc:
            raise CmppNotSent(exc.message) from exc
        self._pending[sequence] = (body.command_id | RESPONSE_BIT, future)
        try:
            await self.conn.drain()
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            name = CommandId(body.command_id).name
            raise CmppTimeout(f"no answer to CMPP_{name} within {timeout:g} s") from exc
        finally:
            self._pending.pop(sequence, None)

    def respond(self, sequence_id: int, body: Body) -> bool:
        """Answer one of the gateway's requests; False when the link is already gone."""
        if self.closed.is_set():
            return False
        try:
            self.conn.send(body, sequence_id)
        except CmppLinkError:
            return False
        return True

    def finish(self, reason: str) -> None:
        """Close after what is queued has been written (our TERMINATE_RESP to the gateway's TERMINATE)."""
        self.closing_reason = reason
        self.conn.close_soon()

    def abort(self, reason: str) -> None:
        """Drop the link now (the gateway stopped answering ACTIVE_TEST)."""
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
        self._shutdown(reason)

    async def terminate(self, timeout: float) -> None:
        """Log out politely (TERMINATE, wait for TERMINATE_RESP), then close."""
        self.closing_reason = "terminated by us"  # the gateway closes after its answer: not a drop
        with contextlib.suppress(CmppLinkError, CmppPduError):
            await self.request(Terminate(), timeout)
        self.abort("terminated")
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self.conn.close()

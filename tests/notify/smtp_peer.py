"""A real SMTP server (aiosmtpd) in a thread of the test run, on a free port, recording what it got."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER, PASSWORD = "robot@manyi.test", "s3cret-密码"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # as it arrived, dot-stuffing undone


@dataclass
class Recorder:
    """The handler: answers RCPT and DATA as told, keeps what it accepted."""

    messages: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # address -> reply instead of 250
    data_reply: str | None = None  # reply instead of 250 to the end of DATA
    mechanisms: list[str] = field(default_factory=list)  # AUTH mechanisms clients used
    ehlos: int = 0

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        self.ehlos += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply is not None:
            return self.data_reply
        assert isinstance(envelope.original_content, bytes)
        self.messages.append(
            Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 2.0.0 queued as 7F3A"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        self.mechanisms.append(mechanism)
        good = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode()
        )
        return AuthResult(success=good, handled=False)


class _FreePortController(Controller):
    """Listens on port 0 (the system picks a free one) and learns the port before the first call."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def smtp_server(recorder: Recorder, **smtp_parameters: Any) -> Iterator[int]:
    """Run an SMTP server for the block; yields its port. Parameters go to aiosmtpd's SMTP
    (tls_context, require_starttls, auth_required, ...) and Controller (ssl_context)."""
    if smtp_parameters.get("auth_required"):
        smtp_parameters.setdefault("authenticator", recorder.authenticate)
    controller = _FreePortController(
        recorder,
        hostname="127.0.0.1",
        port=0,
        ready_timeout=30.0,
        server_hostname="mx.manyi.test",
        **smtp_parameters,
    )
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()

"""Email over SMTP: plain text with an HTML alternative, attachments, Chinese subjects and names,
STARTTLS or implicit TLS, AUTH PLAIN/LOGIN, and an answer per recipient.

The standard library's smtplib, not an async client: the outbox worker is synchronous (one attempt,
one commit), smtplib speaks everything needed (STARTTLS, SMTP over TLS, AUTH, ESMTP SIZE) and adds
no dependency; an async client would need an event loop per worker thread for no gain.

What the server's codes mean here (docs/channels.md): a 4xx reply to MAIL, RCPT or DATA is
retryable and a 5xx one permanent, per recipient. A failure of the channel itself (no connection,
TLS, missing STARTTLS, AUTH refused, "authentication required") is retryable whatever its code: the
message is not at fault, and once the configuration is fixed it goes out instead of being dropped.
"""

from __future__ import annotations

import base64
import contextlib
import re
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from manyi.core.clock import now
from manyi.core.errors import ValidationFailed
from manyi.notify.channel import CONNECTION, INVALID, RecipientResult, SendResult, combine, failed

# Headers and bodies stay 7-bit (RFC 2047 words, base64/quoted-printable parts), so any relay takes
# them without 8BITMIME or SMTPUTF8.
POLICY = SMTP.clone(cte_type="7bit")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
# Replies about the channel, not the message: authentication required / too weak / failed / expired.
CHANNEL_FAULT_CODES = frozenset({530, 534, 535, 538})
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_MIME_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$")
_KEY = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _no_line_breaks(value: str, field: str) -> str:
    if "\r" in value or "\n" in value:  # a line break in a header would start a header of its own
        raise ValidationFailed(f"{field}: line breaks are not allowed", field=field)
    return value


@dataclass(frozen=True)
class Mailbox:
    """An address with an optional display name (张三 <zhang@example.cn>). The domain may be Chinese
    (sent as punycode); the part before @ must be ASCII (SMTPUTF8 is not assumed of relays)."""

    address: str
    name: str = ""

    def __post_init__(self) -> None:
        _no_line_breaks(self.name, "name")
        self.parts()

    @classmethod
    def parse(cls, text: str) -> Mailbox:
        """A mailbox from 'Name <user@domain>' or 'user@domain'."""
        text = text.strip()
        match = re.fullmatch(r"(.*?)\s*<([^<>]+)>", text)
        if match:
            return cls(address=match.group(2).strip(), name=match.group(1).strip().strip('"'))
        return cls(address=text)

    def parts(self) -> tuple[str, str]:
        """(local part, ASCII domain); ValidationFailed when the address is not one."""
        local, at, domain = self.address.rpartition("@")
        if not at or not local or not domain or not _LOCAL_PART.match(local) or ".." in self.address:
            raise ValidationFailed(
                f"address: expected user@domain with an ASCII user part, got {self.address!r}",
                field="address",
            )
        try:
            ascii_domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValidationFailed(
                f"address: domain {domain!r} is not a valid host name", field="address"
            ) from exc
        return local, ascii_domain

    @property
    def envelope(self) -> str:
        """The ASCII address for MAIL FROM / RCPT TO."""
        local, domain = self.parts()
        return f"{local}@{domain}"

    def header(self) -> Address:
        local, domain = self.parts()
        return Address(display_name=self.name, username=local, domain=domain)


@dataclass(frozen=True)
class Attachment:
    """A file sent along: its name as the recipient sees it, its MIME type, its bytes."""

    filename: str
    content_type: str
    data: bytes

    def __post_init__(self) -> None:
        _no_line_breaks(self.filename, "attachments.filename")
        if not self.filename.strip() or "/" in self.filename or "\\" in self.filename:
            raise ValidationFailed(
                f"attachments.filename: expected a file name without folders, got {self.filename!r}",
                field="attachments.filename",
            )
        if not _MIME_TYPE.match(self.content_type):
            raise ValidationFailed(
                f"attachments.content_type: expected type/subtype such as application/pdf, got {self.content_type!r}",
                field="attachments.content_type",
            )


@dataclass(frozen=True)
class Email:
    """One message. `key` (the outbox row's id or dedupe key) makes the Message-ID the same on every
    attempt, so a receiver can drop a repeat sent after an unanswered DATA."""

    to: tuple[Mailbox, ...]
    subject: str
    text: str
    html: str | None = None
    cc: tuple[Mailbox, ...] = ()
    bcc: tuple[Mailbox, ...] = ()  # envelope only: never written into a header
    attachments: tuple[Attachment, ...] = ()
    key: str | None = None

    def __post_init__(self) -> None:
        if not (self.to or self.cc or self.bcc):
            raise ValidationFailed("to: an email needs at least one recipient", field="to")
        _no_line_breaks(self.subject, "subject")
        if self.key is not None and not _KEY.match(self.key):
            raise ValidationFailed(
                f"key: expected 1-64 letters, digits, '.', '_' or '-', got {self.key!r}", field="key"
            )

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every envelope recipient once, in to, cc, bcc order."""
        return tuple(dict.fromkeys(m.envelope for m in (*self.to, *self.cc, *self.bcc)))


class SmtpConfig(BaseModel):
    """One SMTP relay (docs/channels.md "Email")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "smtp"
    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)  # unset: 587, 465 or 25 by security
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    auth_mechanism: Literal["auto", "PLAIN", "LOGIN"] = "auto"
    sender: str  # the envelope sender and From address
    sender_name: str = ""  # From's display name, e.g. 满意客服
    reply_to: str | None = None
    timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    ca_file: str | None = None  # trust this CA (a private relay's) instead of the system's
    verify_certificate: bool = True
    local_hostname: str | None = None  # the EHLO name; unset: this machine's FQDN
    max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)

    @field_validator("sender", "reply_to")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                Mailbox(address=value)
            except ValidationFailed as exc:  # pydantic reports ValueErrors under the setting's name
                raise ValueError(exc.message) from exc
        return value

    @field_validator("ca_file")
    @classmethod
    def _ca_file(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).is_file():
            raise ValueError(f"ca_file: no file at {value}")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> SmtpConfig:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password: set both, or neither")
        if self.username is not None and self.security == "none":
            raise ValueError(
                "security: AUTH over an unencrypted connection would send the password in clear; use starttls or tls"
            )
        return self

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]


class _ChannelFault(Exception):
    """The connection could not be set up for sending (STARTTLS or AUTH missing)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _reply_text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _retryable(code: int) -> bool:
    """4xx and the channel's own faults are worth another try; other codes (5xx) are final. A code
    outside 400-599 (smtplib's -1: the connection closed) is a connection failure."""
    return not 500 <= code < 600 or code in CHANNEL_FAULT_CODES


class SmtpChannel:
    """Sends Email through one relay, keeping the connection open between sends (checked with
    NOOP before reuse, opened again when the relay closed it). Thread-safe: one send at a time."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.name = config.name
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    # --- building the message ---

    def render(self, email: Email) -> tuple[bytes, str]:
        """The message as sent (CRLF, 7-bit) and its Message-ID."""
        config = self.config
        sender = Mailbox(address=config.sender, name=config.sender_name)
        message = EmailMessage(policy=POLICY)
        message["From"] = sender.header()
        if email.to:
            message["To"] = [m.header() for m in email.to]
        if email.cc:
            message["Cc"] = [m.header() for m in email.cc]
        if config.reply_to:
            message["Reply-To"] = Mailbox(address=config.reply_to).header()
        message["Subject"] = email.subject
        message["Date"] = format_datetime(now())
        domain = sender.parts()[1]
        message_id = f"<manyi.{email.key}@{domain}>" if email.key else make_msgid("manyi", domain=domain)
        message["Message-ID"] = message_id
        message.set_content(email.text)
        if email.html is not None:
            message.add_alternative(email.html, subtype="html")
        for attachment in email.attachments:
            maintype, subtype = attachment.content_type.split("/", 1)
            message.add_attachment(
                attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
            )
        return message.as_bytes(policy=POLICY), message_id

    # --- the connection ---

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.config.ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if not self.config.verify_certificate:  # a relay on a private network with a throwaway cert
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _open(self) -> smtplib.SMTP:
        config = self.config
        smtp: smtplib.SMTP
        if config.security == "tls":
            smtp = smtplib.SMTP_SSL(
                config.host,
                config.effective_port,
                local_hostname=config.local_hostname,
                timeout=config.timeout_seconds,
                context=self._tls_context(),
            )
        else:
            smtp = smtplib.SMTP(
                config.host,
                config.effective_port,
                local_hostname=config.local_hostname,
                timeout=config.timeout_seconds,
            )
        try:
            smtp.ehlo()
            if config.security == "starttls":
                if not smtp.has_extn("starttls"):
                    # Never fall back to clear text: a relay (or someone between) not offering
                    # STARTTLS must not get the password or the customers' mail.
                    raise _ChannelFault("starttls_unavailable", "the server does not offer STARTTLS")
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if config.username is not None and config.password is not None:
                self._login(smtp, config.username, config.password.get_secret_value())
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _login(self, smtp: smtplib.SMTP, username: str, password: str) -> None:
        """AUTH PLAIN or LOGIN, spoken here rather than by smtplib.login: that one encodes the
        credentials as ASCII, and RFC 4616 says UTF-8 (a password may well hold Chinese)."""
        offered = smtp.esmtp_features.get("auth", "").upper().split()
        wanted = ("PLAIN", "LOGIN") if self.config.auth_mechanism == "auto" else (self.config.auth_mechanism,)
        mechanism = next((m for m in wanted if m in offered), None)
        if mechanism is None:
            raise _ChannelFault(
                "auth_unavailable",
                f"the server offers AUTH {' '.join(offered) or 'none'}, not {' or '.join(wanted)}",
            )
        user, secret = username.encode(), password.encode()
        if mechanism == "PLAIN":
            code, reply = smtp.docmd("AUTH", "PLAIN " + _b64(b"\0" + user + b"\0" + secret))
        else:
            code, reply = smtp.docmd("AUTH", "LOGIN " + _b64(user))
            if code == 334:
                code, reply = smtp.docmd(_b64(secret))
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)

    def _connection(self) -> smtplib.SMTP:
        """The open connection if it still answers, else a new one."""
        if self._smtp is not None:
            try:
                if self._smtp.noop()[0] == 250:
                    return self._smtp
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()
        self._smtp = self._open()
        return self._smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        """Say QUIT and close the connection."""
        with self._lock:
            if self._smtp is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    self._smtp.quit()
                self._drop()

    def __enter__(self) -> SmtpChannel:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- sending ---

    def send(self, email: Email) -> SendResult:
        """Send email; the result says per envelope recipient whether the relay took it."""
        try:
            raw, message_id = self.render(email)
        except (ValueError, TypeError) as exc:
            return failed(INVALID, f"the email cannot be built: {exc}", retryable=False)
        if len(raw) > self.config.max_message_bytes:
            return failed(
                INVALID,
                f"the email is {len(raw)} bytes, over the {self.config.max_message_bytes} allowed",
                retryable=False,
            )
        recipients = email.recipients
        sender = Mailbox(address=self.config.sender).envelope
        with self._lock:
            try:
                smtp = self._connection()
                results = self._transaction(smtp, sender, recipients, raw, message_id)
            except _ChannelFault as exc:
                self._drop()
                return self._all(recipients, exc.code, str(exc), retryable=True, message_id=message_id)
            except smtplib.SMTPResponseException as exc:
                # A reply that ends the session: the greeting, EHLO, STARTTLS or AUTH refused, or 421.
                self._drop()
                text = f"{exc.smtp_code} {_reply_text(exc.smtp_error)}"
                return self._all(recipients, str(exc.smtp_code), text, _retryable(exc.smtp_code), message_id)
            except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, TLS failed, dropped
                self._drop()
                text = f"{type(exc).__name__}: {exc}"
                return self._all(recipients, CONNECTION, text, retryable=True, message_id=message_id)
        return combine(results, provider_id=message_id)

    def _all(
        self, recipients: tuple[str, ...], code: str, error: str, retryable: bool, message_id: str
    ) -> SendResult:
        refused = [RecipientResult(r, False, None, code, error, retryable) for r in recipients]
        return combine(refused, provider_id=message_id)

    def _transaction(
        self, smtp: smtplib.SMTP, sender: str, recipients: tuple[str, ...], raw: bytes, message_id: str
    ) -> list[RecipientResult]:
        """MAIL, RCPT per recipient, DATA: each recipient's outcome with the server's code."""
        options: list[str] = []
        if smtp.has_extn("size"):
            limit = int(smtp.esmtp_features["size"] or 0)
            if limit and len(raw) > limit:
                text = f"552 the server takes at most {limit} bytes, the email is {len(raw)}"
                return [RecipientResult(r, False, None, "552", text, False) for r in recipients]
            options.append(f"SIZE={len(raw)}")

        def refused(recipient: str, code: int, reply: bytes | str) -> RecipientResult:
            return RecipientResult(
                recipient, False, None, str(code), f"{code} {_reply_text(reply)}", _retryable(code)
            )

        reply: bytes | str
        code, reply = smtp.mail(sender, options)
        if code != 250:
            self._reset(smtp)
            return [refused(r, code, reply) for r in recipients]
        results: dict[str, RecipientResult] = {}
        taken: list[str] = []
        for recipient in recipients:
            code, reply = smtp.rcpt(recipient)
            if code in (250, 251):
                taken.append(recipient)
            else:
                results[recipient] = refused(recipient, code, reply)
        if not taken:
            self._reset(smtp)
            return [results[r] for r in recipients]
        try:
            code, reply = smtp.data(raw)
        except smtplib.SMTPDataError as exc:  # DATA itself refused (no 354)
            code, reply = exc.smtp_code, exc.smtp_error
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # Those refused at RCPT keep their own answer; the others were not confirmed. If the end
            # of data was sent before the line dropped, a repeat may arrive twice (same Message-ID).
            self._drop()
            text = f"{type(exc).__name__} during DATA: {exc}"
            for recipient in taken:
                results[recipient] = RecipientResult(recipient, False, None, CONNECTION, text, True)
            return [results[r] for r in recipients]
        for recipient in taken:
            if code == 250:
                results[recipient] = RecipientResult(recipient, True, message_id)
            else:
                results[recipient] = refused(recipient, code, reply)
        if code != 250:
            self._reset(smtp)
        return [results[r] for r in recipients]

    def _reset(self, smtp: smtplib.SMTP) -> None:
        """RSET after a refusal, so the next send starts clean; a connection that fails it is dropped."""
        try:
            if smtp.rset()[0] == 250:
                return
        except (smtplib.SMTPException, OSError):
            pass
        self._drop()

"""Email over SMTP against a real aiosmtpd server: STARTTLS with a certificate made here, AUTH
required and checked, a Chinese message with HTML and an attachment parsed back byte-exact, and
the server's refusals mapped per recipient to permanent (5xx) or retryable (4xx, no connection)."""

from __future__ import annotations

import email
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
import time_machine
from pydantic import ValidationError

from manyi.core.errors import ValidationFailed
from manyi.notify.email import Attachment, Email, Mailbox, SmtpChannel, SmtpConfig
from tests.notify.smtp_peer import PASSWORD, USER, Recorder, smtp_server
from tests.notify.tls_cert import SelfSignedCertificate, make_certificate

SENDER = "care@manyi.test"
# Bytes a careless encoder would damage: CR, LF, NUL, a line starting with a dot, high bytes.
PDF = b"%PDF-1.4\r\n.hidden line\n\x00\xff\xfe" + bytes(range(256)) * 8 + b"\r\n.\r\n%%EOF"


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCertificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def secure_port(recorder: Recorder, cert: SelfSignedCertificate) -> Iterator[int]:
    """A relay that insists on STARTTLS and AUTH, as a provider's submission port does."""
    with smtp_server(
        recorder, tls_context=cert.server_context(), require_starttls=True, auth_required=True
    ) as port:
        yield port


@pytest.fixture
def plain_port(recorder: Recorder) -> Iterator[int]:
    """A relay on the local network: no TLS, no AUTH (how refusals are tested)."""
    with smtp_server(recorder) as port:
        yield port


def secure_config(port: int, cert: SelfSignedCertificate, **overrides: object) -> SmtpConfig:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "starttls",
        "username": USER,
        "password": PASSWORD,
        "sender": SENDER,
        "sender_name": "满意客服中心",
        "ca_file": str(cert.cert_file),
        "timeout_seconds": 30,
    }
    values.update(overrides)
    return SmtpConfig.model_validate(values)


def plain_config(port: int, **overrides: object) -> SmtpConfig:
    values: dict[str, object] = {"host": "127.0.0.1", "port": port, "security": "none", "sender": SENDER}
    values.update(overrides)
    return SmtpConfig.model_validate(values)


def bill(*to: str, key: str | None = "outbox-42") -> Email:
    return Email(
        to=tuple(Mailbox.parse(t) for t in to),
        subject="您的宽带账单（2024年5月）已出，请查收",
        text="张先生您好：\n\n附件是您5月的宽带账单，合计 ¥128.00。\n.\n满意客服",
        html="<p>张先生您好：</p><p>附件是您<b>5月</b>的宽带账单，合计 ¥128.00。</p>",
        attachments=(Attachment("账单-2024年5月.pdf", "application/pdf", PDF),),
        key=key,
    )


def parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    return message


@time_machine.travel(datetime(2024, 6, 1, 9, 30, tzinfo=UTC), tick=False)
def test_starttls_and_auth_deliver_a_chinese_message_with_html_and_an_attachment_byte_exact(
    recorder: Recorder, secure_port: int, cert: SelfSignedCertificate
) -> None:
    channel = SmtpChannel(secure_config(secure_port, cert, auth_mechanism="PLAIN"))
    message = bill("张三 <zhang.san@example.cn>")
    with channel:
        result = channel.send(message)

    assert result.accepted and not result.retryable and result.error_code is None
    assert result.provider_id == "<manyi.outbox-42@manyi.test>"
    assert [(r.recipient, r.accepted) for r in result.recipients] == [("zhang.san@example.cn", True)]
    assert recorder.mechanisms == ["PLAIN"]
    (received,) = recorder.messages
    assert received.mail_from == SENDER and received.rcpt_tos == ("zhang.san@example.cn",)
    # All of it 7-bit (RFC 2047 headers, encoded parts): no relay on the way can mangle it.
    assert received.data.isascii() and b"\r\nSubject: =?utf-8?" in received.data

    got = parsed(received.data)
    assert got["Subject"] == "您的宽带账单（2024年5月）已出，请查收"
    assert got["From"].addresses[0].display_name == "满意客服中心"
    assert got["From"].addresses[0].addr_spec == SENDER
    assert got["To"].addresses[0].display_name == "张三"
    assert got["Message-ID"] == "<manyi.outbox-42@manyi.test>"
    assert got["Date"].datetime == datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
    assert got.get_content_type() == "multipart/mixed"
    text_part = got.get_body(preferencelist=("plain",))
    html_part = got.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    # Text parts travel in MIME's canonical form, lines ending in CRLF.
    assert text_part.get_content() == (message.text + "\n").replace("\n", "\r\n")
    assert html_part.get_content() == (message.html or "") + "\r\n"
    (attachment,) = got.iter_attachments()
    assert attachment.get_filename() == "账单-2024年5月.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF


def test_auth_login_is_used_when_configured(
    recorder: Recorder, secure_port: int, cert: SelfSignedCertificate
) -> None:
    with SmtpChannel(secure_config(secure_port, cert, auth_mechanism="LOGIN")) as channel:
        result = channel.send(bill("li@example.cn"))
    assert result.accepted and recorder.mechanisms == ["LOGIN"]


def test_a_wrong_password_is_refused_by_the_server_and_retryable(
    recorder: Recorder, secure_port: int, cert: SelfSignedCertificate
) -> None:
    with SmtpChannel(secure_config(secure_port, cert, password="wrong")) as channel:
        result = channel.send(bill("li@example.cn"))
    # The channel is misconfigured, not the message: it goes once the password is fixed.
    assert not result.accepted and result.retryable and result.error_code == "535"
    assert recorder.messages == []


def test_a_relay_requiring_auth_refuses_a_sender_without_credentials(
    recorder: Recorder, secure_port: int, cert: SelfSignedCertificate
) -> None:
    config = secure_config(secure_port, cert, username=None, password=None)
    with SmtpChannel(config) as channel:
        result = channel.send(bill("li@example.cn"))
    assert not result.accepted and result.retryable and result.error_code == "530"
    assert "uthentication required" in (result.error or "")
    assert recorder.messages == []


def test_an_untrusted_certificate_is_a_connection_failure(
    recorder: Recorder, secure_port: int, cert: SelfSignedCertificate
) -> None:
    with SmtpChannel(secure_config(secure_port, cert, ca_file=None)) as channel:
        result = channel.send(bill("li@example.cn"))
    assert not result.accepted and result.retryable and result.error_code == "connection"
    assert "CERTIFICATE_VERIFY_FAILED" in (result.error or "")
    assert recorder.mechanisms == [] and recorder.messages == []


def test_a_server_without_starttls_never_gets_the_password(
    recorder: Recorder, plain_port: int, cert: SelfSignedCertificate
) -> None:
    with SmtpChannel(secure_config(plain_port, cert)) as channel:
        result = channel.send(bill("li@example.cn"))
    assert not result.accepted and result.retryable and result.error_code == "starttls_unavailable"
    assert recorder.mechanisms == [] and recorder.messages == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_as_on_port_465(recorder: Recorder, cert: SelfSignedCertificate) -> None:
    # aiosmtpd counts only STARTTLS as TLS for offering AUTH; here the whole connection is TLS.
    tls = cert.server_context()
    with (
        smtp_server(recorder, ssl_context=tls, auth_required=True, auth_require_tls=False) as port,
        SmtpChannel(secure_config(port, cert, security="tls")) as channel,
    ):
        result = channel.send(bill("wang@example.cn"))
    assert result.accepted and recorder.mechanisms and len(recorder.messages) == 1


def test_a_550_recipient_is_permanent_a_451_retryable_and_the_rest_delivered(
    recorder: Recorder, plain_port: int
) -> None:
    recorder.rcpt_replies = {
        "gone@example.cn": "550 5.1.1 <gone@example.cn>: user unknown",
        "busy@example.cn": "451 4.3.0 mailbox busy, try later",
    }
    with SmtpChannel(plain_config(plain_port)) as channel:
        result = channel.send(bill("ok@example.cn", "gone@example.cn", "busy@example.cn"))

    assert not result.accepted and result.retryable and result.error_code == "550"
    by_address = {r.recipient: r for r in result.recipients}
    assert by_address["ok@example.cn"].accepted
    assert (by_address["gone@example.cn"].error_code, by_address["gone@example.cn"].retryable) == (
        "550",
        False,
    )
    assert (by_address["busy@example.cn"].error_code, by_address["busy@example.cn"].retryable) == (
        "451",
        True,
    )
    assert result.retry_recipients == ("busy@example.cn",)
    assert result.refused_recipients == ("gone@example.cn",)
    (received,) = recorder.messages
    assert received.rcpt_tos == ("ok@example.cn",)


@pytest.mark.parametrize(("reply", "retryable"), [("451 4.3.0 queue full", True), ("550 5.7.1 spam", False)])
def test_a_refused_message_body_refuses_every_recipient(
    recorder: Recorder, plain_port: int, reply: str, retryable: bool
) -> None:
    recorder.data_reply = reply
    with SmtpChannel(plain_config(plain_port)) as channel:
        result = channel.send(bill("a@example.cn", "b@example.cn"))
        code = reply[:3]
        assert not result.accepted and result.retryable is retryable and result.error_code == code
        assert {(r.error_code, r.retryable) for r in result.recipients} == {(code, retryable)}
        assert reply[4:] in (result.error or "")
        # The refusal left the connection usable for the next message.
        recorder.data_reply = None
        assert channel.send(bill("c@example.cn")).accepted
    assert recorder.ehlos == 1


def test_a_closed_port_is_retryable() -> None:
    # Bound but not listening: nothing can take the port meanwhile, and connecting is refused.
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        port = blocker.getsockname()[1]
        with SmtpChannel(plain_config(port, timeout_seconds=30)) as channel:
            result = channel.send(bill("a@example.cn", "b@example.cn"))
    assert not result.accepted and result.retryable and result.error_code == "connection"
    assert result.retry_recipients == ("a@example.cn", "b@example.cn")


def test_a_message_over_the_servers_size_limit_is_refused_before_sending(recorder: Recorder) -> None:
    with smtp_server(recorder, data_size_limit=4096) as port, SmtpChannel(plain_config(port)) as channel:
        result = channel.send(bill("a@example.cn"))
    assert not result.accepted and not result.retryable and result.error_code == "552"
    assert recorder.messages == []


def test_a_message_over_the_configured_limit_is_invalid() -> None:
    channel = SmtpChannel(plain_config(25, max_message_bytes=2048))
    result = channel.send(bill("a@example.cn"))  # no connection is made: port 25 is never dialled
    assert (result.accepted, result.retryable, result.error_code) == (False, False, "invalid")
    assert "over the 2048 allowed" in (result.error or "")


def test_the_connection_is_kept_and_opened_again_after_the_relay_closed_it(recorder: Recorder) -> None:
    with smtp_server(recorder, timeout=0.3) as port, SmtpChannel(plain_config(port)) as channel:
        assert channel.send(bill("a@example.cn", key="m-1")).accepted
        assert channel.send(bill("b@example.cn", key="m-2")).accepted
        assert recorder.ehlos == 1  # one connection for both
        time.sleep(1.5)  # the relay drops the idle connection after 0.3 s
        assert channel.send(bill("c@example.cn", key="m-3")).accepted
    assert recorder.ehlos == 2
    assert [m.rcpt_tos for m in recorder.messages] == [
        ("a@example.cn",),
        ("b@example.cn",),
        ("c@example.cn",),
    ]


def test_bcc_is_in_the_envelope_only_and_chinese_domains_go_as_punycode(
    recorder: Recorder, plain_port: int
) -> None:
    message = Email(
        to=(Mailbox("zhang@例子.中国", "张三"),),
        cc=(Mailbox("lead@example.cn"),),
        bcc=(Mailbox("audit@example.cn"),),
        subject="工单已受理",
        text="您好",
    )
    with SmtpChannel(plain_config(plain_port)) as channel:
        result = channel.send(message)
    assert result.accepted
    (received,) = recorder.messages
    assert received.rcpt_tos == ("zhang@xn--fsqu00a.xn--fiqs8s", "lead@example.cn", "audit@example.cn")
    got = parsed(received.data)
    assert got["To"].addresses[0].domain == "xn--fsqu00a.xn--fiqs8s"
    assert "Bcc" not in got and b"audit@" not in received.data
    assert got.get_content_type() == "text/plain" and got.get_content() == "您好\r\n"


def test_bad_messages_are_refused_naming_the_field() -> None:
    with pytest.raises(ValidationFailed, match="address: expected user@domain") as bad:
        Mailbox.parse("张三 <not-an-address>")
    assert bad.value.field == "address"
    with pytest.raises(ValidationFailed, match="ASCII user part"):
        Mailbox("张三@example.cn")
    with pytest.raises(ValidationFailed, match="subject: line breaks"):
        Email(to=(Mailbox("a@example.cn"),), subject="hi\r\nBcc: x@evil.test", text="x")
    with pytest.raises(ValidationFailed, match="at least one recipient"):
        Email(to=(), subject="s", text="x")
    with pytest.raises(ValidationFailed, match="content_type: expected type/subtype"):
        Attachment("a.pdf", "pdf", b"")
    with pytest.raises(ValidationFailed, match="without folders"):
        Attachment("../../etc/passwd", "text/plain", b"")
    assert Mailbox.parse('"王五" <wang@example.cn>') == Mailbox("wang@example.cn", "王五")


def test_bad_configuration_is_refused_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="password in clear"):
        SmtpConfig(host="mail.example.cn", security="none", username="u", password="p", sender=SENDER)
    with pytest.raises(ValidationError, match="set both, or neither"):
        SmtpConfig(host="mail.example.cn", username="u", sender=SENDER)
    with pytest.raises(ValidationError, match="sender"):
        SmtpConfig(host="mail.example.cn", sender="nobody")
    with pytest.raises(ValidationError, match="ca_file: no file at"):
        SmtpConfig(host="h", sender=SENDER, ca_file=str(tmp_path / "missing.pem"))
    assert SmtpConfig(host="h", security="tls", sender=SENDER).effective_port == 465
    assert SmtpConfig(host="h", sender=SENDER).effective_port == 587
    config = SmtpConfig(host="h", sender=SENDER, username="u", password="hunter2")
    assert "hunter2" not in repr(config)

"""The HTTP SMS gateway adapter against a local HTTP server that plays the vendor: it checks our
signature with its own code and answers as the vendor does (per-number biz ids, a refused number,
throttling); and signed callbacks parsed into receipts and replies, bad or stale ones refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from manyi.core.errors import ValidationFailed
from manyi.notify.http_sms import CallbackMalformed, HttpSmsGateway, TemplateSms
from manyi.notify.http_sms_config import HttpSmsConfig
from manyi.notify.signing import CallbackRejected
from manyi.notify.sms import DeliveryReceipt, InboundSms
from tests.notify.http_peer import Peer, Reply, Request, http_peer

KEY_ID, SECRET = "LTAI-manyi-test", "vendor-secret-0123456789"
CALLBACK_SECRET = "callback-secret-9876543210"


def vendor_signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The documented scheme, written again here so the test does not trust the code it tests."""
    message = f"{timestamp}\n{nonce}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def vendor(request: Request) -> Reply:
    """The vendor's gateway: refuses a bad signature, throttles one template, refuses some numbers."""
    headers = request.headers
    if headers.get("x-sms-key-id") != KEY_ID:
        return Reply.of({"RequestId": "r-key", "Code": "InvalidAccessKeyId", "Message": "no such key"}, 403)
    timestamp, nonce = headers.get("x-sms-timestamp", ""), headers.get("x-sms-nonce", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
        return Reply.of({"RequestId": "r-time", "Code": "RequestTimeTooSkewed", "Message": "clock"}, 403)
    expected = vendor_signature(SECRET, timestamp, nonce, request.body)
    if not hmac.compare_digest(expected, headers.get("x-sms-signature", "")):
        return Reply.of({"RequestId": "r-sig", "Code": "SignatureDoesNotMatch", "Message": "签名不匹配"}, 403)
    document = request.json()
    if document["TemplateCode"] == "SMS_THROTTLED":
        return Reply.of({"RequestId": "r-busy", "Code": "Throttling", "Message": "触发流控"})
    if document["TemplateCode"] == "SMS_MISSING":
        return Reply.of(
            {"RequestId": "r-tpl", "Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不存在"}, 400
        )
    entries = []
    for number in document["PhoneNumbers"]:
        if number.startswith("1390000"):
            entries.append(
                {"PhoneNumber": "+86" + number, "Code": "InvalidPhoneNumber", "Message": "号码无效"}
            )
        elif number.startswith("1370000"):
            entries.append(
                {"PhoneNumber": "+86" + number, "Code": "LimitExceeded", "Message": "单号码日限额"}
            )
        else:
            entries.append({"PhoneNumber": "+86" + number, "Code": "OK", "BizId": f"biz-{number}"})
    return Reply.of({"RequestId": "req-1", "Code": "OK", "Message": "OK", "SendStatusSet": entries})


@pytest.fixture
def peer() -> Iterator[Peer]:
    with http_peer(vendor) as running:
        yield running


def config(endpoint: str, **overrides: Any) -> HttpSmsConfig:
    values: dict[str, Any] = {
        "endpoint": endpoint + "/sms/send",
        "access_key_id": KEY_ID,
        "access_key_secret": SECRET,
        "callback_secret": CALLBACK_SECRET,
        "sign_name": "满意宽带",
        "timeouts": {"connect_seconds": 30, "read_seconds": 30},
    }
    values.update(overrides)
    return HttpSmsConfig.model_validate(values)


def repair_notice(*to: str, template: str = "SMS_2024_REPAIR") -> TemplateSms:
    return TemplateSms(
        to=to,
        template_code=template,
        params={"order": "GD202406010001", "time": "6月1日 14:00-16:00"},
        out_id="outbox-7",
        extension="01",
    )


def test_a_signed_post_names_the_template_its_params_the_sign_name_and_the_numbers(peer: Peer) -> None:
    with HttpSmsGateway(config(peer.url)) as gateway:
        result = gateway.send(repair_notice("13800138000", "13800138001"))

    assert result.accepted and result.provider_id == "req-1" and result.error_code is None
    assert [(r.recipient, r.provider_id) for r in result.recipients] == [
        ("13800138000", "biz-13800138000"),
        ("13800138001", "biz-13800138001"),
    ]
    (request,) = peer.requests
    assert request.path == "/sms/send"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.json() == {
        "PhoneNumbers": ["13800138000", "13800138001"],
        "SignName": "满意宽带",
        "TemplateCode": "SMS_2024_REPAIR",
        "TemplateParam": {"order": "GD202406010001", "time": "6月1日 14:00-16:00"},
        "OutId": "outbox-7",
        "SmsUpExtendCode": "01",
    }
    # Canonical bytes: sorted keys, no spaces, Chinese as UTF-8 (what the signature covers).
    assert request.body.startswith(b'{"OutId":"outbox-7","PhoneNumbers":["13800138000"')
    assert "满意宽带".encode() in request.body
    assert len(request.headers["x-sms-nonce"]) == 32


def test_numbers_are_answered_one_by_one(peer: Peer) -> None:
    with HttpSmsGateway(config(peer.url)) as gateway:
        result = gateway.send(repair_notice("13800138000", "13900000001", "13700000002"))

    by_number = {r.recipient: r for r in result.recipients}
    assert by_number["13800138000"].accepted and by_number["13800138000"].provider_id == "biz-13800138000"
    refused = by_number["13900000001"]
    assert (refused.accepted, refused.error_code, refused.retryable) == (False, "InvalidPhoneNumber", False)
    assert refused.error == "InvalidPhoneNumber: 号码无效"
    limited = by_number["13700000002"]
    assert (limited.accepted, limited.error_code, limited.retryable) == (False, "LimitExceeded", True)
    assert not result.accepted and result.error_code == "InvalidPhoneNumber"
    assert result.retry_recipients == ("13700000002",) and result.refused_recipients == ("13900000001",)


def test_a_throttled_request_is_retryable_for_every_number(peer: Peer) -> None:
    with HttpSmsGateway(config(peer.url)) as gateway:
        result = gateway.send(repair_notice("13800138000", "13800138001", template="SMS_THROTTLED"))
    assert not result.accepted and result.retryable and result.error_code == "Throttling"
    assert result.provider_id == "r-busy" and result.error == "Throttling: 触发流控"
    assert result.retry_recipients == ("13800138000", "13800138001")


def test_a_template_the_vendor_refuses_is_permanent(peer: Peer) -> None:
    with HttpSmsGateway(config(peer.url)) as gateway:
        result = gateway.send(repair_notice("13800138000", template="SMS_MISSING"))
    assert (result.accepted, result.retryable, result.error_code) == (
        False,
        False,
        "isv.SMS_TEMPLATE_ILLEGAL",
    )


def test_a_wrong_secret_is_refused_by_the_vendor_and_retryable_once_fixed(peer: Peer) -> None:
    with HttpSmsGateway(config(peer.url, access_key_secret="not-the-secret")) as gateway:
        result = gateway.send(repair_notice("13800138000"))
    assert (result.accepted, result.retryable, result.error_code) == (False, True, "SignatureDoesNotMatch")
    assert peer.requests[0].headers["x-sms-signature"] != ""


@pytest.mark.parametrize(
    ("reply", "code", "retryable"),
    [
        (Reply(429, b""), "http_429", True),
        (Reply(503, b"<html>bad gateway</html>", "text/html"), "http_503", True),
        (Reply(404, b"not found", "text/plain"), "http_404", False),
        (Reply(200, b"OK", "text/plain"), "bad_answer", False),  # it may have sent: no second try
    ],
)
def test_answers_that_are_not_the_vendors_json(reply: Reply, code: str, retryable: bool) -> None:
    with http_peer(lambda _request: reply) as peer, HttpSmsGateway(config(peer.url)) as gateway:
        result = gateway.send(repair_notice("13800138000"))
    assert (result.accepted, result.error_code, result.retryable) == (False, code, retryable)


def test_a_closed_port_is_retryable() -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{blocker.getsockname()[1]}"
        with HttpSmsGateway(config(url)) as gateway:
            result = gateway.send(repair_notice("13800138000"))
    assert (result.accepted, result.retryable, result.error_code) == (False, True, "connection")
    assert "ConnectError" in (result.error or "")


OTHER_VENDOR: dict[str, Any] = {
    "signing": {
        "key_id_header": "X-TC-Key",
        "timestamp_header": "X-TC-Timestamp",
        "nonce_header": "X-TC-Nonce",
        "signature_header": "X-TC-Signature",
        "encoding": "base64",
        "timestamp_unit": "ms",
    },
    "request": {
        "phone_numbers": "phone_number_set",
        "phone_numbers_as": "comma",
        "sign_name": "sign_name",
        "template_code": "template_id",
        "template_params": "template_param_json",
        "template_params_as": "json_string",
        "out_id": "session_context",
        "extension": None,
        "constants": {"sms_sdk_app_id": "1400000001"},
    },
    "response": {
        "request_id": "Response.RequestId",
        "code": "Response.Error.Code",
        "message": "Response.Error.Message",
        "ok_codes": ["0"],
        "results": "Response.SendStatusSet",
        "biz_id": None,
        "result_phone": "phone",
        "result_biz_id": "serial_no",
        "result_code": "code",
        "result_message": "message",
    },
}


def test_another_vendors_names_are_configuration_not_code() -> None:
    def other_vendor(request: Request) -> Reply:
        h = request.headers
        mac = hmac.new(
            SECRET.encode(),
            f"{h['x-tc-timestamp']}\n{h['x-tc-nonce']}\n".encode() + request.body,
            hashlib.sha256,
        ).digest()
        fresh = abs(time.time() * 1000 - int(h["x-tc-timestamp"])) < 300_000
        if h["x-tc-key"] != KEY_ID or not fresh or h["x-tc-signature"] != base64.b64encode(mac).decode():
            return Reply.of({"Response": {"Error": {"Code": "AuthFailure", "Message": "bad"}}})
        body = request.json()
        statuses = [
            {"phone": "+86" + n, "serial_no": f"sn-{n}", "code": "0", "message": "send success"}
            for n in body["phone_number_set"].split(",")
        ]
        return Reply.of({"Response": {"RequestId": "tc-1", "Error": {"Code": 0}, "SendStatusSet": statuses}})

    with http_peer(other_vendor) as peer, HttpSmsGateway(config(peer.url, **OTHER_VENDOR)) as gateway:
        result = gateway.send(repair_notice("13800138000", "13800138001"))

    assert result.accepted and result.provider_id == "tc-1", result
    assert [r.provider_id for r in result.recipients] == ["sn-13800138000", "sn-13800138001"]
    assert peer.requests[0].json() == {
        "phone_number_set": "13800138000,13800138001",
        "sign_name": "满意宽带",
        "template_id": "SMS_2024_REPAIR",
        "template_param_json": '{"order":"GD202406010001","time":"6月1日 14:00-16:00"}',
        "session_context": "outbox-7",
        "sms_sdk_app_id": "1400000001",
    }


def test_too_many_numbers_for_one_request_are_invalid(peer: Peer) -> None:
    with HttpSmsGateway(config(peer.url, max_numbers=2)) as gateway:
        result = gateway.send(repair_notice("13800138000", "13800138001", "13800138002"))
    assert (result.accepted, result.retryable, result.error_code) == (False, False, "invalid")
    assert peer.requests == []


def test_bad_messages_and_settings_are_refused_naming_the_field() -> None:
    with pytest.raises(ValidationFailed, match="to: expected digits") as bad:
        TemplateSms(to=("138-0013-8000",), template_code="SMS_1")
    assert bad.value.field == "to"
    with pytest.raises(ValidationFailed, match="to: at least one"):
        TemplateSms(to=(), template_code="SMS_1")
    with pytest.raises(ValidationFailed, match="template_code"):
        TemplateSms(to=("13800138000",), template_code="您好，您的工单已受理")
    with pytest.raises(ValidationFailed, match="params: expected text"):
        TemplateSms(to=("13800138000",), template_code="SMS_1", params={"n": 3})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="plain http is allowed only to this machine"):
        config("http://sms.example.cn")
    with pytest.raises(ValidationError, match="time_zone"):
        config("https://sms.example.cn", time_zone="Mars/Olympus")
    with pytest.raises(ValidationError, match="sign_name"):
        config("https://sms.example.cn", sign_name="")
    assert SECRET not in repr(config("https://sms.example.cn"))


# --- callbacks: the gateway POSTs to us ---


def signed(
    body: bytes, *, secret: str = CALLBACK_SECRET, at: float | None = None, key: str = KEY_ID
) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    nonce = secrets.token_hex(8)
    return {
        "X-Sms-Key-Id": key,
        "X-Sms-Timestamp": timestamp,
        "X-Sms-Nonce": nonce,
        "X-Sms-Signature": vendor_signature(secret, timestamp, nonce, body),
    }


REPORTS = json.dumps(
    [
        {
            "BizId": "biz-13800138000",
            "PhoneNumber": "13800138000",
            "Status": "DELIVRD",
            "ReportTime": "2024-06-01 14:03:05",
        },
        {
            "BizId": "biz-13800138001",
            "PhoneNumber": "13800138001",
            "Status": "UNDELIV",
            "ReportTime": "2024-06-01 14:03:09",
        },
    ],
    ensure_ascii=False,
).encode()


@pytest.fixture
def gateway() -> Iterator[HttpSmsGateway]:
    with HttpSmsGateway(config("https://sms.example.cn")) as configured:
        yield configured


def test_a_signed_delivery_report_becomes_receipts(gateway: HttpSmsGateway) -> None:
    receipts = gateway.parse_delivery_reports(REPORTS, signed(REPORTS))
    assert receipts == [
        DeliveryReceipt("biz-13800138000", True, "DELIVRD", datetime(2024, 6, 1, 6, 3, 5, tzinfo=UTC)),
        DeliveryReceipt("biz-13800138001", False, "UNDELIV", datetime(2024, 6, 1, 6, 3, 9, tzinfo=UTC)),
    ]
    assert gateway.config.callback_ack == {"Code": "OK", "Message": "success"}


def test_header_names_are_matched_whatever_their_case(gateway: HttpSmsGateway) -> None:
    headers = {name.lower(): value for name, value in signed(REPORTS).items()}
    assert len(gateway.parse_delivery_reports(REPORTS, headers)) == 2


def _without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != name}


# Each case is made when its test runs (never at collection: the clock moves on meanwhile).
REFUSED: dict[str, tuple[Callable[[], tuple[bytes, dict[str, str]]], str]] = {
    "tampered": (lambda: (REPORTS.replace(b"UNDELIV", b"DELIVRD"), signed(REPORTS)), "bad_signature"),
    # Signed with the key we send with, not the one the gateway signs callbacks with.
    "wrong-secret": (lambda: (REPORTS, signed(REPORTS, secret=SECRET)), "bad_signature"),
    "stale": (lambda: (REPORTS, signed(REPORTS, at=time.time() - 302)), "stale_timestamp"),
    "future": (lambda: (REPORTS, signed(REPORTS, at=time.time() + 302)), "stale_timestamp"),
    "unknown-key": (lambda: (REPORTS, signed(REPORTS, key="someone-else")), "unknown_key"),
    "unsigned": (lambda: (REPORTS, _without(signed(REPORTS), "X-Sms-Signature")), "missing_signature"),
    "no-timestamp": (lambda: (REPORTS, _without(signed(REPORTS), "X-Sms-Timestamp")), "missing_signature"),
    "timestamp-not-a-number": (
        lambda: (REPORTS, {**signed(REPORTS), "X-Sms-Timestamp": "yesterday"}),
        "stale_timestamp",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_callback_that_is_not_proven_is_refused_with_the_reason(gateway: HttpSmsGateway, case: str) -> None:
    make, reason = REFUSED[case]
    body, headers = make()
    with pytest.raises(CallbackRejected) as refused:
        gateway.parse_delivery_reports(body, headers)
    assert refused.value.reason == reason and refused.value.status == 401
    assert refused.value.message.startswith(reason + ": ")


def test_a_callback_just_inside_the_window_is_accepted(gateway: HttpSmsGateway) -> None:
    assert len(gateway.parse_delivery_reports(REPORTS, signed(REPORTS, at=time.time() - 240))) == 2
    assert len(gateway.parse_delivery_reports(REPORTS, signed(REPORTS, at=time.time() + 240))) == 2


def test_a_well_signed_callback_with_bad_content_is_malformed_naming_the_field(
    gateway: HttpSmsGateway,
) -> None:
    for body, field in [
        (b"not json", "body"),
        (b'[{"Status": "DELIVRD"}]', "BizId"),
        (b'[{"BizId": "b1", "Status": "DELIVRD", "ReportTime": "June 1st"}]', "ReportTime"),
        (b'"a string"', "body"),
    ]:
        with pytest.raises(CallbackMalformed) as bad:
            gateway.parse_delivery_reports(body, signed(body))
        assert bad.value.field == field and bad.value.status == 400


def test_an_oversized_callback_is_refused_before_anything_else(gateway: HttpSmsGateway) -> None:
    body = b"[" + b" " * (1024 * 1024) + b"]"
    with pytest.raises(CallbackMalformed, match="at most 1048576"):
        gateway.parse_delivery_reports(body, {})


def test_a_vendor_with_a_success_flag_and_another_envelope_is_configuration() -> None:
    shape = {
        "receipt": {
            "items": "data.reports",
            "biz_id": "biz_id",
            "status": "err_code",
            "success": "success",
            "report_time": "report_time",
            "time_format": "iso",
        }
    }
    body = json.dumps(
        {
            "data": {
                "reports": [
                    {
                        "biz_id": "b-9",
                        "err_code": "DELIVERED",
                        "success": "true",
                        "report_time": "2024-06-01T14:03:05+08:00",
                    }
                ]
            }
        }
    ).encode()
    with HttpSmsGateway(config("https://sms.example.cn", **shape)) as gateway:
        (receipt,) = gateway.parse_delivery_reports(body, signed(body))
    assert receipt == DeliveryReceipt("b-9", True, "DELIVERED", datetime(2024, 6, 1, 6, 3, 5, tzinfo=UTC))


def test_a_signed_reply_becomes_an_inbound_sms(gateway: HttpSmsGateway) -> None:
    body = json.dumps(
        {
            "PhoneNumber": "13800138000",
            "Content": "满意 谢谢",
            "DestCode": "1068000001",
            "SendTime": "2024-06-01 15:00:00",
            "SequenceId": 881,
        },
        ensure_ascii=False,
    ).encode()
    (reply,) = gateway.parse_inbound(body, signed(body))
    assert reply == InboundSms(
        sender="13800138000",
        to="1068000001",
        text="满意 谢谢",
        received_at=datetime(2024, 6, 1, 7, 0, tzinfo=UTC),
        extra={"gateway": "http-sms", "id": "881"},
    )
    with pytest.raises(CallbackRejected, match="bad_signature"):
        gateway.parse_inbound(body.replace("满意".encode(), "不满意".encode()), signed(body))


def test_the_signature_matches_the_documented_example() -> None:
    # docs/channels.md's example, computed with `openssl dgst -sha256 -hmac vendor-secret`.
    body = (
        '{"OutId":"outbox-7","PhoneNumbers":["13800138000"],"SignName":"满意宽带",'
        '"TemplateCode":"SMS_2024_REPAIR","TemplateParam":{"order":"GD202406010001"}}'
    ).encode()
    signing = config("https://sms.example.cn").signing
    digest = signing.digest(
        body, timestamp="1717214400", nonce="3f2a9c0e5b7d4e61a8c2f0b9d1e7a6c4", secret="vendor-secret"
    )
    assert digest == "b806a47dff849f8b707d27db4594bd1b11735a442d6997cb2f3741f29a2b4725"

"""Configuration of an HTTP SMS gateway (the common Chinese cloud-SMS shape): where to POST, the
keys, the sign name (签名), the signing scheme, and the names the vendor gives each field of the
request, its answer and its callbacks, so another vendor's names are set without code.

Field names in answers and callbacks may be dotted paths into nested objects ("Response.RequestId").
The defaults are one consistent vendor shape; docs/channels.md shows another vendor mapped.
"""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from manyi.notify.signing import HmacSha256Signing
from manyi.notify.transport import HttpTimeouts, check_url

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class SmsRequestFields(BaseModel):
    """Names in the JSON body we POST."""

    model_config = _FROZEN

    phone_numbers: str = "PhoneNumbers"
    phone_numbers_as: Literal["list", "comma"] = "list"  # ["138…","139…"] or "138…,139…"
    sign_name: str = "SignName"
    template_code: str = "TemplateCode"
    template_params: str = "TemplateParam"
    template_params_as: Literal["object", "json_string"] = "object"  # {"code":"1234"} or its JSON text
    out_id: str | None = "OutId"  # our id for the send, echoed in reports by vendors that do; None: not sent
    extension: str | None = "SmsUpExtendCode"  # the extension a reply comes back to; None: not sent
    constants: dict[str, Any] = Field(default_factory=dict)  # fixed fields a vendor wants (an app id)


class SmsResponseFields(BaseModel):
    """Names in the gateway's answer, and which codes mean what."""

    model_config = _FROZEN

    request_id: str = "RequestId"
    code: str = "Code"
    message: str = "Message"
    ok_codes: tuple[str, ...] = ("OK",)
    # Worth another try: throttles, a busy or broken gateway, and faults of our configuration (keys,
    # signature, clock): the message is not at fault and goes once the configuration is fixed.
    retryable_codes: tuple[str, ...] = (
        "Throttling",
        "RequestLimitExceeded",
        "LimitExceeded",
        "isv.BUSINESS_LIMIT_CONTROL",
        "ServiceUnavailable",
        "InternalError",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "RequestTimeTooSkewed",
    )
    results: str | None = "SendStatusSet"  # the list of per-number entries; None: the vendor has none
    biz_id: str | None = "BizId"  # a request-wide id, used for numbers without an entry of their own
    result_phone: str = "PhoneNumber"
    result_biz_id: str = "BizId"
    result_code: str | None = "Code"  # None: an entry's presence means accepted
    result_message: str = "Message"


class ReceiptFields(BaseModel):
    """Names in a delivery-report callback (状态报告)."""

    model_config = _FROZEN

    items: str | None = None  # path to the list of reports; None: the body is the list (or one report)
    biz_id: str = "BizId"
    status: str = "Status"  # the carrier's word: DELIVRD, UNDELIV, EXPIRED, ...
    delivered_statuses: tuple[str, ...] = ("DELIVRD", "DELIVERED")
    success: str | None = (
        None  # a boolean field deciding delivery instead of the status, when the vendor has one
    )
    report_time: str | None = "ReportTime"
    time_format: str = "%Y-%m-%d %H:%M:%S"  # strptime pattern, or "iso", "epoch_s", "epoch_ms"


class InboundFields(BaseModel):
    """Names in a reply callback (上行短信)."""

    model_config = _FROZEN

    items: str | None = None
    sender: str = "PhoneNumber"
    text: str = "Content"
    to: str | None = "DestCode"  # the code + extension the reply was sent to
    received_at: str | None = "SendTime"
    id: str | None = "SequenceId"  # the gateway's id of the reply: drop a repeat by it
    time_format: str = "%Y-%m-%d %H:%M:%S"


class HttpSmsConfig(BaseModel):
    """One HTTP SMS gateway account (docs/channels.md "HTTP SMS gateway")."""

    model_config = _FROZEN

    name: str = "http-sms"
    endpoint: str
    access_key_id: str = Field(min_length=1)
    access_key_secret: SecretStr
    # The secret the gateway signs its callbacks with; unset: the access key secret.
    callback_secret: SecretStr | None = None
    sign_name: str = Field(min_length=1, max_length=32)
    signing: HmacSha256Signing = Field(default_factory=HmacSha256Signing)
    timeouts: HttpTimeouts = Field(default_factory=HttpTimeouts)
    max_numbers: int = Field(default=100, ge=1, le=1000)  # per request
    time_zone: str = "Asia/Shanghai"  # of vendor times without an offset
    max_callback_bytes: int = Field(default=1024 * 1024, ge=1024)
    # What the gateway expects in answer to a callback it may stop resending.
    callback_ack: dict[str, Any] = Field(default_factory=lambda: {"Code": "OK", "Message": "success"})
    request: SmsRequestFields = Field(default_factory=SmsRequestFields)
    response: SmsResponseFields = Field(default_factory=SmsResponseFields)
    receipt: ReceiptFields = Field(default_factory=ReceiptFields)
    inbound: InboundFields = Field(default_factory=InboundFields)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        return check_url(value, field="endpoint")

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"time_zone: expected an IANA zone such as Asia/Shanghai, got {value!r}"
            ) from exc
        return value

    @property
    def callback_key(self) -> str:
        return (self.callback_secret or self.access_key_secret).get_secret_value()

"""An HTTP SMS gateway adapter in the common Chinese cloud-SMS shape: a signed JSON POST naming a
template code (never free text: the carriers approve templates), its parameters, the sign name
(签名) and the phone numbers; the answer carries a request id and a biz id per number. The gateway
POSTs delivery reports and replies (上行) back; parse_delivery_reports / parse_inbound verify their
signature and turn them into the DeliveryReceipt / InboundSms every SMS channel speaks.

Names of fields and the signing scheme are configuration (manyi.notify.http_sms_config); the HTTP
route that receives callbacks belongs to the wiring, which hands the body and headers here and
answers `config.callback_ack` on success, the error's status on CallbackRejected / CallbackMalformed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from manyi.core.clock import now
from manyi.core.errors import ManyiError, ValidationFailed
from manyi.notify.channel import BAD_ANSWER, INVALID, RecipientResult, SendResult, combine, failed
from manyi.notify.http_sms_config import HttpSmsConfig
from manyi.notify.signing import Signer
from manyi.notify.sms import DeliveryReceipt, InboundSms
from manyi.notify.transport import Answer, make_client, post

_PHONE = re.compile(r"^\+?[0-9]{5,20}$")
_TEMPLATE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_CALLBACK_ITEMS = 1000


class CallbackMalformed(ManyiError):
    """A callback with a good signature whose content is not what the configuration describes."""

    status = 400
    code = "bad_callback"


@dataclass(frozen=True)
class TemplateSms:
    """One templated message to one or more numbers. `out_id` is ours (the outbox row), sent along
    for vendors that echo it; `extension` is appended to the sender code so a reply names it."""

    to: tuple[str, ...]
    template_code: str
    params: Mapping[str, str] = field(default_factory=dict)
    out_id: str | None = None
    extension: str | None = None

    def __post_init__(self) -> None:
        if not self.to:
            raise ValidationFailed("to: at least one phone number is needed", field="to")
        for number in self.to:
            if not _PHONE.match(number):
                raise ValidationFailed(f"to: expected digits with an optional +, got {number!r}", field="to")
        if len(set(self.to)) != len(self.to):
            raise ValidationFailed("to: a number appears twice", field="to")
        if not _TEMPLATE.match(self.template_code):
            raise ValidationFailed(
                f"template_code: expected 1-64 letters, digits or _.:-, got {self.template_code!r}",
                field="template_code",
            )
        for name, value in self.params.items():
            if not isinstance(name, str) or not name or not isinstance(value, str):
                raise ValidationFailed(
                    f"params: expected text names and text values, got {name!r}: {value!r}", field="params"
                )
        if self.extension is not None and not self.extension.isdigit():
            raise ValidationFailed(f"extension: expected digits, got {self.extension!r}", field="extension")


def dig(document: Any, path: str) -> Any:
    """The value at a dotted path ("Response.RequestId"), or None when any step is missing."""
    value = document
    for step in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def _digits(number: str) -> str:
    return "".join(c for c in number if c.isdigit())


def _same_number(ours: str, theirs: str) -> bool:
    """Whether the gateway's spelling names our number (it may add or drop the country code)."""
    a, b = _digits(ours), _digits(theirs)
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 5 and long.endswith(short) and len(long) - len(short) <= 4


def canonical_json(document: Any) -> bytes:
    """The body as sent and signed: sorted keys, no spaces, UTF-8 (Chinese as is)."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class HttpSmsGateway:
    """One configured gateway account. `send` POSTs a TemplateSms; the callbacks' parsers check
    signatures with `signer` (the configured scheme unless another is given in code)."""

    def __init__(self, config: HttpSmsConfig, *, signer: Signer | None = None) -> None:
        self.config = config
        self.name = config.name
        self.signer: Signer = signer or config.signing
        self._client = make_client(config.timeouts)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpSmsGateway:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- sending ---

    def request_body(self, sms: TemplateSms) -> bytes:
        """The JSON body for sms, with the configured field names."""
        names = self.config.request
        body: dict[str, Any] = dict(names.constants)
        body[names.phone_numbers] = list(sms.to) if names.phone_numbers_as == "list" else ",".join(sms.to)
        body[names.sign_name] = self.config.sign_name
        body[names.template_code] = sms.template_code
        params = dict(sms.params)
        body[names.template_params] = (
            params if names.template_params_as == "object" else canonical_json(params).decode()
        )
        if names.out_id and sms.out_id:
            body[names.out_id] = sms.out_id
        if names.extension and sms.extension:
            body[names.extension] = sms.extension
        return canonical_json(body)

    def send(self, sms: TemplateSms) -> SendResult:
        """POST sms; the result has one entry per number, its provider_id the gateway's biz id."""
        if len(sms.to) > self.config.max_numbers:
            return failed(
                INVALID,
                f"{len(sms.to)} numbers, at most {self.config.max_numbers} per request",
                retryable=False,
            )
        body = self.request_body(sms)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        secret = self.config.access_key_secret.get_secret_value()
        headers.update(self.signer.sign(body, key_id=self.config.access_key_id, secret=secret, at=now()))
        answer = post(self._client, self.config.endpoint, content=body, headers=headers)
        if isinstance(answer, SendResult):  # no answer: nothing was sent, every number may go again
            return self._every(sms, answer.error_code or "", answer.error or "", retryable=True)
        return self._read(sms, answer)

    def _every(
        self, sms: TemplateSms, code: str, error: str, *, retryable: bool, request_id: str | None = None
    ) -> SendResult:
        refused = [RecipientResult(n, False, None, code, error, retryable) for n in sms.to]
        return combine(refused, provider_id=request_id)

    def _read(self, sms: TemplateSms, answer: Answer) -> SendResult:
        names = self.config.response
        document = answer.json
        if not isinstance(document, dict):
            if answer.server_error():
                return self._every(
                    sms, f"http_{answer.status}", f"gateway answered HTTP {answer.status}", retryable=True
                )
            if 200 <= answer.status < 300:
                # It may have sent them: another try could reach the customers twice.
                return self._every(
                    sms, BAD_ANSWER, "gateway answered 2xx without a JSON object", retryable=False
                )
            return self._every(
                sms, f"http_{answer.status}", f"gateway answered HTTP {answer.status}", retryable=False
            )
        request_id = _text(dig(document, names.request_id))
        code = _text(dig(document, names.code))
        message = _text(dig(document, names.message)) or ""
        if code not in names.ok_codes or not 200 <= answer.status < 300:
            retryable = code in names.retryable_codes or answer.server_error()
            error_code = code or f"http_{answer.status}"
            return self._every(
                sms,
                error_code,
                f"{error_code}: {message}".strip(),
                retryable=retryable,
                request_id=request_id,
            )
        entries = dig(document, names.results) if names.results else None
        shared_id = _text(dig(document, names.biz_id)) if names.biz_id else None
        results = [self._number(number, entries, shared_id) for number in sms.to]
        return combine(results, provider_id=request_id)

    def _number(self, number: str, entries: Any, shared_id: str | None) -> RecipientResult:
        names = self.config.response
        entry = None
        if isinstance(entries, list):
            entry = next(
                (
                    e
                    for e in entries
                    if isinstance(e, dict) and _same_number(number, _text(dig(e, names.result_phone)) or "")
                ),
                None,
            )
        if entry is None:
            if shared_id:
                return RecipientResult(number, True, shared_id)
            # Accepted as a request but unnamed: counted as refused, not retried (it may have gone).
            return RecipientResult(
                number, False, None, BAD_ANSWER, "the answer names no result for this number"
            )
        code = _text(dig(entry, names.result_code)) if names.result_code else None
        if names.result_code is None or code in names.ok_codes:
            return RecipientResult(number, True, _text(dig(entry, names.result_biz_id)) or shared_id)
        error = f"{code}: {_text(dig(entry, names.result_message)) or ''}".strip()
        return RecipientResult(number, False, None, code or BAD_ANSWER, error, code in names.retryable_codes)

    # --- callbacks ---

    def _verified(self, body: bytes, headers: Mapping[str, str]) -> Any:
        if len(body) > self.config.max_callback_bytes:
            raise CallbackMalformed(
                f"body: {len(body)} bytes, at most {self.config.max_callback_bytes}", field="body"
            )
        self.signer.verify(
            body, headers, key_id=self.config.access_key_id, secret=self.config.callback_key, at=now()
        )
        try:
            return json.loads(body)
        except ValueError as exc:
            raise CallbackMalformed(f"body: expected JSON ({exc})", field="body") from exc

    def _items(self, document: Any, path: str | None) -> list[dict[str, Any]]:
        found = dig(document, path) if path else document
        if isinstance(found, dict):
            found = [found]
        if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
            raise CallbackMalformed(f"{path or 'body'}: expected a list of objects", field=path or "body")
        if len(found) > MAX_CALLBACK_ITEMS:
            raise CallbackMalformed(
                f"{path or 'body'}: at most {MAX_CALLBACK_ITEMS} items", field=path or "body"
            )
        return found

    def parse_delivery_reports(self, body: bytes, headers: Mapping[str, str]) -> list[DeliveryReceipt]:
        """The delivery reports in a signed callback; CallbackRejected / CallbackMalformed if not."""
        names = self.config.receipt
        receipts = []
        for index, item in enumerate(self._items(self._verified(body, headers), names.items)):
            where = f"[{index}]"
            gateway_id = _required(item, names.biz_id, where)
            status = _text(dig(item, names.status)) or ""
            if names.success is not None and dig(item, names.success) is not None:
                delivered = _truthy(dig(item, names.success))
            else:
                delivered = status in names.delivered_statuses
            at = self._time(item, names.report_time, names.time_format, where)
            receipts.append(DeliveryReceipt(gateway_id=gateway_id, delivered=delivered, status=status, at=at))
        return receipts

    def parse_inbound(self, body: bytes, headers: Mapping[str, str]) -> list[InboundSms]:
        """The customers' replies in a signed callback; CallbackRejected / CallbackMalformed if not."""
        names = self.config.inbound
        messages = []
        for index, item in enumerate(self._items(self._verified(body, headers), names.items)):
            where = f"[{index}]"
            sender = _required(item, names.sender, where)
            text = _text(dig(item, names.text))
            if text is None:
                raise CallbackMalformed(f"{where}.{names.text}: expected the reply's text", field=names.text)
            extra = {"gateway": self.name}
            reply_id = _text(dig(item, names.id)) if names.id else None
            if reply_id:
                extra["id"] = reply_id
            messages.append(
                InboundSms(
                    sender=sender,
                    to=(_text(dig(item, names.to)) if names.to else None) or "",
                    text=text,
                    received_at=self._time(item, names.received_at, names.time_format, where),
                    extra=extra,
                )
            )
        return messages

    def _time(self, item: dict[str, Any], path: str | None, fmt: str, where: str) -> datetime | None:
        raw = dig(item, path) if path else None
        if raw is None or raw == "":
            return None
        try:
            return parse_time(raw, fmt, ZoneInfo(self.config.time_zone))
        except (ValueError, TypeError, OverflowError) as exc:
            raise CallbackMalformed(
                f"{where}.{path}: expected a time as {fmt}, got {raw!r}", field=path
            ) from exc


def parse_time(raw: Any, fmt: str, zone: ZoneInfo) -> datetime:
    """A vendor's time as aware UTC: fmt is a strptime pattern, "iso", "epoch_s" or "epoch_ms"; a
    time without an offset is in zone (the vendor's, Asia/Shanghai for Chinese gateways)."""
    if fmt in ("epoch_s", "epoch_ms"):
        seconds = float(raw) / (1000 if fmt == "epoch_ms" else 1)
        return datetime.fromtimestamp(seconds, UTC)
    text = str(raw)
    parsed = datetime.fromisoformat(text) if fmt == "iso" else datetime.strptime(text, fmt)  # noqa: DTZ007
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes", "success")


def _required(item: dict[str, Any], path: str, where: str) -> str:
    value = _text(dig(item, path))
    if not value:
        raise CallbackMalformed(f"{where}.{path}: expected a value", field=path)
    return value

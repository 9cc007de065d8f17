"""What a gateway's deliver_sm means: a delivery receipt for one of our segments, or a message a
customer sent (possibly in several segments). Pure: no I/O.

A receipt names the segment by the id the gateway gave in submit_sm_resp, either in the
receipted_message_id TLV (exact) or in the receipt text's `id:` field (SMPP 3.4 appendix B; some
gateways print it in decimal while the submit_sm_resp carried hex, so the TLV wins when both exist).
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from manyi.notify.sms import DeliveryReceipt

RECEIPT_TYPES = {0x04, 0x08, 0x20}  # esm_class message type: SMSC receipt, SME ack, intermediate notice
# message_state TLV (SMPP 3.4 5.2.28) in the words receipt texts use
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
_FIELD = re.compile(r"(?i)\b(id|sub|dlvrd|submit date|done date|stat|err|text)\s*:")


def is_receipt(esm_class: int) -> bool:
    """Whether a deliver_sm with this esm_class carries a receipt rather than a customer's message."""
    return esm_class & 0x3C in RECEIPT_TYPES


def receipt_fields(text: str) -> dict[str, str]:
    """The `key:value` fields of a receipt text, keys lower-case (`text` takes the rest of the line)."""
    fields: dict[str, str] = {}
    matches = list(_FIELD.finditer(text))
    for n, match in enumerate(matches):
        key = match.group(1).lower()
        end = len(text) if key == "text" or n + 1 == len(matches) else matches[n + 1].start()
        fields.setdefault(key, text[match.end() : end].strip())
    return fields


def receipt_time(value: str, zone: tzinfo) -> datetime | None:
    """A receipt date (YYMMDDhhmm, or YYMMDDhhmmss) in the gateway's zone, as UTC; None if malformed."""
    # By length, not by trying patterns: strptime takes "1651" as 16:05:01 when seconds are allowed.
    pattern = {10: "%y%m%d%H%M", 12: "%y%m%d%H%M%S"}.get(len(value))
    if pattern is None or not value.isdigit():
        return None
    try:
        local = datetime.strptime(value, pattern)  # noqa: DTZ007 - the zone is attached next
    except ValueError:
        return None
    return local.replace(tzinfo=zone).astimezone(UTC)


def parse_receipt(
    text: str, *, receipted_id: str | None, message_state: int | None, zone: tzinfo
) -> DeliveryReceipt | None:
    """The receipt a deliver_sm carries, or None when it names no message."""
    fields = receipt_fields(text)
    gateway_id = (receipted_id or "").strip() or fields.get("id", "").strip()
    if not gateway_id:
        return None
    status = fields.get("stat", "").upper() or MESSAGE_STATES.get(message_state or 0, "UNKNOWN")
    done = fields.get("done date")
    return DeliveryReceipt(
        gateway_id=gateway_id,
        delivered=status == "DELIVRD",
        status=status,
        at=receipt_time(done, zone) if done else None,
    )


@dataclass
class _Parts:
    total: int
    texts: dict[int, str]
    started: float


class SegmentAssembler:
    """Joins the segments of a long inbound message (UDH or sar_* TLVs), whatever their order.

    Bounded: at most `max_pending` unfinished messages are kept and a message unfinished after
    `max_age` seconds is dropped, so a phone that never sends its last segment costs nothing lasting.
    """

    def __init__(
        self, *, max_pending: int = 1000, max_age: float = 600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_pending = max_pending
        self.max_age = max_age
        self._clock = clock
        self._pending: OrderedDict[tuple[str, str, int, int], _Parts] = OrderedDict()

    def add(self, *, sender: str, to: str, reference: int, total: int, number: int, text: str) -> str | None:
        """Keep one segment; return the whole text once the last missing segment arrived."""
        if total <= 1:
            return text
        now = self._clock()
        while self._pending:
            oldest = next(iter(self._pending.values()))
            if now - oldest.started <= self.max_age and len(self._pending) < self.max_pending:
                break
            self._pending.popitem(last=False)
        key = (sender, to, reference, total)
        parts = self._pending.setdefault(key, _Parts(total=total, texts={}, started=now))
        if 1 <= number <= total:
            parts.texts[number] = text
        if len(parts.texts) < total:
            return None
        del self._pending[key]
        return "".join(parts.texts[n] for n in range(1, total + 1))

    @property
    def pending(self) -> int:
        return len(self._pending)

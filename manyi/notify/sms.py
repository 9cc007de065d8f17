"""What every SMS channel (SMPP, CMPP, an HTTP gateway) speaks: the message to submit, the answer
of the gateway, delivery receipts, inbound messages, and long-message segmentation. Pure: no I/O.

Chinese text travels as UCS-2 (UTF-16BE): 70 characters fit one message; a longer one is cut into
segments of 67, each led by a 6-byte user-data header (UDH: concatenated message, 8-bit reference,
total, sequence) that the handset uses to join them. A character outside the Basic Multilingual
Plane (an emoji) takes two UCS-2 units and is never cut in half.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

SINGLE_UNITS = 70  # UCS-2 code units in one message without a header
SEGMENT_UNITS = 67  # UCS-2 code units in one segment after a 6-byte UDH (140 - 6 = 134 bytes)
MAX_SEGMENTS = 255  # an 8-bit total in the UDH


@dataclass(frozen=True)
class OutgoingSms:
    """One message to submit: `message_id` is ours (the outbox row), `to` an MSISDN."""

    message_id: int
    to: str
    text: str
    extension: str | None = None  # appended to the service code, so a reply names what it answers
    want_receipt: bool = True


@dataclass(frozen=True)
class SubmitResult:
    """The gateway's answer to one message: one gateway id per segment, or the refusal's code."""

    message_id: int
    accepted: bool
    gateway_ids: tuple[str, ...] = ()
    error_code: str | None = None  # the protocol's status (SMPP command_status, CMPP Result, ...)
    retryable: bool = False  # a throttle or a transient gateway error: try again later


@dataclass(frozen=True)
class DeliveryReceipt:
    """A delivery report matched by the gateway id of a segment."""

    gateway_id: str
    delivered: bool
    status: str  # the gateway's own word: DELIVRD, UNDELIV, EXPIRED, REJECTD, ...
    at: datetime | None = None


@dataclass(frozen=True)
class InboundSms:
    """A mobile-originated message (a reply): from the customer's number to our code + extension."""

    sender: str
    to: str
    text: str
    received_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)


def ucs2_units(text: str) -> int:
    """How many UCS-2 code units the text takes (a non-BMP character takes two)."""
    return len(text.encode("utf-16-be")) // 2


def segment_count(text: str) -> int:
    """How many messages the text is sent as (what an admin sees beside a template)."""
    units = ucs2_units(text)
    if units <= SINGLE_UNITS:
        return 1
    return len(_cut(text))


def _cut(text: str) -> list[str]:
    """Pieces of at most SEGMENT_UNITS code units, never splitting a surrogate pair."""
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > SEGMENT_UNITS:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    if current:
        pieces.append("".join(current))
    return pieces


def ucs2_segments(text: str, reference: int) -> list[bytes]:
    """The short-message payloads of `text` in UCS-2: the text itself when it fits one message,
    else each piece led by its concatenation UDH (reference modulo 256 ties the pieces together).
    Raises ValueError for an empty text or one beyond 255 segments."""
    if not text:
        raise ValueError("text: an SMS needs at least one character")
    if ucs2_units(text) <= SINGLE_UNITS:
        return [text.encode("utf-16-be")]
    pieces = _cut(text)
    if len(pieces) > MAX_SEGMENTS:
        raise ValueError(f"text: {len(pieces)} segments, at most {MAX_SEGMENTS} can be joined")
    ref = reference % 256
    return [
        bytes([0x05, 0x00, 0x03, ref, len(pieces), n]) + piece.encode("utf-16-be")
        for n, piece in enumerate(pieces, start=1)
    ]


def join_segments(payloads: list[bytes], *, udh: bool | None = None) -> str:
    """The text of UCS-2 payloads as ucs2_segments made them: what a handset shows, and what a
    gateway simulator stores. `udh` says whether each payload starts with a user-data header (the
    protocols flag it: SMPP esm_class, CMPP TP_udhi); unsaid, several payloads have one and a single
    payload has none, as ucs2_segments makes them."""
    with_header = len(payloads) > 1 if udh is None else udh
    text = []
    for payload in payloads:
        if with_header:
            payload = payload[1 + payload[0] :]  # the first byte is the header's length
        text.append(payload.decode("utf-16-be"))
    return "".join(text)

"""Message text in and out of Msg_Content: which Msg_Fmt a text is sent in, how long texts are cut
(the UCS-2 segmentation of manyi.notify.sms), and how a received content is read back.

A pure-ASCII text under 160 characters goes as one Msg_Fmt 0 message; anything else (Chinese)
goes in UCS-2 (Msg_Fmt 8), cut into segments with a concatenation header (TP_udhi 1) beyond 70
characters. Handsets send GBK (Msg_Fmt 15) as well, which we read.
"""

from __future__ import annotations

from dataclasses import dataclass

from manyi.notify.cmpp.constants import MsgFmt
from manyi.notify.cmpp.errors import CmppPduError
from manyi.notify.sms import ucs2_segments

ASCII_LIMIT = 159  # the specification: Msg_Length under 160 bytes for Msg_Fmt 0


@dataclass(frozen=True)
class Encoded:
    """The Msg_Content of each SUBMIT a text is sent as."""

    msg_fmt: MsgFmt
    udhi: bool
    payloads: tuple[bytes, ...]


@dataclass(frozen=True)
class Udh:
    """A concatenation header: the pieces of one long message share `reference`."""

    reference: int
    total: int
    number: int
    size: int  # bytes of the header, its length octet included


def encode_text(text: str, reference: int) -> Encoded:
    """Choose the format and segments of `text`; `reference` ties the segments of a long one."""
    if text.isascii() and 0 < len(text) <= ASCII_LIMIT:
        return Encoded(MsgFmt.ASCII, False, (text.encode("ascii"),))
    payloads = ucs2_segments(text, reference)
    return Encoded(MsgFmt.UCS2, len(payloads) > 1, tuple(payloads))


def parse_udh(payload: bytes, field: str = "Msg_Content") -> Udh:
    """Find the concatenation element (IEI 0x00 with an 8-bit reference, 0x08 with a 16-bit one)
    in the user-data header that starts `payload`."""
    if not payload:
        raise CmppPduError(f"{field}.UDH", "a user-data header (TP_udhi is 1)", "no content")
    size = payload[0] + 1
    if size > len(payload):
        raise CmppPduError(f"{field}.UDH", f"a header of {size} bytes", f"{len(payload)} bytes of content")
    position = 1
    while position + 2 <= size:
        iei, length = payload[position], payload[position + 1]
        data = payload[position + 2 : position + 2 + length]
        if len(data) != length:
            break
        if iei == 0x00 and length == 3:
            return Udh(data[0], data[1], data[2], size)
        if iei == 0x08 and length == 4:
            return Udh(int.from_bytes(data[:2], "big"), data[2], data[3], size)
        position += 2 + length
    raise CmppPduError(f"{field}.UDH", "a concatenation element (IEI 0x00 or 0x08)", payload[:size].hex())


def decode_text(content: bytes, msg_fmt: int, field: str = "Msg_Content") -> str:
    """Read the text of a content without header; a binary content is shown as hex."""
    try:
        if msg_fmt == MsgFmt.UCS2:
            return content.decode("utf-16-be")
        if msg_fmt == MsgFmt.GBK:
            return content.decode("gb18030")
        if msg_fmt == MsgFmt.ASCII:
            # handsets put Latin-1 accents in "ASCII" messages now and then
            return content.decode("latin-1")
    except UnicodeDecodeError as exc:
        raise CmppPduError(field, f"text in Msg_Fmt {msg_fmt}", content.hex()) from exc
    return content.hex()

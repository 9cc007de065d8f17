"""What every PDU body shares: the Body base and the fields whose layout differs by version.

CMPP 3.0 widens every response's status (Status, Result, Success_Id) from 1 to 4 bytes; terminal
numbers are 21 bytes in 2.0 and 32 in 3.0 (a pseudo-number needs the room), each followed in 3.0
by a _type octet (0 a real MSISDN, 1 a pseudo-number); SUBMIT and DELIVER end with 8 Reserve bytes
in 2.0, a 20-byte LinkID in 3.0 (on-demand services).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Self

from manyi.notify.cmpp.constants import CommandId, MsgFmt, Version
from manyi.notify.cmpp.errors import CmppPduError
from manyi.notify.cmpp.fields import Reader, Writer

MAX_DESTINATIONS = 100  # DestUsr_tl: at most 100 numbers per SUBMIT


def terminal_width(version: Version) -> int:
    return 32 if version >= Version.V30 else 21


def status_width(version: Version) -> int:
    return 4 if version >= Version.V30 else 1


def write_status(w: Writer, name: str, value: int, version: Version) -> None:
    (w.u32 if status_width(version) == 4 else w.u8)(name, value)


def read_status(r: Reader, name: str, version: Version) -> int:
    return r.u32(name) if status_width(version) == 4 else r.u8(name)


def refuse_v3_field(w: Writer, name: str, value: object, default: object, version: Version) -> None:
    """Refuse a CMPP 3.0 field set on a 2.0 PDU, where it cannot travel."""
    if version < Version.V30 and value != default:
        raise CmppPduError(w.name(name), f"{default!r}: CMPP 2.0 has no such field", repr(value))


def write_content(w: Writer, content: bytes, msg_fmt: int) -> None:
    # Msg_Length is one octet; the specification caps it at 140 bytes, under 160 for ASCII text.
    limit = 159 if msg_fmt == MsgFmt.ASCII else 140
    if len(content) > limit:
        raise CmppPduError(w.name("Msg_Length"), f"at most {limit} bytes for Msg_Fmt {msg_fmt}", len(content))
    w.u8("Msg_Length", len(content))
    w.raw("Msg_Content", content)


def write_trailer(w: Writer, link_id: str, version: Version) -> None:
    if version >= Version.V30:
        w.octets("LinkID", link_id, 20)
    else:
        refuse_v3_field(w, "LinkID", link_id, "", version)
        w.raw("Reserve", b"\0" * 8)


def read_trailer(r: Reader, version: Version) -> str:
    if version >= Version.V30:
        return r.octets("LinkID", 20)
    r.raw("Reserve", 8)
    return ""


class Body(ABC):
    """The body of one PDU; `command_id` names it in the header."""

    command_id: ClassVar[CommandId]

    @abstractmethod
    def write(self, w: Writer, version: Version) -> None: ...

    @classmethod
    @abstractmethod
    def read(cls, r: Reader, version: Version) -> Self: ...


class Empty(Body):
    def write(self, w: Writer, version: Version) -> None:
        return None

    @classmethod
    def read(cls, r: Reader, version: Version) -> Self:
        return cls()

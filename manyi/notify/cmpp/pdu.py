"""The CMPP 2.0 / 3.0 PDUs and their codec. Pure: bytes in, dataclasses out, and back.

A PDU is a 12-byte header (Total_Length, Command_Id, Sequence_Id, big-endian) and a body whose
fields have fixed widths. What differs between the versions:
- CMPP 3.0 widens every response's status (Status, Result, Success_Id) from 1 to 4 bytes;
- terminal numbers (Fee_terminal_Id, Dest_terminal_Id, Src_terminal_Id, and the report's
  Dest_terminal_Id) are 21 bytes in 2.0 and 32 in 3.0 (a pseudo-number needs the room), each
  followed in 3.0 by a _type octet (0 a real MSISDN, 1 a pseudo-number);
- SUBMIT and DELIVER end with 8 Reserve bytes in 2.0, a 20-byte LinkID in 3.0 (on-demand services).
CONNECT_RESP is read by its length, not the version asked for: a 2.0-only gateway refuses a 3.0
login (Status 4) in its own 2.0 layout.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Self

from manyi.notify.cmpp.body import Body, Empty, read_status, status_width, terminal_width, write_status
from manyi.notify.cmpp.constants import HEADER_SIZE, MAX_PDU_SIZE, CommandId, Version
from manyi.notify.cmpp.errors import CmppPduError
from manyi.notify.cmpp.fields import Reader, Writer
from manyi.notify.cmpp.messages import Deliver, DeliverResp, StatusReport, Submit, SubmitResp

__all__ = [
    "BODY_TYPES",
    "ActiveTest",
    "ActiveTestResp",
    "Body",
    "Cancel",
    "CancelResp",
    "Connect",
    "ConnectResp",
    "Deliver",
    "DeliverResp",
    "Frame",
    "Header",
    "Query",
    "QueryResp",
    "StatusReport",
    "Submit",
    "SubmitResp",
    "Terminate",
    "TerminateResp",
    "decode",
    "decode_header",
    "encode",
    "status_width",
    "terminal_width",
]

_HEADER = struct.Struct(">III")


@dataclass(frozen=True)
class Connect(Body):
    command_id: ClassVar[CommandId] = CommandId.CONNECT
    source_addr: str  # the SP's id (企业代码), 6 characters: the login account
    authenticator_source: bytes
    version: int  # the version the SP speaks: 0x30 for 3.0, 0x20 for 2.0
    timestamp: int  # MMDDHHMMSS as an integer

    def write(self, w: Writer, version: Version) -> None:
        w.octets("Source_Addr", self.source_addr, 6)
        w.raw("AuthenticatorSource", self.authenticator_source, 16)
        w.u8("Version", self.version)
        w.u32("Timestamp", self.timestamp)

    @classmethod
    def read(cls, r: Reader, version: Version) -> Self:
        return cls(
            r.octets("Source_Addr", 6), r.raw("AuthenticatorSource", 16), r.u8("Version"), r.u32("Timestamp")
        )


@dataclass(frozen=True)
class ConnectResp(Body):
    command_id: ClassVar[CommandId] = CommandId.CONNECT_RESP
    status: int
    authenticator_ismg: bytes  # 16 NUL bytes when the login was refused
    version: int  # the highest version the gateway supports

    def write(self, w: Writer, version: Version) -> None:
        write_status(w, "Status", self.status, version)
        w.raw("AuthenticatorISMG", self.authenticator_ismg, 16)
        w.u8("Version", self.version)

    @classmethod
    def read(cls, r: Reader, version: Version) -> Self:
        by_length = {21: Version.V30, 18: Version.V20}.get(r.remaining)
        if by_length is None:
            raise CmppPduError(r.name("Status"), "a body of 21 bytes (3.0) or 18 bytes (2.0)", r.remaining)
        return cls(read_status(r, "Status", by_length), r.raw("AuthenticatorISMG", 16), r.u8("Version"))


@dataclass(frozen=True)
class Terminate(Empty):
    command_id: ClassVar[CommandId] = CommandId.TERMINATE


@dataclass(frozen=True)
class TerminateResp(Empty):
    command_id: ClassVar[CommandId] = CommandId.TERMINATE_RESP


@dataclass(frozen=True)
class ActiveTest(Empty):
    command_id: ClassVar[CommandId] = CommandId.ACTIVE_TEST


@dataclass(frozen=True)
class ActiveTestResp(Body):
    command_id: ClassVar[CommandId] = CommandId.ACTIVE_TEST_RESP
    reserved: int = 0

    def write(self, w: Writer, version: Version) -> None:
        w.u8("Reserved", self.reserved)

    @classmethod
    def read(cls, r: Reader, version: Version) -> Self:
        return cls(r.u8("Reserved"))


@dataclass(frozen=True)
class Query(Body):
    """Traffic statistics of a day (YYYYMMDD), in total (type 0) or of one service code (type 1)."""

    command_id: ClassVar[CommandId] = CommandId.QUERY
    time: str
    query_type: int = 0
    query_code: str = ""

    def write(self, w: Writer, version: Version) -> None:
        w.octets("Time", self.time, 8)
        w.u8("Query_Type", self.query_type)
        w.octets("Query_Code", self.query_code, 10)
        w.raw("Reserve", b"\0" * 8)

    @classmethod
    def read(cls, r: Reader, version: Version) -> Self:
        query = cls(r.octets("Time", 8), r.u8("Query_Type"), r.octets("Query_Code", 10))
        r.raw("Reserve", 8)
        return query


_COUNTERS = ("MT_TLMsg", "MT_Tlusr", "MT_Scs", "MT_WT", "MT_FL", "MO_Scs", "MO_WT", "MO_FL")


@dataclass(frozen=True)
class QueryResp(Body):
    command_id: ClassVar[CommandId] = CommandId.QUERY_RESP
    time: str
    query_type: int
    query_code: str
    # MT messages received / users / sent / waiting / failed, MO sent / waiting / failed
    counters: tuple[int, int, int, int, int, int, int, int] = (0, 0, 0, 0, 0, 0, 0, 0)

    def write(self, w: Writer, version: Version) -> None:
        w.octets("Time", self.time, 8)
        w.u8("Query_Type", self.query_type)
        w.octets("Query_Code", self.query_code, 10)
        for name, value in zip(_COUNTERS, self.counters, strict=True):
            w.u32(name, value)

    @classmethod
    def read(cls, r: Reader, version: Version) -> Self:
        time, query_type, query_code = r.octets("Time", 8), r.u8("Query_Type"), r.octets("Query_Code", 10)
        a, b, c, d, e, f, g, h = (r.u32(name) for name in _COUNTERS)
        return cls(time, query_type, query_code, (a, b, c, d, e, f, g, h))


@dataclass(frozen=True)
class Cancel(Body):
    command_id: ClassVar[CommandId] = CommandId.CANCEL
    msg_id: int

    def write(self, w: Writer, version: Version) -> None:
        w.u64("Msg_Id", self.msg_id)

    @classmethod
    def read(cls, r: Reader, version: Version) -> Self:
        return cls(r.u64("Msg_Id"))


@dataclass(frozen=True)
class CancelResp(Body):
    command_id: ClassVar[CommandId] = CommandId.CANCEL_RESP
    success_id: int  # 0 cancelled, 1 could not be cancelled

    def write(self, w: Writer, version: Version) -> None:
        write_status(w, "Success_Id", self.success_id, version)

    @classmethod
    def read(cls, r: Reader, version: Version) -> Self:
        return cls(read_status(r, "Success_Id", version))


BODY_TYPES: dict[int, type[Body]] = {
    kind.command_id: kind
    for kind in (
        Connect,
        ConnectResp,
        Terminate,
        TerminateResp,
        Submit,
        SubmitResp,
        Deliver,
        DeliverResp,
        Query,
        QueryResp,
        Cancel,
        CancelResp,
        ActiveTest,
        ActiveTestResp,
    )
}


@dataclass(frozen=True)
class Header:
    total_length: int
    command_id: int
    sequence_id: int


@dataclass(frozen=True)
class Frame:
    """One decoded PDU: the body and the Sequence_Id that pairs a response with its request."""

    sequence_id: int
    body: Body


def decode_header(data: bytes) -> Header:
    """Read the 12-byte header, refusing a Total_Length no PDU can have (the link cannot resync)."""
    if len(data) < HEADER_SIZE:
        raise CmppPduError("Header", f"{HEADER_SIZE} bytes", len(data))
    total, command, sequence = _HEADER.unpack_from(data)
    if not HEADER_SIZE <= total <= MAX_PDU_SIZE:
        raise CmppPduError("Total_Length", f"{HEADER_SIZE}..{MAX_PDU_SIZE}", total)
    return Header(total, command, sequence)


def _pdu_name(command_id: int) -> str:
    return f"CMPP_{CommandId(command_id).name}"


def encode(body: Body, sequence_id: int, version: Version) -> bytes:
    """Return the PDU's bytes: header and body."""
    w = Writer(_pdu_name(body.command_id))
    body.write(w, version)
    payload = w.getvalue()
    if not 0 <= sequence_id <= 0xFFFFFFFF:
        raise CmppPduError("Sequence_Id", "an unsigned 32-bit integer", sequence_id)
    return _HEADER.pack(HEADER_SIZE + len(payload), body.command_id, sequence_id) + payload


def decode(data: bytes, version: Version) -> Frame:
    """Decode one whole PDU; a malformed one raises CmppPduError naming the field."""
    header = decode_header(data)
    if header.total_length != len(data):
        raise CmppPduError("Total_Length", f"the PDU's {len(data)} bytes", header.total_length)
    kind = BODY_TYPES.get(header.command_id)
    if kind is None:
        raise CmppPduError("Command_Id", "a CMPP 2.0/3.0 command", f"0x{header.command_id:08X}")
    r = Reader(data[HEADER_SIZE:], _pdu_name(header.command_id))
    body = kind.read(r, version)
    r.end()
    return Frame(header.sequence_id, body)

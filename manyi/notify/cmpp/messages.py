"""The PDUs that carry messages: SUBMIT (ours, to the gateway), DELIVER (the gateway's: a reply or a
status report), and their responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from manyi.notify.cmpp.body import (
    MAX_DESTINATIONS,
    Body,
    read_status,
    read_trailer,
    refuse_v3_field,
    terminal_width,
    write_content,
    write_status,
    write_trailer,
)
from manyi.notify.cmpp.constants import CommandId, MsgFmt, Version
from manyi.notify.cmpp.errors import CmppPduError
from manyi.notify.cmpp.fields import Reader, Writer


@dataclass(frozen=True)
class Submit(Body):
    """One short message (or one segment of a long one) to one or more numbers."""

    command_id: ClassVar[CommandId] = CommandId.SUBMIT
    dest_terminal_ids: tuple[str, ...]
    msg_content: bytes
    msg_fmt: int = MsgFmt.UCS2
    src_id: str = ""  # the access code (短信接入码) plus an extension: the reply goes there
    msg_src: str = ""  # the SP id again
    service_id: str = ""
    msg_id: int = 0  # filled by the gateway; the SP sends 0
    pk_total: int = 1
    pk_number: int = 1
    registered_delivery: int = 0  # 1: send a status report (2.0 also knows 2: bill only)
    msg_level: int = 0
    fee_user_type: int = 0  # 0 charge the receiver, 1 the sender, 2 the SP, 3 Fee_terminal_Id
    fee_terminal_id: str = ""
    fee_terminal_type: int = 0  # 3.0 only
    tp_pid: int = 0
    tp_udhi: int = 0  # 1: Msg_Content starts with a user-data header (a long-message segment)
    fee_type: str = "01"  # 01: free of charge
    fee_code: str = "000000"
    valid_time: str = ""  # ValId_Time, SMPP time format; empty: the gateway's default validity
    at_time: str = ""  # empty: send now
    dest_terminal_type: int = 0  # 3.0 only
    link_id: str = ""  # 3.0 only

    def write(self, w: Writer, version: Version) -> None:
        width = terminal_width(version)
        w.u64("Msg_Id", self.msg_id)
        w.u8("Pk_total", self.pk_total)
        w.u8("Pk_number", self.pk_number)
        w.u8("Registered_Delivery", self.registered_delivery)
        w.u8("Msg_level", self.msg_level)
        w.octets("Service_Id", self.service_id, 10)
        w.u8("Fee_UserType", self.fee_user_type)
        w.octets("Fee_terminal_Id", self.fee_terminal_id, width)
        if version >= Version.V30:
            w.u8("Fee_terminal_type", self.fee_terminal_type)
        refuse_v3_field(w, "Fee_terminal_type", self.fee_terminal_type, 0, version)
        w.u8("TP_pId", self.tp_pid)
        w.u8("TP_udhi", self.tp_udhi)
        w.u8("Msg_Fmt", self.msg_fmt)
        w.octets("Msg_src", self.msg_src, 6)
        w.octets("FeeType", self.fee_type, 2)
        w.octets("FeeCode", self.fee_code, 6)
        w.octets("ValId_Time", self.valid_time, 17)
        w.octets("At_Time", self.at_time, 17)
        w.octets("Src_Id", self.src_id, 21)
        if not 1 <= len(self.dest_terminal_ids) <= MAX_DESTINATIONS:
            raise CmppPduError(
                w.name("DestUsr_tl"), f"1..{MAX_DESTINATIONS} numbers", len(self.dest_terminal_ids)
            )
        w.u8("DestUsr_tl", len(self.dest_terminal_ids))
        for number in self.dest_terminal_ids:
            w.octets("Dest_terminal_Id", number, width)
        if version >= Version.V30:
            w.u8("Dest_terminal_type", self.dest_terminal_type)
        refuse_v3_field(w, "Dest_terminal_type", self.dest_terminal_type, 0, version)
        write_content(w, self.msg_content, self.msg_fmt)
        write_trailer(w, self.link_id, version)

    @classmethod
    def read(cls, r: Reader, version: Version) -> Self:
        width, v3 = terminal_width(version), version >= Version.V30
        msg_id, pk_total, pk_number = r.u64("Msg_Id"), r.u8("Pk_total"), r.u8("Pk_number")
        registered_delivery, msg_level = r.u8("Registered_Delivery"), r.u8("Msg_level")
        service_id, fee_user_type = r.octets("Service_Id", 10), r.u8("Fee_UserType")
        fee_terminal_id = r.octets("Fee_terminal_Id", width)
        fee_terminal_type = r.u8("Fee_terminal_type") if v3 else 0
        tp_pid, tp_udhi, msg_fmt = r.u8("TP_pId"), r.u8("TP_udhi"), r.u8("Msg_Fmt")
        msg_src, fee_type, fee_code = r.octets("Msg_src", 6), r.octets("FeeType", 2), r.octets("FeeCode", 6)
        valid_time, at_time = r.octets("ValId_Time", 17), r.octets("At_Time", 17)
        src_id = r.octets("Src_Id", 21)
        count = r.u8("DestUsr_tl")
        if not 1 <= count <= MAX_DESTINATIONS:
            raise CmppPduError(r.name("DestUsr_tl"), f"1..{MAX_DESTINATIONS} numbers", count)
        dests = tuple(r.octets("Dest_terminal_Id", width) for _ in range(count))
        dest_terminal_type = r.u8("Dest_terminal_type") if v3 else 0
        content = r.raw("Msg_Content", r.u8("Msg_Length"))
        return cls(
            dest_terminal_ids=dests,
            msg_content=content,
            msg_fmt=msg_fmt,
            src_id=src_id,
            msg_src=msg_src,
            service_id=service_id,
            msg_id=msg_id,
            pk_total=pk_total,
            pk_number=pk_number,
            registered_delivery=registered_delivery,
            msg_level=msg_level,
            fee_user_type=fee_user_type,
            fee_terminal_id=fee_terminal_id,
            fee_terminal_type=fee_terminal_type,
            tp_pid=tp_pid,
            tp_udhi=tp_udhi,
            fee_type=fee_type,
            fee_code=fee_code,
            valid_time=valid_time,
            at_time=at_time,
            dest_terminal_type=dest_terminal_type,
            link_id=read_trailer(r, version),
        )


@dataclass(frozen=True)
class SubmitResp(Body):
    command_id: ClassVar[CommandId] = CommandId.SUBMIT_RESP
    msg_id: int
    result: int

    def write(self, w: Writer, version: Version) -> None:
        w.u64("Msg_Id", self.msg_id)
        write_status(w, "Result", self.result, version)

    @classmethod
    def read(cls, r: Reader, version: Version) -> Self:
        return cls(r.u64("Msg_Id"), read_status(r, "Result", version))


@dataclass(frozen=True)
class StatusReport:
    """The Msg_Content of a DELIVER with Registered_Delivery 1: what became of a submitted message."""

    msg_id: int  # the Msg_Id the gateway answered the SUBMIT with
    stat: str  # DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN, REJECTD or a gateway's own
    submit_time: str  # YYMMDDHHMM, gateway local time
    done_time: str  # YYMMDDHHMM
    dest_terminal_id: str
    smsc_sequence: int = 0

    def encode(self, version: Version) -> bytes:
        w = Writer("CMPP_DELIVER.Msg_Content")
        w.u64("Msg_Id", self.msg_id)
        w.octets("Stat", self.stat, 7)
        w.octets("Submit_time", self.submit_time, 10)
        w.octets("Done_time", self.done_time, 10)
        w.octets("Dest_terminal_Id", self.dest_terminal_id, terminal_width(version))
        w.u32("SMSC_sequence", self.smsc_sequence)
        return w.getvalue()

    @classmethod
    def decode(cls, content: bytes, version: Version) -> StatusReport:
        # Read exactly the report's 60 (2.0) or 71 (3.0) bytes; some gateways pad Msg_Content.
        r = Reader(content, "CMPP_DELIVER.Msg_Content")
        return cls(
            r.u64("Msg_Id"),
            r.octets("Stat", 7),
            r.octets("Submit_time", 10),
            r.octets("Done_time", 10),
            r.octets("Dest_terminal_Id", terminal_width(version)),
            r.u32("SMSC_sequence"),
        )


@dataclass(frozen=True)
class Deliver(Body):
    """From the gateway: a mobile-originated message (a customer's reply) or, with `report`, a
    status report on a message we submitted (Registered_Delivery 1)."""

    command_id: ClassVar[CommandId] = CommandId.DELIVER
    msg_id: int
    dest_id: str  # our access code plus the extension the customer replied to
    src_terminal_id: str  # the customer's number
    msg_content: bytes = b""
    report: StatusReport | None = None
    service_id: str = ""
    msg_fmt: int = MsgFmt.ASCII
    tp_pid: int = 0
    tp_udhi: int = 0
    src_terminal_type: int = 0  # 3.0 only
    link_id: str = ""  # 3.0 only

    def write(self, w: Writer, version: Version) -> None:
        w.u64("Msg_Id", self.msg_id)
        w.octets("Dest_Id", self.dest_id, 21)
        w.octets("Service_Id", self.service_id, 10)
        w.u8("TP_pid", self.tp_pid)
        w.u8("TP_udhi", self.tp_udhi)
        w.u8("Msg_Fmt", self.msg_fmt)
        w.octets("Src_terminal_Id", self.src_terminal_id, terminal_width(version))
        if version >= Version.V30:
            w.u8("Src_terminal_type", self.src_terminal_type)
        refuse_v3_field(w, "Src_terminal_type", self.src_terminal_type, 0, version)
        if self.report is not None:
            if self.msg_content:
                raise CmppPduError(
                    w.name("Msg_Content"), "no text beside a status report", len(self.msg_content)
                )
            w.u8("Registered_Delivery", 1)
            report = self.report.encode(version)
            w.u8("Msg_Length", len(report))
            w.raw("Msg_Content", report)
        else:
            w.u8("Registered_Delivery", 0)
            write_content(w, self.msg_content, self.msg_fmt)
        write_trailer(w, self.link_id, version)

    @classmethod
    def read(cls, r: Reader, version: Version) -> Self:
        msg_id, dest_id, service_id = r.u64("Msg_Id"), r.octets("Dest_Id", 21), r.octets("Service_Id", 10)
        tp_pid, tp_udhi, msg_fmt = r.u8("TP_pid"), r.u8("TP_udhi"), r.u8("Msg_Fmt")
        src = r.octets("Src_terminal_Id", terminal_width(version))
        src_type = r.u8("Src_terminal_type") if version >= Version.V30 else 0
        registered_delivery = r.u8("Registered_Delivery")
        if registered_delivery not in (0, 1):
            raise CmppPduError(
                r.name("Registered_Delivery"), "0 (a message) or 1 (a status report)", registered_delivery
            )
        content = r.raw("Msg_Content", r.u8("Msg_Length"))
        report = StatusReport.decode(content, version) if registered_delivery else None
        return cls(
            msg_id=msg_id,
            dest_id=dest_id,
            src_terminal_id=src,
            msg_content=b"" if report else content,
            report=report,
            service_id=service_id,
            msg_fmt=msg_fmt,
            tp_pid=tp_pid,
            tp_udhi=tp_udhi,
            src_terminal_type=src_type,
            link_id=read_trailer(r, version),
        )


@dataclass(frozen=True)
class DeliverResp(Body):
    command_id: ClassVar[CommandId] = CommandId.DELIVER_RESP
    msg_id: int
    result: int

    def write(self, w: Writer, version: Version) -> None:
        w.u64("Msg_Id", self.msg_id)
        write_status(w, "Result", self.result, version)

    @classmethod
    def read(cls, r: Reader, version: Version) -> Self:
        return cls(r.u64("Msg_Id"), read_status(r, "Result", version))

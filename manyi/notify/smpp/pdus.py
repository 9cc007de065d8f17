"""SMPP 3.4 PDUs as bytes, built and read with aiosmpplib's codec (its ESME loop is not used: it keeps
no window and answers deliver_sm before the application has seen it). The header is read here with
struct, because a gateway may answer with a vendor command_status (0x400-0x4FF) that the library's
enum does not know."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from aiosmpplib import (
    NPI,
    TON,
    BindTransceiver,
    DeliverSm,
    OptionalParam,
    PduHeader,
    PhoneNumber,
    SmppCommand,
    SmppCommandStatus,
    SubmitSm,
)

from manyi.notify.smpp.config import SmppConfig

HEADER = struct.Struct("!IIII")  # command_length, command_id, command_status, sequence_number
HEADER_LENGTH = HEADER.size
MAX_PDU_LENGTH = 2**16 + 1024  # a message_payload TLV holds up to 64 KiB

BIND_TRANSCEIVER_RESP = SmppCommand.BIND_TRANSCEIVER_RESP.value
SUBMIT_SM = SmppCommand.SUBMIT_SM.value
SUBMIT_SM_RESP = SmppCommand.SUBMIT_SM_RESP.value
DELIVER_SM = SmppCommand.DELIVER_SM.value
DELIVER_SM_RESP = SmppCommand.DELIVER_SM_RESP.value
ENQUIRE_LINK = SmppCommand.ENQUIRE_LINK.value
ENQUIRE_LINK_RESP = SmppCommand.ENQUIRE_LINK_RESP.value
UNBIND = SmppCommand.UNBIND.value
UNBIND_RESP = SmppCommand.UNBIND_RESP.value
GENERIC_NACK = SmppCommand.GENERIC_NACK.value

ESME_ROK = 0x00
ESME_RMSGQFUL = SmppCommandStatus.ESME_RMSGQFUL.value
ESME_RTHROTTLED = SmppCommandStatus.ESME_RTHROTTLED.value
ESME_RSYSERR = SmppCommandStatus.ESME_RSYSERR.value
ESME_RINVCMDID = SmppCommandStatus.ESME_RINVCMDID.value
ESME_RX_T_APPN = SmppCommandStatus.ESME_RX_T_APPN.value  # temporary: the gateway delivers it again
ESME_RX_P_APPN = SmppCommandStatus.ESME_RX_P_APPN.value  # permanent: the gateway gives it up
# Statuses after which the same message may succeed later: the gateway is busy, not refusing it.
RETRYABLE_STATUSES = frozenset({ESME_RMSGQFUL, ESME_RTHROTTLED, ESME_RSYSERR, ESME_RX_T_APPN})

RECEIPTED_MESSAGE_ID = 0x001E
MESSAGE_STATE = 0x0427
UDHI = 0x40  # esm_class: the short message starts with a user-data header
UCS2 = 0x08  # data_coding

_READABLE = {
    0x05: "already bound",
    0x0D: "bind failed",
    0x0E: "invalid password",
    0x0F: "invalid system_id",
    0x08: "system error",
    0x0A: "invalid source address",
    0x0B: "invalid destination address",
    0x14: "message queue full",
    0x45: "submit_sm failed",
    0x58: "throttled: over the agreed rate",
    0x53: "invalid system_type",
}


def status_name(status: int) -> str:
    """The spec's name of a command_status (ESME_RINVPASWD), or its hex value for a vendor code."""
    try:
        return SmppCommandStatus(status).name
    except ValueError:
        return f"0x{status:08X}"


def status_text(status: int) -> str:
    """A command_status for a person: `ESME_RINVPASWD (0x0000000E): invalid password`."""
    meaning = _READABLE.get(status)
    name = status_name(status)
    shown = name if name.startswith("0x") else f"{name} (0x{status:08X})"
    return shown + (f": {meaning}" if meaning else "")


def pack(command_id: int, sequence: int, body: bytes = b"", status: int = ESME_ROK) -> bytes:
    return HEADER.pack(HEADER_LENGTH + len(body), command_id, status, sequence) + body


def bind_transceiver(config: SmppConfig, sequence: int) -> bytes:
    return BindTransceiver(
        sequence_num=sequence,
        system_id=config.system_id,
        password=config.password,
        system_type=config.system_type,
        addr_ton=TON(config.source_ton),
        addr_npi=NPI(config.source_npi),
    ).pdu()


def submit_sm_body(
    config: SmppConfig, *, source: str, to: str, payload: bytes, udh: bool, receipt: bool
) -> bytes:
    """The body of one UCS-2 submit_sm (the header, with its sequence number, is added per send)."""
    message = SubmitSm(
        short_message=" ",  # the library wants text; the payload below is already encoded
        source=PhoneNumber(source, TON(config.source_ton), NPI(config.source_npi)),
        destination=PhoneNumber(to, TON(config.dest_ton), NPI(config.dest_npi)),
        service_type=config.service_type,
        esm_class=UDHI if udh else 0,
        registered_delivery=1 if receipt else 0,
        encoding="ucs2",
        auto_message_payload=False,
    )
    message.set_encoded_message(payload)
    return message.pdu()[HEADER_LENGTH:]


def deliver_sm_resp(sequence: int, status: int) -> bytes:
    return pack(DELIVER_SM_RESP, sequence, b"\x00", status)


def c_string(body: bytes) -> str:
    """The first NUL-terminated string of a body (a submit_sm_resp message_id, a bind_resp system_id)."""
    end = body.find(b"\x00")
    return (body if end < 0 else body[:end]).decode("ascii", errors="replace")


@dataclass(frozen=True)
class Deliver:
    """What a deliver_sm says, decoded."""

    sender: str
    to: str
    esm_class: int
    text: str
    reference: int  # concatenation: the same for every segment of one message
    total: int  # 0 or 1 when the message is whole
    number: int
    receipted_id: str | None
    message_state: int | None


def parse_deliver(pdu: bytes, command_status: int, sequence: int) -> Deliver:
    """Decode a deliver_sm; raises ValueError (or a UnicodeError) for one that does not decode."""
    header = PduHeader(len(pdu), SmppCommand.DELIVER_SM, SmppCommandStatus(command_status), sequence)
    message = DeliverSm.from_pdu(pdu, header, "gsm0338")
    assert isinstance(message, DeliverSm)
    reference, number, total = message.get_segmentation_data()
    params: dict[int, object] = {
        p.tag: p.value for p in message.optional_params or [] if isinstance(p, OptionalParam)
    }
    receipted = params.get(RECEIPTED_MESSAGE_ID)
    state = params.get(MESSAGE_STATE)
    return Deliver(
        sender=message.source.number,
        to=message.destination.number,
        esm_class=message.esm_class,
        text=message.short_message or message.message_payload,
        reference=reference,
        total=total,
        number=number,
        receipted_id=str(receipted).rstrip("\x00") if receipted is not None else None,
        message_state=state if isinstance(state, int) else None,
    )

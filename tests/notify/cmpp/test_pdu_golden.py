"""Bytes built by hand from the specification's tables, field by field, against the codec; the
login digests against MD5s computed outside Python (`printf ... | md5sum`); the Msg_Id layout."""

from __future__ import annotations

from datetime import datetime

from manyi.notify.cmpp.auth import (
    authenticator_ismg,
    authenticator_source,
    connect_timestamp,
    ismg_authenticator_matches,
)
from manyi.notify.cmpp.constants import MsgFmt, Version
from manyi.notify.cmpp.msgid import MsgId, MsgIdFactory
from manyi.notify.cmpp.pdu import Connect, ConnectResp, Submit, decode, encode

# printf '901234\0\0\0\0\0\0\0\0\0secret0203040506' | md5sum
AUTH_SOURCE = bytes.fromhex("e95006072d40efff9445beaaa81b6e2d")
# status 0 as 4 bytes + AUTH_SOURCE + 'secret', md5sum'd the same way
AUTH_ISMG = bytes.fromhex("329c08ea32360af16af351ea3bf12aef")


def test_authenticator_source_is_md5_of_address_nine_nuls_secret_and_timestamp() -> None:
    timestamp = connect_timestamp(datetime(2026, 2, 3, 4, 5, 6))
    assert timestamp == 203040506  # MMDDHHMMSS as an integer: the leading zero is lost on the wire
    assert authenticator_source("901234", "secret", timestamp) == AUTH_SOURCE


def test_authenticator_ismg_hashes_status_at_its_wire_width() -> None:
    assert authenticator_ismg(0, AUTH_SOURCE, "secret", status_size=4) == AUTH_ISMG
    assert ismg_authenticator_matches(AUTH_ISMG, 0, AUTH_SOURCE, "secret", status_size=4)
    # a 3.0 gateway hashing Status as one byte (as 2.0 did) still proves the secret
    one_byte = authenticator_ismg(0, AUTH_SOURCE, "secret", status_size=1)
    assert one_byte != AUTH_ISMG
    assert ismg_authenticator_matches(one_byte, 0, AUTH_SOURCE, "secret", status_size=4)
    assert not ismg_authenticator_matches(AUTH_ISMG, 0, AUTH_SOURCE, "other", status_size=4)


def test_connect_golden_bytes() -> None:
    expected = (
        bytes.fromhex("00000027")  # Total_Length 39 = 12 + 6 + 16 + 1 + 4
        + bytes.fromhex("00000001")  # Command_Id CMPP_CONNECT
        + bytes.fromhex("0000002a")  # Sequence_Id 42
        + b"901234"  # Source_Addr, 6 octets
        + AUTH_SOURCE  # AuthenticatorSource, 16 octets
        + bytes.fromhex("30")  # Version 3.0
        + bytes.fromhex("0c1a26fa")  # Timestamp 0203040506 = 0x0C1A26FA
    )
    body = Connect("901234", AUTH_SOURCE, 0x30, 203040506)
    assert encode(body, 42, Version.V30) == expected
    assert decode(expected, Version.V30).body == body


def test_connect_resp_is_read_by_its_length_in_either_layout() -> None:
    v30 = bytes.fromhex("00000021 80000001 00000001 00000000") + AUTH_ISMG + b"\x30"
    v20 = bytes.fromhex("0000001e 80000001 00000001 04") + b"\0" * 16 + b"\x20"
    assert decode(v30, Version.V30).body == ConnectResp(0, AUTH_ISMG, 0x30)
    # a 2.0-only gateway refusing a 3.0 login answers in its own layout
    assert decode(v20, Version.V30).body == ConnectResp(4, b"\0" * 16, 0x20)


def _pad(text: str, width: int) -> bytes:
    return text.encode("ascii").ljust(width, b"\0")


def test_submit_golden_bytes_in_both_versions() -> None:
    content = "您好".encode("utf-16-be")  # 4 bytes, Msg_Fmt 8
    common_head = (
        bytes(8)  # Msg_Id: 0, the gateway fills it
        + b"\x01\x01"  # Pk_total, Pk_number
        + b"\x01"  # Registered_Delivery: a report wanted
        + b"\x00"  # Msg_level
        + _pad("MANYI", 10)  # Service_Id
        + b"\x02"  # Fee_UserType: the SP pays
    )
    middle = (
        b"\x00"  # TP_pId
        + b"\x00"  # TP_udhi
        + b"\x08"  # Msg_Fmt UCS2
        + b"901234"  # Msg_src
        + b"01"  # FeeType: free
        + b"000000"  # FeeCode
        + bytes(17)  # ValId_Time
        + bytes(17)  # At_Time
        + _pad("106571234501", 21)  # Src_Id: access code + extension
        + b"\x01"  # DestUsr_tl
    )
    v30_body = (
        common_head
        + bytes(32)  # Fee_terminal_Id, 32 octets in 3.0
        + b"\x00"  # Fee_terminal_type
        + middle
        + _pad("13800138000", 32)  # Dest_terminal_Id
        + b"\x00"  # Dest_terminal_type
        + b"\x04"  # Msg_Length
        + content
        + bytes(20)  # LinkID
    )
    v20_body = (
        common_head
        + bytes(21)  # Fee_terminal_Id, 21 octets in 2.0
        + middle
        + _pad("13800138000", 21)
        + b"\x04"
        + content
        + bytes(8)  # Reserve
    )
    submit = Submit(
        dest_terminal_ids=("13800138000",),
        msg_content=content,
        msg_fmt=MsgFmt.UCS2,
        src_id="106571234501",
        msg_src="901234",
        service_id="MANYI",
        registered_delivery=1,
        fee_user_type=2,
    )
    for version, body in ((Version.V30, v30_body), (Version.V20, v20_body)):
        header = (12 + len(body)).to_bytes(4, "big") + bytes.fromhex("00000004") + (7).to_bytes(4, "big")
        assert encode(submit, 7, version) == header + body
        assert decode(header + body, version).body == submit
    assert len(v30_body) == 151 + 32 + 4 and len(v20_body) == 126 + 21 + 4


def test_msg_id_layout_month_day_time_gateway_sequence() -> None:
    msg_id = MsgId.compose(month=12, day=3, hour=16, minute=38, second=14, gateway=123456, sequence=42)
    expected = (12 << 60) | (3 << 55) | (16 << 50) | (38 << 44) | (14 << 38) | (123456 << 16) | 42
    assert msg_id.value == expected
    assert str(msg_id) == str(expected)
    assert msg_id.describe() == "12-03 16:38:14 gateway 123456 #42"
    assert (msg_id.gateway, msg_id.sequence) == (123456, 42)
    top = MsgId.compose(
        month=15, day=31, hour=31, minute=63, second=63, gateway=(1 << 22) - 1, sequence=0xFFFF
    )
    assert top.value == (1 << 64) - 1


def test_msg_id_factory_wraps_its_sequence_at_sixteen_bits() -> None:
    factory = MsgIdFactory(gateway=7)
    at = datetime(2026, 12, 3, 16, 38, 14)
    ids = [factory.next(at) for _ in range(65537)]
    assert ids[0].sequence == 0 and ids[65535].sequence == 65535 and ids[65536].sequence == 0
    assert ids[1].describe() == "12-03 16:38:14 gateway 7 #1"

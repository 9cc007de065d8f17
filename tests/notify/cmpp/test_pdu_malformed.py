"""Malformed PDUs are refused with a CmppPduError naming the field, never an IndexError; values
that do not fit their field are refused when encoding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.notify.cmpp.config import CmppConfig
from manyi.notify.cmpp.constants import MsgFmt, Version
from manyi.notify.cmpp.errors import CmppConfigError, CmppPduError
from manyi.notify.cmpp.pdu import Connect, Deliver, StatusReport, Submit, decode, decode_header, encode
from manyi.notify.cmpp.text import parse_udh

SUBMIT = Submit(("13800138000",), "您好".encode("utf-16-be"), src_id="1065712345")


def _with_length(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data[4:]


def test_a_truncated_submit_names_the_field_it_stopped_in() -> None:
    wire = encode(SUBMIT, 1, Version.V30)
    with pytest.raises(CmppPduError, match=r"CMPP_SUBMIT\.Dest_terminal_Id: expected 32 bytes") as caught:
        decode(_with_length(wire[: 12 + 129 + 10]), Version.V30)
    assert caught.value.field == "CMPP_SUBMIT.Dest_terminal_Id"


def test_msg_length_beyond_the_body_names_msg_content() -> None:
    wire = bytearray(encode(SUBMIT, 1, Version.V30))
    wire[12 + 151 + 32 - 20 - 1] = 200  # Msg_Length claims 200 bytes of content
    with pytest.raises(CmppPduError, match=r"CMPP_SUBMIT\.Msg_Content: expected 200 bytes"):
        decode(bytes(wire), Version.V30)


def test_a_2_0_pdu_read_as_3_0_is_refused_not_misread() -> None:
    with pytest.raises(CmppPduError, match="CMPP_SUBMIT"):
        decode(encode(SUBMIT, 1, Version.V20), Version.V30)


def test_bytes_after_the_last_field_are_refused() -> None:
    wire = encode(SUBMIT, 1, Version.V30) + b"xx"
    with pytest.raises(CmppPduError, match="no bytes after the last field"):
        decode(_with_length(wire), Version.V30)


def test_header_lengths_no_pdu_has_are_refused() -> None:
    with pytest.raises(CmppPduError, match="Total_Length: expected 12..8192, got 11"):
        decode_header(bytes.fromhex("0000000b 00000008 00000001"))
    with pytest.raises(CmppPduError, match="Total_Length: expected 12..8192, got 1000000"):
        decode_header((1_000_000).to_bytes(4, "big") + bytes(8))
    with pytest.raises(CmppPduError, match="Header: expected 12 bytes"):
        decode_header(b"\0\0\0")
    with pytest.raises(CmppPduError, match=r"Total_Length: expected the PDU's 12 bytes, got 13"):
        decode(bytes.fromhex("0000000d 00000008 00000001"), Version.V30)


def test_an_unknown_command_is_named_in_hex() -> None:
    with pytest.raises(CmppPduError, match="Command_Id: expected a CMPP 2.0/3.0 command, got 0x00000009"):
        decode(bytes.fromhex("0000000c 00000009 00000001"), Version.V30)


def test_dest_usr_tl_must_be_1_to_100() -> None:
    wire = bytearray(encode(SUBMIT, 1, Version.V30))
    wire[12 + 128] = 0  # DestUsr_tl follows the 128 bytes up to Src_Id
    with pytest.raises(CmppPduError, match=r"CMPP_SUBMIT\.DestUsr_tl: expected 1\.\.100 numbers, got 0"):
        decode(bytes(wire), Version.V30)
    with pytest.raises(CmppPduError, match="DestUsr_tl"):
        encode(Submit((), b""), 1, Version.V30)


def test_non_ascii_in_an_octet_string_is_refused_both_ways() -> None:
    wire = bytearray(encode(SUBMIT, 1, Version.V30))
    wire[12 + 12] = 0xE4  # first byte of Service_Id
    with pytest.raises(CmppPduError, match=r"CMPP_SUBMIT\.Service_Id: expected ASCII text"):
        decode(bytes(wire), Version.V30)
    with pytest.raises(CmppPduError, match=r"CMPP_SUBMIT\.Src_Id: expected ASCII text"):
        encode(Submit(("1",), b"", src_id="满意"), 1, Version.V30)


def test_values_that_do_not_fit_are_refused_when_encoding() -> None:
    with pytest.raises(CmppPduError, match=r"CMPP_SUBMIT\.Src_Id: expected at most 21 characters"):
        encode(Submit(("1",), b"", src_id="1" * 22), 1, Version.V30)
    with pytest.raises(CmppPduError, match=r"CMPP_SUBMIT\.Dest_terminal_Id: expected at most 21"):
        encode(Submit(("1" * 22,), b""), 1, Version.V20)
    with pytest.raises(CmppPduError, match=r"CMPP_SUBMIT\.Msg_Length: expected at most 140 bytes"):
        encode(Submit(("1",), bytes(141), msg_fmt=MsgFmt.UCS2), 1, Version.V30)
    with pytest.raises(CmppPduError, match=r"CMPP_SUBMIT\.Pk_total: expected an integer 0\.\.255, got 256"):
        encode(Submit(("1",), b"", pk_total=256), 1, Version.V30)
    with pytest.raises(CmppPduError, match=r"CMPP_CONNECT\.AuthenticatorSource: expected exactly 16 bytes"):
        encode(Connect("901234", b"short", 0x30, 0), 1, Version.V30)
    with pytest.raises(CmppPduError, match="Sequence_Id"):
        encode(Connect("901234", bytes(16), 0x30, 0), 2**32, Version.V30)


def test_3_0_fields_cannot_travel_in_2_0() -> None:
    with pytest.raises(CmppPduError, match=r"CMPP_SUBMIT\.LinkID: expected '': CMPP 2\.0 has no such field"):
        encode(Submit(("1",), b"", link_id="abc"), 1, Version.V20)
    with pytest.raises(CmppPduError, match=r"Dest_terminal_type"):
        encode(Submit(("1",), b"", dest_terminal_type=1), 1, Version.V20)
    with pytest.raises(CmppPduError, match=r"CMPP_DELIVER\.Src_terminal_type"):
        encode(Deliver(1, "1065", "138", b"x", src_terminal_type=1), 1, Version.V20)


def test_deliver_registered_delivery_must_say_message_or_report() -> None:
    wire = bytearray(encode(Deliver(1, "1065", "138", b"hi", msg_fmt=MsgFmt.ASCII), 1, Version.V30))
    wire[12 + 8 + 21 + 10 + 3 + 32 + 1] = 2
    with pytest.raises(CmppPduError, match=r"CMPP_DELIVER\.Registered_Delivery: expected 0 .* or 1"):
        decode(bytes(wire), Version.V30)


def test_a_short_status_report_names_its_field() -> None:
    report = StatusReport(1, "DELIVRD", "2612031638", "2612031639", "13800138000", 5)
    wire = bytearray(encode(Deliver(1, "1065", "138", report=report), 1, Version.V30))
    at = 12 + 8 + 21 + 10 + 3 + 32 + 2  # Msg_Length
    wire[at] = 40
    del wire[at + 1 + 40 : at + 1 + 71]
    with pytest.raises(CmppPduError, match=r"CMPP_DELIVER\.Msg_Content\.Dest_terminal_Id: expected 32 bytes"):
        decode(_with_length(bytes(wire)), Version.V30)


def test_a_bad_user_data_header_names_it() -> None:
    with pytest.raises(CmppPduError, match=r"Msg_Content\.UDH: expected a header of 6 bytes"):
        parse_udh(b"\x05\x00\x03")
    with pytest.raises(CmppPduError, match=r"Msg_Content\.UDH: expected a concatenation element"):
        parse_udh(b"\x03\x24\x01\x01abc")  # a national-language shift, no concatenation
    udh = parse_udh(b"\x06\x08\x04\x01\x02\x03\x01" + "好".encode("utf-16-be"))  # 16-bit reference
    assert (udh.reference, udh.total, udh.number, udh.size) == (0x0102, 3, 1, 7)


@pytest.mark.parametrize("version", [Version.V20, Version.V30])
@settings(max_examples=300, deadline=None)
@given(
    junk=st.binary(max_size=300), command=st.sampled_from([1, 0x80000001, 4, 0x80000004, 5, 6, 0x80000006, 8])
)
def test_random_bodies_raise_only_pdu_errors(version: Version, junk: bytes, command: int) -> None:
    wire = (12 + len(junk)).to_bytes(4, "big") + command.to_bytes(4, "big") + bytes(4) + junk
    try:
        decode(wire, version)
    except CmppPduError as exc:
        assert exc.field and str(exc).startswith(f"{exc.field}: expected")


def test_config_refuses_what_the_protocol_cannot_carry() -> None:
    base = {"host": "gw", "port": 7890, "source_addr": "901234", "shared_secret": "x", "src_id": "1065"}
    for field, value, message in [
        ("source_addr", "9012345", "source_addr: expected at most 6 ASCII characters"),
        ("src_id", "1065A", "src_id: expected digits only"),
        ("window", 0, "window: expected 1..1024"),
        ("rate", -1, "rate: expected a number above 0"),
        ("port", 0, "port: expected 1..65535"),
        ("version", 0x31, "version: expected 0x20 or 0x30"),
        ("timezone", "Mars/Base", "timezone: unknown zone"),
    ]:
        with pytest.raises(CmppConfigError, match=message) as caught:
            CmppConfig(**{**base, field: value})  # type: ignore[arg-type]
        assert caught.value.field == field
    assert CmppConfig(**base, version=0x20).version is Version.V20  # type: ignore[arg-type]

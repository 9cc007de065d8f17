"""Every PDU of CMPP 2.0 and 3.0 decodes back to what was encoded, whatever the field values
within their widths; the lengths are the specification's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.notify.cmpp.constants import MsgFmt, Version
from manyi.notify.cmpp.pdu import (
    BODY_TYPES,
    ActiveTest,
    ActiveTestResp,
    Body,
    Cancel,
    CancelResp,
    Connect,
    ConnectResp,
    Deliver,
    DeliverResp,
    Query,
    QueryResp,
    StatusReport,
    Submit,
    SubmitResp,
    Terminate,
    TerminateResp,
    decode,
    encode,
    terminal_width,
)

VERSIONS = (Version.V20, Version.V30)
ASCII = st.characters(min_codepoint=1, max_codepoint=127)
u8 = st.integers(0, 0xFF)
u32 = st.integers(0, 0xFFFFFFFF)
u64 = st.integers(0, 0xFFFFFFFFFFFFFFFF)


def octets(width: int) -> st.SearchStrategy[str]:
    return st.text(ASCII, max_size=width)


def status(version: Version) -> st.SearchStrategy[int]:
    return u32 if version == Version.V30 else u8


def v3(version: Version, strategy: st.SearchStrategy[object], default: object) -> st.SearchStrategy[object]:
    """A 3.0-only field: any value in 3.0, its default in 2.0 (where it does not travel)."""
    return strategy if version == Version.V30 else st.just(default)


@st.composite
def content(draw: st.DrawFn) -> tuple[int, bytes]:
    fmt = draw(st.sampled_from([MsgFmt.ASCII, MsgFmt.UCS2, MsgFmt.GBK, MsgFmt.BINARY]))
    return fmt, draw(st.binary(max_size=159 if fmt == MsgFmt.ASCII else 140))


@st.composite
def submits(draw: st.DrawFn, version: Version) -> Submit:
    width = terminal_width(version)
    fmt, data = draw(content())
    return Submit(
        dest_terminal_ids=tuple(draw(st.lists(octets(width), min_size=1, max_size=100))),
        msg_content=data,
        msg_fmt=fmt,
        src_id=draw(octets(21)),
        msg_src=draw(octets(6)),
        service_id=draw(octets(10)),
        msg_id=draw(u64),
        pk_total=draw(u8),
        pk_number=draw(u8),
        registered_delivery=draw(u8),
        msg_level=draw(u8),
        fee_user_type=draw(u8),
        fee_terminal_id=draw(octets(width)),
        fee_terminal_type=draw(v3(version, u8, 0)),
        tp_pid=draw(u8),
        tp_udhi=draw(u8),
        fee_type=draw(octets(2)),
        fee_code=draw(octets(6)),
        valid_time=draw(octets(17)),
        at_time=draw(octets(17)),
        dest_terminal_type=draw(v3(version, u8, 0)),
        link_id=draw(v3(version, octets(20), "")),
    )


@st.composite
def delivers(draw: st.DrawFn, version: Version) -> Deliver:
    width = terminal_width(version)
    report = draw(
        st.none() | st.builds(StatusReport, u64, octets(7), octets(10), octets(10), octets(width), u32)
    )
    fmt, data = draw(content())
    return Deliver(
        msg_id=draw(u64),
        dest_id=draw(octets(21)),
        src_terminal_id=draw(octets(width)),
        msg_content=b"" if report else data,
        report=report,
        service_id=draw(octets(10)),
        msg_fmt=fmt,
        tp_pid=draw(u8),
        tp_udhi=draw(u8),
        src_terminal_type=draw(v3(version, u8, 0)),
        link_id=draw(v3(version, octets(20), "")),
    )


def _counters() -> st.SearchStrategy[tuple[int, int, int, int, int, int, int, int]]:
    return st.tuples(u32, u32, u32, u32, u32, u32, u32, u32)


# One strategy per PDU, for a version: every command of both versions is covered by construction.
STRATEGIES: dict[type[Body], Callable[[Version], st.SearchStrategy[Any]]] = {
    Connect: lambda v: st.builds(Connect, octets(6), st.binary(min_size=16, max_size=16), u8, u32),
    ConnectResp: lambda v: st.builds(ConnectResp, status(v), st.binary(min_size=16, max_size=16), u8),
    Terminate: lambda v: st.just(Terminate()),
    TerminateResp: lambda v: st.just(TerminateResp()),
    ActiveTest: lambda v: st.just(ActiveTest()),
    ActiveTestResp: lambda v: st.builds(ActiveTestResp, u8),
    Submit: submits,
    SubmitResp: lambda v: st.builds(SubmitResp, u64, status(v)),
    Deliver: delivers,
    DeliverResp: lambda v: st.builds(DeliverResp, u64, status(v)),
    Query: lambda v: st.builds(Query, octets(8), u8, octets(10)),
    QueryResp: lambda v: st.builds(QueryResp, octets(8), u8, octets(10), _counters()),
    Cancel: lambda v: st.builds(Cancel, u64),
    CancelResp: lambda v: st.builds(CancelResp, status(v)),
}


def test_every_command_has_a_strategy() -> None:
    assert set(STRATEGIES) == set(BODY_TYPES.values())
    assert len(BODY_TYPES) == 14  # the seven requests and responses both versions share


@pytest.mark.parametrize("version", VERSIONS, ids=["2.0", "3.0"])
@pytest.mark.parametrize("kind", list(STRATEGIES), ids=lambda kind: kind.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data(), sequence=u32)
def test_every_pdu_decodes_to_what_was_encoded(
    kind: type[Body], version: Version, data: st.DataObject, sequence: int
) -> None:
    body = data.draw(STRATEGIES[kind](version))
    wire = encode(body, sequence, version)
    assert int.from_bytes(wire[:4], "big") == len(wire)
    assert int.from_bytes(wire[4:8], "big") == body.command_id
    frame = decode(wire, version)
    assert frame.sequence_id == sequence
    assert frame.body == body


# Lengths from the specification's tables: header 12 + the body's fixed fields.
@pytest.mark.parametrize(
    ("body", "v20", "v30"),
    [
        (Connect("901234", b"\0" * 16, 0x30, 0), 39, 39),
        (ConnectResp(0, b"\0" * 16, 0x30), 30, 33),
        (ActiveTest(), 12, 12),
        (ActiveTestResp(), 13, 13),
        (Terminate(), 12, 12),
        (SubmitResp(1, 0), 21, 24),
        (DeliverResp(1, 0), 21, 24),
        (Cancel(1), 20, 20),
        (CancelResp(0), 13, 16),
        (Query("20261203", 0, ""), 39, 39),
        (QueryResp("20261203", 0, ""), 63, 63),
        # SUBMIT: 126 (2.0) / 151 (3.0) fixed bytes + 21 / 32 per number + the content
        (Submit(("13800138000",), b"hi"), 12 + 126 + 21 + 2, 12 + 151 + 32 + 2),
        # a status report in DELIVER: 73 / 97 fixed bytes + a 60 / 71-byte report
        (
            Deliver(1, "1065", "138", report=StatusReport(1, "DELIVRD", "", "", "138")),
            12 + 73 + 60,
            12 + 97 + 71,
        ),
    ],
)
def test_lengths_are_the_specifications(body: Body, v20: int, v30: int) -> None:
    assert len(encode(body, 1, Version.V20)) == v20
    assert len(encode(body, 1, Version.V30)) == v30

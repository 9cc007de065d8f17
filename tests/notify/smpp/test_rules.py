"""The SMPP client's pure rules: receipts, segment joining, the token bucket, settings, statuses."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from manyi.notify.smpp import SmppConfig, SmppConfigError
from manyi.notify.smpp.pdus import status_text
from manyi.notify.smpp.receipts import SegmentAssembler, is_receipt, parse_receipt, receipt_fields
from manyi.notify.smpp.throttle import TokenBucket

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEXT = (
    "id:0A1B2C sub:001 dlvrd:001 submit date:2612031015 done date:2612031016 stat:DELIVRD err:000 text:您好"
)


def test_receipt_text_fields_are_read() -> None:
    fields = receipt_fields(TEXT)
    assert fields["id"] == "0A1B2C"
    assert fields["done date"] == "2612031016"
    assert (fields["stat"], fields["err"], fields["text"]) == ("DELIVRD", "000", "您好")


def test_receipt_from_text_in_the_gateways_zone() -> None:
    receipt = parse_receipt(TEXT, receipted_id=None, message_state=None, zone=SHANGHAI)
    assert receipt is not None
    assert (receipt.gateway_id, receipt.delivered, receipt.status) == ("0A1B2C", True, "DELIVRD")
    assert receipt.at == datetime(2026, 12, 3, 2, 16, tzinfo=UTC)


def test_the_tlv_id_wins_over_the_text_id() -> None:
    # Some gateways print the id in decimal in the text while submit_sm_resp carried hex.
    receipt = parse_receipt("id:658220 stat:UNDELIV err:013", receipted_id="A0B2C", message_state=5, zone=UTC)
    assert receipt is not None
    assert (receipt.gateway_id, receipt.delivered, receipt.status, receipt.at) == (
        "A0B2C",
        False,
        "UNDELIV",
        None,
    )


def test_a_receipt_with_tlvs_only_takes_the_state_from_message_state() -> None:
    receipt = parse_receipt("", receipted_id="77", message_state=2, zone=UTC)
    assert receipt is not None and (receipt.status, receipt.delivered) == ("DELIVRD", True)
    expired = parse_receipt("", receipted_id="78", message_state=3, zone=UTC)
    assert expired is not None and (expired.status, expired.delivered) == ("EXPIRED", False)


def test_a_receipt_naming_no_message_is_none() -> None:
    assert parse_receipt("stat:DELIVRD", receipted_id=None, message_state=2, zone=UTC) is None


@pytest.mark.parametrize(
    ("done", "expected"),
    [
        ("2612031016", datetime(2026, 12, 3, 10, 16, tzinfo=UTC)),
        ("261203101659", datetime(2026, 12, 3, 10, 16, 59, tzinfo=UTC)),
        ("2613031016", None),  # month 13
        ("26120310", None),
        ("26120310a6", None),
    ],
)
def test_receipt_dates(done: str, expected: datetime | None) -> None:
    receipt = parse_receipt(
        f"id:1 done date:{done} stat:DELIVRD", receipted_id=None, message_state=None, zone=UTC
    )
    assert receipt is not None and receipt.at == expected


@pytest.mark.parametrize(
    ("esm_class", "receipt"),
    [(0x04, True), (0x44, True), (0x08, True), (0x20, True), (0x00, False), (0x40, False)],
)
def test_which_deliveries_are_receipts(esm_class: int, receipt: bool) -> None:
    assert is_receipt(esm_class) is receipt


def test_segments_join_in_any_order() -> None:
    assembler = SegmentAssembler()
    parts = {"sender": "8613900139000", "to": "10655", "reference": 9, "total": 3}
    assert assembler.add(**parts, number=3, text="丙") is None
    assert assembler.add(**parts, number=1, text="甲") is None
    assert assembler.add(**{**parts, "sender": "8613700137000"}, number=2, text="他人") is None
    assert assembler.add(**parts, number=2, text="乙") == "甲乙丙"
    assert assembler.pending == 1
    assert assembler.add(sender="1", to="2", reference=0, total=1, number=1, text="整条") == "整条"


def test_unfinished_messages_do_not_pile_up() -> None:
    moment = [0.0]
    assembler = SegmentAssembler(max_pending=2, max_age=60, clock=lambda: moment[0])
    for reference in range(3):
        assembler.add(sender="s", to="t", reference=reference, total=2, number=1, text="a")
    assert assembler.pending == 2  # the oldest made room
    moment[0] = 61
    assembler.add(sender="s", to="t", reference=9, total=2, number=1, text="a")
    assert assembler.pending == 1  # the stale ones expired
    # The evicted message's second half alone does not complete it.
    assert assembler.add(sender="s", to="t", reference=0, total=2, number=2, text="b") is None


def test_token_bucket_spaces_takers_at_the_rate() -> None:
    moment = [0.0]
    bucket = TokenBucket(rate=100, size=3, clock=lambda: moment[0])
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]  # the burst
    assert [round(bucket.reserve(), 6) for _ in range(3)] == [0.01, 0.02, 0.03]
    moment[0] = 1.0  # a quiet second refills only up to the size
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert round(bucket.reserve(), 6) == 0.01


def test_an_unthrottled_bucket_never_waits() -> None:
    bucket = TokenBucket(rate=0, size=1)
    assert all(bucket.reserve() == 0 for _ in range(1000))


def base(**overrides: object) -> dict[str, object]:
    return {"host": "smsc.example", "port": 2775, "system_id": "manyi", "password": "secret", **overrides}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"port": 0}, "port"),
        ({"system_id": ""}, "system_id"),
        ({"system_id": "x" * 16}, "system_id"),
        ({"system_type": "客服"}, "system_type"),
        ({"source_addr": "1" * 21}, "source_addr"),
        ({"window": 0}, "window"),
        ({"rate": -1}, "rate"),
        ({"source_ton": 19}, "source_ton"),
        ({"enquire_interval": 0}, "enquire_interval"),
        ({"throttle_retries": -1}, "throttle_retries"),
    ],
)
def test_settings_name_the_wrong_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(SmppConfigError) as caught:
        SmppConfig(**base(**overrides))  # type: ignore[arg-type]
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: expected")


def test_a_bad_password_is_named_but_never_shown() -> None:
    with pytest.raises(SmppConfigError) as caught:
        SmppConfig(**base(password="far-too-long-secret"))  # type: ignore[arg-type]
    assert caught.value.field == "password"
    assert "far-too-long-secret" not in str(caught.value)


def test_default_burst_is_a_tenth_of_a_second() -> None:
    assert SmppConfig(**base(rate=500)).bucket_size == 50  # type: ignore[arg-type]
    assert SmppConfig(**base(rate=5)).bucket_size == 1  # type: ignore[arg-type]
    assert SmppConfig(**base(rate=5, burst=4)).bucket_size == 4  # type: ignore[arg-type]


def test_statuses_read_as_words() -> None:
    assert status_text(0x0E) == "ESME_RINVPASWD (0x0000000E): invalid password"
    assert status_text(0x58) == "ESME_RTHROTTLED (0x00000058): throttled: over the agreed rate"
    assert status_text(0x0401) == "0x00000401"  # a vendor's own code


def test_sequence_numbers_wrap_within_smpp_range_and_keep_no_history() -> None:
    from manyi.notify.smpp import SmppClient

    client = SmppClient(SmppConfig(**base()))  # type: ignore[arg-type]
    assert [client._next_sequence() for _ in range(3)] == [1, 2, 3]
    client._sequence = 0x7FFFFFFE
    assert [client._next_sequence() for _ in range(3)] == [0x7FFFFFFF, 1, 2]
    # A regression: the numbers came from itertools.cycle, which stores every value it yields.
    assert not any(isinstance(value, itertools.cycle) for value in vars(client).values())

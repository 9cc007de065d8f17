"""The masking rules (manyi.core.masking): service numbers by product, phone and ID numbers inside
free text, search keys a role without pii:read may not use, and log lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from manyi.core.logging import mask_pii
from manyi.core.masking import (
    PiiSearchRefused,
    check_search,
    is_pii_key,
    mask_service_number,
    mask_text,
    mask_values,
)
from manyi.outbox.models import OutboxMessage


@pytest.mark.parametrize(
    ("number", "product", "shown"),
    [
        ("13812345678", "mobile", "138****5678"),
        ("1064812345678", "mobile", "106****5678"),  # an IoT line: still the line's number
        ("KD0571001", "broadband", "KD0571001"),  # an account number, no phone
        ("TV0000000001", "iptv", "TV0000000001"),
        ("13812345678", "broadband", "138****5678"),  # an account that is a phone number
        ("330106199001011234", "broadband", "330106********1234"),
        (None, "mobile", None),
    ],
)
def test_mask_service_number(number: str | None, product: str, shown: str | None) -> None:
    assert mask_service_number(number, product) == shown


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("客户来电，联系电话13812345678，请回拨", "客户来电，联系电话138****5678，请回拨"),
        ("回拨 139 8765 4321 或 +86 138-1234-5678", "回拨 139****4321 或 138****5678"),
        ("+8613812345678", "138****5678"),
        ("身份证330106199001011234。", "身份证330106********1234。"),
        ("证件 33010619900101123X", "证件 330106********123X"),
        # Not phone numbers: order numbers, customer numbers, tokens, card numbers, short numbers.
        ("GD20261122000123", "GD20261122000123"),
        ("C000000123", "C000000123"),
        ("token a13812345678b", "token a13812345678b"),
        ("6222021234567890123", "6222021234567890123"),
        ("10086", "10086"),
        ("2026-11-22T10:00:00Z", "2026-11-22T10:00:00Z"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_text(text: str | None, masked: str | None) -> None:
    assert mask_text(text) == masked


def test_mask_values_walks_json_and_leaves_keys() -> None:
    value = {"13812345678": ["a 13812345678", {"n": 7, "s": "330106199001011234"}], "t": ("13900001111",)}
    assert mask_values(value) == {
        "13812345678": ["a 138****5678", {"n": 7, "s": "330106********1234"}],
        "t": ("139****1111",),
    }


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("13812345678", True),
        ("138 1234 5678", True),
        ("+86 138-1234-5678", True),
        ("8613812345678", True),
        ("330106199001011234", True),
        ("33010619900101123x", True),
        ("张三", False),
        ("KD0571001", False),
        ("C0001", False),
        ("GD20261122000123", False),
        ("1381234567", False),  # not a full number: no key
    ],
)
def test_full_phone_and_id_numbers_are_no_search_key_without_pii(text: str, refused: bool) -> None:
    assert is_pii_key(text) is refused
    check_search(text, pii=True)  # never refused with the permission
    if refused:
        with pytest.raises(PiiSearchRefused) as raised:
            check_search(text, pii=False)
        assert raised.value.status == 403 and "pii:read" in raised.value.message
    else:
        check_search(text, pii=False)


def test_log_processor_masks_every_value() -> None:
    event = {
        "event": "outbox_delivered",
        "payload": {"text": "客户13812345678", "id": "330106199001011234"},
        "order_id": 5,
    }
    assert mask_pii(None, "info", event) == {
        "event": "outbox_delivered",
        "payload": {"text": "客户138****5678", "id": "330106********1234"},
        "order_id": 5,
    }


def test_the_worker_logs_masked_numbers(engine: Engine, session: Session) -> None:
    """End to end: the worker's log channel writes a message's payload to its JSON log, masked."""
    at = datetime.now(UTC) - timedelta(seconds=1)
    session.add(
        OutboxMessage(
            created_at=at,
            topic="sla.breach",
            channel="log",
            payload={"text": "请回拨客户 13812345678", "id_number": "330106199001011234"},
            dedupe_key="log-masking",
            available_at=at,
        )
    )
    session.commit()
    env = {**os.environ, "MANYI_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    run = subprocess.run(
        [sys.executable, "-m", "manyi.cli", "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    delivered = [line for line in run.stderr.splitlines() if "outbox_delivered" in line]
    assert len(delivered) == 1, run.stderr
    payload = json.loads(delivered[0])["payload"]
    assert payload == {"text": "请回拨客户 138****5678", "id_number": "330106********1234"}
    assert "13812345678" not in run.stderr and "330106199001011234" not in run.stderr

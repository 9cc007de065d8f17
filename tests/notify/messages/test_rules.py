"""The pure rules: quiet hours, opt-out words, de-duplication keys, daily limit, backoff, failover,
numbers; and templates (placeholders checked on save, sandbox, segment count in the preview)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from manyi.core.errors import ValidationFailed
from manyi.notify import rules, templates
from manyi.notify.gateways import parse_gateways

SHANGHAI = ZoneInfo("Asia/Shanghai")
CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("local", "released"),
    [
        ("2026-11-23 20:59", "2026-11-23 20:59"),
        ("2026-11-23 21:00", "2026-11-24 08:00"),
        ("2026-11-23 23:59", "2026-11-24 08:00"),
        ("2026-11-24 00:00", "2026-11-24 08:00"),
        ("2026-11-24 07:59", "2026-11-24 08:00"),
        ("2026-11-24 08:00", "2026-11-24 08:00"),
    ],
)
def test_quiet_hours_hold_until_eight(local: str, released: str) -> None:
    at = datetime.fromisoformat(local).replace(tzinfo=CST).astimezone(UTC)
    got = rules.release_at(at, zone=SHANGHAI, start=21 * 60, end=8 * 60, urgent=False)
    assert got.astimezone(CST).strftime("%Y-%m-%d %H:%M") == released
    assert rules.release_at(at, zone=SHANGHAI, start=21 * 60, end=8 * 60, urgent=True) == at


def test_quiet_window_within_a_day_and_none() -> None:
    assert rules.in_quiet_hours(13 * 60, 12 * 60, 14 * 60)
    assert not rules.in_quiet_hours(14 * 60, 12 * 60, 14 * 60)
    assert not rules.in_quiet_hours(3 * 60, 0, 0)


@pytest.mark.parametrize("text", ["TD", "td", " 退订 ", "T", "t。", "退订!", "【TD】"])
def test_opt_out_words(text: str) -> None:
    assert rules.is_opt_out(text)


@pytest.mark.parametrize("text", ["TD一下", "不要退订", "TT", "", "thanks"])
def test_not_opt_out(text: str) -> None:
    assert not rules.is_opt_out(text)


def test_dedupe_daily_limit_backoff_failover_numbers() -> None:
    key = rules.dedupe_key(channel="sms", address="8613800000000", text="a", day="2026-11-23")
    assert key == rules.dedupe_key(channel="sms", address="8613800000000", text="a", day="2026-11-23")
    assert key != rules.dedupe_key(channel="sms", address="8613800000000", text="a", day="2026-11-24")
    assert rules.over_daily_limit(5, 5, urgent=False) and not rules.over_daily_limit(4, 5, urgent=False)
    assert not rules.over_daily_limit(50, 5, urgent=True) and not rules.over_daily_limit(50, 0, urgent=False)
    assert [rules.backoff(a).total_seconds() for a in (1, 2, 3)] == [10, 20, 40]
    assert rules.backoff(40) == rules.MAX_BACKOFF
    assert [rules.gateway_for(a, 2, failover_after=2) for a in range(1, 8)] == [0, 0, 1, 1, 0, 0, 1]
    assert [rules.gateway_for(a, 1, failover_after=2) for a in range(1, 5)] == [0, 0, 0, 0]
    assert rules.normalise_msisdn("138 1234 5678") == "8613812345678"
    assert rules.normalise_msisdn("8613812345678") == "8613812345678"
    assert rules.normalise_msisdn("abc") is None
    assert rules.extension_for(123456, 4) == "3456" and rules.extension_for(7, 4) == "0007"


def test_template_placeholders_checked_on_save() -> None:
    templates.check_template("order.accepted", "{{ number }} 将于 {{ promised_at }} 前处理")
    with pytest.raises(ValidationFailed) as unknown:
        templates.check_template("order.accepted", "{{ numbr }}")
    assert unknown.value.field == "body" and "numbr" in unknown.value.message
    with pytest.raises(ValidationFailed) as broken:
        templates.check_template("order.accepted", "{{ number ")
    assert broken.value.field == "body"
    with pytest.raises(ValidationFailed) as event:
        templates.check_template("order.nothing", "x")
    assert event.value.field == "event"


def test_sandbox_refuses_reaching_python_internals() -> None:
    from jinja2.exceptions import SecurityError

    with pytest.raises(SecurityError):
        templates.render("{{ number.__class__.__mro__[1].__subclasses__() }}", {"number": "x"})


def test_every_built_in_template_is_valid_and_previews_with_segments() -> None:
    for (event, locale), body in templates.BUILT_IN.items():
        assert locale in templates.LOCALES
        preview = templates.preview(event, body, templates.SAMPLE_VALUES)
        assert preview.text and preview.segments >= 1
    long = templates.preview("order.resolved", "{{ number }}" + "字" * 100, templates.SAMPLE_VALUES)
    assert long.segments == 2


def test_gateway_urls() -> None:
    primary, backup = parse_gateways(
        "smpp://manyi:pw@10.0.0.1:2775?source_addr=10655&window=50&rate=100.5&name=primary,"
        "cmpp://901234:secret@10.0.0.2:7890?src_id=106571234&version=2.0"
    )
    assert (primary.name, primary.kind, primary.window) == ("primary", "smpp", 50)
    assert primary.config.rate == 100.5
    assert (backup.name, backup.kind) == ("gw2", "cmpp")
    assert parse_gateways("") == []
    for bad, field in [
        ("http://x:1", "notify_sms_gateways"),
        ("smpp://a:b@h:1?windw=3", "notify_sms_gateways"),
        ("smpp://a:b@h:1?window=x", "notify_sms_gateways"),
        ("smpp://a:b@h:1?window=0", "window"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            parse_gateways(bad)
        assert refused.value.field == field

"""Console: the notification admin, templates with preview and segment count (placeholders checked
on save), trigger switches per order type."""

from __future__ import annotations

from datetime import UTC, datetime

from manyi.notify.models import NotifyTemplate, TriggerSetting
from tests.fixtures.console import Console

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_template_admin_previews_checks_and_saves(console: Console) -> None:
    admin = console.user("admin")
    page = admin.get("/admin/notifications")
    assert page.status_code == 200
    assert 'data-segments="1"' in page.text and "GD20261203000042" in page.text  # the preview's sample
    bad = admin.post(
        "/admin/notifications/templates",
        {
            "event": "order.accepted",
            "channel": "sms",
            "body_zh-CN": "{{ numbr }}",
            "body_en": "{{ number }}",
            "quiet_start": "22:00",
            "quiet_end": "07:30",
        },
    )
    assert bad.status_code == 422 and "numbr" in bad.text
    assert console.session.query(NotifyTemplate).count() == 0
    console.session.rollback()  # SQLite: a reading transaction here holds the write lock
    long = "{{ number }}" + "您" * 80
    good = admin.post(
        "/admin/notifications/templates",
        {
            "event": "order.accepted",
            "channel": "sms",
            "body_zh-CN": long,
            "body_en": "Order {{ number }}",
            "quiet_start": "22:00",
            "quiet_end": "07:30",
        },
    )
    assert good.status_code == 303
    row = console.session.get(NotifyTemplate, ("order.accepted", "sms", "zh-CN"))
    assert row is not None and (row.quiet_start, row.quiet_end) == (22 * 60, 7 * 60 + 30)
    console.session.rollback()
    assert 'data-segments="2"' in admin.get("/admin/notifications").text
    assert (
        console.user("supervisor")
        .post("/admin/notifications/templates", {"event": "order.accepted", "channel": "sms"})
        .status_code
        == 403
    )


def test_trigger_switches(console: Console) -> None:
    admin = console.user("admin")
    on = [
        f"{event}|{kind}|{channel}"
        for event, channel in (
            ("order.accepted", "sms"),
            ("order.appointment", "sms"),
            ("order.resolved", "sms"),
            ("order.assigned", "inbox"),
        )
        for kind in (
            "complaint",
            "fault",
            "install",
            "remove",
            "move",
            "change",
            "inquiry",
            "callback",
            "proactiveCare",
        )
        if not (event == "order.accepted" and kind == "fault")
    ]
    saved = admin.post("/admin/notifications/triggers", {"on": on})
    assert saved.status_code == 303
    [row] = console.session.query(TriggerSetting).all()
    assert (row.event, row.order_type, row.channel, row.enabled) == ("order.accepted", "fault", "sms", False)
    console.session.rollback()
    assert 'value="order.accepted|fault|sms"' in admin.get("/admin/notifications").text
    bad = admin.post("/admin/notifications/triggers", {"on": ["order.nothing|fault|sms"]})
    assert bad.status_code == 422

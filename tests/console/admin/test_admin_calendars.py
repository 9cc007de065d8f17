"""Admin pages: calendars — a year's holidays and 调休 days, overrides (which move open orders'
deadlines), the missing-year banner and the schedule upload; rights. Plus the one browser test."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from manyi.calendars.models import CalendarOverride
from manyi.calendars.service import check_year
from manyi.orders.service import create_order
from manyi.sla.models import SlaClock
from tests.fixtures.console import Browser, Console, text_of

CST = timezone(timedelta(hours=8))
FRIDAY_EVENING = datetime(2026, 11, 20, 17, 30, tzinfo=CST)
CSV_2027 = "kind,name,start,end\nholiday,元旦,2027-01-01,2027-01-03\nworkday,春节调休,2027-02-06,\n"


def _open_order(console: Console) -> int:
    """A fault order opened on Friday 17:30: its first-contact limit (2 working hours) runs over the weekend."""
    op = console.operator
    order = create_order(
        console.session,
        type="fault",
        description="宽带断网",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
    )
    console.session.commit()
    return order.id


def _due(console: Console, order_id: int) -> datetime:
    clock = console.session.scalars(
        select(SlaClock).where(SlaClock.order_id == order_id, SlaClock.kind == "first_contact")
    ).one()
    due = clock.due_at
    console.session.rollback()
    return due.astimezone(CST)


def _overrides(console: Console) -> list[tuple[str, bool]]:
    rows = console.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)).all()
    out = [(r.day.isoformat(), r.working) for r in rows]
    console.session.rollback()
    return out


def test_year_view_shows_holidays_makeup_days_and_the_missing_year_banner(console: Console) -> None:
    admin = console.user("admin")
    page = admin.get("/admin/calendars/office?year=2026")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "2026-10-01" in text and "法定节假日" in text and "调休上班" in text
    assert "尚未录入 2027 年法定节假日安排" in text  # next year's schedule is missing
    assert 'id="upload"' in page.text and 'enctype="multipart/form-data"' in page.text
    assert "尚未录入 2027 年" in text_of(admin.get("/admin").text)
    assert "2026-10-01" not in text_of(admin.get("/admin/calendars/office?year=2025").text)
    assert admin.get("/admin/calendars/mars").status_code == 404


def test_readers_look_but_cannot_change_calendars(console: Console) -> None:
    supervisor, agent = console.user("supervisor"), console.user("agent")
    page = supervisor.get("/admin/calendars/office")
    assert page.status_code == 200 and 'id="upload"' not in page.text
    refused = supervisor.post("/admin/calendars/office/overrides", data={"day": "2026-11-21", "working": "1"})
    assert refused.status_code == 403
    upload = supervisor.post(
        "/admin/calendars/office/schedule",
        data={"upload_year": "2027"},
        files={"file": ("2027.csv", CSV_2027.encode(), "text/csv")},
    )
    assert upload.status_code == 403
    assert agent.get("/admin/calendars").status_code == 403
    assert _overrides(console) == []


def test_a_tiaoxiu_working_day_moves_an_open_orders_deadline_and_removing_it_moves_it_back(
    console: Console,
) -> None:
    with time_machine.travel(FRIDAY_EVENING, tick=True):
        admin = console.user("admin", username="admin_cal")
        order_id = _open_order(console)
        before = _due(console, order_id)
        assert before.date().isoformat() == "2026-11-23"  # Monday
        added = admin.post(
            "/admin/calendars/office/overrides",
            data={"day": "2026-11-21", "working": "1", "hours": "", "reason": "调休"},
        )
        assert added.status_code == 303, added.text
        # the fault's two clocks (first contact, resolution) both cross the Saturday
        assert "已重算 2 个在途工单时限" in text_of(admin.get(added.headers["location"]).text)
        moved = _due(console, order_id)
        assert moved.date().isoformat() == "2026-11-21" and moved < before
        assert _overrides(console) == [("2026-11-21", True)]
        removed = admin.post("/admin/calendars/office/overrides/2026-11-21/delete")
        assert removed.status_code == 303
        assert _due(console, order_id) == before and _overrides(console) == []


def test_a_second_special_date_on_a_date_is_refused_until_replace_is_ticked(console: Console) -> None:
    with time_machine.travel(FRIDAY_EVENING, tick=True):
        admin = console.user("admin", username="admin_replace")
        order_id = _open_order(console)
        first = {"day": "2026-11-21", "working": "1", "hours": "", "reason": "调休"}
        assert admin.post("/admin/calendars/office/overrides", data=first).status_code == 303
        saturday_due = _due(console, order_id)
        closed = {"day": "2026-11-21", "working": "0", "hours": "", "reason": "停电"}
        refused = admin.post("/admin/calendars/office/overrides", data=closed)
        assert refused.status_code == 422 and 'id="day-error"' in refused.text
        text = text_of(refused.text)
        assert "2026-11-21 已有特殊日期（上班 常规时段 · 调休）" in text and "替换已有的特殊日期" in text
        assert _overrides(console) == [("2026-11-21", True)] and _due(console, order_id) == saturday_due
        replaced = admin.post("/admin/calendars/office/overrides", data={**closed, "replace": "1"})
        assert replaced.status_code == 303, replaced.text
        assert "特殊日期已替换" in text_of(admin.get(replaced.headers["location"]).text)
        assert _overrides(console) == [("2026-11-21", False)]
        assert _due(console, order_id).date().isoformat() == "2026-11-23"
        again = admin.post("/admin/calendars/office/overrides", data=closed)  # the same: nothing to replace
        assert again.status_code == 303
        assert "未作改动" in text_of(admin.get(again.headers["location"]).text)


def test_the_order_page_says_why_a_deadline_moved(console: Console) -> None:
    with time_machine.travel(FRIDAY_EVENING, tick=True):
        admin = console.user("admin", username="admin_why")
        order_id = _open_order(console)
        admin.post("/admin/calendars/office/overrides", data={"day": "2026-11-21", "working": "1"})
        from manyi.orders.models import WorkOrder

        number = console.session.get(WorkOrder, order_id).number  # type: ignore[union-attr]
        console.session.rollback()
        page = text_of(console.user("supervisor").get(f"/orders/{number}").text)
        assert "时限已重算" in page and "首次联系 · 日历 office：设置特殊日期 2026-11-21" in page
        assert "到期时间" in page and "2026-11-23 10:30" in page and "2026-11-21 10:30" in page


def test_bad_override_input_is_shown_next_to_the_field_and_changes_nothing(console: Console) -> None:
    admin = console.user("admin")
    bad_date = admin.post("/admin/calendars/office/overrides", data={"day": "2026-13-01", "working": "1"})
    assert bad_date.status_code == 422 and 'id="day-error"' in bad_date.text and "YYYY-MM-DD" in bad_date.text
    hours = admin.post(
        "/admin/calendars/office/overrides", data={"day": "2026-11-21", "working": "1", "hours": "9-12"}
    )
    assert hours.status_code == 422 and 'id="hours-error"' in hours.text and 'value="9-12"' in hours.text
    off = admin.post(
        "/admin/calendars/office/overrides",
        data={"day": "2026-11-21", "working": "0", "hours": "09:00-12:00"},
    )
    assert off.status_code == 422 and "停工日没有工作时段" in off.text
    late = admin.post(
        "/admin/calendars/office/overrides",
        data={"day": "2026-11-21", "working": "1", "hours": "25:00-26:00"},
    )
    assert late.status_code == 422 and 'id="hours-error"' in late.text
    old = admin.post("/admin/calendars/office/overrides", data={"day": "1999-01-01", "working": "0"})
    assert old.status_code == 422 and 'id="day-error"' in old.text
    assert _overrides(console) == []


def test_upload_a_year_file_bad_lines_are_named_and_load_nothing(console: Console) -> None:
    admin = console.user("admin")
    bad = CSV_2027 + "holday,清明,2027-04-05,\n"
    refused = admin.post(
        "/admin/calendars/office/schedule",
        data={"upload_year": "2027"},
        files={"file": ("2027.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 422 and 'id="file-error"' in refused.text
    assert "CSV line 4" in refused.text
    assert not check_year(console.session, year=2027).loaded
    console.session.rollback()
    loaded = admin.post(
        "/admin/calendars/office/schedule",
        data={"upload_year": "2027"},
        files={"file": ("2027.csv", CSV_2027.encode(), "text/csv")},
    )
    assert loaded.status_code == 303, loaded.text
    check = check_year(console.session, year=2027)
    console.session.rollback()
    assert check.loaded and check.holidays == 3 and check.workdays == 1
    page = text_of(admin.get("/admin/calendars/office?year=2027").text)
    assert "尚未录入 2027 年法定节假日安排" not in page and "春节调休" in page


def test_reloading_a_year_moves_deadlines_that_were_not_provisional(console: Console) -> None:
    admin = console.user("admin", username="admin_reload")
    upload = {"upload_year": "2027"}
    first = admin.post(
        "/admin/calendars/office/schedule",
        data=upload,
        files={"file": ("2027.csv", CSV_2027.encode(), "text/csv")},
    )
    assert first.status_code == 303, first.text
    op = console.operator
    order = create_order(
        console.session,
        type="fault",
        description="宽带断网",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        at=datetime(2027, 1, 4, 17, 0, tzinfo=CST),
    )
    console.session.commit()
    resolution = console.session.scalars(
        select(SlaClock).where(SlaClock.order_id == order.id, SlaClock.kind == "resolution")
    ).one()
    assert not resolution.provisional and resolution.due_at == datetime(2027, 1, 7, 18, 0, tzinfo=CST)
    console.session.rollback()
    corrected = CSV_2027 + "holiday,补休,2027-01-06,\n"
    again = admin.post(
        "/admin/calendars/office/schedule",
        data=upload,
        files={"file": ("2027.csv", corrected.encode(), "text/csv")},
    )
    assert again.status_code == 303, again.text
    assert "其中 1 个到期时间有变" in text_of(admin.get(again.headers["location"]).text)
    moved = console.session.get(SlaClock, resolution.id)
    assert moved is not None and moved.due_at == datetime(2027, 1, 8, 18, 0, tzinfo=CST)
    console.session.rollback()


@pytest.mark.slow
def test_browser_admin_adds_a_tiaoxiu_day_and_the_deadline_moves(console: Console, browser: Browser) -> None:
    with time_machine.travel(FRIDAY_EVENING, tick=True):
        admin = console.user("admin", username="admin_browser")
        order_id = _open_order(console)
        before = _due(console, order_id)
        pg = browser.page_for(admin, lang="zh_CN")
        pg.goto("/admin")
        browser.screenshot(pg, "admin-index")
        for name in ("users", "teams", "routing", "sla", "categories"):
            pg.goto(f"/admin/{name}")
            browser.screenshot(pg, f"admin-{name}")
        pg.goto("/admin/calendars/office")
        pg.get_by_label("日期", exact=True).fill("2026-11-21")
        pg.get_by_label("类型", exact=True).select_option("1")
        pg.get_by_label("原因").fill("调休")
        pg.get_by_role("button", name="添加特殊日期").click()
        pg.get_by_role("status").wait_for()
        assert "已重算" in pg.get_by_role("status").inner_text()
        browser.screenshot(pg, "admin-calendar")
        after = _due(console, order_id)
        assert after < before and after.date().isoformat() == "2026-11-21"

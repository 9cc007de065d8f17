"""The supervisor page: rights, region scope, counts, watch lists, timeliness, escalations for me,
the holiday banner, and (in Chromium) the Plotly chart moving after an order is resolved on time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import delete

from manyi.calendars.models import HolidayYear
from manyi.console.supervisor import queries as stats
from manyi.core.clock import now
from manyi.core.settings import get_settings
from manyi.orders import service
from manyi.orders.models import WorkOrder
from manyi.orders.queries import EVERYONE, Viewer
from manyi.org.models import User
from manyi.sla.models import SlaClock
from manyi.sla.tasks import sweep_due_clocks
from tests.fixtures.console import Browser, Console, text_of

CST = timezone(timedelta(hours=8))
MONDAY_10 = datetime(2026, 11, 2, 10, 0, tzinfo=CST)  # November: next year's schedule is due
HANGZHOU, NINGBO = "330100", "330200"


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(MONDAY_10, tick=False):
        yield


def _order(console: Console, type_: str, region: str, at: datetime, **kwargs: object) -> WorkOrder:
    return service.create_order(
        console.session,
        type=type_,
        description=f"{type_} in {region}",
        channel="hotline",
        region_code=region,
        actor_id=console.operator.agent.id,
        at=at,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("role", ["supervisor", "branch_manager", "admin", "inspector", "auditor"])
def test_the_watching_roles_may_open_the_page(console: Console, frozen: None, role: str) -> None:
    response = console.user(role).get("/supervisor")
    assert response.status_code == 200, response.text
    assert "timeliness-data" in response.text
    assert console.user(role).get("/supervisor/live").status_code == 200


@pytest.mark.parametrize("role", ["agent", "dispatcher", "technician", "complaint_handler", "partner"])
def test_other_roles_are_refused(console: Console, frozen: None, role: str) -> None:
    staff = console.user(role)
    assert staff.get("/supervisor").status_code == 403
    assert staff.get("/supervisor/live").status_code == 403


def test_signed_out_goes_to_login(console: Console) -> None:
    response = console.anonymous().get("/supervisor", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_counts_by_team_and_status_only_in_my_regions(console: Console, frozen: None) -> None:
    op = console.operator
    start = MONDAY_10 - timedelta(minutes=30)
    faults = [_order(console, "fault", "330106", start) for _ in range(3)]  # routed to the field team
    _order(console, "inquiry", "330106", start)  # back office
    ningbo = _order(console, "complaint", NINGBO, start)  # back office, another city
    service.transition_order(console.session, order_id=faults[0].id, action="contact", at=MONDAY_10)
    service.transition_order(
        console.session, order_id=faults[1].id, action="reject", reason="重复", at=MONDAY_10
    )
    console.session.commit()

    table = stats.open_counts(console.session, viewer=Viewer(regions=frozenset({"330100", "330106"})))
    assert table.cell(op.field_team.id, "acknowledged") == 1
    assert table.cell(op.field_team.id, "inProgress") == 1
    assert table.cell(op.back_office.id, "acknowledged") == 1
    assert table.team_totals == {op.field_team.id: 2, op.back_office.id: 1} and table.total == 3
    assert stats.open_counts(console.session, viewer=EVERYONE).total == 4  # the rejected one is not open
    console.session.rollback()

    hangzhou = console.user("supervisor", regions=(HANGZHOU,)).get("/supervisor")
    page = text_of(hangzhou.text)
    assert 'id="counts-total"><strong>3<' in hangzhou.text
    assert "西湖装维班" in page and "后台受理组" in page
    assert ningbo.number not in hangzhou.text
    everywhere = console.user("supervisor").get("/supervisor/live")
    assert 'id="counts-total"><strong>4<' in everywhere.text
    assert "<html" not in everywhere.text  # a fragment, for the refresh


def test_breached_and_about_to_breach_lists(console: Console, frozen: None) -> None:
    old = _order(console, "fault", "330106", MONDAY_10 - timedelta(days=3))  # first contact long overdue
    soon = _order(console, "fault", "330106", MONDAY_10 - timedelta(minutes=30))  # first contact at 11:30
    later = _order(console, "fault", "330106", MONDAY_10)  # first contact at 12:00: not within 2 h...
    far_ningbo = _order(console, "fault", NINGBO, MONDAY_10 - timedelta(days=3))
    sweep_due_clocks(console.session, at=MONDAY_10)
    console.session.commit()

    html = console.user("supervisor", regions=(HANGZHOU,)).get("/supervisor").text
    assert 'id="breached-total">1<' in html
    breached = html.split('id="breached-table"')[1].split("</table>")[0]
    assert old.number in breached and far_ningbo.number not in breached
    assert 'class="clock breached"' in breached and "-" in text_of(breached)
    soon_table = html.split('id="soon-table"')[1].split("</table>")[0]
    assert soon.number in soon_table and f'href="/orders/{soon.number}"' in soon_table
    assert 'class="clock ok"' in soon_table or 'class="clock warning"' in soon_table
    assert later.number in soon_table  # 12:00 is exactly 2 h away: included
    assert old.number not in soon_table
    assert 'id="soon-total">2<' in html


def test_timeliness_table_and_chart_data_by_team(console: Console, frozen: None) -> None:
    # Sunday's inquiry answered in time, a fault whose first contact passed unmet at 09:00 today.
    answered = _order(console, "inquiry", "330106", MONDAY_10 - timedelta(hours=1))
    service.transition_order(
        console.session, order_id=answered.id, action="resolve", resolution_code="answered", at=MONDAY_10
    )
    _order(console, "fault", "330106", datetime(2026, 10, 30, 16, 30, tzinfo=CST))  # due Mon 10:00... met? no
    console.session.commit()
    html = console.user("supervisor", regions=(HANGZHOU,)).get("/supervisor").text
    table = html.split('id="timeliness-table"')[1].split("</table>")[0]
    assert "后台受理组" in table and "100.0%" in table and "1 / 1" in table  # the inquiry, once
    # The fault's late first contact is a stage of its own, not part of the headline.
    assert "西湖装维班" not in table
    stages = html.split('id="stages-table"')[1].split("</table>")[0]
    first_contact = stages.split('data-kind="first_contact"')[1].split("</tbody>")[0]
    assert "首次联系" in first_contact and "西湖装维班" in first_contact and "0.0%" in first_contact
    assert "后台受理组" in first_contact and "50.0%" in text_of(first_contact)  # 1 of 2 overall
    assert '"teams": ["后台受理组"]' in html and '"target": 96' in html


def test_escalations_for_me_only_and_in_my_regions(console: Console, frozen: None) -> None:
    lead = console.user("supervisor", regions=(HANGZHOU,), username="lead_hz")
    other = console.user("supervisor", username="lead_other")
    op = console.operator
    team = console.session.get(type(op.field_team), op.field_team.id)
    assert team is not None
    team.lead_user_id = lead.user.id
    order = _order(console, "fault", "330106", MONDAY_10 - timedelta(days=3))
    console.session.commit()
    sweep_due_clocks(console.session, at=MONDAY_10)  # the breach goes to the team lead
    console.session.commit()

    mine = console.user("supervisor", regions=(HANGZHOU,), username="lead_hz").get("/supervisor").text
    section = mine.split('id="escalations-h"')[1]
    assert order.number in section and "超时" in text_of(section)
    theirs = other.get("/supervisor").text.split('id="escalations-h"')[1]
    assert order.number not in theirs and "没有" in text_of(theirs)
    # Once the order is out of my regions, its alerts are not shown to me either.
    moved = console.session.get(WorkOrder, order.id)
    assert moved is not None
    moved.region_code = NINGBO
    console.session.commit()
    assert order.number not in lead.get("/supervisor").text.split('id="escalations-h"')[1]
    assert isinstance(lead.user, User)


def test_banner_when_next_year_is_missing(console: Console, frozen: None) -> None:
    console.session.execute(delete(HolidayYear).where(HolidayYear.year == 2027))
    console.session.commit()
    admin = console.user("admin")
    page = text_of(admin.get("/supervisor").text)
    assert "2027 年节假日安排尚未导入" in page and "manyi calendar load-year 2027 FILE" in page
    assert 'href="/admin/calendars"' in admin.get("/supervisor").text
    assert "临时时限的在途工单：0" in page
    english = console.user("supervisor", lang="en").get("/supervisor").text
    assert "The 2027 holiday schedule is not loaded." in english
    assert 'href="/admin/calendars"' not in english  # only an admin can load it from the console

    console.session.add(HolidayYear(year=2027, source="admin"))
    console.session.commit()
    assert 'id="holiday-banner"' not in admin.get("/supervisor").text


def test_no_banner_in_spring_unless_a_deadline_is_provisional(console: Console) -> None:
    console.session.execute(delete(HolidayYear).where(HolidayYear.year == 2027))
    console.session.commit()
    with time_machine.travel(datetime(2026, 4, 8, 10, 0, tzinfo=CST), tick=False):
        assert 'id="holiday-banner"' not in console.user("supervisor").get("/supervisor").text
        order = _order(console, "install", "330106", now())
        console.session.get(WorkOrder, order.id).sla_provisional = True  # type: ignore[union-attr]
        console.session.commit()
        html = console.user("supervisor").get("/supervisor").text
        assert 'id="holiday-banner"' in html and "临时时限的在途工单：1" in text_of(html)


def test_browser_chart_and_timeliness_moving(console: Console, browser: Browser) -> None:
    """Chromium draws the Plotly chart from the embedded data; an order resolved on time moves the
    back office's figure for today from 1 of 2 orders on time to 2 of 3 once the kept figures expire."""
    evening = MONDAY_10 + timedelta(hours=9)  # 19:00
    with time_machine.travel(evening, tick=True) as traveller:
        late = _order(console, "inquiry", "330106", datetime(2026, 10, 30, 16, 30, tzinfo=CST))  # 18:00 today
        done = _order(console, "inquiry", "330106", evening - timedelta(minutes=20))
        service.transition_order(
            console.session, order_id=done.id, action="resolve", resolution_code="answered", at=now()
        )
        waiting = _order(console, "inquiry", "330106", evening - timedelta(minutes=15))
        console.session.commit()
        staff = console.user("supervisor", regions=(HANGZHOU,))
        pg = browser.page_for(staff, lang="zh_CN")
        pg.goto("/supervisor")
        pg.locator("#timeliness-chart svg.main-svg").first.wait_for()
        assert "50.0%" in pg.locator("#timeliness-table").inner_text()
        # Not yet flagged by the sweep, but its first contact is already late and counted so.
        assert late.number not in pg.locator("#live").inner_text()

        service.transition_order(
            console.session, order_id=waiting.id, action="resolve", resolution_code="answered", at=now()
        )
        console.session.commit()
        traveller.shift(timedelta(seconds=get_settings().supervisor_figures_seconds))
        pg.reload()
        pg.locator("#timeliness-chart svg.main-svg").first.wait_for()
        row = pg.locator("#timeliness-table tr", has_text="后台受理组").first
        assert "66.7%" in row.inner_text() and "2 / 3" in row.inner_text()
        assert "66.7%" in pg.locator("#timeliness-chart").inner_text()  # the bar's label in the SVG
        browser.screenshot(pg, "supervisor")


def test_team_timeliness_equals_the_figure_worked_out_by_hand(console: Console) -> None:
    """Done-when of timeliness (工单处理及时率): orders of the West Lake crew over three weeks --
    on time, late (met late, and still open past its deadline), one transferred away mid-way, one
    transferred to it, one re-opened by an unhappy callback -- and the supervisor's figures for the
    crew equal the count by hand below: each order once, on its resolution limit, for the team that
    held it when it was resolved or fell due. The page is also looked at mid-way (summing the days
    so far), so the re-opened order's first outcome is in a stored daily sum before it is resolved
    again, and must still count once."""
    session, op = console.session, console.operator
    crew, office = op.field_team.id, op.back_office.id

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 11, day, hour, minute, tzinfo=CST)

    def make(type_: str, when: datetime) -> WorkOrder:
        return _order(console, type_, "330106", when)  # faults go to the crew, inquiries to the office

    def act(o: WorkOrder, action: str, when: datetime) -> None:
        seat = op.callback_seat.id if action.startswith("callback") else None
        service.transition_order(
            session, order_id=o.id, action=action, resolution_code="fixed", at=when, actor_id=seat
        )

    # Resolution limits: faults 3 working days (close of business), inquiries 1 working day.
    on_time = make("fault", at(9, 10))  # due Thu 12th 18:00
    act(on_time, "contact", at(9, 10, 30))
    act(on_time, "resolve", at(10, 11))
    met_late = make("fault", at(10, 10))  # due Fri 13th 18:00
    act(met_late, "contact", at(10, 11))
    act(met_late, "resolve", at(16, 10))
    open_late = make("fault", at(12, 10))  # due Tue 17th 18:00, still open
    act(open_late, "contact", at(12, 10, 30))
    away = make("fault", at(11, 10))  # the crew made contact, the back office resolved it
    act(away, "contact", at(11, 10, 20))
    service.transfer_order(session, order_id=away.id, team_id=office, at=at(11, 14))
    act(away, "resolve", at(12, 10))
    reopened = make("fault", at(16, 10))  # due Thu 19th 18:00
    act(reopened, "contact", at(16, 10, 30))
    act(reopened, "resolve", at(17, 10))
    act(reopened, "callback_unsatisfied", at(17, 15))
    on_time_2 = make("fault", at(16, 9, 30))
    act(on_time_2, "contact", at(16, 10))
    act(on_time_2, "resolve", at(18, 11))
    towards = make("inquiry", at(17, 10))  # due Wed 18th 18:00; the crew answers it
    service.transfer_order(session, order_id=towards.id, team_id=crew, at=at(17, 11))
    session.commit()
    hangzhou = console.user("supervisor", regions=(HANGZHOU,))
    with time_machine.travel(at(18, 12), tick=False):
        assert hangzhou.get("/supervisor").status_code == 200  # sums 1-17 November
    act(towards, "resolve", at(18, 17))
    today = make("fault", at(19, 10))
    act(today, "contact", at(19, 10, 30))
    act(reopened, "resolve", at(20, 15))  # again, and now after its (shifted) deadline
    act(today, "resolve", at(20, 16))
    session.commit()
    assert session.get(SlaClock, _clock_id(session, reopened.id, "resolution")).breached  # type: ignore[union-attr]
    session.rollback()  # the page's request sums the days: no transaction of ours in its way

    # By hand: (order, team credited with its resolution, on time?), counted in November.
    by_hand = [
        (on_time, crew, True),  # resolved the 10th, due the 12th
        (met_late, crew, False),  # due the 13th, resolved the 16th: late, on the 13th
        (open_late, crew, False),  # due the 17th, still open: late
        (away, office, True),  # resolved by the back office after the transfer
        (reopened, crew, True),  # first resolved the 17th in time; its second run does not count again
        (on_time_2, crew, True),
        (towards, crew, True),  # transferred to the crew, answered in time
        (today, crew, True),  # resolved today
    ]
    mine = [ok for _o, team, ok in by_hand if team == crew]
    expected_month = f"{100 * sum(mine) / len(mine):.1f}%"  # 5 of 7: 71.4%
    with time_machine.travel(at(20, 17), tick=False):
        html = hangzhou.get("/supervisor").text
    row = next(
        r
        for r in html.split('id="timeliness-table"')[1].split("</table>")[0].split("<tr")
        if "西湖装维班" in r
    )
    cells = text_of(row)
    assert expected_month == "71.4%"
    assert f"{sum(mine)} / {len(mine)}" in cells and expected_month in cells
    assert "1 / 1" in cells and "100.0%" in cells  # today: the one resolved today
    office_row = next(
        r
        for r in html.split('id="timeliness-table"')[1].split("</table>")[0].split("<tr")
        if "后台受理组" in r
    )
    assert "1 / 1" in text_of(office_row)  # the order transferred away
    # The crew's first contacts, a stage apart: the one it made before transferring that order away
    # counts for it, and so does the late one of the inquiry it took over before that deadline.
    first_contact = html.split('data-kind="first_contact"')[1].split("</tbody>")[0]
    crew_contacts = next(r for r in first_contact.split("<tr") if "西湖装维班" in r)
    assert "7 / 8" in text_of(crew_contacts)


def _clock_id(session: object, order_id: int, kind: str) -> int:
    from sqlalchemy import select as _select

    return session.scalar(  # type: ignore[attr-defined,no-any-return]
        _select(SlaClock.id).where(SlaClock.order_id == order_id, SlaClock.kind == kind)
    )

"""Admin API: calendars, overrides, the national schedule (load-year over HTTP) and deadline arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import time_machine

from manyi.calendars.service import check_year
from tests.api.admin_client import V1, get, new_ticket, post, ticket
from tests.fixtures.api import Api

CST = timezone(timedelta(hours=8))
EXAMPLE_2027 = Path(__file__).parents[2] / "docs" / "examples" / "2027.yaml"


def put(api: Api, path: str, body: Any, role: str = "admin", **headers: str) -> Any:
    return api.client.put(V1 + path, json=body, headers={**api.headers(role), **headers})


def put_schedule(api: Api, year: int, text: str, media: str = "application/yaml") -> Any:
    headers = {**api.headers("admin"), "Content-Type": media}
    return api.client.put(f"{V1}/calendars/schedule/{year}", content=text.encode(), headers=headers)


def due(api: Api, start: str, **limit: Any) -> Any:
    return get(api, "/calendars/office/add", start=start, **limit)


def test_calendars_show_weekly_hours_and_a_years_holidays(api: Api) -> None:
    listed = get(api, "/calendars", role="auditor")
    assert listed.status_code == 200, listed.text
    assert [c["name"] for c in listed.json()] == ["24x7", "office"]
    office = get(api, "/calendars/office", year=2026)
    assert office.status_code == 200 and office.headers["etag"] == '"1"'
    body = office.json()
    assert body["weeklyHours"]["monday"] == [
        {"start": "09:00", "end": "12:00"},
        {"start": "13:30", "end": "18:00"},
    ]
    assert body["weeklyHours"]["sunday"] == []
    schedule = body["schedule"]
    assert schedule["year"] == 2026 and schedule["loaded"] and schedule["source"] == "chinesecalendar"
    days = {d["date"]: d for d in schedule["days"]}
    assert days["2026-10-01"]["kind"] == "holiday"
    assert any(d["kind"] == "workday" for d in schedule["days"])  # 调休 make-up days
    assert len(days) == schedule["holidays"] + schedule["workdays"]
    later = get(api, "/calendars/office", year=2027).json()["schedule"]
    assert not later["loaded"] and later["days"] == []
    assert get(api, "/calendars/mars").status_code == 404
    assert get(api, "/calendars/office", year=1999).status_code == 400
    assert get(api, "/calendars", role="technician").status_code == 403


def test_an_override_moves_the_answer_of_the_add_endpoint(api: Api) -> None:
    friday = "2026-11-20T17:30:00+08:00"
    first = due(api, friday, workingHours=2)
    assert first.status_code == 200, first.text
    assert first.json()["due"] == "2026-11-23T10:30:00+08:00" and not first.json()["provisional"]

    stale = put(api, "/calendars/office/overrides/2026-11-21", {"working": True}, **{"If-Match": '"0"'})
    assert stale.status_code == 412
    saturday = put(
        api,
        "/calendars/office/overrides/2026-11-21",
        {"working": True, "reason": "调休"},
        **{"If-Match": '"1"'},
    )
    assert saturday.status_code == 200, saturday.text
    assert saturday.json()["working"] and saturday.headers["etag"] == '"2"'
    assert due(api, friday, workingHours=2).json()["due"] == "2026-11-21T10:30:00+08:00"
    same = put(api, "/calendars/office/overrides/2026-11-21", {"working": True, "reason": "调休"})
    assert same.status_code == 200 and not same.json()["replaced"] and same.headers["etag"] == '"2"'
    one_hour = {"working": True, "hours": [{"start": "10:00", "end": "11:00"}]}
    refused = put(api, "/calendars/office/overrides/2026-11-21", one_hour)
    assert refused.status_code == 409 and refused.json()["code"] == "override_exists"
    assert (
        "working, usual hours (调休)" in refused.json()["message"]
        and "replace=true" in refused.json()["message"]
    )
    assert due(api, friday, workingHours=2).json()["due"] == "2026-11-21T10:30:00+08:00"  # unchanged
    short = put(api, "/calendars/office/overrides/2026-11-21?replace=true", one_hour)
    assert short.status_code == 200, short.text
    assert short.json()["hours"] == [{"start": "10:00", "end": "11:00"}] and short.json()["replaced"]
    assert short.json()["previous"] == {
        "date": "2026-11-21",
        "working": True,
        "hours": None,
        "reason": "调休",
    }
    assert due(api, friday, workingHours=2).json()["due"] == "2026-11-23T09:30:00+08:00"
    shown = get(api, "/calendars/office", year=2026).json()["overrides"]
    assert shown == [{"date": "2026-11-21", "working": True, "hours": short.json()["hours"], "reason": ""}]

    removed = api.client.delete(f"{V1}/calendars/office/overrides/2026-11-21", headers=api.headers("admin"))
    assert removed.status_code == 200 and removed.json()["deleted"]
    assert due(api, friday, workingHours=2).json()["due"] == "2026-11-23T10:30:00+08:00"
    again = api.client.delete(f"{V1}/calendars/office/overrides/2026-11-21", headers=api.headers("admin"))
    assert again.status_code == 404

    closed_with_hours = {"working": False, "hours": [{"start": "10:00", "end": "11:00"}]}
    assert put(api, "/calendars/office/overrides/2026-11-21", closed_with_hours).status_code == 422
    assert put(api, "/calendars/office/overrides/2026-13-01", {"working": False}).status_code == 400
    assert put(api, "/calendars/office/overrides/1999-01-01", {"working": False}).status_code == 422
    bad_hours = {"working": True, "hours": [{"start": "25:00", "end": "26:00"}]}
    assert put(api, "/calendars/office/overrides/2026-11-21", bad_hours).status_code == 400
    agent = put(api, "/calendars/office/overrides/2026-11-21", {"working": False}, role="supervisor")
    assert agent.status_code == 403


def test_closing_the_due_day_moves_an_open_orders_deadline(api: Api) -> None:
    number = new_ticket(api).json()["id"]
    before = ticket(api, number)["expectedResolutionDate"]
    due_day = datetime.fromisoformat(before.replace("Z", "+00:00")).astimezone(CST).date()
    response = put(api, f"/calendars/office/overrides/{due_day}", {"working": False, "reason": "台风停工"})
    assert response.status_code == 200, response.text
    assert response.json()["recomputedClocks"] >= 1
    after = ticket(api, number)["expectedResolutionDate"]
    assert after > before
    assert datetime.fromisoformat(after.replace("Z", "+00:00")).astimezone(CST).date() > due_day


def test_arithmetic_endpoints(api: Api) -> None:
    assert due(api, "2026-11-20T17:30:00+08:00", workingDays=1).json()["due"] == "2026-11-23T18:00:00+08:00"
    natural = get(api, "/calendars/24x7/add", start="2026-11-20T17:30:00+08:00", naturalHours=24.5)
    assert natural.json()["due"] == "2026-11-21T18:00:00+08:00"
    assert due(api, "2026-11-20T17:30:00+08:00").status_code == 400  # no amount
    assert due(api, "2026-11-20T17:30:00+08:00", workingHours=1, workingDays=1).status_code == 400
    assert due(api, "2026-11-20T17:30:00", workingHours=1).status_code == 400  # no offset
    assert due(api, "2026-11-20T17:30:00+08:00", workingDays=0).status_code == 400
    assert due(api, "1999-11-20T17:30:00+08:00", workingHours=1).status_code == 422
    between = get(
        api, "/calendars/office/between", start="2026-11-20T17:00:00+08:00", end="2026-11-23T10:00:00+08:00"
    )
    assert between.status_code == 200, between.text
    assert between.json()["workingSeconds"] == 7200 and between.json()["workingHours"] == 2.0


def test_load_a_year_over_http_recomputes_provisional_clocks(api: Api) -> None:
    start = "2026-12-31T17:00:00+08:00"
    # New Year's Eve: tokens are issued then too, so they have not expired.
    with time_machine.travel(datetime(2026, 12, 31, 9, 0, tzinfo=CST)):
        missing = due(api, start, workingHours=2)
        assert missing.status_code == 409 and missing.json()["code"] == "calendar_data_missing"
        guess = due(api, start, workingHours=2, allowProvisional="true")
        assert guess.status_code == 200 and guess.json()["provisional"]
        assert guess.json()["due"] == "2027-01-01T10:00:00+08:00"  # weekdays only: 1 January is a Friday

        number = new_ticket(api).json()["id"]
        old = ticket(api, number)
        resolution = next(c for c in old["slaClock"] if c["kind"] == "resolution")
        assert resolution["provisional"] and old["expectedResolutionDate"] == "2027-01-05T10:00:00Z"

        assert not get(api, "/calendars/schedule/2027").json()["loaded"]
        response = put_schedule(api, 2027, EXAMPLE_2027.read_text(encoding="utf-8"))
        assert response.status_code == 200, response.text
        loaded = response.json()
        assert loaded["loaded"] and loaded["source"] == "admin"
        assert (loaded["holidays"], loaded["workdays"]) == (11, 1)
        assert loaded["recomputedClocks"] >= 1
        new = ticket(api, number)
        assert new["expectedResolutionDate"] == "2027-01-06T10:00:00Z"  # 1-3 January are holidays now
        assert not any(c["provisional"] for c in new["slaClock"])

        # A corrected notice replaces the year, and the deadlines computed on the first one move.
        corrected = EXAMPLE_2027.read_text(encoding="utf-8").replace("end: 2027-01-03", "end: 2027-01-04")
        again = put_schedule(api, 2027, corrected)
        assert again.status_code == 200 and again.json()["holidays"] == 12
        assert again.json()["recomputedClocks"] >= 1
        assert ticket(api, number)["expectedResolutionDate"] == "2027-01-07T10:00:00Z"

        schedule = get(api, "/calendars/schedule/2027").json()
        assert schedule["loaded"]
        assert schedule["days"][0] == {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}
        assert check_year(api.session, year=2027).loaded
        api.session.rollback()
        exact = due(api, start, workingHours=2).json()
        assert exact["due"] == "2027-01-05T10:00:00+08:00" and not exact["provisional"]  # 4 January too


def test_a_bad_schedule_is_refused_naming_the_line_and_changes_nothing(api: Api) -> None:
    bad_csv = "kind,name,start,end\nholiday,元旦,2027-01-01,2027-01-03\nworkday,调休,2027-13-01,\n"
    response = put_schedule(api, 2027, bad_csv, "text/csv")
    assert response.status_code == 422, response.text
    assert "CSV line 3" in response.json()["message"]
    impossible = put_schedule(api, 2027, "holidays:\n  - {name: 春节, start: 2027-02-30}\n")
    assert impossible.status_code == 422 and "YAML" in impossible.json()["message"]
    other_year = put_schedule(api, 2027, "kind,name,start,end\nholiday,元旦,2028-01-01,\n", "text/csv")
    assert other_year.status_code == 422 and "outside 2027" in other_year.json()["message"]
    assert put_schedule(api, 2027, "\x00garbage", "text/csv").status_code == 422
    assert put_schedule(api, 2027, "year: [1]\nholidays: 3\n").status_code == 422
    assert put_schedule(api, 2027, "anything", "text/plain").status_code == 415
    assert put_schedule(api, 1999, "anything").status_code == 400
    assert not get(api, "/calendars/schedule/2027").json()["loaded"]
    assert not check_year(api.session, year=2027).loaded
    api.session.rollback()
    # 2026 was not touched either.
    assert get(api, "/calendars/schedule/2026").json()["loaded"]


def test_create_a_calendar(api: Api) -> None:
    body = {
        "name": "hall-hz",
        "description": "杭州营业厅",
        "weeklyHours": {
            day: [{"start": "08:30", "end": "20:00"}]
            for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        },
    }
    response = post(api, "/calendars", body)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/api/v1/calendars/hall-hz"
    assert response.json()["weeklyHours"]["sunday"] == [{"start": "08:30", "end": "20:00"}]
    sunday = get(api, "/calendars/hall-hz/add", start="2026-11-22T19:30:00+08:00", workingHours=1)
    assert sunday.json()["due"] == "2026-11-23T09:00:00+08:00"
    assert post(api, "/calendars", body).status_code == 409
    for bad, status in [
        ({**body, "name": "schedule"}, 422),
        ({**body, "name": "a/b"}, 422),
        ({**body, "name": "tz", "timezone": "Mars/Olympus"}, 422),
        (
            {
                **body,
                "name": "overlap",
                "weeklyHours": {
                    "monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]
                },
            },
            422,
        ),
        ({**body, "name": "none", "weeklyHours": {}}, 422),
        ({**body, "name": "day", "weeklyHours": {"someday": []}}, 400),
    ]:
        assert post(api, "/calendars", bad).status_code == status, (bad, post(api, "/calendars", bad).text)
    assert post(api, "/calendars", {**body, "name": "x"}, role="dispatcher").status_code == 403


def test_a_calendar_with_a_chinese_name_gets_a_percent_encoded_location(api: Api) -> None:
    """Found by schemathesis: a non-Latin-1 name in the Location header was a 500."""
    body = {"name": "杭州营业厅", "weeklyHours": {"monday": [{"start": "09:00", "end": "18:00"}]}}
    response = post(api, "/calendars", body)
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location == "/api/v1/calendars/%E6%9D%AD%E5%B7%9E%E8%90%A5%E4%B8%9A%E5%8E%85"
    assert response.json()["href"] == location
    assert get(api, location.removeprefix("/api/v1")).json()["name"] == "杭州营业厅"


def test_override_on_unrelated_date_leaves_natural_day_deadline_exact_over_http(api: Api) -> None:
    """The demo's case through the REST API: a complaint's 15-natural-day resolution deadline does not
    move when Saturday 5 December becomes a working day; its 2-working-day response deadline does,
    and that move is in the order's history, by the admin who made the change."""
    from manyi.orders.history import order_history
    from manyi.orders.models import WorkOrder

    with time_machine.travel(datetime(2026, 12, 3, 10, 23, 45, 740000, tzinfo=CST), tick=False):
        number = new_ticket(api, ticketType="complaint").json()["id"]
        before = {c["kind"]: c["dueDate"] for c in ticket(api, number)["slaClock"]}
        assert before["resolution"] == "2026-12-18T16:00:00Z"  # 24:00 of 18 December in Shanghai
        response = put(api, "/calendars/office/overrides/2026-12-05", {"working": True, "reason": "加班"})
        assert response.status_code == 200, response.text
        assert (response.json()["recomputedClocks"], response.json()["movedDeadlines"]) == (2, 1)
        after = {c["kind"]: c["dueDate"] for c in ticket(api, number)["slaClock"]}
        assert ticket(api, number)["expectedResolutionDate"] == "2026-12-18T16:00:00Z"
    assert after["resolution"] == before["resolution"]
    assert after["response"] == "2026-12-05T10:00:00Z" != before["response"]
    order = api.session.query(WorkOrder).filter_by(number=number).one()
    recorded = [e for e in order_history(api.session, order_id=order.id) if e.action == "sla_recomputed"]
    assert len(recorded) == 1 and '"clock": "response"' in (recorded[0].note or "")
    assert recorded[0].changes[0]["field"] == "due_at" and recorded[0].actor_id is not None
    api.session.rollback()

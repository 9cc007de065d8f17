"""The closed loop over TMF621 (seed 001, DOMAIN "Closed loop", "Contact rule"): a status change is
not a contact, contact attempts as ContactAttemptNote notes, the callback as `callbackResult`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine

from manyi.core.clock import now
from tests.fixtures.api import Api
from tests.orders.tmf.test_tickets import BASE, new_ticket, patch


def _clock(ticket: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in ticket["slaClock"] if c["kind"] == kind)


def _complaint(api: Api) -> str:
    return str(new_ticket(api, ticketType="complaint", relatedEntity=[]).json()["id"])


def _resolved_complaint(api: Api) -> str:
    tid = _complaint(api)
    reached = {"@type": "ContactAttemptNote", "outcome": "reached", "text": "已联系客户"}
    assert patch(api, tid, {"note": [reached]}, role="complaint_handler").status_code == 200
    resolved = patch(
        api, tid, {"status": "resolved", "resolutionCode": "explained"}, role="complaint_handler"
    )
    assert resolved.status_code == 200, resolved.text
    return tid


def test_a_status_change_to_in_progress_is_not_a_contact(api: Api) -> None:
    tid = new_ticket(api).json()["id"]
    started = patch(api, tid, {"status": "inProgress"})
    assert started.status_code == 200, started.text
    ticket = started.json()
    assert (ticket["status"], ticket["stage"]) == ("inProgress", "extracted")
    assert _clock(ticket, "first_contact")["state"] == "running"
    failed = {"@type": "ContactAttemptNote", "outcome": "wrong_number", "text": "空号"}
    ticket = patch(api, tid, {"note": [failed]}).json()
    assert ticket["stage"] == "extracted" and _clock(ticket, "first_contact")["state"] == "running"
    reached = {"@type": "ContactAttemptNote", "outcome": "reached", "text": "客户确认故障"}
    ticket = patch(api, tid, {"note": [reached]}).json()
    assert ticket["stage"] == "contacted" and _clock(ticket, "first_contact")["state"] == "met"
    attempts = [n for n in ticket["note"] if n.get("@type") == "ContactAttemptNote"]
    assert [(n["outcome"], n["text"], n["author"]) for n in attempts] == [
        ("wrong_number", "空号", "agent_all"),
        ("reached", "客户确认故障", "agent_all"),
    ]
    assert all(n["@baseType"] == "Note" and n["date"] for n in attempts)


def test_a_contact_note_from_acknowledged_moves_the_ticket_in_progress(api: Api) -> None:
    tid = new_ticket(api).json()["id"]
    reached = {"@type": "ContactAttemptNote", "outcome": "reached", "text": "已联系"}
    ticket = patch(api, tid, {"status": "inProgress", "note": [reached]}).json()
    assert (ticket["status"], ticket["stage"]) == ("inProgress", "contacted")
    assert [s["status"] for s in ticket["statusChange"]] == ["acknowledged", "inProgress"]


def test_bad_contact_notes_are_refused_naming_the_field_and_change_nothing(api: Api) -> None:
    tid = new_ticket(api).json()["id"]
    for note, message in (
        (
            {"@type": "ContactAttemptNote", "text": "x"},
            "note.outcome: a ContactAttemptNote needs its outcome",
        ),
        ({"@type": "ContactAttemptNote", "outcome": "busy", "text": "x"}, "got 'busy'"),
        ({"outcome": "reached", "text": "x"}, "note.outcome: only a ContactAttemptNote"),
        ({"@type": "Memo", "text": "x"}, "note.@type: expected Note or ContactAttemptNote"),
    ):
        response = patch(api, tid, {"note": [note]})
        assert response.status_code == 400 and message in response.json()["message"], response.text
    ticket = api.client.get(f"{BASE}/{tid}", headers=api.headers()).json()
    assert ticket["status"] == "acknowledged" and ticket.get("note", []) == []
    created = new_ticket(api, note=[{"@type": "ContactAttemptNote", "outcome": "reached", "text": "x"}])
    assert created.status_code == 400 and "send it with PATCH" in created.json()["message"]


def test_every_complaint_gets_a_callback_before_it_closes(api: Api) -> None:
    tid = _resolved_complaint(api)
    plain = patch(api, tid, {"status": "closed"}, role="callback_agent")
    assert plain.status_code == 400
    assert plain.json()["message"].startswith(
        "callbackResult: a resolved complaint closes only through its callback"
    )
    technician = patch(api, tid, {"status": "closed", "callbackResult": "satisfied"}, role="technician")
    assert technician.status_code == 403
    resolver = patch(api, tid, {"callbackResult": "satisfied"}, role="complaint_handler")
    assert resolver.status_code == 403
    closed = patch(
        api,
        tid,
        {"status": "closed", "callbackResult": "basically_satisfied", "statusChangeReason": "客户基本满意"},
        role="callback_agent",
    )
    assert closed.status_code == 200, closed.text
    ticket = closed.json()
    assert ticket["status"] == "closed"
    assert [(c["result"], c["author"], c["note"]) for c in ticket["callback"]] == [
        ("basically_satisfied", "callback_agent_all", "客户基本满意")
    ]


def test_an_unsatisfied_callback_reopens_the_ticket_to_its_owner(api: Api) -> None:
    tid = _resolved_complaint(api)
    wrong = patch(api, tid, {"status": "closed", "callbackResult": "unsatisfied"}, role="callback_agent")
    assert wrong.status_code == 400 and "moves it to inProgress" in wrong.json()["message"]
    unknown = patch(api, tid, {"callbackResult": "happy"}, role="callback_agent")
    assert unknown.status_code == 400 and unknown.json()["message"].startswith(
        "callbackResult: expected one of"
    )
    ticket = patch(api, tid, {"callbackResult": "unsatisfied"}, role="callback_agent").json()
    assert (ticket["status"], ticket["stage"]) == ("inProgress", "contacted")
    assert {p["role"]: p["id"] for p in ticket["relatedParty"]}["owner"] == "agent_all"
    assert [c["result"] for c in ticket["callback"]] == ["unsatisfied"]


def test_unreachable_after_the_contact_rule_closes_the_ticket(api: Api) -> None:
    tid = _resolved_complaint(api)
    failed = {"@type": "ContactAttemptNote", "outcome": "not_reached", "text": "无人接听"}
    start = now()
    for hours in (0, 2):
        with time_machine.travel(start + timedelta(hours=hours, minutes=1), tick=False):
            assert patch(api, tid, {"note": [failed]}, role="callback_agent").status_code == 200
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        early = patch(api, tid, {"callbackResult": "unreachable"}, role="callback_agent")
        assert early.status_code == 400
        assert "2 of 3 failed attempts; next possible after" in early.json()["message"]
    with time_machine.travel(start + timedelta(hours=4, minutes=2), tick=False):
        assert patch(api, tid, {"note": [failed]}, role="callback_agent").status_code == 200
        ticket = patch(api, tid, {"callbackResult": "unreachable"}, role="callback_agent").json()
    assert ticket["status"] == "closed" and ticket["callback"][0]["result"] == "unreachable"
    assert len([n for n in ticket["note"] if n.get("outcome") == "not_reached"]) == 3


def test_cancelling_a_complaint_needs_a_reason_and_a_handler_or_supervisor(api: Api) -> None:
    tid = _complaint(api)
    assert patch(api, tid, {"status": "cancelled", "statusChangeReason": "撤诉"}).status_code == 403
    no_reason = patch(api, tid, {"status": "cancelled"}, role="supervisor")
    assert no_reason.status_code == 400 and no_reason.json()["message"].startswith("reason:")
    done = patch(api, tid, {"status": "cancelled", "statusChangeReason": "客户撤诉"}, role="supervisor")
    assert done.status_code == 200 and done.json()["status"] == "cancelled"

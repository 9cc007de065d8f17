"""Size limits (issue 17): request bodies (413 as the body streams, never read whole), text fields in
the API, the console and the services, and list pages. A 100 MB note and a 10 MB description were
accepted and stored; a list page of them was 10.7 MB."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session

from manyi.api.query import MAX_LIMIT
from manyi.core.limits import DESCRIPTION_MAX, NOTE_MAX, REASON_MAX, TITLE_MAX, TextTooLong
from manyi.core.settings import get_settings
from manyi.orders.models import WorkOrder
from manyi.orders.service import add_note, create_order, transition_order, update_order
from manyi.orders.texts import MAX_NOTES_PER_ORDER
from tests.api.test_probe_replay import assert_tmf_error
from tests.fixtures.api import Api
from tests.fixtures.console import Console, new_order
from tests.fixtures.live import live_server
from tests.fixtures.operator import Operator

TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"
MERGE = {"Content-Type": "application/merge-patch+json"}
MB = 1024 * 1024


def ticket(**extra: Any) -> dict[str, Any]:
    return {
        "description": "宽带无法上网",
        "severity": "minor",
        "ticketType": "fault",
        "region": {"id": "330106"},
    } | extra


def _new_ticket(api: Api) -> str:
    response = api.client.post(TICKETS, json=ticket(), headers=api.headers())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# --- request bodies -------------------------------------------------------------------------------


def test_the_probe_s_100_mb_note_and_10_mb_description_are_refused_with_413(api: Api) -> None:
    number = _new_ticket(api)
    for body in ({"note": [{"text": "x" * (100 * MB)}]}, {"description": "x" * (10 * MB)}):
        response = api.client.patch(
            f"{TICKETS}/{number}", content=json.dumps(body), headers={**api.headers(), **MERGE}
        )
        assert response.status_code == 413
        assert response.json() == {
            "code": "content_too_large",
            "reason": "Content Too Large",
            "message": f"request body: at most {get_settings().max_body_bytes} bytes accepted",
            "status": "413",
        }
    stored = api.client.get(f"{TICKETS}/{number}", headers=api.headers()).json()
    assert stored["description"] == "宽带无法上网" and not stored.get("note")


def test_a_chunked_body_is_counted_as_it_streams(api: Api) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding chunked
        yield b'{"description": "'
        for _ in range(40):
            yield b"x" * 64 * 1024
        yield b'", "severity": "minor", "ticketType": "fault", "region": {"id": "330106"}}'

    response = api.client.post(
        TICKETS, content=chunks(), headers={**api.headers(), "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "content_too_large"
    assert api.client.get(TICKETS, headers=api.headers()).headers["x-total-count"] == "0"


def _raw_request(base_url: str, head: str, body_parts: Sequence[bytes] = ()) -> tuple[str, float]:
    """Send a request by hand and return the status line and how long the answer took."""
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    assert host and port
    with socket.create_connection((host, port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(head.encode())
        for part in body_parts:
            sock.sendall(part)
        answer = sock.recv(65536).decode("latin-1")
        return answer.split("\r\n", 1)[0], time.monotonic() - started


def test_a_declared_oversized_body_is_refused_before_it_is_sent(api: Api) -> None:
    # The client announces 100 MB and sends none of it: the answer comes at once, so the server
    # cannot have waited for (let alone buffered) the body.
    token = api.headers()["Authorization"]
    with live_server() as base_url:
        head = (
            f"PATCH {TICKETS}/GD1 HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n"
            f"Content-Type: application/merge-patch+json\r\nContent-Length: {100 * MB}\r\n\r\n"
        )
        status, seconds = _raw_request(base_url, head)
        assert status.startswith("HTTP/1.1 413 ")
        assert seconds < 5
        # The console's upload form has its own, larger limit, and the same early refusal.
        upload = (
            "POST /orders/GD1/attachments HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {30 * MB}\r\n\r\n"
        )
        status, seconds = _raw_request(base_url, upload)
        assert status.startswith("HTTP/1.1 413 ") and seconds < 5


def test_a_chunked_oversized_body_is_refused_before_it_ends(api: Api) -> None:
    token = api.headers()["Authorization"]
    chunk = b"x" * (256 * 1024)
    parts = [b'%x\r\n{"description": "\r\n' % len(b'{"description": "')]
    parts += [b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(6)]  # 1.5 MB, no final chunk
    with live_server() as base_url:
        head = (
            f"POST {TICKETS} HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        status, _ = _raw_request(base_url, head, parts)
    assert status.startswith("HTTP/1.1 413 ")


def test_bodies_under_the_limit_pass(api: Api) -> None:
    body = ticket(description="断" * DESCRIPTION_MAX, note=[{"text": "记" * NOTE_MAX}])
    assert len(json.dumps(body, ensure_ascii=False).encode()) < get_settings().max_body_bytes
    response = api.client.post(
        TICKETS,
        content=json.dumps(body, ensure_ascii=False).encode(),
        headers={**api.headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text[:300]


def test_a_console_form_over_the_limit_gets_the_html_page(console: Console) -> None:
    agent = console.user("agent")
    order = new_order(console)
    response = agent.post(f"/orders/{order.number}/note", data={"text": "x" * (2 * MB)})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "提交的内容过大" in response.text


def test_an_attachment_larger_than_a_form_but_within_its_own_limit_is_accepted(
    console: Console, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MANYI_ATTACHMENTS_DIR", str(tmp_path))
    from manyi.core.settings import reset_settings

    reset_settings()
    agent = console.user("agent")
    order = new_order(console)
    response = agent.post(
        f"/orders/{order.number}/attachments",
        files={"file": ("photo.jpg", b"\xff" * (3 * MB), "image/jpeg")},
    )
    assert response.status_code == 303, response.text[:300]
    reset_settings()


# --- text fields ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (ticket(description="x" * (DESCRIPTION_MAX + 1)), "description"),
        (ticket(name="x" * (TITLE_MAX + 1)), "name"),
        (ticket(note=[{"text": "x" * (NOTE_MAX + 1)}]), "note.0.text"),
    ],
)
def test_api_refuses_text_over_its_maximum_on_create(api: Api, body: dict[str, Any], field: str) -> None:
    response = api.client.post(TICKETS, json=body, headers=api.headers())
    assert_tmf_error(response, 400, field)
    assert "at most" in response.json()["message"]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"description": "x" * (DESCRIPTION_MAX + 1)}, "description"),
        ({"name": "x" * (TITLE_MAX + 1)}, "name"),
        ({"note": [{"text": "x" * (NOTE_MAX + 1)}]}, "note.0.text"),
        ({"status": "pending", "statusChangeReason": "x" * (REASON_MAX + 1)}, "statusChangeReason"),
    ],
)
def test_api_refuses_text_over_its_maximum_on_patch(api: Api, patch: dict[str, Any], field: str) -> None:
    number = _new_ticket(api)
    response = api.client.patch(
        f"{TICKETS}/{number}", content=json.dumps(patch), headers={**api.headers(), **MERGE}
    )
    assert_tmf_error(response, 400, field)


def test_services_refuse_text_over_its_maximum(session: Session, operator: Operator) -> None:
    # The CLI and the console reach the data through these: they refuse what the API refuses.
    common = {"type": "fault", "channel": "hotline", "region_code": "330106", "actor_id": operator.agent.id}
    with pytest.raises(TextTooLong, match="^description: at most 4000 characters allowed, got 4001$"):
        create_order(session, description="x" * (DESCRIPTION_MAX + 1), **common)
    with pytest.raises(TextTooLong, match="^name:"):
        create_order(session, description="断网", title="x" * (TITLE_MAX + 1), **common)
    order = create_order(session, description="断网", **common)
    with pytest.raises(TextTooLong, match="^text:"):
        add_note(session, order_id=order.id, text="x" * (NOTE_MAX + 1))
    with pytest.raises(TextTooLong, match="^description:"):
        update_order(session, order_id=order.id, description="x" * (DESCRIPTION_MAX + 1))
    with pytest.raises(TextTooLong, match="^reason:"):
        transition_order(session, order_id=order.id, action="pause", reason="x" * (REASON_MAX + 1))
    session.refresh(order)
    assert order.status == "acknowledged" and order.description == "断网" and order.note_count == 0


def test_an_order_holds_at_most_its_maximum_of_notes(session: Session, operator: Operator) -> None:
    order = create_order(
        session,
        type="fault",
        description="断网",
        channel="hotline",
        region_code="330106",
        actor_id=operator.agent.id,
    )
    order.note_count = MAX_NOTES_PER_ORDER - 1  # as if 199 notes were there already
    session.flush()
    add_note(session, order_id=order.id, text="第 200 条")
    with pytest.raises(Exception, match=f"at most {MAX_NOTES_PER_ORDER} notes"):
        add_note(session, order_id=order.id, text="第 201 条")
    assert session.get(WorkOrder, order.id).note_count == MAX_NOTES_PER_ORDER  # type: ignore[union-attr]


def test_console_says_in_chinese_how_long_a_text_may_be(console: Console) -> None:
    agent = console.user("agent")
    order = new_order(console)
    response = agent.post(f"/orders/{order.number}/note", data={"text": "记" * (NOTE_MAX + 1)})
    assert response.status_code == 422
    assert f"内容过长：最多 {NOTE_MAX} 个字。" in response.text
    assert f'maxlength="{NOTE_MAX}"' in agent.get(f"/orders/{order.number}").text


# --- list pages -----------------------------------------------------------------------------------


def test_a_list_page_is_at_most_max_limit_resources(api: Api) -> None:
    assert api.client.get(f"{TICKETS}?limit={MAX_LIMIT}", headers=api.headers()).status_code == 200
    assert_tmf_error(api.client.get(f"{TICKETS}?limit={MAX_LIMIT + 1}", headers=api.headers()), 400, "limit")

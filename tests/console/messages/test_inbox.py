"""The inbox over the API and in the console: the bell's count in every page's header, the list with
read/unread and links to the orders, marking read; each user sees only their own items."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.notify.models import NotifyMessage
from manyi.org.models import User
from tests.fixtures.api import Api
from tests.fixtures.console import Console, text_of

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _item(session: Session, user_id: int, n: int, order_id: int | None = None) -> NotifyMessage:
    message = NotifyMessage(
        created_at=AT,
        channel="inbox",
        event="order.assigned",
        locale="zh-CN",
        user_id=user_id,
        address=f"user:{user_id}",
        text=f"新工单GD{n}已派给您",
        segments=1,
        urgent=False,
        order_id=order_id,
        status="inbox",
        attempts=0,
        dedupe_key=f"test:{user_id}:{n}",
    )
    session.add(message)
    session.commit()
    return message


def test_api_lists_counts_and_marks_only_the_callers_items(api: Api) -> None:
    headers = api.headers("supervisor")
    other = api.headers("agent")
    me = api.session.scalars(select(User.id).where(User.username == "supervisor_all")).one()
    first, second = _item(api.session, me, 1), _item(api.session, me, 2)
    answer = api.client.get("/api/v1/inbox", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["X-Total-Count"] == "2" and answer.headers["X-Unread-Count"] == "2"
    assert [i["id"] for i in answer.json()] == [f"m{second.id}", f"m{first.id}"]
    assert api.client.get("/api/v1/inbox", headers=other).json() == []
    marked = api.client.post("/api/v1/inbox/read", json={"ids": [f"m{first.id}"]}, headers=other)
    assert marked.json() == {"marked": 0, "unread": 0}
    marked = api.client.post("/api/v1/inbox/read", json={"ids": [f"m{first.id}"]}, headers=headers)
    assert marked.json() == {"marked": 1, "unread": 1}
    assert api.client.get("/api/v1/inbox/count", headers=headers).json() == {"unread": 1}
    unread = api.client.get("/api/v1/inbox?unread=true", headers=headers).json()
    assert [i["id"] for i in unread] == [f"m{second.id}"] and unread[0]["read"] is False
    bad = api.client.post("/api/v1/inbox/read", json={"ids": ["o1; drop"]}, headers=headers)
    assert bad.status_code == 422 and "ids" in bad.text
    assert api.client.get("/api/v1/inbox").status_code == 401


def test_console_bell_inbox_page_and_mark_read(console: Console) -> None:
    supervisor = console.user("supervisor")
    item = _item(console.session, supervisor.user.id, 7)
    page = supervisor.get("/orders")
    assert 'data-unread="1"' in page.text and 'href="/inbox"' in page.text
    inbox = supervisor.get("/inbox")
    assert inbox.status_code == 200
    assert "新工单GD7已派给您" in text_of(inbox.text) and "1 条未读" in text_of(inbox.text)
    english = console.user("supervisor", lang="en").get("/inbox")
    assert "1 unread" in text_of(english.text) and "New assignment" in english.text
    done = supervisor.post("/inbox/read", {"item": f"m{item.id}"})
    assert done.status_code == 303
    assert 'data-unread="' not in supervisor.get("/orders").text
    assert "已读" in text_of(supervisor.get("/inbox").text)
    # another user neither sees nor marks it
    agent = console.user("agent")
    assert "新工单GD7" not in agent.get("/inbox").text

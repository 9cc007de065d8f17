"""Issue 12, search: "my overdue", "team overdue" and a user's own saved filter sets on /orders;
each user sees only their own; bad input changes nothing."""

from __future__ import annotations

from sqlalchemy import select, update

from manyi.orders.models import WorkOrder
from manyi.search.models import SavedSearch
from manyi.search.service import MAX_PER_USER, clean_query
from tests.console.orders.test_order_search import numbers_in
from tests.fixtures.console import WEST_LAKE, Console, new_order, text_of


def test_clean_query_keeps_only_the_list_filters() -> None:
    assert clean_query("?q=宽带&status=inProgress&offset=50&evil=1&mine=1") == (
        "q=%E5%AE%BD%E5%B8%A6&status=inProgress&mine=1"
    )


def test_my_overdue_and_team_overdue(console: Console) -> None:
    agent = console.user("agent", WEST_LAKE)
    mine, theirs, on_time = (new_order(console) for _ in range(3))
    console.session.execute(
        update(WorkOrder).where(WorkOrder.id == mine.id).values(assignee_id=agent.user.id)
    )
    console.session.execute(
        update(WorkOrder).where(WorkOrder.id.in_([mine.id, theirs.id])).values(sla_breached=True)
    )
    console.session.commit()
    page = agent.get("/orders").text
    assert 'href="/orders?breached=1&amp;mine=1"' in page and "我的超时工单" in page
    assert numbers_in(agent.get("/orders?breached=1&mine=1").text) == [mine.number]
    team = agent.user.team_id
    assert f'href="/orders?team={team}&amp;breached=1"' in page and "本组超时工单" in page
    assert on_time.number not in numbers_in(agent.get(f"/orders?team={team}&breached=1").text)


def test_save_open_and_delete_a_search_only_for_its_owner(console: Console) -> None:
    new_order(console, type="complaint")
    agent = console.user("agent", WEST_LAKE)
    other = console.user("supervisor")
    saved = agent.post("/orders/saved", {"name": "投诉在办", "query": "type=complaint&status=acknowledged"})
    assert (
        saved.status_code == 303 and saved.headers["location"] == "/orders?status=acknowledged&type=complaint"
    )
    page = agent.get("/orders").text
    assert "投诉在办" in text_of(page) and 'href="/orders?status=acknowledged&amp;type=complaint"' in page
    assert "投诉在办" not in text_of(other.get("/orders").text)
    own_id = console.session.scalars(select(SavedSearch.id).where(SavedSearch.name == "投诉在办")).one()
    console.session.rollback()  # no read lock held while the app writes (SQLite)
    assert other.post(f"/orders/saved/{own_id}/delete").status_code == 404  # not theirs
    again = agent.post("/orders/saved", {"name": "投诉在办", "query": "type=complaint"})  # replaces
    assert again.status_code == 303
    console.session.expire_all()
    assert console.session.scalars(select(SavedSearch.query)).all() == ["type=complaint"]
    console.session.rollback()
    assert agent.post(f"/orders/saved/{own_id}/delete").status_code == 303
    assert console.session.scalars(select(SavedSearch)).all() == []


def test_bad_saves_are_refused_in_chinese_and_change_nothing(console: Console) -> None:
    agent = console.user("agent", WEST_LAKE)
    empty = agent.post("/orders/saved", {"name": "全部", "query": "offset=50"})
    assert empty.status_code == 303
    assert "请先设置至少一个筛选条件" in text_of(agent.get(empty.headers["location"]).text)
    nameless = agent.post("/orders/saved", {"name": " ", "query": "type=fault"})
    assert "名称为 1 到 64 个字符" in text_of(agent.get(nameless.headers["location"]).text)
    for i in range(MAX_PER_USER):
        console.session.add(SavedSearch(user_id=agent.user.id, name=f"s{i}", query="type=fault"))
    console.session.commit()
    full = agent.post("/orders/saved", {"name": "one more", "query": "type=fault"})
    assert "最多保存 50 个查询" in text_of(agent.get(full.headers["location"]).text)
    assert console.session.query(SavedSearch).count() == MAX_PER_USER

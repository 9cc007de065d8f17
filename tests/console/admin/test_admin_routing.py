"""Admin pages: routing rules in order; create, edit, switch off, delete; rights."""

from __future__ import annotations

from sqlalchemy import select

from manyi.orders.models import RoutingRule
from tests.fixtures.console import Console, text_of


def _rules(console: Console) -> list[tuple[int, int, str | None, str | None, int, bool]]:
    rows = console.session.scalars(select(RoutingRule).order_by(RoutingRule.rank, RoutingRule.id))
    out = [(r.id, r.rank, r.order_type, r.region_code, r.team_id, r.active) for r in rows]
    console.session.rollback()
    return out


def test_rules_are_listed_by_rank_and_only_admins_change_them(console: Console) -> None:
    admin, dispatcher, tech = console.user("admin"), console.user("dispatcher"), console.user("technician")
    before = _rules(console)
    page = admin.get("/admin/routing")
    assert page.status_code == 200
    text = text_of(page.text)
    assert text.index("西湖装维班") < text.index("后台受理组")  # rank 10 before rank 90
    assert "故障" in text and "不限" in text
    assert dispatcher.get("/admin/routing").status_code == 200
    assert "删除" not in text_of(dispatcher.get("/admin/routing").text)
    rule_id = before[0][0]
    assert dispatcher.post(f"/admin/routing/{rule_id}/delete").status_code == 403
    assert dispatcher.post(f"/admin/routing/{rule_id}/active", data={"active": "0"}).status_code == 403
    assert (
        dispatcher.post("/admin/routing/new", data={"rank": "5", "team_id": str(before[0][4])}).status_code
        == 403
    )
    assert tech.get("/admin/routing").status_code == 403
    assert _rules(console) == before


def test_create_edit_switch_off_and_delete_a_rule(console: Console) -> None:
    admin = console.user("admin")
    back_office = console.operator.back_office.id
    console.session.rollback()
    form = {
        "rank": "5",
        "order_type": "complaint",
        "category_path_prefix": "NET",
        "product": "broadband",
        "region_code": "330106",
        "team_id": str(back_office),
        "required_skill": "",
        "active": "1",
    }
    created = admin.post("/admin/routing/new", data=form)
    assert created.status_code == 303, created.text
    new = _rules(console)[0]
    assert new[1:] == (5, "complaint", "330106", back_office, True)
    edited = admin.post(
        f"/admin/routing/{new[0]}", data={**form, "rank": "50", "order_type": "", "region_code": ""}
    )
    assert edited.status_code == 303
    assert [r for r in _rules(console) if r[0] == new[0]][0][1:] == (50, None, None, back_office, True)
    assert admin.post(f"/admin/routing/{new[0]}/active", data={"active": "0"}).status_code == 303
    assert [r for r in _rules(console) if r[0] == new[0]][0][5] is False
    assert admin.post(f"/admin/routing/{new[0]}/delete").status_code == 303
    assert new[0] not in [r[0] for r in _rules(console)]


def test_bad_rule_input_is_shown_next_to_the_field_and_changes_nothing(console: Console) -> None:
    admin = console.user("admin")
    before = _rules(console)
    base = {
        "rank": "5",
        "order_type": "",
        "category_path_prefix": "",
        "product": "",
        "region_code": "",
        "team_id": str(before[0][4]),
        "required_skill": "",
        "active": "1",
    }
    rank = admin.post("/admin/routing/new", data={**base, "rank": "abc"})
    assert rank.status_code == 422 and 'id="rank-error"' in rank.text and "请填写整数" in rank.text
    path = admin.post(f"/admin/routing/{before[0][0]}", data={**base, "category_path_prefix": "NOPE"})
    assert path.status_code == 422 and 'id="category_path_prefix-error"' in path.text
    assert 'value="NOPE"' in path.text
    team = admin.post("/admin/routing/new", data={**base, "team_id": ""})
    assert team.status_code == 422 and 'id="team_id-error"' in team.text
    assert _rules(console) == before

"""Admin pages: teams (member counts, create, edit), rights."""

from __future__ import annotations

from sqlalchemy import select

from manyi.org.models import Department, Team
from tests.fixtures.console import Console, text_of


def _team(console: Console, name: str) -> tuple[int, int, str | None, int | None, str | None] | None:
    team = console.session.scalars(select(Team).where(Team.name == name)).first()
    row = (
        (team.id, team.department_id, team.region_code, team.lead_user_id, team.calendar_name)
        if team
        else None
    )
    console.session.rollback()
    return row


def _ids(console: Console) -> dict[str, int]:
    op = console.operator
    dept = console.session.scalars(select(Department).where(Department.name == "装维中心")).one()
    ids = {"field": op.field_team.id, "dept": dept.id, "tech1": op.techs[0].id}
    console.session.rollback()
    return ids


def test_team_list_shows_member_counts_and_readers_cannot_change(console: Console) -> None:
    admin, supervisor, agent = console.user("admin"), console.user("supervisor"), console.user("agent")
    ids = _ids(console)
    page = admin.get("/admin/teams")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "西湖装维班" in text and "装维中心" in text
    assert f'href="/admin/users?team={ids["field"]}">3</a>' in page.text  # three technicians
    assert supervisor.get("/admin/teams").status_code == 200
    assert supervisor.get(f"/admin/teams/{ids['field']}").status_code == 200
    assert supervisor.post(f"/admin/teams/{ids['field']}", data={"name": "改名"}).status_code == 403
    assert (
        supervisor.post(
            "/admin/teams/new", data={"name": "新班", "department_id": str(ids["dept"])}
        ).status_code
        == 403
    )
    assert agent.get("/admin/teams").status_code == 403
    assert _team(console, "新班") is None and _team(console, "改名") is None


def test_create_and_edit_a_team(console: Console) -> None:
    admin = console.user("admin")
    ids = _ids(console)
    created = admin.post(
        "/admin/teams/new",
        data={
            "name": "拱墅装维班",
            "department_id": str(ids["dept"]),
            "region_code": "330100",
            "lead": "tech1",
            "calendar_name": "office",
        },
    )
    assert created.status_code == 303, created.text
    row = _team(console, "拱墅装维班")
    assert row is not None and row[1:] == (ids["dept"], "330100", ids["tech1"], "office")
    edited = admin.post(
        f"/admin/teams/{row[0]}",
        data={
            "name": "拱墅装维一班",
            "department_id": str(ids["dept"]),
            "region_code": "",
            "lead": "",
            "calendar_name": "24x7",
        },
    )
    assert edited.status_code == 303
    assert _team(console, "拱墅装维一班") == (row[0], ids["dept"], None, None, "24x7")


def test_bad_team_input_is_shown_next_to_the_field_and_changes_nothing(console: Console) -> None:
    admin = console.user("admin")
    ids = _ids(console)
    base = {"department_id": str(ids["dept"]), "region_code": "", "lead": "", "calendar_name": ""}
    lead = admin.post("/admin/teams/new", data={**base, "name": "甲班", "lead": "nobody"})
    assert lead.status_code == 422 and 'id="lead-error"' in lead.text and "没有这个用户名" in lead.text
    region = admin.post("/admin/teams/new", data={**base, "name": "甲班", "region_code": "999"})
    assert region.status_code == 422 and 'id="region_code-error"' in region.text
    taken = admin.post(f"/admin/teams/{ids['field']}", data={**base, "name": "后台受理组"})
    assert taken.status_code == 422 and 'id="name-error"' in taken.text
    empty = admin.post("/admin/teams/new", data={**base, "name": " "})
    assert empty.status_code == 422 and "请填写名称" in empty.text
    assert _team(console, "甲班") is None
    assert _team(console, "西湖装维班") is not None

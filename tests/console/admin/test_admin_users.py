"""Admin pages: the /admin index and users & roles (list, create, edit, reset password), rights."""

from __future__ import annotations

from sqlalchemy import select

from manyi.auth.models import ApiToken
from manyi.org.models import User
from manyi.org.passwords import verify_password
from tests.fixtures.console import Console, text_of
from tests.fixtures.users import PASSWORD


def _user(console: Console, username: str) -> User | None:
    user = console.session.scalars(select(User).where(User.username == username)).first()
    if user is not None:
        console.session.refresh(user)
    return user


def test_rights_admin_changes_readers_look_agents_are_refused(console: Console) -> None:
    admin = console.user("admin")
    assert admin.get("/admin").status_code == 200
    assert "用户与角色" in admin.get("/admin").text
    for role in ("supervisor", "dispatcher"):
        reader = console.user(role)
        assert reader.get("/admin/users").status_code == 200
        assert reader.get(f"/admin/users/{console.operator.agent.id}").status_code == 200
        assert reader.get("/admin/users/new").status_code == 403
        refused = reader.post(
            "/admin/users/new", data={"username": "x1", "roles": ["agent"], "password": "longenough1"}
        )
        assert refused.status_code == 403
        assert (
            reader.post(f"/admin/users/{console.operator.agent.id}", data={"roles": ["admin"]}).status_code
            == 403
        )
    agent = console.user("agent")
    assert agent.get("/admin").status_code == 403
    assert agent.get("/admin/users").status_code == 403
    assert _user(console, "x1") is None
    assert _user(console, "agent1").roles == ["agent"]  # type: ignore[union-attr]
    console.session.rollback()


def test_list_filters_by_role_and_team_and_never_shows_passwords(console: Console) -> None:
    admin = console.user("admin")
    op = console.operator
    page = admin.get(f"/admin/users?role=technician&team={op.field_team.id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "tech1" in text and "tech3" in text and "agent1" not in text
    assert "装维人员" in text or "技术" in text or "装维" in text
    everyone = admin.get("/admin/users").text
    assert "agent1" in everyone and "$argon2" not in everyone
    assert "agent1" not in admin.get("/admin/users?role=admin").text
    assert '<nav class="pager"' in everyone


def test_create_a_user_with_roles_regions_team_skills_and_password(console: Console) -> None:
    admin = console.user("admin")
    op = console.operator
    form = admin.get("/admin/users/new").text
    assert '<label for="username">' in form and '<label for="password">' in form
    created = admin.post(
        "/admin/users/new",
        data={
            "username": "li.si",
            "display_name": "李四",
            "roles": ["dispatcher", "supervisor"],
            "regions": "330106, 330100",
            "team_id": str(op.field_team.id),
            "skills": "broadband iptv",
            "password": "secret-pass-1",
        },
    )
    assert created.status_code == 303, created.text
    user = _user(console, "li.si")
    assert user is not None
    assert user.display_name == "李四" and user.roles == ["dispatcher", "supervisor"]
    assert user.regions == ["330106", "330100"] and user.team_id == op.field_team.id
    assert user.skills == ["broadband", "iptv"]
    stored = user.password_hash
    assert stored and verify_password(stored, "secret-pass-1")
    console.session.rollback()
    shown = admin.get(created.headers["location"]).text
    assert "secret-pass-1" not in shown and stored not in shown


def test_bad_input_is_shown_next_to_the_field_and_creates_nothing(console: Console) -> None:
    admin = console.user("admin")
    short = admin.post("/admin/users/new", data={"username": "wang", "roles": ["agent"], "password": "short"})
    assert short.status_code == 422
    assert 'id="password-error"' in short.text and "至少需要 10 个字符" in short.text
    assert 'aria-invalid="true" aria-describedby="password-error"' in short.text
    no_role = admin.post("/admin/users/new", data={"username": "wang", "password": "longenough1"})
    assert no_role.status_code == 422 and 'id="roles-error"' in no_role.text
    region = admin.post(
        "/admin/users/new",
        data={"username": "wang", "roles": ["agent"], "regions": "999999", "password": "longenough1"},
    )
    assert (
        region.status_code == 422
        and 'id="regions-error"' in region.text
        and "区域编码不存在" in region.text
        and "999999" in region.text
    )
    taken = admin.post(
        "/admin/users/new", data={"username": "agent1", "roles": ["agent"], "password": "longenough1"}
    )
    assert (
        taken.status_code == 422 and 'id="username-error"' in taken.text and "该用户名已被使用" in taken.text
    )
    assert 'value="agent1"' in taken.text  # the form keeps what was typed
    assert _user(console, "wang") is None
    console.session.rollback()


def test_edit_roles_regions_team_and_active_ends_their_sessions(console: Console) -> None:
    admin = console.user("admin")
    op = console.operator
    tech = console.user("technician", username="tech_edit", team_id=op.field_team.id)
    changed = admin.post(
        f"/admin/users/{tech.user.id}",
        data={
            "display_name": "装维甲",
            "roles": ["technician", "dispatcher"],
            "regions": "330106",
            "team_id": str(op.back_office.id),
            "skills": "iptv",
        },
    )
    assert changed.status_code == 303
    user = _user(console, "tech_edit")
    assert user is not None
    assert user.roles == ["dispatcher", "technician"] and user.regions == ["330106"]
    assert user.team_id == op.back_office.id and user.skills == ["iptv"] and not user.active
    tokens = console.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert all(t.revoked_at is not None for t in tokens)
    console.session.rollback()
    assert tech.get("/account").status_code == 303  # signed out


def test_an_admin_cannot_remove_their_own_roles_and_nothing_changes(console: Console) -> None:
    admin = console.user("admin")
    response = admin.post(
        f"/admin/users/{admin.user.id}",
        data={"display_name": "新名字", "roles": ["agent"], "active": "1"},
    )
    assert response.status_code == 422 and 'id="roles-error"' in response.text
    user = _user(console, admin.user.username)
    assert user is not None and user.roles == ["admin"] and user.display_name != "新名字"
    console.session.rollback()


def test_reset_password(console: Console) -> None:
    admin = console.user("admin")
    agent_id = console.operator.agent.id
    console.session.rollback()
    mismatch = admin.post(
        f"/admin/users/{agent_id}/password", data={"password": "new-pass-123", "confirm": "other-pass-1"}
    )
    assert mismatch.status_code == 422 and 'id="confirm-error"' in mismatch.text
    assert _user(console, "agent1").password_hash is None  # type: ignore[union-attr]
    console.session.rollback()
    done = admin.post(
        f"/admin/users/{agent_id}/password", data={"password": "new-pass-123", "confirm": "new-pass-123"}
    )
    assert done.status_code == 303
    user = _user(console, "agent1")
    assert user is not None and user.password_hash and verify_password(user.password_hash, "new-pass-123")
    console.session.rollback()
    assert PASSWORD not in admin.get(f"/admin/users/{agent_id}").text
    console.session.rollback()


def test_errors_follow_the_users_language(console: Console) -> None:
    admin = console.user("admin", lang="en")
    page = admin.get("/admin/users/new")
    assert page.status_code == 200 and "Users and roles" in page.text
    short = admin.post("/admin/users/new", data={"username": "eng", "roles": ["agent"], "password": "short"})
    assert short.status_code == 422 and "The password needs at least 10 characters." in short.text
    assert _user(console, "eng") is None
    console.session.rollback()

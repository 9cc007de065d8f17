"""Admin pages: the category tree — search, add child, rename, deactivate/reactivate; rights."""

from __future__ import annotations

from sqlalchemy import select

from manyi.categories.models import Category
from manyi.categories.tree import seed_categories
from tests.fixtures.console import Console, text_of


def _find(console: Console, code: str) -> tuple[int, str, str | None, str, bool] | None:
    c = console.session.scalars(select(Category).where(Category.code == code)).first()
    row = (c.id, c.name, c.name_en, c.path, c.active) if c else None
    console.session.rollback()
    return row


def _cat(console: Console, code: str) -> tuple[int, str, str | None, str, bool]:
    row = _find(console, code)
    assert row is not None, code
    return row


def _seed(console: Console) -> None:
    seed_categories(console.session)
    console.session.commit()


def test_tree_and_search_and_rights(console: Console) -> None:
    _seed(console)
    admin, dispatcher, agent = console.user("admin"), console.user("dispatcher"), console.user("agent")
    tree = text_of(admin.get("/admin/categories").text)
    assert "网络问题" in tree and "宽带故障" in tree and "费用问题" in tree
    found = text_of(admin.get("/admin/categories?q=宽带").text)
    assert "宽带故障" in found and "NET/NET.BB" in found and "费用问题" not in found
    assert "BB" in text_of(admin.get("/admin/categories?q=bb").text)  # codes match case-insensitively
    assert "没有与“不存在”匹配的分类" in text_of(admin.get("/admin/categories?q=不存在").text)
    net = _cat(console, "NET")
    assert net is not None
    assert dispatcher.get(f"/admin/categories/{net[0]}").status_code == 200
    assert dispatcher.post(f"/admin/categories/{net[0]}", data={"name": "改名"}).status_code == 403
    assert dispatcher.post(f"/admin/categories/{net[0]}/active", data={"active": "0"}).status_code == 403
    assert (
        dispatcher.post(
            f"/admin/categories/{net[0]}/children", data={"code": "NET.X", "name": "X"}
        ).status_code
        == 403
    )
    assert agent.get("/admin/categories").status_code == 403
    assert _cat(console, "NET") == net and _find(console, "NET.X") is None


def test_add_child_rename_deactivate_and_reactivate(console: Console) -> None:
    _seed(console)
    admin = console.user("admin")
    net = _cat(console, "NET")
    assert net is not None
    added = admin.post(
        f"/admin/categories/{net[0]}/children",
        data={"code": "net.fibre", "name": "光纤故障", "name_en": "Fibre"},
    )
    assert added.status_code == 303, added.text
    fibre = _cat(console, "NET.FIBRE")
    assert fibre is not None and fibre[1:] == ("光纤故障", "Fibre", "NET/NET.FIBRE", True)
    renamed = admin.post(
        f"/admin/categories/{net[0]}", data={"name": "网络质量问题", "name_en": "Network quality"}
    )
    assert renamed.status_code == 303
    assert _cat(console, "NET")[1:3] == ("网络质量问题", "Network quality")
    assert admin.post(f"/admin/categories/{net[0]}/active", data={"active": "0"}).status_code == 303
    assert (
        not _cat(console, "NET")[4] and not _cat(console, "NET.BB")[4] and not _cat(console, "NET.FIBRE")[4]
    )
    assert _cat(console, "FEE")[4]
    assert admin.post(f"/admin/categories/{fibre[0]}/active", data={"active": "1"}).status_code == 303
    assert _cat(console, "NET.FIBRE")[4] and _cat(console, "NET")[4]
    assert not _cat(console, "NET.BB")[4]
    top = admin.post("/admin/categories", data={"code": "ROAM", "name": "国际漫游", "name_en": ""})
    assert top.status_code == 303 and _find(console, "ROAM") is not None


def test_bad_category_input_is_shown_next_to_the_field_and_changes_nothing(console: Console) -> None:
    _seed(console)
    admin = console.user("admin")
    net = _cat(console, "NET")
    assert net is not None
    taken = admin.post(f"/admin/categories/{net[0]}/children", data={"code": "NET.BB", "name": "重复"})
    assert taken.status_code == 422 and 'id="code-error"' in taken.text and 'id="child_code"' in taken.text
    spaces = admin.post(f"/admin/categories/{net[0]}/children", data={"code": "有 空格", "name": "坏"})
    assert spaces.status_code == 422 and 'id="code-error"' in spaces.text
    nameless = admin.post(f"/admin/categories/{net[0]}", data={"name": "  "})
    assert (
        nameless.status_code == 422 and 'id="name-error"' in nameless.text and "请填写名称" in nameless.text
    )
    top = admin.post("/admin/categories", data={"code": "fee", "name": "重复的费用"})
    assert top.status_code == 422 and 'id="code-error"' in top.text
    assert _cat(console, "NET") == net
    assert (
        console.session.scalars(
            select(Category).where(Category.name.in_(["重复", "坏", "重复的费用"]))
        ).first()
        is None
    )
    console.session.rollback()

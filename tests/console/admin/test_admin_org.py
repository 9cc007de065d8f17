"""/admin/org: an administrator imports the organisation from a file and exports it; a bad file
changes nothing and lists every problem in Chinese, by line and column."""

from __future__ import annotations

import html
import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from manyi.org.models import Team, User
from manyi.org.regions import seed_province
from tests.fixtures.console import Console, text_of

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def _users(console: Console) -> int:
    count = console.session.scalar(select(func.count()).select_from(User)) or 0
    console.session.rollback()
    return count


def _upload(staff, name: str, data: bytes, **form: str):  # type: ignore[no-untyped-def]
    return staff.post("/admin/org/import", data=form, files={"upload": (name, data)})


def test_the_example_file_imports_and_a_dry_run_saves_nothing(console: Console) -> None:
    seed_province(console.session, province="湖南省")
    console.session.commit()
    admin = console.user("admin")
    before = _users(console)
    data = (EXAMPLES / "org.xlsx").read_bytes()
    checked = _upload(admin, "org.xlsx", data, dry_run="1")
    assert checked.status_code == 200 and "已检查：文件没有问题" in text_of(checked.text)
    assert _users(console) == before
    done = _upload(admin, "org.xlsx", data)
    assert done.status_code == 200
    text = text_of(done.text)
    assert "已导入" in text and "14 个新用户还没有密码" in text
    assert _users(console) == before + 14
    assert (
        console.session.scalars(select(Team.region_code).where(Team.name == "芙蓉装维班")).one() == "430102"
    )
    console.session.rollback()


def test_a_bad_file_lists_every_problem_in_chinese_and_changes_nothing(console: Console) -> None:
    admin = console.user("admin")
    before = _users(console)
    bad = b"username,roles,regions,phone\nwang,wizard,330106,12\nli,agent,999999,13812345678\n"
    refused = _upload(admin, "staff.csv", bad)
    assert refused.status_code == 422
    text = html.unescape(text_of(refused.text))
    assert "staff.csv 中有 3 处问题：未做任何更改" in text
    assert "第 2 行 roles 未知角色 'wizard'" in text
    assert "第 2 行 phone 应为电话号码" in text
    assert "第 3 行 regions 未知区域 '999999'" in text
    assert _users(console) == before
    workbook = _upload(admin, "staff.xlsx", b"not a workbook")
    assert workbook.status_code == 422 and "不是 Excel 工作簿" in text_of(workbook.text)
    assert _upload(admin, "staff.pdf", b"%PDF").status_code == 422


def test_export_for_administrators_only_with_the_same_columns(console: Console) -> None:
    admin, supervisor = console.user("admin"), console.user("supervisor")
    got = admin.get("/admin/org/export.xlsx")
    assert got.status_code == 200 and got.headers["content-disposition"].startswith(
        'attachment; filename="manyi-org-'
    )
    book = load_workbook(io.BytesIO(got.content))
    assert book.sheetnames == ["departments", "teams", "users"]
    names = [row[0] for row in book["users"].iter_rows(min_row=2, values_only=True)]
    assert "tech1" in names and "agent1" in names
    csv = admin.get("/admin/org/export.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert supervisor.get("/admin/org").status_code == 200  # may look, not import or export
    assert supervisor.get("/admin/org/export.csv").status_code == 403
    assert _upload(supervisor, "org.csv", b"username,roles\nx,agent\n").status_code == 403
    assert admin.get("/admin/org/export.pdf").status_code == 404


def test_an_upload_without_the_form_token_is_refused(console: Console) -> None:
    admin = console.user("admin")
    refused = admin.client.post(
        "/admin/org/import",
        files={"upload": ("org.csv", b"username,roles\nx,agent\n")},
        follow_redirects=False,
    )
    assert refused.status_code == 403

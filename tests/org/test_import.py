"""The organisation file: the shipped examples import cleanly after `manyi setup --province 湖南省`,
a bad file changes nothing and names every bad line, an export imports back unchanged."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.calendars.service import seed_calendars
from manyi.org.departments import create_department
from manyi.org.exporting import export_org, org_records
from manyi.org.importing import TEMPLATES, import_org
from manyi.org.models import Department, Team, User
from manyi.org.orgfile import OrgFileInvalid, read_org_file
from manyi.org.passwords import verify_password
from manyi.org.regions import seed_province
from manyi.org.service import create_user

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.fixture
def hunan(session: Session) -> Session:
    seed_province(session, province="湖南省")
    seed_calendars(session)
    session.flush()
    return session


def _import(session: Session, name: str, data: bytes, **kwargs: object):  # type: ignore[no-untyped-def]
    return import_org(session, read_org_file(name, data), **kwargs)  # type: ignore[arg-type]


def _state(session: Session) -> list[tuple[object, ...]]:
    users = session.execute(
        select(
            User.username,
            User.display_name,
            User.roles,
            User.regions,
            User.team_id,
            User.skills,
            User.phone,
            User.active,
        ).order_by(User.username)
    ).all()
    teams = session.execute(
        select(Team.name, Team.region_code, Team.calendar_name, Team.lead_user_id).order_by(Team.name)
    ).all()
    depts = session.execute(
        select(Department.name, Department.kind, Department.region_code, Department.head_user_id).order_by(
            Department.name
        )
    ).all()
    return [tuple(r) for r in [*users, *teams, *depts]]


@pytest.mark.parametrize("example", ["org.xlsx", "org.csv"])
def test_the_example_imports_cleanly_and_again_changes_nothing(hunan: Session, example: str) -> None:
    data = (EXAMPLES / example).read_bytes()
    report = _import(hunan, example, data)
    assert (report.created["departments"], report.created["teams"], report.created["users"]) == (5, 5, 14)
    assert report.without_password == 14
    yangfan = hunan.scalars(select(User).where(User.username == "yangfan")).one()
    assert (
        yangfan.roles == ["technician"]
        and yangfan.regions == ["430102"]
        and yangfan.skills == ["broadband", "iptv"]
    )
    assert yangfan.password_hash is None  # no usable password until an administrator sets one
    team = hunan.scalars(select(Team).where(Team.name == "芙蓉装维班")).one()
    assert team.lead_user_id == yangfan.id and team.region_code == "430102" and yangfan.team_id == team.id
    assert hunan.scalars(select(User.active).where(User.username == "zhuxia")).one() is False
    before = _state(hunan)
    other = "org.csv" if example == "org.xlsx" else "org.xlsx"
    again = _import(hunan, other, (EXAMPLES / other).read_bytes())
    assert sum(again.created.values()) == sum(again.updated.values()) == 0 and again.unchanged["users"] == 14
    assert _state(hunan) == before


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_imports_back_unchanged(hunan: Session, fmt: str) -> None:
    _import(hunan, "org.csv", (EXAMPLES / "org.csv").read_bytes())
    before = _state(hunan)
    data = export_org(hunan, filename=f"org.{fmt}", pii=True)
    report = _import(hunan, f"org.{fmt}", data)
    assert sum(report.updated.values()) == 0 and report.unchanged["users"] == 14
    assert _state(hunan) == before


BAD_CSV = """record,name,kind,department,region,calendar,lead,username,display_name,roles,regions,team,phone,active,initial_password,colour
department,网络部,network,,430000,,,,,,,,,,,
department,网络部,networking,,,,,,,,,,,,,
team,光网班,,没有的部门,长沙,nightly,nobody,,,,,,,,,
robot,,,,,,,,,,,,,,,
user,,,,,,,x y,,wizard,999999,光网班,138****5678,maybe,,blue
user,,,,,,,wang,王,agent,朝阳区,,12,yes,short,
user,,,,,,,wang,王,agent,,,,,,
"""


def test_a_bad_file_names_every_bad_line_and_changes_nothing(hunan: Session) -> None:
    seed_province(hunan, province="北京市")  # two 朝阳区 would be ambiguous if Jilin were loaded; one is not
    before = _state(hunan)
    with pytest.raises(OrgFileInvalid) as caught:
        _import(hunan, "bad.csv", BAD_CSV.encode())
    found = {(p.line, p.column): p.message for p in caught.value.problems}
    expected = {
        (1, "colour"): "unknown column 'colour'",
        (3, "name"): "appears more than once in the file (also line 2)",
        (3, "kind"): "expected one of hotline",
        (4, "department"): "unknown department '没有的部门'",
        (4, "region"): "unknown region '长沙'",
        (4, "calendar"): "unknown calendar 'nightly'; expected one of 24x7, office",
        (4, "lead"): "unknown user 'nobody'",
        (5, "record"): "expected department, team or user, got 'robot'",
        (6, "username"): "expected 1-64 characters without spaces",
        (6, "roles"): "unknown role 'wizard'",
        (6, "regions"): "unknown region '999999'",
        (6, "phone"): "is a masked number",
        (6, "active"): "expected yes or no, got 'maybe'",
        (7, "phone"): "expected a phone number",
        (8, "username"): "'wang' appears more than once in the file (also line 7)",
    }
    for key, text in expected.items():
        assert key in found and text in found[key], (key, found.get(key), sorted(found))
    assert (7, "regions") not in found  # 朝阳区 names one loaded region: taken by name
    str_problem = next(str(p) for p in caught.value.problems if p.line == 6 and p.column == "roles")
    assert str_problem.startswith("line 6, column roles: unknown role")
    hunan.rollback()
    assert _state(hunan) == before


def test_the_user_services_rules_apply_to_imported_users(hunan: Session) -> None:
    """An initial password goes through the user service and its password policy; a refusal names
    the line and column, and nothing of the file is kept."""
    data = b"username,roles,initial_password\nlisi,agent,a-long-passw0rd\nwangwu,agent,short\n"
    with pytest.raises(OrgFileInvalid) as caught:
        _import(hunan, "users.csv", data)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (3, "initial_password") and "password" in problem.message
    assert "short" not in str(problem)  # the password itself is never repeated
    hunan.rollback()
    assert hunan.scalar(select(func.count()).select_from(User)) == 0
    report = _import(hunan, "users.csv", data.replace(b"short", b"another-passw0rd"))
    assert report.created["users"] == 2 and report.without_password == 0
    lisi = hunan.scalars(select(User).where(User.username == "lisi")).one()
    assert verify_password(lisi.password_hash, "a-long-passw0rd")
    # An existing user's password is never changed by an import.
    _import(hunan, "users.csv", b"username,roles,initial_password\nlisi,agent,yet-another-passw0rd\n")
    assert verify_password(lisi.password_hash, "a-long-passw0rd")


def test_an_administrator_cannot_demote_themselves_by_import(hunan: Session) -> None:
    boss = create_user(hunan, username="boss", roles=["admin"])
    with pytest.raises(OrgFileInvalid) as caught:
        _import(hunan, "u.csv", b"username,roles\nboss,agent\n", actor_id=boss.id)
    assert "cannot change your own roles" in caught.value.problems[0].message


def test_columns_absent_from_the_file_are_left_alone(hunan: Session) -> None:
    _import(hunan, "org.csv", (EXAMPLES / "org.csv").read_bytes())
    _import(hunan, "u.csv", b'username,roles\nzhangwei,"agent, supervisor"\n')
    zhang = hunan.scalars(select(User).where(User.username == "zhangwei")).one()
    assert (
        zhang.roles == ["agent", "supervisor"] and zhang.phone == "13807310002" and zhang.team_id is not None
    )
    _import(hunan, "u.csv", b"username,roles,phone,team\nzhangwei,agent,,\n")  # empty cells clear
    assert zhang.phone is None and zhang.team_id is None


def test_excel_with_chinese_sheet_and_column_names_and_numbers_as_phones(hunan: Session) -> None:
    create_department(hunan, name="热线中心", kind="hotline", region_code="430000")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "人员"
    sheet.append(["用户名", "姓名", "角色", "管辖区域", "手机"])
    sheet.append(["zhao", "赵六", "agent", "芙蓉区", 13807319999])
    sheet.append([None, None, None, None, None])
    sheet.append(["qian", "钱七", "技师", "430102", "138-0731-0000"])
    notes = book.create_sheet("说明")
    notes.append(["anything here is ignored"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(OrgFileInvalid) as caught:
        _import(hunan, "staff.xlsx", out.getvalue())
    (problem,) = caught.value.problems
    assert str(problem).startswith("人员 sheet, row 4, column C (roles): unknown role '技师'")
    sheet.cell(4, 3).value = "technician"
    out = io.BytesIO()
    book.save(out)
    _import(hunan, "staff.xlsx", out.getvalue())
    zhao = hunan.scalars(select(User).where(User.username == "zhao")).one()
    assert zhao.phone == "13807319999" and zhao.regions == ["430102"]


def test_a_csv_saved_by_chinese_excel_in_gb18030(hunan: Session) -> None:
    data = "username,display_name,roles\nzhou,周八,agent\n".encode("gb18030")
    _import(hunan, "staff.csv", data)
    assert hunan.scalars(select(User.display_name).where(User.username == "zhou")).one() == "周八"


def test_exports_neither_run_formulas_nor_leak_passwords_or_phones(hunan: Session) -> None:
    create_user(
        hunan,
        username="eve",
        display_name="=HYPERLINK(1)",
        roles=["agent"],
        password="a-long-passw0rd",
        phone="+8613807310000",
    )
    csv_text = export_org(hunan, filename="o.csv", pii=True).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in csv_text and "'+8613807310000" in csv_text
    book = load_workbook(io.BytesIO(export_org(hunan, filename="o.xlsx", pii=False)))
    cell = book["users"]["B2"]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s"  # text, not a formula
    assert book["users"]["G2"].value == "+86****0000"
    assert "argon2" not in csv_text and all(
        r["initial_password"] == "" for r in org_records(hunan, pii=True)["users"]
    )
    # And the quoted values import back as they were.
    report = _import(hunan, "o.csv", export_org(hunan, filename="o.csv", pii=True))
    assert report.unchanged["users"] == 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("org.pdf", b"%PDF", "expected an .xlsx or .csv file"),
        ("org.xlsx", b"not a zip", "not an Excel workbook"),
        ("org.csv", b"", "the file is empty"),
        ("org.csv", b"\xff\xfe\x00bad", "neither UTF-8 nor GB18030"),
    ],
)
def test_files_that_are_not_organisation_files(name: str, data: bytes, message: str) -> None:
    with pytest.raises(OrgFileInvalid) as caught:
        read_org_file(name, data)
    assert message in caught.value.problems[0].message


def test_every_problem_message_has_a_chinese_translation() -> None:
    from manyi.console.i18n import catalog_ids

    known = catalog_ids("zh_CN")
    assert [t for t in TEMPLATES if t not in known] == []

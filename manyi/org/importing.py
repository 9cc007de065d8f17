"""Import the organisation file (departments, teams, staff) into the database, all or nothing.

Every row is checked first against the file and the database, and every problem is reported with
its line and column; only a clean file is written, through the same services the admin pages use
(so the user service's rules, its password policy included, apply to imported staff as well). Rows
are matched by name (departments, teams) and user name: a known one is updated, a new one created,
nothing absent from the file is removed or disabled. A column the file does not have leaves that
field alone; an empty cell clears it (an empty `active` means yes, an empty display name the user
name). `initial_password` applies only to users the import creates: without one they have no
usable password until an administrator sets it. Passwords are never logged or exported.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.auth.permissions import ROLES
from manyi.calendars.models import Calendar
from manyi.core.errors import ManyiError, ValidationFailed
from manyi.org.departments import DEPARTMENT_KINDS, create_department, update_department
from manyi.org.models import ORGANISATION_KINDS, Department, Organisation, Region, Team, User
from manyi.org.organisations import create_organisation, update_organisation
from manyi.org.orgfile import FILE_TEMPLATES, OrgFileInvalid, OrgTables, Problem, Row, split_list
from manyi.org.service import create_team, create_user, update_team, update_user

Stage = Callable[[str, int], Callable[[int], None]]

REQUIRED = "%(name)s is required"
TOO_LONG = "expected at most %(max)s characters"
DUPLICATE = "%(value)s appears more than once in the file (also %(other)s)"
BAD_CHOICE = "expected one of %(expected)s, got %(value)s"
UNKNOWN_REGION = "unknown region %(value)s: expected the code of a loaded region (e.g. 430102) or its name"
AMBIGUOUS_REGION = "the region name %(value)s is not unique (%(codes)s): give the code"
UNKNOWN_DEPARTMENT = "unknown department %(value)s: not in this file nor in the database"
UNKNOWN_TEAM = "unknown team %(value)s: not in this file nor in the database"
UNKNOWN_ORGANISATION = "unknown organisation %(value)s: not in this file nor in the database"
UNKNOWN_USER = "unknown user %(value)s: not in this file nor in the database"
UNKNOWN_CALENDAR = "unknown calendar %(value)s; expected one of %(expected)s"
UNKNOWN_ROLE = "unknown role %(value)s; expected one of %(expected)s"
BAD_USERNAME = "expected 1-64 characters without spaces, got %(value)s"
BAD_PHONE = "expected a phone number (digits, optionally with +, - or spaces; 5-20 characters), got %(value)s"
MASKED_PHONE = "%(value)s is a masked number (an export without the PII permission): give the full number or leave it empty"
BAD_EMAIL = "expected an e-mail address, got %(value)s"
BAD_ACTIVE = "expected yes or no, got %(value)s"
REJECTED = "rejected: %(reason)s"
# Every message a problem can carry; the console translates each (tests/org check the catalog).
TEMPLATES = (
    *FILE_TEMPLATES,
    REQUIRED,
    TOO_LONG,
    DUPLICATE,
    BAD_CHOICE,
    UNKNOWN_REGION,
    AMBIGUOUS_REGION,
    UNKNOWN_DEPARTMENT,
    UNKNOWN_TEAM,
    UNKNOWN_ORGANISATION,
    UNKNOWN_USER,
    UNKNOWN_CALENDAR,
    UNKNOWN_ROLE,
    BAD_USERNAME,
    BAD_PHONE,
    MASKED_PHONE,
    BAD_EMAIL,
    BAD_ACTIVE,
    REJECTED,
)
_PHONE = re.compile(r"\+?[0-9][0-9 \-]{3,18}[0-9]")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
YES = {"yes", "y", "true", "1", "是", "启用", "在职"}
NO = {"no", "n", "false", "0", "否", "停用", "离职"}


@dataclass
class ImportReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    without_password: int = 0  # users created without an initial password (cannot log in yet)

    def summary(self) -> str:
        parts = [
            f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated, {self.unchanged[kind]} unchanged"
            for kind in ("organisations", "departments", "teams", "users")
        ]
        return "; ".join(parts)


@dataclass
class _Known:
    """What names refer to: the database's and the file's."""

    regions: dict[str, str]  # code -> name
    by_name: dict[str, list[str]]  # region name -> codes
    organisations: set[str]
    departments: set[str]
    teams: set[str]
    users: set[str]
    calendars: list[str]


def _known(session: Session, tables: OrgTables) -> _Known:
    regions = {code: name for code, name in session.execute(select(Region.code, Region.name))}
    by_name: dict[str, list[str]] = {}
    for code, name in regions.items():
        by_name.setdefault(name, []).append(code)
    rows = tables.rows
    return _Known(
        regions,
        by_name,
        set(session.scalars(select(Organisation.name))) | {r.get("name") for r in rows["organisations"]},
        set(session.scalars(select(Department.name))) | {r.get("name") for r in rows["departments"]},
        set(session.scalars(select(Team.name))) | {r.get("name") for r in rows["teams"]},
        set(session.scalars(select(User.username))) | {r.get("username") for r in rows["users"]},
        sorted(session.scalars(select(Calendar.name))),
    )


class _Checker:
    def __init__(self, known: _Known) -> None:
        self.known = known
        self.problems: list[Problem] = []

    def add(self, row: Row, column: str, template: str, **params: Any) -> None:
        self.problems.append(row.problem(column, template, **params))

    def text(self, row: Row, column: str, *, required: bool = False, limit: int = 64) -> str:
        value = row.get(column)
        if required and not value:
            self.add(row, column, REQUIRED, name=column)
        elif len(value) > limit:
            self.add(row, column, TOO_LONG, max=limit)
        return value

    def region(self, row: Row, column: str, value: str) -> str | None:
        if not value:
            return None
        token = value.split()[0]  # "430102 芙蓉区" as an export of names might write it
        if token in self.known.regions:
            return token
        codes = self.known.by_name.get(value, [])
        if len(codes) == 1:
            return codes[0]
        if codes:
            self.add(row, column, AMBIGUOUS_REGION, value=repr(value), codes=", ".join(sorted(codes)))
        else:
            self.add(row, column, UNKNOWN_REGION, value=repr(value))
        return None

    def ref(self, row: Row, column: str, names: set[str], template: str) -> str | None:
        value = row.get(column)
        if value and value not in names:
            self.add(row, column, template, value=repr(value))
        return value or None

    def unique(self, rows: list[Row], column: str) -> None:
        first: dict[str, Row] = {}
        for row in rows:
            value = row.get(column)
            if value and value in first:
                self.add(row, column, DUPLICATE, value=repr(value), other=first[value].where)
            first.setdefault(value, row)


def _check(session: Session, tables: OrgTables) -> list[Problem]:
    known = _known(session, tables)
    c = _Checker(known)
    rows = tables.rows
    for row in rows["organisations"]:
        c.text(row, "name", required=True)
        kind = c.text(row, "kind", required=True)
        if kind and kind not in ORGANISATION_KINDS:
            c.add(row, "kind", BAD_CHOICE, expected=", ".join(ORGANISATION_KINDS), value=repr(kind))
        c.region(row, "region", row.get("region"))
    c.unique(rows["organisations"], "name")
    for row in rows["departments"]:
        c.text(row, "name", required=True)
        kind = c.text(row, "kind", required=True)
        if kind and kind not in DEPARTMENT_KINDS:
            c.add(row, "kind", BAD_CHOICE, expected=", ".join(DEPARTMENT_KINDS), value=repr(kind))
        c.region(row, "region", row.get("region"))
        c.ref(row, "head", known.users, UNKNOWN_USER)
    c.unique(rows["departments"], "name")
    for row in rows["teams"]:
        c.text(row, "name", required=True)
        if c.text(row, "department", required=True):
            c.ref(row, "department", known.departments, UNKNOWN_DEPARTMENT)
        c.region(row, "region", row.get("region"))
        calendar = row.get("calendar")
        if calendar and calendar not in known.calendars:
            c.add(
                row, "calendar", UNKNOWN_CALENDAR, value=repr(calendar), expected=", ".join(known.calendars)
            )
        c.ref(row, "lead", known.users, UNKNOWN_USER)
        c.ref(row, "organisation", known.organisations, UNKNOWN_ORGANISATION)
    c.unique(rows["teams"], "name")
    for row in rows["users"]:
        username = row.get("username")
        if not username:
            c.add(row, "username", REQUIRED, name="username")
        elif len(username) > 64 or any(ch.isspace() for ch in username):
            c.add(row, "username", BAD_USERNAME, value=repr(username))
        c.text(row, "display_name")
        roles = split_list(row.get("roles"))
        if not roles:
            c.add(row, "roles", REQUIRED, name="roles")
        for role in roles:
            if role not in ROLES:
                c.add(row, "roles", UNKNOWN_ROLE, value=repr(role), expected=", ".join(ROLES))
        for region in split_list(row.get("regions")):
            c.region(row, "regions", region)
        c.ref(row, "team", known.teams, UNKNOWN_TEAM)
        c.ref(row, "organisation", known.organisations, UNKNOWN_ORGANISATION)
        for skill in split_list(row.get("skills")):
            if len(skill) > 32:
                c.add(row, "skills", TOO_LONG, max=32)
        phone = row.get("phone")
        if phone and "*" in phone:
            c.add(row, "phone", MASKED_PHONE, value=repr(phone))
        elif phone and not _PHONE.fullmatch(phone):
            c.add(row, "phone", BAD_PHONE, value=repr(phone))
        email = row.get("email")
        if email and (len(email) > 128 or not _EMAIL.fullmatch(email)):
            c.add(row, "email", BAD_EMAIL, value=repr(email))
        active = row.get("active").lower()
        if active and active not in YES | NO:
            c.add(row, "active", BAD_ACTIVE, value=repr(row.get("active")))
        c.text(row, "initial_password", limit=128)
    c.unique(rows["users"], "username")
    return c.problems


def _rejected(row: Row, exc: ManyiError, columns: dict[str, str]) -> Problem:
    """A service refused the row (a rule only it knows, such as the password policy)."""
    column = columns.get(exc.field or "", exc.field)
    return row.problem(column if column in row.values else None, REJECTED, reason=exc.message)


USER_COLUMNS = {
    "password": "initial_password",
    "displayName": "display_name",
    "role": "roles",
    "region": "regions",
    "team": "team",
    "organisation": "organisation",
}


class _Writer:
    def __init__(self, session: Session, known: _Known, actor_id: int | None) -> None:
        self.session = session
        self.known = known
        self.actor_id = actor_id
        self.report = ImportReport()
        self.problems: list[Problem] = []
        self.checker = _Checker(known)

    def count(self, kind: str, created: bool, changed: bool) -> None:
        bucket = self.report.created if created else self.report.updated if changed else self.report.unchanged
        bucket[kind] += 1

    def regions(self, row: Row) -> list[str]:
        codes = (self.checker.region(row, "regions", v) for v in split_list(row.get("regions")))
        return list(dict.fromkeys(c for c in codes if c))

    def organisation_id(self, row: Row) -> int | None:
        name = row.get("organisation")
        if not name:
            return None
        found = self.session.scalars(select(Organisation.id).where(Organisation.name == name)).first()
        if found is None:  # its own row was refused: reported there
            raise ValidationFailed(f"organisation {name!r} was not created", field="organisation")
        return found

    def organisation(self, row: Row) -> None:
        values: dict[str, Any] = {"kind": row.get("kind")}
        if "region" in row.values:
            values["region_code"] = self.checker.region(row, "region", row.get("region"))
        existing = self.session.scalars(
            select(Organisation).where(Organisation.name == row.get("name"))
        ).first()
        if existing is None:
            create_organisation(self.session, name=row.get("name"), **values)
            self.count("organisations", True, False)
            return
        changes = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if changes:
            update_organisation(self.session, organisation_id=existing.id, changes=changes)
        self.count("organisations", False, bool(changes))

    def department(self, row: Row) -> None:
        values: dict[str, Any] = {"kind": row.get("kind")}
        if "region" in row.values:
            values["region_code"] = self.checker.region(row, "region", row.get("region"))
        existing = self.session.scalars(select(Department).where(Department.name == row.get("name"))).first()
        if existing is None:
            create_department(self.session, name=row.get("name"), **values)
            self.count("departments", True, False)
            return
        changes = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if changes:
            update_department(self.session, department_id=existing.id, changes=changes)
        self.count("departments", False, bool(changes))

    def team(self, row: Row) -> None:
        department = self.session.scalars(
            select(Department.id).where(Department.name == row.get("department"))
        ).first()
        if department is None:  # its own row was refused: reported there
            raise ValidationFailed(
                f"department {row.get('department')!r} was not created", field="department"
            )
        values: dict[str, Any] = {"department_id": department}
        if "region" in row.values:
            values["region_code"] = self.checker.region(row, "region", row.get("region"))
        if "calendar" in row.values:
            values["calendar_name"] = row.get("calendar") or None
        if "organisation" in row.values:
            values["organisation_id"] = self.organisation_id(row)
        existing = self.session.scalars(select(Team).where(Team.name == row.get("name"))).first()
        if existing is None:
            create_team(self.session, name=row.get("name"), **values)
            self.count("teams", True, False)
            return
        changes = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if changes:
            update_team(self.session, team_id=existing.id, changes=changes)
        self.count("teams", False, bool(changes))

    def user(self, row: Row) -> None:
        values: dict[str, Any] = {"roles": sorted(set(split_list(row.get("roles"))))}
        present = row.values
        if "display_name" in present:
            values["display_name"] = row.get("display_name") or row.get("username")
        if "regions" in present:
            values["regions"] = self.regions(row)
        if "team" in present:
            team = row.get("team")
            values["team_id"] = (
                self.session.scalars(select(Team.id).where(Team.name == team)).first() if team else None
            )
            if team and values["team_id"] is None:  # its own row was refused: reported there
                raise ValidationFailed(f"team {team!r} was not created", field="team")
        if "organisation" in present:
            values["organisation_id"] = self.organisation_id(row)
        if "skills" in present:
            values["skills"] = list(dict.fromkeys(split_list(row.get("skills"))))
        for key in ("phone", "email"):
            if key in present:
                values[key] = row.get(key) or None
        if "active" in present:
            values["active"] = row.get("active").lower() not in NO
        existing = self.session.scalars(select(User).where(User.username == row.get("username"))).first()
        if existing is None:
            password = row.get("initial_password") or None
            active = values.pop("active", True)
            user = create_user(self.session, username=row.get("username"), password=password, **values)
            if not active:
                update_user(self.session, user_id=user.id, changes={"active": False})
            self.report.without_password += password is None
            self.count("users", True, False)
            return
        changes = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if changes:
            update_user(self.session, user_id=existing.id, changes=changes, actor_id=self.actor_id)
        self.count("users", False, bool(changes))

    def links(self, tables: OrgTables) -> None:
        """Team leads and department heads, once every user exists."""
        ids = {name: user_id for name, user_id in self.session.execute(select(User.username, User.id))}
        for row in tables.rows["teams"]:
            if "lead" in row.values:
                team = self.session.scalars(select(Team).where(Team.name == row.get("name"))).one()
                lead = ids.get(row.get("lead")) if row.get("lead") else None
                if team.lead_user_id != lead:
                    update_team(self.session, team_id=team.id, changes={"lead_user_id": lead})
        for row in tables.rows["departments"]:
            if "head" in row.values:
                dept = self.session.scalars(
                    select(Department).where(Department.name == row.get("name"))
                ).one()
                head = ids.get(row.get("head")) if row.get("head") else None
                if dept.head_user_id != head:
                    update_department(self.session, department_id=dept.id, changes={"head_user_id": head})


def import_org(
    session: Session, tables: OrgTables, *, actor_id: int | None = None, on_stage: Stage | None = None
) -> ImportReport:
    """Check every row, then write them all; raise OrgFileInvalid with every problem, having written
    nothing the caller's unit of work will keep (it rolls back on the exception)."""
    problems = sorted(
        [*tables.problems, *_check(session, tables)], key=lambda p: (p.where.split(",")[0], p.line)
    )
    if problems:
        raise OrgFileInvalid(problems)
    writer = _Writer(session, _known(session, tables), actor_id)
    steps: list[tuple[str, Callable[[Row], None]]] = [
        ("organisations", writer.organisation),
        ("departments", writer.department),
        ("teams", writer.team),
        ("users", writer.user),
    ]
    for kind, write in steps:
        rows = tables.rows[kind]
        advance = on_stage(kind, len(rows)) if on_stage else (lambda _n: None)
        for row in rows:
            try:
                write(row)
            except ManyiError as exc:
                writer.problems.append(_rejected(row, exc, USER_COLUMNS))
            advance(1)
    if not writer.problems:
        writer.links(tables)
    if writer.problems:
        raise OrgFileInvalid(writer.problems)
    session.flush()
    return writer.report

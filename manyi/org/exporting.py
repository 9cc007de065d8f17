"""Export the organisation in the import's format, so an export edited and imported again round-trips."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.masking import mask_phone
from manyi.org.models import Department, Organisation, Team, User
from manyi.org.orgfile import write_csv, write_xlsx


def org_records(session: Session, *, pii: bool) -> dict[str, list[dict[str, str]]]:
    """Departments, teams and users as the file's rows; phones masked without pii (such an export
    cannot be imported back with its phones: the import refuses masked numbers). No passwords."""
    users = list(session.scalars(select(User).order_by(User.username)))
    username = {u.id: u.username for u in users}
    departments = list(session.scalars(select(Department).order_by(Department.name)))
    department_name = {d.id: d.name for d in departments}
    teams = list(session.scalars(select(Team).order_by(Team.name)))
    team_name = {t.id: t.name for t in teams}
    organisations = list(session.scalars(select(Organisation).order_by(Organisation.name)))
    organisation_name = {o.id: o.name for o in organisations}
    return {
        "organisations": [
            {"name": o.name, "kind": o.kind, "region": o.region_code or ""} for o in organisations
        ],
        "departments": [
            {
                "name": d.name,
                "kind": d.kind,
                "region": d.region_code or "",
                "head": username.get(d.head_user_id or 0, ""),
            }
            for d in departments
        ],
        "teams": [
            {
                "name": t.name,
                "department": department_name.get(t.department_id, ""),
                "region": t.region_code or "",
                "calendar": t.calendar_name or "",
                "lead": username.get(t.lead_user_id or 0, ""),
                "organisation": organisation_name.get(t.organisation_id or 0, ""),
            }
            for t in teams
        ],
        "users": [
            {
                "username": u.username,
                "display_name": u.display_name,
                "roles": ", ".join(u.roles),
                "regions": ", ".join(u.regions),
                "team": team_name.get(u.team_id or 0, ""),
                "organisation": organisation_name.get(u.organisation_id or 0, ""),
                "skills": ", ".join(u.skills or []),
                "phone": (u.phone if pii else mask_phone(u.phone)) or "",
                "email": u.email or "",
                "active": "yes" if u.active else "no",
                "initial_password": "",
            }
            for u in users
        ],
    }


def export_org(session: Session, *, filename: str, pii: bool) -> bytes:
    """The organisation as an .xlsx workbook or a .csv file, chosen by filename's extension."""
    records = org_records(session, pii=pii)
    return write_xlsx(records) if filename.lower().endswith(".xlsx") else write_csv(records)

"""Departments: the units teams belong to, with a head who receives escalations. Flush, never commit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.errors import Conflict, NotFound, ValidationFailed
from manyi.org.models import Department, Region, User

# What a department does; the escalation ladder and the demo's routing read these.
DEPARTMENT_KINDS = (
    "hotline",
    "back_office",
    "network",
    "field_own",
    "field_partner",
    "complaint_expert",
    "management",
)
DEPARTMENT_CHANGEABLE = frozenset({"name", "kind", "region_code", "head_user_id"})


def _check(session: Session, values: Mapping[str, Any], department_id: int | None = None) -> None:
    if "name" in values:
        name = values["name"]
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 64:
            raise ValidationFailed(
                f"name: expected 1-64 characters, got {name!r}", field="name", key="name.length"
            )
        other = session.scalars(select(Department).where(Department.name == name.strip())).first()
        if other is not None and other.id != department_id:
            raise Conflict(f"name: a department called {name.strip()!r} already exists", field="name")
    if "kind" in values and values["kind"] not in DEPARTMENT_KINDS:
        raise ValidationFailed(
            f"kind: expected one of {', '.join(DEPARTMENT_KINDS)}, got {values['kind']!r}", field="kind"
        )
    code = values.get("region_code")
    if code is not None and session.get(Region, code) is None:
        raise ValidationFailed(f"regionCode: unknown region code {code!r}", field="regionCode")
    head = values.get("head_user_id")
    if head is not None and session.get(User, head) is None:
        raise ValidationFailed(f"head: unknown user id {head}", field="head")


def create_department(
    session: Session,
    *,
    name: str,
    kind: str,
    region_code: str | None = None,
    head_user_id: int | None = None,
) -> Department:
    """Create a department."""
    values = {"name": name, "kind": kind, "region_code": region_code, "head_user_id": head_user_id}
    _check(session, values)
    department = Department(**{**values, "name": name.strip()})
    session.add(department)
    session.flush()
    return department


def update_department(session: Session, *, department_id: int, changes: Mapping[str, Any]) -> Department:
    """Apply changes (keys of DEPARTMENT_CHANGEABLE)."""
    unknown = set(changes) - DEPARTMENT_CHANGEABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]}: cannot be changed", field=sorted(unknown)[0])
    department = session.get(Department, department_id)
    if department is None:
        raise NotFound(f"department {department_id} does not exist")
    _check(session, changes, department.id)
    for key, value in changes.items():
        setattr(department, key, value.strip() if key == "name" else value)
    session.flush()
    return department

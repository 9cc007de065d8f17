"""Organisations: the operator's channel partners (代销点) and contractors (代维). Flush, never commit.

Staff and teams with no organisation are the operator's own. A channel partner's staff see only
their organisation's orders (manyi.orders.partner_scope); a contractor's teams are field crews whose
limits SLA policies may set apart (manyi.sla.policies.targets_for).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.errors import Conflict, NotFound, ValidationFailed
from manyi.org.models import ORGANISATION_KINDS, Organisation, Region

ORGANISATION_CHANGEABLE = frozenset({"name", "kind", "region_code", "active"})


def _check(session: Session, values: Mapping[str, Any], organisation_id: int | None = None) -> None:
    if "name" in values:
        name = values["name"]
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 64:
            raise ValidationFailed(f"name: expected 1-64 characters, got {name!r}", field="name")
        other = session.scalars(select(Organisation).where(Organisation.name == name.strip())).first()
        if other is not None and other.id != organisation_id:
            raise Conflict(f"name: an organisation called {name.strip()!r} already exists", field="name")
    if "kind" in values and values["kind"] not in ORGANISATION_KINDS:
        raise ValidationFailed(
            f"kind: expected one of {', '.join(ORGANISATION_KINDS)}, got {values['kind']!r}", field="kind"
        )
    code = values.get("region_code")
    if code is not None and session.get(Region, code) is None:
        raise ValidationFailed(f"regionCode: unknown region code {code!r}", field="regionCode")


def create_organisation(
    session: Session, *, name: str, kind: str, region_code: str | None = None, active: bool = True
) -> Organisation:
    """Create an organisation (kind: own, channel_partner or contractor)."""
    values = {"name": name, "kind": kind, "region_code": region_code}
    _check(session, values)
    organisation = Organisation(name=name.strip(), kind=kind, region_code=region_code, active=active)
    session.add(organisation)
    session.flush()
    return organisation


def update_organisation(
    session: Session, *, organisation_id: int, changes: Mapping[str, Any]
) -> Organisation:
    """Apply changes (keys of ORGANISATION_CHANGEABLE)."""
    unknown = set(changes) - ORGANISATION_CHANGEABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]}: cannot be changed", field=sorted(unknown)[0])
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    _check(session, changes, organisation.id)
    for key, value in changes.items():
        setattr(organisation, key, value.strip() if key == "name" else value)
    session.flush()
    return organisation


def organisation_by_name(session: Session, name: str) -> Organisation:
    """The organisation with this name, or a ValidationFailed naming the field."""
    found = session.scalars(select(Organisation).where(Organisation.name == name.strip())).first()
    if found is None:
        raise ValidationFailed(f"organisation: unknown organisation {name!r}", field="organisation")
    return found


def check_organisation(session: Session, organisation_id: int | None) -> int | None:
    """An organisation id a user or team may be given (None: the operator's own)."""
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise ValidationFailed(
            f"organisation: unknown organisation id {organisation_id}", field="organisation"
        )
    return organisation_id


def all_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))

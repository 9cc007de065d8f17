"""Setting up an installation: the reference data every operator needs, and a first administrator.

`manyi setup` and `manyi demo` both call `seed_reference_data`; a second run adds nothing and the
report says so. Flush, never commit: the caller's unit of work makes the whole setup or none of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.calendars.models import Calendar, HolidayYear
from manyi.calendars.service import seed_calendars
from manyi.categories.models import Category
from manyi.categories.tree import seed_categories
from manyi.core.errors import ValidationFailed
from manyi.org.models import User
from manyi.org.regions import PROVINCE_HINT, find_province, seed_province, unknown_province
from manyi.org.service import create_user
from manyi.sla.models import SlaPolicy
from manyi.sla.policies import seed_default_policies


@dataclass(frozen=True)
class Step:
    what: str
    added: int
    total: int
    detail: str = ""


@dataclass
class SetupReport:
    steps: list[Step] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(s.added for s in self.steps)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def resolve_provinces(names: list[str]) -> list[tuple[str, str]]:
    """(code, name) of each province given, every unknown one named in a single error."""
    found = [find_province(name) for name in names]
    unknown = [unknown_province(name) for name, hit in zip(names, found, strict=True) if hit is None]
    if unknown:
        raise ValidationFailed(f"province: {', '.join(unknown)}; {PROVINCE_HINT}", field="province")
    if not found:
        raise ValidationFailed("province: give at least one --province (e.g. 湖南省)", field="province")
    return list(dict.fromkeys(hit for hit in found if hit is not None))


def seed_reference_data(session: Session, *, provinces: list[str]) -> SetupReport:
    """Regions of the provinces from the official division table, the built-in calendars and the
    national holiday schedule, the default SLA policies and the category tree (each only where absent)."""
    report = SetupReport()
    for code, name in resolve_provinces(provinces):
        seeded = seed_province(session, province=code)
        renamed = f"; {seeded.renamed} renamed to the official name" if seeded.renamed else ""
        report.steps.append(
            Step(f"regions of {name}", seeded.added, len(seeded.regions), renamed.lstrip("; "))
        )
    calendars, years = _count(session, Calendar), _count(session, HolidayYear)
    seed_calendars(session)
    session.flush()
    report.steps.append(Step("calendars", _count(session, Calendar) - calendars, _count(session, Calendar)))
    first, last = session.execute(select(func.min(HolidayYear.year), func.max(HolidayYear.year))).one()
    report.steps.append(
        Step(
            "national holiday schedule (years)",
            _count(session, HolidayYear) - years,
            _count(session, HolidayYear),
            f"{first}–{last}" if first else "",
        )
    )
    policies = _count(session, SlaPolicy)
    seed_default_policies(session)
    session.flush()
    report.steps.append(
        Step("SLA policies", _count(session, SlaPolicy) - policies, _count(session, SlaPolicy))
    )
    added = seed_categories(session)
    report.steps.append(Step("categories", added, _count(session, Category)))
    return report


def ensure_admin(session: Session, *, username: str | None, password: str | None) -> Step:
    """Create the administrator `username` unless it exists; without a name, check one exists."""
    admins = [u for u in session.scalars(select(User).where(User.active.is_(True))) if "admin" in u.roles]
    if username is None:
        if not admins:
            raise ValidationFailed(
                "admin: there is no administrator yet; give --admin NAME and a password (--password-stdin)",
                field="admin",
            )
        return Step("administrator", 0, len(admins), ", ".join(sorted(u.username for u in admins)))
    existing = session.scalars(select(User).where(User.username == username.strip())).first()
    if existing is not None:
        if "admin" not in existing.roles:
            raise ValidationFailed(
                f"admin: user {existing.username!r} exists without the admin role; "
                "choose another name or give them the role in /admin/users",
                field="admin",
            )
        return Step("administrator", 0, len(admins), f"{existing.username} exists; password not changed")
    if password is None:
        raise ValidationFailed(
            f"password: a password is needed to create the administrator {username!r} (--password-stdin)",
            field="password",
        )
    # Through the user service, so its password policy applies to the first account as to any other.
    user = create_user(session, username=username, display_name=username, roles=["admin"], password=password)
    return Step("administrator", 1, len(admins) + 1, user.username)


def setup_installation(
    session: Session, *, provinces: list[str], admin: str | None, password: str | None
) -> SetupReport:
    """Everything `manyi setup` does; provinces and the administrator are checked before anything is
    loaded, so a typo or a weak password fails in a moment."""
    resolve_provinces(provinces)
    admin_step = ensure_admin(session, username=admin, password=password)
    report = seed_reference_data(session, provinces=provinces)
    report.steps.append(admin_step)
    return report

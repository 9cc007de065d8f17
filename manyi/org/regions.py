"""Administrative divisions from the official table of codes (民政部 县以上行政区划代码).

`data/divisions.csv` holds every provincial-, prefecture- and county-level division (34 / 333 / 2,846
as of the end of 2024) as the ministry publishes them: a six-digit code and a name. A division's
level and parent follow from its code: XX0000 is a province, XXYY00 a prefecture-level city,
anything else a county-level division under its city, or directly under its province where the
table has no such city (the districts of Beijing, Tianjin, Shanghai and Chongqing; county-level
cities administered by a province, such as 仙桃市 or 济源市).
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.errors import ValidationFailed
from manyi.org.models import Region

DIVISIONS_FILE = Path(__file__).resolve().parent / "data" / "divisions.csv"
# Endings a province's short name drops: 湖南 for 湖南省, 内蒙古 for 内蒙古自治区, 香港 for 香港特别行政区.
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str  # province | city | district
    parent_code: str | None


@lru_cache(maxsize=1)
def division_table() -> dict[str, Division]:
    """Every division of the official table by code, parents before children."""
    with DIVISIONS_FILE.open(encoding="utf-8") as fh:
        names = {row["code"]: row["name"] for row in csv.DictReader(fh)}
    table: dict[str, Division] = {}
    for code in sorted(names):  # a parent's code is smaller than its children's
        if code.endswith("0000"):
            table[code] = Division(code, names[code], "province", None)
        elif code.endswith("00"):
            table[code] = Division(code, names[code], "city", code[:2] + "0000")
        else:
            city = code[:4] + "00"
            table[code] = Division(
                code, names[code], "district", city if city in names else code[:2] + "0000"
            )
    return table


def provinces() -> dict[str, str]:
    """The 34 provincial-level divisions: code -> name."""
    return {d.code: d.name for d in division_table().values() if d.level == "province"}


def short_name(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


PROVINCE_HINT = "give a provincial-level division by name (湖南省 or 湖南) or code (430000)"


def find_province(given: str) -> tuple[str, str] | None:
    """(code, name) of a province given by its full name, short name (湖南) or code (430000)."""
    wanted = given.strip()
    for code, name in provinces().items():
        if wanted in (name, code, code[:2]) or wanted == short_name(name):
            return code, name
    return None


def unknown_province(given: str) -> str:
    """Why `given` names no province, with the closest names: "unknown province '湖男' (did you mean …?)"."""
    wanted = given.strip()
    known = provinces()
    spellings = {**{n: n for n in known.values()}, **{short_name(n): n for n in known.values()}}
    # A typo in one character of a two-character short name scores 0.5.
    hints = [spellings[c] for c in difflib.get_close_matches(wanted, list(spellings), n=3, cutoff=0.34)]
    city = next((d for d in division_table().values() if d.name == wanted and d.level != "province"), None)
    notes = []
    if city is not None:
        province = known[city.code[:2] + "0000"]
        notes.append(f"a {'city' if city.level == 'city' else 'district'} of {province}")
        hints.insert(0, province)
    if hints:
        notes.append(f"did you mean {' or '.join(dict.fromkeys(hints))}?")
    return f"unknown province {wanted!r}" + (f" ({'; '.join(notes)})" if notes else "")


def resolve_province(given: str) -> tuple[str, str]:
    """(code, name) of the province given, or a ValidationFailed naming the closest ones."""
    found = find_province(given)
    if found is None:
        raise ValidationFailed(f"province: {unknown_province(given)}; {PROVINCE_HINT}", field="province")
    return found


def division_rows(province: str) -> list[Division]:
    """A province, its cities and districts, parents first."""
    code, _name = resolve_province(province)
    return [d for d in division_table().values() if d.code[:2] == code[:2]]


@dataclass(frozen=True)
class SeededRegions:
    regions: list[Region]
    added: int
    renamed: int


def seed_province(session: Session, *, province: str) -> SeededRegions:
    """Load a province with its cities and districts where absent; a region whose official name
    changed gets the new name. Codes no longer in the table are left alone (orders refer to them)."""
    rows = division_rows(province)
    existing = {
        r.code: r for r in session.scalars(select(Region).where(Region.code.in_([d.code for d in rows])))
    }
    regions, added, renamed = [], 0, 0
    for d in rows:
        region = existing.get(d.code)
        if region is None:
            region = Region(code=d.code, name=d.name, level=d.level, parent_code=d.parent_code)
            session.add(region)
            added += 1
        elif region.name != d.name:
            region.name = d.name
            renamed += 1
        regions.append(region)
    session.flush()
    return SeededRegions(regions, added, renamed)


def seed_regions(session: Session, *, province: str = "浙江省") -> list[Region]:
    """Load a province with its cities and districts (idempotent); return the regions."""
    return seed_province(session, province=province).regions

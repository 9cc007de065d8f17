"""Administrative divisions from the division table shipped in the `cpca` package (民政部 codes)."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

from sqlalchemy.orm import Session

from manyi.core.errors import ValidationFailed
from manyi.org.models import Region


def _adcodes_file() -> Path:
    # Locate the data file without importing cpca itself (which pulls in pandas and jieba).
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise ValidationFailed("the cpca package (division table) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


def division_rows(province: str) -> list[tuple[str, str, str, str | None]]:
    """(code, name, level, parent code) for a province, its cities and districts."""
    with _adcodes_file().open(encoding="utf-8") as fh:
        rows = [(r["adcode"][:6], r["name"]) for r in csv.DictReader(fh)]
    provinces = {code: name for code, name in rows if code.endswith("0000")}
    prefix = next((code[:2] for code, name in provinces.items() if name == province), None)
    if prefix is None:
        raise ValidationFailed(f"province: unknown province {province!r}")
    out: list[tuple[str, str, str, str | None]] = []
    for code, name in sorted(set(rows)):
        if (
            not code.startswith(prefix) or name == "市辖区"
        ):  # 市辖区 is a statistical grouping, not a district
            continue
        if code.endswith("0000"):
            out.append((code, name, "province", None))
        elif code.endswith("00"):
            out.append((code, name, "city", prefix + "0000"))
        else:
            out.append((code, name, "district", code[:4] + "00"))
    return out


def seed_regions(session: Session, *, province: str = "浙江省") -> list[Region]:
    """Load a province with its cities and districts (idempotent); return the regions."""
    regions = []
    for code, name, level, parent in division_rows(province):
        region = session.get(Region, code)
        if region is None:
            region = Region(code=code, name=name, level=level, parent_code=parent)
            session.add(region)
            session.flush()
        regions.append(region)
    return regions

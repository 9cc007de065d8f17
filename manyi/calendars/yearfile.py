"""Parse a year's official schedule (State Council notice) from YAML or CSV. Pure: text in, days out.

YAML::

    year: 2027
    holidays:
      - {name: 元旦, start: 2027-01-01, end: 2027-01-03}
    workdays:
      - {date: 2027-02-06, name: 春节调休}

CSV (header ``kind,name,start,end``; a workday row leaves ``end`` empty)::

    kind,name,start,end
    holiday,元旦,2027-01-01,2027-01-03
    workday,春节调休,2027-02-06,
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import yaml

from manyi.core.errors import ValidationFailed


@dataclass(frozen=True)
class ScheduleDay:
    day: date
    kind: str  # holiday | workday
    name: str


def _date(value: Any, where: str) -> date:
    if isinstance(value, datetime):  # YAML reads "2027-01-01 00:00" as a timestamp
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(f"{where}: expected a date as YYYY-MM-DD, got {value!r}") from None


def _check(days: list[ScheduleDay], year: int) -> list[ScheduleDay]:
    seen: dict[date, str] = {}
    for d in days:
        if d.day.year != year:
            raise ValidationFailed(f"{d.name or d.kind} {d.day}: date is outside {year}")
        if d.day in seen:
            raise ValidationFailed(f"{d.day}: listed twice ({seen[d.day]} and {d.name or d.kind})")
        if d.kind == "workday" and d.day.weekday() < 5:
            raise ValidationFailed(f"{d.day}: a make-up working day must be a Saturday or Sunday")
        seen[d.day] = d.name or d.kind
    if not any(d.kind == "holiday" for d in days):
        raise ValidationFailed(f"schedule for {year} lists no holidays")
    return sorted(days, key=lambda d: d.day)


def _expand(name: str, start: date, end: date, where: str) -> list[ScheduleDay]:
    if end < start:
        raise ValidationFailed(f"{where}: end {end} is before start {start}")
    if (end - start).days > 31:
        raise ValidationFailed(f"{where}: a holiday range longer than 31 days is not plausible")
    return [ScheduleDay(start + timedelta(days=i), "holiday", name) for i in range((end - start).days + 1)]


def parse_yaml(text: str, year: int) -> list[ScheduleDay]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"YAML: {exc}") from None
    except (ValueError, RecursionError) as exc:  # an impossible date such as 2027-02-30 (PyYAML reads dates)
        raise ValidationFailed(f"YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationFailed("YAML: expected a mapping with 'holidays' and 'workdays'")
    if "year" in data and str(data["year"]).strip() != str(year):
        raise ValidationFailed(f"year: the file is for {data['year']!r}, not {year}")
    for key in ("holidays", "workdays"):
        if not isinstance(data.get(key) or [], list):
            raise ValidationFailed(f"{key}: expected a list of entries")
    days: list[ScheduleDay] = []
    for i, item in enumerate(data.get("holidays") or [], start=1):
        where = f"holidays[{i}]"
        if not isinstance(item, dict) or "start" not in item:
            raise ValidationFailed(f"{where}: expected {{name, start, end}}")
        start = _date(item["start"], f"{where}.start")
        end = _date(item.get("end", item["start"]), f"{where}.end")
        days += _expand(str(item.get("name", "")), start, end, where)
    for i, item in enumerate(data.get("workdays") or [], start=1):
        where = f"workdays[{i}]"
        if not isinstance(item, dict) or "date" not in item:
            raise ValidationFailed(f"{where}: expected {{date, name}}")
        days.append(ScheduleDay(_date(item["date"], f"{where}.date"), "workday", str(item.get("name", ""))))
    return _check(days, year)


def parse_csv(text: str, year: int) -> list[ScheduleDay]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _check(_read_csv(reader), year)
    except csv.Error as exc:  # a NUL byte, an unterminated quote
        raise ValidationFailed(f"CSV line {reader.line_num}: {exc}") from None


def _read_csv(reader: csv.DictReader[str]) -> list[ScheduleDay]:
    if reader.fieldnames is None or not {"kind", "start"} <= set(reader.fieldnames):
        raise ValidationFailed("CSV line 1: expected the header kind,name,start,end")
    days: list[ScheduleDay] = []
    for row in reader:
        where = f"CSV line {reader.line_num}"
        kind = (row.get("kind") or "").strip()
        name = (row.get("name") or "").strip()
        start = _date(row.get("start"), f"{where} start")
        if kind == "holiday":
            end = _date(row.get("end") or start.isoformat(), f"{where} end")
            days += _expand(name, start, end, where)
        elif kind == "workday":
            days.append(ScheduleDay(start, "workday", name))
        else:
            raise ValidationFailed(f"{where} kind: expected 'holiday' or 'workday', got {kind!r}")
    return days


def parse_schedule(text: str, year: int, *, filename: str) -> list[ScheduleDay]:
    """Parse a schedule file by its extension (.yaml/.yml or .csv)."""
    lower = filename.lower()
    if lower.endswith((".yaml", ".yml")):
        return parse_yaml(text, year)
    if lower.endswith(".csv"):
        return parse_csv(text, year)
    raise ValidationFailed(f"{filename}: expected a .yaml, .yml or .csv file")

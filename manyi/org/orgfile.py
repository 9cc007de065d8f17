"""The organisation file: departments, teams and staff in an Excel workbook or a CSV file.

Excel (.xlsx): one sheet per record kind, `organisations` (optional: the operator's channel partners
and contractors, 组织), `departments`, `teams`, `users` (or 部门, 班组, 人员),
the first row naming the columns. CSV: one table whose `record` column says what each line is
(organisation, department, team, user); a CSV without that column holds users only, as an HR export would.
Column names are the English keys below or their Chinese names. Lists inside a cell (roles,
regions, skills) are separated by commas, 、 or spaces. Reading checks only the file's shape;
`manyi.org.importing` checks the values against the database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from manyi.core.errors import ValidationFailed

KINDS = ("organisations", "departments", "teams", "users")
COLUMNS: dict[str, tuple[str, ...]] = {
    "organisations": ("name", "kind", "region"),
    "departments": ("name", "kind", "region", "head"),
    "teams": ("name", "department", "region", "calendar", "lead", "organisation"),
    "users": (
        "username",
        "display_name",
        "roles",
        "regions",
        "team",
        "skills",
        "phone",
        "email",
        "active",
        "initial_password",
        "organisation",  # last: files written before organisations keep their columns' places
    ),
}
REQUIRED = {
    "organisations": ("name", "kind"),
    "departments": ("name", "kind"),
    "teams": ("name", "department"),
    "users": ("username", "roles"),
}
CSV_COLUMNS = ("record", *dict.fromkeys(c for kind in KINDS for c in COLUMNS[kind]))
SHEET_NAMES = {"departments": "departments", "部门": "departments", "teams": "teams", "班组": "teams"}
SHEET_NAMES |= {"organisations": "organisations", "organizations": "organisations", "组织": "organisations"}
SHEET_NAMES |= {"users": "users", "staff": "users", "人员": "users", "用户": "users", "员工": "users"}
RECORDS = {"department": "departments", "部门": "departments", "team": "teams", "班组": "teams"}
RECORDS |= {"organisation": "organisations", "organization": "organisations", "组织": "organisations"}
RECORDS |= {"user": "users", "人员": "users", "用户": "users", "员工": "users"}
RECORD_OF = {"organisations": "organisation", "departments": "department", "teams": "team", "users": "user"}
HEADER_ALIASES = {
    "名称": "name",
    "类型": "kind",
    "区域": "region",
    "负责人": "head",
    "部门": "department",
    "日历": "calendar",
    "班组长": "lead",
    "所属组织": "organisation",
    "组织": "organisation",
    "用户名": "username",
    "账号": "username",
    "姓名": "display_name",
    "角色": "roles",
    "管辖区域": "regions",
    "班组": "team",
    "技能": "skills",
    "手机": "phone",
    "电话": "phone",
    "邮箱": "email",
    "启用": "active",
    "初始密码": "initial_password",
    "记录": "record",
}
UNKNOWN_COLUMN = "unknown column %(name)s; expected %(expected)s"
COLUMN_TWICE = "column %(name)s appears twice"
MISSING_COLUMN = "column %(name)s is missing (needed for %(kind)s)"
TOO_MANY_ROWS = "more than %(max)s rows"
NOT_TEXT = "the file is neither UTF-8 nor GB18030 text"
EMPTY = "the file is empty"
BAD_RECORD = "record: expected department, team or user, got %(value)s"
NOT_FOR_RECORD = "a %(record)s has no %(name)s; leave it empty"
NOT_XLSX = "not an Excel workbook (.xlsx); save it as .xlsx or CSV"
NO_SHEET = "no sheet named departments, teams or users (部门, 班组, 人员)"
TOO_LARGE = "larger than %(max)s MB"
BAD_TYPE = "expected an .xlsx or .csv file, got %(name)s"
FILE_TEMPLATES = (
    UNKNOWN_COLUMN,
    COLUMN_TWICE,
    MISSING_COLUMN,
    TOO_MANY_ROWS,
    NOT_TEXT,
    EMPTY,
    BAD_RECORD,
    NOT_FOR_RECORD,
    NOT_XLSX,
    NO_SHEET,
    TOO_LARGE,
    BAD_TYPE,
)
MAX_ROWS = 20_000  # per sheet: a province's staff is a few thousand
MAX_BYTES = 10 * 1024 * 1024
# A spreadsheet runs a cell that starts with one of these as a formula: exports quote it with ' and
# imports drop that quote again (CSV injection, OWASP).
FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file: where, and what was expected (template + params, so the console
    can say it in the user's language)."""

    where: str  # "users sheet, row 5" or "line 5"
    line: int
    column: str | None  # the key, e.g. "roles"
    cell: str | None  # "C" in a workbook, the column's name in a CSV
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def order(self) -> tuple[str, int]:
        """Sheet by sheet, line by line."""
        return (self.where.split(",")[0] if " sheet" in self.where else "", self.line)

    @property
    def message(self) -> str:
        return self.template % self.params

    def __str__(self) -> str:
        at = f", column {self.cell}" + (
            f" ({self.column})" if self.column and self.cell != self.column else ""
        )
        return f"{self.where}{at if self.cell else ''}: {self.message}"


class OrgFileInvalid(ValidationFailed):
    """A file with problems: every one of them, each with its line and column."""

    def __init__(self, problems: list[Problem]) -> None:
        shown = "; ".join(str(p) for p in problems[:5]) + (
            f"; … {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        super().__init__(f"{len(problems)} problem(s) in the file, nothing was changed: {shown}")
        self.problems = problems


@dataclass(frozen=True)
class Row:
    kind: str
    line: int
    where: str
    values: dict[str, str]
    cells: dict[str, str]  # key -> column letter (xlsx) or name (CSV), for messages

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def problem(self, column: str | None, template: str, **params: Any) -> Problem:
        return Problem(self.where, self.line, column, self.cells.get(column or "", column), template, params)


@dataclass
class OrgTables:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {k: [] for k in KINDS})
    # Problems of shape that still leave rows to check (an unknown column, a bad record type): the
    # import reports them together with the values' problems, so one pass lists everything.
    problems: list[Problem] = field(default_factory=list)


def missing_column(where: str, line: int, name: str, kind: str) -> Problem:
    return Problem(
        where,
        line,
        name,
        None,
        MISSING_COLUMN,
        {"name": name, "kind": kind},
    )


def split_list(value: str) -> list[str]:
    """A list typed in one cell: "agent, supervisor", "430102、430103", "broadband iptv"."""
    for sep in ("，", "、", "；", ";", ","):
        value = value.replace(sep, " ")
    return [w for w in value.split() if w]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number Excel stored as a number
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        text = text[1:]
    return text


def _header_key(name: str) -> str:
    key = name.strip().lower().replace(" ", "_")
    return HEADER_ALIASES.get(name.strip(), key)


def _rows(
    kind: str | None,
    lines: Iterable[tuple[int, list[Any]]],
    where: str,
    letters: bool,
    problems: list[Problem],
) -> Iterator[tuple[str | None, Row]]:
    """Rows of one table (kind None: a CSV whose `record` column says), the first line its header."""
    from openpyxl.utils import get_column_letter

    lines = iter(lines)
    header_line, header = next(lines, (0, []))
    keys = [_header_key(_text(h)) if _text(h) else "" for h in header]
    allowed = set(CSV_COLUMNS if kind is None else COLUMNS[kind])
    cells = {k: (get_column_letter(i + 1) if letters else k) for i, k in enumerate(keys) if k}
    at = f"{where}, row" if letters else "line"
    for i, key in enumerate(keys):
        if key and key not in allowed:
            expected = ", ".join(c for c in (CSV_COLUMNS if kind is None else COLUMNS[kind]))
            problems.append(
                Problem(
                    f"{at} {header_line}",
                    header_line,
                    key,
                    get_column_letter(i + 1) if letters else _text(header[i]),
                    UNKNOWN_COLUMN,
                    {"name": repr(_text(header[i])), "expected": expected},
                )
            )
    seen = set()
    for key in keys:
        if key and key in seen:
            problems.append(
                Problem(
                    f"{at} {header_line}",
                    header_line,
                    key,
                    cells[key],
                    COLUMN_TWICE,
                    {"name": key},
                )
            )
        seen.add(key)
    for required in REQUIRED[kind] if kind else ():
        if required not in seen:
            problems.append(missing_column(f"{at} {header_line}", header_line, required, kind or ""))
    count = 0
    for number, values in lines:
        texts = [_text(v) for v in values]
        if not any(texts):
            continue
        count += 1
        if count > MAX_ROWS:
            problems.append(Problem(f"{at} {number}", number, None, None, TOO_MANY_ROWS, {"max": MAX_ROWS}))
            return
        row = {k: texts[i] for i, k in enumerate(keys) if k in allowed and i < len(texts)}
        record = row.pop("record", None) if kind is None else None
        yield record, Row(kind or "", number, f"{at} {number}", row, cells)


def read_csv(data: bytes) -> OrgTables:
    """Parse a CSV organisation file (UTF-8, with or without BOM, or GB18030 as Excel saves it)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise OrgFileInvalid([Problem("line 1", 1, None, None, NOT_TEXT, {})]) from None
    problems: list[Problem] = []
    tables = OrgTables()
    reader = csv.reader(io.StringIO(text))
    lines = ((reader.line_num, values) for values in reader)
    first = next(lines, None)
    if first is None:
        raise OrgFileInvalid([Problem("line 1", 1, None, None, EMPTY, {})])
    has_record = "record" in {_header_key(_text(h)) for h in first[1]}

    def again() -> Iterator[tuple[int, list[Any]]]:
        yield first
        yield from lines

    for record, row in _rows(None, again(), "", False, problems):
        if not has_record:
            kind = "users"
        else:
            kind = RECORDS.get((record or "").strip().lower(), "")
            if not kind:
                problems.append(
                    row.problem(
                        "record",
                        BAD_RECORD,
                        value=repr(record or ""),
                    )
                )
                continue
        extra = [k for k in row.values if row.values[k] and k in CSV_COLUMNS and k not in COLUMNS[kind]]
        for key in extra:
            problems.append(row.problem(key, NOT_FOR_RECORD, record=RECORD_OF[kind], name=key))
        tables.rows[kind].append(Row(kind, row.line, row.where, row.values, row.cells))
    header = {_header_key(_text(h)) for h in first[1]}
    for kind in KINDS:
        for required in REQUIRED[kind] if tables.rows[kind] else ():
            if required not in header:
                problems.append(missing_column("line 1", 1, required, kind))
    tables.problems = problems
    return tables


def read_xlsx(data: bytes) -> OrgTables:
    """Parse an Excel organisation workbook (one sheet per record kind)."""
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise OrgFileInvalid([Problem("the file", 0, None, None, NOT_XLSX, {})]) from None
    problems: list[Problem] = []
    tables = OrgTables()
    found = False
    try:
        for sheet in book.worksheets:
            kind = SHEET_NAMES.get(sheet.title.strip().lower())
            if kind is None:
                continue  # a notes or instructions sheet
            found = True
            lines = ((i, list(values)) for i, values in enumerate(sheet.iter_rows(values_only=True), start=1))
            for _record, row in _rows(kind, lines, f"{sheet.title} sheet", True, problems):
                tables.rows[kind].append(Row(kind, row.line, row.where, row.values, row.cells))
    finally:
        book.close()
    if not found:
        raise OrgFileInvalid(
            [
                Problem(
                    "the workbook",
                    0,
                    None,
                    None,
                    NO_SHEET,
                    {},
                )
            ]
        )
    tables.problems = problems
    return tables


def read_org_file(filename: str, data: bytes) -> OrgTables:
    """Parse an organisation file by its extension (.xlsx or .csv)."""
    if len(data) > MAX_BYTES:
        raise OrgFileInvalid([Problem("the file", 0, None, None, TOO_LARGE, {"max": MAX_BYTES // 1_048_576})])
    name = filename.lower()
    if name.endswith(".xlsx"):
        return read_xlsx(data)
    if name.endswith(".csv") or name.endswith(".txt"):
        return read_csv(data)
    raise OrgFileInvalid([Problem("the file", 0, None, None, BAD_TYPE, {"name": filename})])


def _safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def write_csv(records: dict[str, list[dict[str, str]]]) -> bytes:
    """One CSV table with a `record` column, UTF-8 with a BOM so Excel shows the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for kind in KINDS:
        for rec in records.get(kind, []):
            writer.writerow([RECORD_OF[kind], *(_safe(rec.get(c, "")) for c in CSV_COLUMNS[1:])])
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(records: dict[str, list[dict[str, str]]]) -> bytes:
    """A workbook with the three sheets, a bold header row, sized columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for kind in KINDS:
        sheet = book.create_sheet(kind)
        sheet.append(list(COLUMNS[kind]))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for rec in records.get(kind, []):
            sheet.append([rec.get(c, "") for c in COLUMNS[kind]])
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                # Text stays text: openpyxl would store "=…" as a formula, Excel shows 0138… as a number.
                cell.data_type = "s"
                cell.number_format = "@"
        for i, column in enumerate(COLUMNS[kind], start=1):
            width = max([len(column), *(len(str(r.get(column, ""))) * 2 for r in records.get(kind, []))])
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(40, width + 2)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

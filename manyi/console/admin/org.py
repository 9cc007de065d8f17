"""/admin/org: import departments, teams and staff from an Excel or CSV file, export them in the same
format. A bad file changes nothing and every problem is listed by line and column, in the user's
language; passwords are never shown, logged or exported."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import Response

from manyi.console.admin.common import can_change, can_view, changed
from manyi.console.deps import Page, page
from manyi.core.clock import now, zone
from manyi.core.errors import NotFound
from manyi.core.settings import get_settings
from manyi.org.exporting import export_org
from manyi.org.importing import ImportReport, import_org
from manyi.org.orgfile import MAX_BYTES, OrgFileInvalid, Problem, read_org_file

router = APIRouter(prefix="/admin/org", include_in_schema=False)
SHOWN_PROBLEMS = 500
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _where(p: Page, problem: Problem) -> str:
    if " sheet, row " in problem.where:
        sheet = problem.where.split(" sheet, row ")[0]
        return p.gettext("sheet %(sheet)s, row %(line)s") % {"sheet": sheet, "line": problem.line}
    if problem.where.startswith("line "):
        return p.gettext("line %(line)s") % {"line": problem.line}
    return p.gettext("the whole file")


def _problem_rows(p: Page, problems: list[Problem]) -> list[dict[str, str]]:
    return [
        {
            "where": _where(p, problem),
            "column": (problem.cell or "")
            + (
                f" ({problem.column})"
                if problem.column and problem.cell not in (None, problem.column)
                else ""
            ),
            "message": p.gettext(problem.template) % problem.params,
        }
        for problem in problems[:SHOWN_PROBLEMS]
    ]


def _render(p: Page, status: int = 200, **context: Any) -> Response:
    base: dict[str, Any] = {"problems": [], "more": 0, "report": None, "filename": "", "dry_run": False}
    return p.render("admin/org.html", status_code=status, editable=p.can("config:write"), **(base | context))


@router.get("")
def org_page(p: Annotated[Page, Depends(page)]) -> Response:
    can_view(p)
    return _render(p)


@router.post("/import")
def import_file(
    p: Annotated[Page, Depends(page)],
    upload: Annotated[UploadFile | None, File()] = None,
    dry_run: Annotated[str, Form()] = "",
) -> Response:
    can_change(p)
    if upload is None or not upload.filename:
        return _render(p, 422, error=p.gettext("Choose an .xlsx or .csv file."))
    data = upload.file.read(MAX_BYTES + 1)
    try:
        tables = read_org_file(upload.filename, data)
        report: ImportReport = import_org(p.session, tables, actor_id=p.principal.user_id)
    except OrgFileInvalid as exc:
        p.session.rollback()
        return _render(
            p,
            422,
            problems=_problem_rows(p, exc.problems),
            more=max(0, len(exc.problems) - SHOWN_PROBLEMS),
            total=len(exc.problems),
            filename=upload.filename,
        )
    if dry_run:
        p.session.rollback()
    else:
        changed(
            p,
            "import",
            "org",
            filename=upload.filename,
            created=dict(report.created),
            updated=dict(report.updated),
        )
    return _render(p, report=report, filename=upload.filename, dry_run=bool(dry_run))


@router.get("/export.{fmt}")
def export_file(p: Annotated[Page, Depends(page)], fmt: str) -> Response:
    can_change(p)  # every staff member's details at once: for administrators only
    if fmt not in MEDIA:
        raise NotFound(p.gettext("No such page."))
    pii = p.can("pii:read")
    data = export_org(p.session, filename=f"org.{fmt}", pii=pii)
    changed(p, "export", "org", format=fmt, phones="full" if pii else "masked")
    stamp = now().astimezone(zone(get_settings().default_timezone))
    filename = f"manyi-org-{stamp:%Y%m%d-%H%M}.{fmt}"
    p.commit()
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )

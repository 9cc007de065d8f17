"""`manyi org import|export`: the organisation (departments, teams, staff) from and to a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.progress import Progress

from manyi.core.cli_support import cli_errors, console, err_console, fail
from manyi.core.db import unit_of_work
from manyi.core.readiness import Needs

cli_app = typer.Typer(help="Organisation: departments, teams and staff (组织架构).", no_args_is_help=True)
SHOWN_PROBLEMS = 1000


@cli_app.command("import")
@cli_errors(needs=Needs.SETUP)
def import_file(
    path: Path = typer.Argument(..., help=".xlsx workbook or .csv file (see docs/install.md)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file and report; change nothing"),
) -> None:
    """Create or update departments, teams and users from FILE; a bad file changes nothing."""
    from manyi.org.importing import import_org
    from manyi.org.orgfile import OrgFileInvalid, read_org_file

    if not path.is_file():
        fail(f"{path}: no such file")
    try:
        tables = read_org_file(path.name, path.read_bytes())
        with Progress(console=console, transient=True) as progress:

            def on_stage(name: str, total: int) -> Callable[[int], None]:
                task = progress.add_task(name, total=total)
                return lambda n: progress.advance(task, n)

            with unit_of_work() as session:
                report = import_org(session, tables, on_stage=on_stage)
                if dry_run:
                    session.rollback()
    except OrgFileInvalid as exc:
        for problem in exc.problems[:SHOWN_PROBLEMS]:
            err_console.print(f"{path.name}: {problem}", highlight=False, soft_wrap=True)
        more = len(exc.problems) - SHOWN_PROBLEMS
        fail(
            f"{len(exc.problems)} problem(s) in {path.name}{f' ({more} not shown)' if more > 0 else ''}; "
            "nothing was changed"
        )
        raise
    verb = "would be" if dry_run else "were"
    console.print(
        f"{path.name}: {report.summary()}" + (" (dry run: nothing saved)" if dry_run else ""), highlight=False
    )
    if report.without_password:
        console.print(
            f"{report.without_password} new user(s) {verb} created without a password: they cannot log in "
            "until one is set (`manyi user set-password NAME --password-stdin`, or /admin/users).",
            highlight=False,
        )


@cli_app.command("export")
@cli_errors(needs=Needs.SETUP)
def export_file(
    path: Path = typer.Argument(..., help="File to write: .xlsx or .csv"),
    force: bool = typer.Option(False, "--force", help="Overwrite PATH if it exists"),
) -> None:
    """Write departments, teams and users to FILE in the import's format (no passwords)."""
    from manyi.org.exporting import export_org

    if not path.name.lower().endswith((".xlsx", ".csv")):
        fail(f"{path.name}: expected a file name ending in .xlsx or .csv")
    if path.exists() and not force:
        fail(f"{path}: already exists; choose a new name or pass --force")
    with unit_of_work() as session:
        # The operator's own shell: full phone numbers, as `manyi user list` shows them.
        data = export_org(session, filename=path.name, pii=True)
    path.write_bytes(data)
    console.print(f"organisation written to {path}", highlight=False)

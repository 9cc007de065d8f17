"""`manyi setup`: make a migrated database ready for an operator (idempotent)."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from manyi.core.cli_support import cli_errors, console, fail


def read_password(password_stdin: bool, *, needed: bool) -> str | None:
    """A password from standard input (--password-stdin) or, on a terminal, typed twice unseen."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("password: nothing was read from standard input")
        return password
    if needed and sys.stdin.isatty():
        return str(typer.prompt("Password for the administrator", hide_input=True, confirmation_prompt=True))
    return None


def register(app: typer.Typer) -> None:
    @app.command("setup")
    @cli_errors
    def setup(
        province: list[str] = typer.Option(
            ..., "--province", help="Province to load (湖南省, 湖南 or 430000); repeat for several"
        ),
        admin: str | None = typer.Option(None, "--admin", help="User name of the first administrator"),
        password_stdin: bool = typer.Option(
            False, "--password-stdin", help="Read the administrator's password from standard input"
        ),
    ) -> None:
        """Load regions, calendars, the holiday schedule, SLA policies, categories and a first admin."""
        from sqlalchemy import select

        from manyi.core.db import unit_of_work
        from manyi.org.models import User
        from manyi.setup.service import resolve_provinces, setup_installation

        resolve_provinces(list(province))  # a typo is reported before a password is asked for
        with unit_of_work() as session:
            exists = admin is None or session.scalars(select(User.id).where(User.username == admin)).first()
        password = read_password(password_stdin, needed=not exists)
        with (
            console.status("setting up (the national holiday schedule takes a few seconds)…"),
            unit_of_work() as session,
        ):
            report = setup_installation(session, provinces=list(province), admin=admin, password=password)
        table = Table("what", "added", "total", "", box=None, pad_edge=False)
        for step in report.steps:
            table.add_row(step.what, str(step.added), str(step.total), step.detail)
        console.print(table)
        if report.changed:
            console.print(
                "setup done. Next: `manyi org import FILE` (docs/examples/org.xlsx), then `manyi serve`.",
                highlight=False,
            )
        else:
            console.print("already set up: nothing changed.", highlight=False)

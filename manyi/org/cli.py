"""`manyi user …`: staff accounts."""

from __future__ import annotations

import sys

import typer
from rich.table import Table
from sqlalchemy import select

from manyi.core.cli_support import cli_errors, console, fail
from manyi.core.db import unit_of_work
from manyi.core.readiness import Needs
from manyi.org.models import User
from manyi.org.service import create_user

cli_app = typer.Typer(help="Staff users (用户).", no_args_is_help=True)


@cli_app.command("add")
@cli_errors(needs=Needs.SETUP)
def add(
    username: str = typer.Argument(..., help="Login name"),
    role: list[str] = typer.Option(..., "--role", help="Role; repeat for several"),
    region: list[str] = typer.Option([], "--region", help="Region code; repeat; none means all regions"),
    name: str | None = typer.Option(None, "--name", help="Display name"),
    team: str | None = typer.Option(None, "--team", help="Team name"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input"
    ),
) -> None:
    """Create a staff user."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            fail("password: nothing was read from standard input")
    with unit_of_work() as session:
        user = create_user(
            session,
            username=username,
            display_name=name,
            roles=list(role),
            regions=list(region),
            password=password,
            team_name=team,
        )
        scope = ", ".join(user.regions) or "all regions"
        console.print(
            f"user {user.username} created: roles {', '.join(user.roles)}; {scope}", highlight=False
        )


@cli_app.command("list")
@cli_errors(needs=Needs.SETUP)
def list_users() -> None:
    """List staff users."""
    table = Table("username", "name", "roles", "regions", "active")
    with unit_of_work() as session:
        for u in session.scalars(select(User).order_by(User.username)):
            table.add_row(
                u.username,
                u.display_name,
                ",".join(u.roles),
                ",".join(u.regions) or "all",
                "yes" if u.active else "no",
            )
    console.print(table)


@cli_app.command("set-password")
@cli_errors(needs=Needs.SETUP)
def set_password(
    username: str = typer.Argument(..., help="Login name"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (else typed twice, unseen)"
    ),
) -> None:
    """Set a user's password (imported users have none until one is set); ends their sessions."""
    from manyi.org.service import get_user, update_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = str(typer.prompt("New password", hide_input=True, confirmation_prompt=True))
    else:
        fail("password: give --password-stdin and the password on standard input")
        return
    if not password:
        fail("password: nothing was read from standard input")
    with unit_of_work() as session:
        user = get_user(session, username=username)
        change = update_user(session, user_id=user.id, changes={"password": password})
    console.print(f"password of {username} set; {change.revoked_tokens} session(s) ended", highlight=False)

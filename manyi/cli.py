"""The `manyi` command line. Each domain package contributes its own Typer sub-app."""

from __future__ import annotations

from pathlib import Path

import typer

from manyi.core.cli_support import cli_errors, console
from manyi.core.readiness import Needs

app = typer.Typer(
    name="manyi",
    help="Manyi (满意): customer-care operations for telecom, broadband and cable-TV operators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@cli_errors(needs=Needs.NOTHING)
def db_upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from manyi.core.migrate import upgrade

    upgrade(revision)
    console.print(f"database upgraded to {revision}")


@db_app.command("backup")
@cli_errors(needs=Needs.SCHEMA)
def db_backup(
    target: Path = typer.Argument(
        ..., help="File to write (SQLite: a database file; PostgreSQL: pg_dump -Fc)"
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite TARGET if it exists"),
) -> None:
    """Write a consistent backup of the database while Manyi runs (see docs/install.md)."""
    from manyi.core.backup import backup
    from manyi.core.db import get_engine

    size = backup(get_engine(), target, overwrite=force)
    console.print(f"backup written to {target} ({size / 1_048_576:.1f} MB)", highlight=False)


@app.callback()
def _startup() -> None:
    # Commands change orders and customers: let the event hub hear about it, as the API does.
    from manyi.hub.wiring import install_hooks
    from manyi.notify.triggers import install_hooks as install_notify_triggers

    install_hooks()
    install_notify_triggers()


def _register_subapps() -> None:
    # Explicit registration (no import side effects): each package exposes `cli_app` or `register`.
    from manyi import server_cli, worker_cli
    from manyi.auth.cli import cli_app as api_key_app
    from manyi.calendars.cli import cli_app as calendar_app
    from manyi.demo import cli as demo_cli
    from manyi.orders.cli import cli_app as order_app
    from manyi.org.cli import cli_app as user_app
    from manyi.org.import_cli import cli_app as org_app
    from manyi.setup import cli as setup_cli

    app.add_typer(calendar_app, name="calendar")
    app.add_typer(user_app, name="user")
    app.add_typer(org_app, name="org")
    app.add_typer(order_app, name="order")
    app.add_typer(api_key_app, name="api-key")
    for module in (setup_cli, worker_cli, demo_cli, server_cli):
        module.register(app)


_register_subapps()


if __name__ == "__main__":
    app()

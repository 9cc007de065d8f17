"""The `manyi` command line. Each domain package contributes its own Typer sub-app."""

from __future__ import annotations

import typer

from manyi.core.cli_support import cli_errors, console

app = typer.Typer(
    name="manyi",
    help="Manyi (满意): customer-care operations for telecom, broadband and cable-TV operators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@cli_errors
def db_upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from manyi.core.migrate import upgrade

    upgrade(revision)
    console.print(f"database upgraded to {revision}")


@app.callback()
def _startup() -> None:
    # Commands change orders and customers: let the event hub hear about it, as the API does.
    from manyi.hub.wiring import install_hooks

    install_hooks()


def _register_subapps() -> None:
    # Explicit registration (no import side effects): each package exposes `cli_app` or `register`.
    from manyi import server_cli, worker_cli
    from manyi.auth.cli import cli_app as api_key_app
    from manyi.calendars.cli import cli_app as calendar_app
    from manyi.demo import cli as demo_cli
    from manyi.orders.cli import cli_app as order_app
    from manyi.org.cli import cli_app as user_app

    app.add_typer(calendar_app, name="calendar")
    app.add_typer(user_app, name="user")
    app.add_typer(order_app, name="order")
    app.add_typer(api_key_app, name="api-key")
    for module in (worker_cli, demo_cli, server_cli):
        module.register(app)


_register_subapps()


if __name__ == "__main__":
    app()

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


def _register_subapps() -> None:
    # Explicit registration (no import side effects): each package exposes `cli_app`.
    import importlib

    for module_name, name in (
        ("manyi.calendars.cli", "calendar"),
        ("manyi.org.cli", "user"),
        ("manyi.orders.cli", "order"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        app.add_typer(module.cli_app, name=name)
    for module_name in ("manyi.worker_cli", "manyi.demo.cli", "manyi.server_cli"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(app)


_register_subapps()


if __name__ == "__main__":
    app()

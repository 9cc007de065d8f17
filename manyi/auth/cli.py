"""`manyi api-key …`: keys for integrated systems (CRM, CTI, network monitoring, partners)."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select

from manyi.auth.models import ApiKey
from manyi.auth.service import create_api_key, revoke_api_key, set_api_key_default_region
from manyi.core.cli_support import cli_errors, console, fail
from manyi.core.db import unit_of_work
from manyi.org.models import User

cli_app = typer.Typer(help="API keys for systems (接口密钥).", no_args_is_help=True)


@cli_app.command("create")
@cli_errors
def create(
    name: str = typer.Argument(..., help="A name for the key, e.g. crm"),
    user: str = typer.Option(..., "--user", help="The system user the key acts as"),
    default_region: str | None = typer.Option(
        None, "--default-region", help="Region of tickets and customers it sends without one"
    ),
) -> None:
    """Create a key; its secret is printed once and never stored."""
    with unit_of_work() as session:
        secret, key = create_api_key(session, name=name, username=user, default_region=default_region)
        region = key.default_region_code or "none"
    console.print(f"API key {name} created (default region: {region}). Secret, shown once:", highlight=False)
    console.print(secret, highlight=False, soft_wrap=True)


@cli_app.command("default-region")
@cli_errors
def default_region(
    name: str = typer.Argument(..., help="The key's name"),
    region: str | None = typer.Argument(None, help="Region code"),
    clear: bool = typer.Option(False, "--clear", help="Remove the default region"),
) -> None:
    """Set where the key's tickets and customers go when they name no region."""
    if (region is None) == (not clear):
        fail("give a REGION code, or --clear")
    with unit_of_work() as session:
        key = set_api_key_default_region(session, name=name, region=None if clear else region)
        console.print(
            f"API key {key.name}: default region {key.default_region_code or 'none'}", highlight=False
        )


@cli_app.command("revoke")
@cli_errors
def revoke(name: str = typer.Argument(..., help="The key's name")) -> None:
    """Revoke a key at once."""
    with unit_of_work() as session:
        revoke_api_key(session, name=name)
    console.print(f"API key {name} revoked", highlight=False)


@cli_app.command("list")
@cli_errors
def list_keys() -> None:
    """List keys (never their secrets)."""
    table = Table("name", "prefix", "user", "default region", "revoked")
    with unit_of_work() as session:
        rows = session.execute(
            select(ApiKey, User.username).join(User, User.id == ApiKey.user_id).order_by(ApiKey.name)
        )
        for key, username in rows:
            revoked = key.revoked_at.isoformat() if key.revoked_at else ""
            table.add_row(key.name, key.prefix, username, key.default_region_code or "", revoked)
    console.print(table)

"""`manyi order …`: create, show, list and move work orders from the command line."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from manyi.core.cli_support import cli_errors, console, fail
from manyi.core.db import unit_of_work
from manyi.core.readiness import Needs
from manyi.core.settings import get_settings
from manyi.orders import lifecycle, service
from manyi.orders.history import order_history
from manyi.org.service import get_user

cli_app = typer.Typer(help="Work orders (工单).", no_args_is_help=True)


def _local(value: datetime | None) -> str:
    from manyi.core.clock import zone

    return (
        value.astimezone(zone(get_settings().default_timezone)).strftime("%Y-%m-%d %H:%M") if value else "-"
    )


@cli_app.command("create")
@cli_errors(needs=Needs.SETUP)
def create(
    type: str = typer.Option(..., "--type", help=f"One of {', '.join(lifecycle.ORDER_TYPES)}"),
    description: str = typer.Option(..., "--description"),
    region: str = typer.Option(..., "--region", help="Region code, e.g. 330106"),
    channel: str = typer.Option("hotline", "--channel"),
    category: str | None = typer.Option(None, "--category", help="Category code"),
    customer: int | None = typer.Option(None, "--customer", help="Customer id"),
    priority: int = typer.Option(3, "--priority", help="1 (highest) to 4"),
    severity: str = typer.Option("minor", "--severity"),
    as_user: str | None = typer.Option(None, "--as", help="Accepting agent (becomes the owner)"),
) -> None:
    """Record a customer request as a work order."""
    with unit_of_work() as session:
        actor = get_user(session, username=as_user).id if as_user else None
        order = service.create_order(
            session,
            type=type,
            description=description,
            channel=channel,
            region_code=region,
            category_code=category,
            customer_id=customer,
            priority=priority,
            severity=severity,
            actor_id=actor,
        )
        console.print(f"{order.number} created ({order.status}/{order.stage})", highlight=False)


@cli_app.command("show")
@cli_errors(needs=Needs.SETUP)
def show(number: str = typer.Argument(..., help="Order number, e.g. GD20261122000001")) -> None:
    """Show an order, its SLA clocks and its history."""
    from manyi.sla.service import order_clocks

    with unit_of_work() as session:
        order = service.get_order(session, number=number)
        console.print(
            f"[bold]{order.number}[/] {order.type} {order.status}/{order.stage} region {order.region_code}"
        )
        console.print(
            f"owner {order.owner_id or '-'}  team {order.team_id or '-'}  assignee {order.assignee_id or '-'}"
        )
        console.print(order.description, highlight=False)
        console.print(
            "next actions: " + ", ".join(lifecycle.next_actions(order.type, order.status, order.stage))
        )
        clocks = Table("clock", "limit", "due", "state", "breached", "provisional", title="SLA")
        for c in order_clocks(session, order_id=order.id):
            clocks.add_row(
                c.kind,
                f"{c.amount:g} {c.unit}",
                _local(c.due_at),
                c.state,
                "yes" if c.breached else "",
                "yes" if c.provisional else "",
            )
        console.print(clocks)
        history = Table("at", "actor", "action", "changes", title="history")
        for e in order_history(session, order_id=order.id):
            changes = "; ".join(f"{c['field']}: {c['before']} → {c['after']}" for c in e.changes)
            history.add_row(_local(e.at), str(e.actor_id or "-"), e.action, changes or (e.note or ""))
        console.print(history)


@cli_app.command("list")
@cli_errors(needs=Needs.SETUP)
def list_orders(
    status: str | None = typer.Option(None, "--status"),
    type: str | None = typer.Option(None, "--type"),
    region: str | None = typer.Option(None, "--region"),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
) -> None:
    """List orders, newest first."""
    with unit_of_work() as session:
        rows, total = service.list_orders(session, status=status, type=type, region_code=region, limit=limit)
        table = Table(
            "number", "type", "status", "stage", "region", "created", title=f"{len(rows)} of {total}"
        )
        for o in rows:
            table.add_row(o.number, o.type, o.status, o.stage, o.region_code, _local(o.created_at))
        console.print(table)


@cli_app.command("transition")
@cli_errors(needs=Needs.SETUP)
def transition(
    number: str = typer.Argument(...),
    action: str = typer.Argument(..., help="e.g. contact, pause, resume, resolve, close, reopen"),
    reason: str | None = typer.Option(None, "--reason"),
    resolution_code: str | None = typer.Option(None, "--resolution-code"),
    appointment: str | None = typer.Option(None, "--appointment", help="ISO 8601 instant, for appoint"),
    outcome: str | None = typer.Option(
        None,
        "--outcome",
        help="contact_failed: not_reached or wrong_number; callback_ok: satisfied, basically_satisfied "
        "or unreachable",
    ),
    as_user: str | None = typer.Option(None, "--as"),
) -> None:
    """Apply a lifecycle action to an order."""
    appointment_at = None
    if appointment:
        try:
            appointment_at = datetime.fromisoformat(appointment)
        except ValueError:
            fail(f"--appointment: expected an ISO 8601 instant with offset, got {appointment!r}")
    with unit_of_work() as session:
        actor = get_user(session, username=as_user).id if as_user else None
        order = service.get_order(session, number=number)
        order = service.transition_order(
            session,
            order_id=order.id,
            action=action,
            actor_id=actor,
            reason=reason,
            resolution_code=resolution_code,
            appointment_at=appointment_at,
            outcome=outcome,
        )
        console.print(f"{order.number}: {order.status}/{order.stage}", highlight=False)

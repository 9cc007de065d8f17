"""`manyi demo`: generate the demo operator with a progress bar."""

from __future__ import annotations

from collections.abc import Callable

import typer
from rich.progress import Progress

from manyi.core.cli_support import cli_errors, console


def register(app: typer.Typer) -> None:
    @app.command("demo")
    @cli_errors
    def demo(
        customers: int = typer.Option(20_000, "--customers", min=10, help="Customers to generate"),
        orders: int = typer.Option(5_000, "--orders", min=0, help="Work orders over the past 60 days"),
        seed: int = typer.Option(2026, "--seed", help="Random seed (same seed, same operator)"),
        if_empty: bool = typer.Option(
            False, "--if-empty", help="Do nothing when the database already has orders"
        ),
    ) -> None:
        """Generate a realistic demo operator (浙江省) in the configured database."""
        import logging

        from manyi.core.logging import configure_logging
        from manyi.demo.generator import generate, has_orders
        from manyi.demo.organisation import DEMO_PASSWORD, DEMO_USERS

        configure_logging("WARNING")  # the replay's thousands of log-channel messages are not news
        logging.getLogger().setLevel(logging.WARNING)
        if if_empty and has_orders():
            console.print(
                f"demo data already present; nothing to do. Users {DEMO_USERS} … password {DEMO_PASSWORD}",
                highlight=False,
            )
            return
        with Progress(console=console) as progress:

            def on_stage(name: str, total: int) -> Callable[[int], None]:
                task = progress.add_task(name, total=total)
                return lambda n: progress.advance(task, n)

            report = generate(customers=customers, orders=orders, seed=seed, on_stage=on_stage)
        console.print(
            f"demo operator ready: {report.staff} staff, {report.customers} customers, {report.orders} work orders. "
            f"Users {DEMO_USERS} … password {DEMO_PASSWORD}",
            highlight=False,
        )

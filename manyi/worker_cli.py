"""`manyi worker`: run the background loop."""

from __future__ import annotations

import typer

from manyi.core.cli_support import cli_errors, require_safe_secret_key


def register(app: typer.Typer) -> None:
    @app.command("worker")
    @cli_errors
    def worker(
        once: bool = typer.Option(False, "--once", help="Work until nothing is due, then exit"),
        batch: int = typer.Option(
            0, "--batch", min=0, help="Clocks or messages per transaction (0: setting)"
        ),
    ) -> None:
        """Fire SLA warnings, breaches and escalations and deliver outbox messages."""
        from manyi.core.logging import configure_logging
        from manyi.core.settings import get_settings
        from manyi.worker import Worker

        configure_logging(get_settings().log_level)
        require_safe_secret_key()
        Worker(batch=batch or None).run(once=once)

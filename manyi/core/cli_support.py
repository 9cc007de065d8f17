"""Shared CLI plumbing: one-line errors and non-zero exit codes, never a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from manyi.core.errors import ManyiError

F = TypeVar("F", bound=Callable[..., Any])
# Piped output (scripts, logs) gets wide lines instead of Rich's 80-column default, so order
# numbers and messages are never cut.
_width = None if sys.stdout.isatty() else 160
err_console = Console(stderr=True, width=_width)
console = Console(width=_width)


def fail(message: str, *, code: int = 2) -> None:
    """Print message as one error line and exit with code."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def cli_errors(func: F) -> F:
    """Turn ManyiError (and bad values) into a one-line error and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ManyiError as exc:
            fail(exc.message)
        except ValueError as exc:
            fail(str(exc))

    return wrapper  # type: ignore[return-value]


def require_safe_secret_key() -> None:
    """Refuse to serve or work in production with a guessable MANYI_SECRET_KEY (it keys ID-number
    encryption and the console's CSRF tokens); in demo or dev mode, say so loudly and go on."""
    from manyi.core.logging import get_logger
    from manyi.core.settings import SECRET_KEY_HOWTO, get_settings, secret_key_problem

    settings = get_settings()
    problem = secret_key_problem(settings)
    if problem is None:
        return
    if settings.env == "production":
        fail(f"{problem}; {SECRET_KEY_HOWTO}")
    err_console.print(
        f"[bold yellow]warning:[/] {problem}. MANYI_ENV={settings.env}: acceptable for a demo or "
        "development, never for real customers' data (set MANYI_SECRET_KEY and MANYI_ENV=production).",
        highlight=False,
        soft_wrap=True,
    )
    get_logger("manyi.security").warning("insecure_secret_key", env=settings.env, problem=problem)

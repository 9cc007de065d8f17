"""Shared CLI plumbing: one-line errors and non-zero exit codes, never a traceback, and the one guard
every command passes first: is the database migrated (and set up, where the command needs it)?"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar, overload

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from manyi.core.errors import ManyiError
from manyi.core.readiness import Needs, check_ready

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


def ready(needs: Needs) -> None:
    """Exit with one line when the configured database cannot serve a command that needs `needs`."""
    from manyi.core.db import get_engine

    check_ready(get_engine(), needs)


@overload
def cli_errors(func: F, *, needs: Needs = Needs.SCHEMA) -> F: ...
@overload
def cli_errors(*, needs: Needs) -> Callable[[F], F]: ...
def cli_errors(func: F | None = None, *, needs: Needs = Needs.SCHEMA) -> Any:
    """Check the database is ready (migrated by default; `needs=` says more or less), then run the
    command, turning ManyiError, bad values and database errors into one line and exit code 2."""
    if func is None:
        return lambda f: cli_errors(f, needs=needs)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            ready(needs)
            return func(*args, **kwargs)
        except ManyiError as exc:
            fail(exc.message)
        except ValueError as exc:
            fail(str(exc))
        except SQLAlchemyError as exc:
            # The guard above catches a missing schema; this is the rest (a lost connection, a
            # constraint another process raced us to): still one line, and nothing was committed.
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            fail(f"database error ({type(exc).__name__}): {reason}")

    return wrapper


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

"""The command line's part of account security: `manyi user add` keeps the password policy, and
`manyi serve` / `manyi worker` refuse the built-in secret key outside demo and dev mode."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs
from typer.testing import CliRunner

from manyi.cli import app
from manyi.core import logging as manyi_logging
from manyi.core.cli_support import require_safe_secret_key
from manyi.core.db import unit_of_work
from manyi.core.settings import get_settings, reset_settings
from manyi.org.models import User
from tests.test_cli import cli  # noqa: F401 - the fixture: a migrated SQLite database for the CLI


@pytest.fixture(autouse=True)
def _logging_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """`manyi worker` configures structlog once per process, onto the stderr it finds: under CliRunner
    that stream is closed after the call, and every later test's log line would fail on it."""
    monkeypatch.setattr(manyi_logging, "_configured", True)


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("12345678", "at least 10 characters"),
        ("password", "at least 10 characters"),
        (" " * 8, "only spaces"),
        ("1234567890", "most common"),
        ("wang-secret-9", "user name"),
    ],
)
def test_user_add_refuses_a_weak_password_in_one_line(cli: CliRunner, password: str, rule: str) -> None:  # noqa: F811
    r = cli.invoke(app, ["user", "add", "wang", "--role", "agent", "--password-stdin"], input=password + "\n")
    assert r.exit_code == 2, r.output
    line = " ".join(r.output.split())
    assert "error: password: " in line and rule in line and "密码" in line
    with unit_of_work() as s:
        assert s.query(User).count() == 0


def _mode(monkeypatch: pytest.MonkeyPatch, env: str | None, key: str | None = None) -> None:
    for name, value in (("MANYI_ENV", env), ("MANYI_SECRET_KEY", key)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    reset_settings()


@pytest.mark.parametrize("command", [["serve"], ["worker", "--once"]])
@pytest.mark.parametrize("env", [None, "production"])  # production is the default
def test_serve_and_worker_refuse_the_default_secret_key_in_production(
    cli: CliRunner,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    env: str | None,
) -> None:
    _mode(monkeypatch, env)
    assert get_settings().env == "production"
    r = cli.invoke(app, command)
    assert r.exit_code == 2, r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(" ".join(lines).split("error:")) == 2  # one error, nothing started before it
    text = " ".join(r.output.split())
    assert "MANYI_SECRET_KEY is the built-in default" in text and "export MANYI_SECRET_KEY=" in text
    assert "MANYI_ENV=demo" in text
    _mode(monkeypatch, env, "short")
    r = cli.invoke(app, command)
    assert r.exit_code == 2 and "shorter than 32 characters" in " ".join(r.output.split())


def test_worker_starts_in_production_with_a_real_key(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    _mode(monkeypatch, "production", "k" * 40)
    r = cli.invoke(app, ["worker", "--once"])
    assert r.exit_code == 0, r.output
    assert "warning" not in r.output


@pytest.mark.parametrize("env", ["demo", "dev"])
def test_demo_and_dev_mode_warn_loudly_and_go_on(
    cli: CliRunner,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    env: str,
) -> None:
    _mode(monkeypatch, env)
    r = cli.invoke(app, ["worker", "--once"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "warning: MANYI_SECRET_KEY is the built-in default" in text and f"MANYI_ENV={env}" in text
    with capture_logs() as logs:
        require_safe_secret_key()
    assert {"event": "insecure_secret_key", "env": env, "log_level": "warning"}.items() <= logs[0].items()


def test_an_unknown_mode_is_refused_by_name(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    _mode(monkeypatch, "staging")
    r = cli.invoke(app, ["worker", "--once"])
    assert r.exit_code != 0 and "env" in r.output and "production" in r.output


def test_make_demo_runs_the_server_in_demo_mode() -> None:
    """`make demo` works out of the box (with the warning) while a bare `manyi serve` stays refused."""
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    serve = [line for line in makefile.splitlines() if " serve" in line and "$(MANYI)" in line]
    assert serve and all("MANYI_ENV=demo" in line for line in serve)

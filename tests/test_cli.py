"""The command line as an operator's admin uses it: migrate, seed, add users, create and move orders."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from manyi.auth.service import principal_for_token
from manyi.cli import app
from manyi.core import db as core_db
from manyi.core.db import unit_of_work
from manyi.core.settings import reset_settings
from manyi.org.models import Region, User
from manyi.org.passwords import verify_password


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MANYI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    reset_settings()
    core_db.set_engine(None)
    runner = CliRunner()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["calendar", "seed"]).exit_code == 0
    with unit_of_work() as s:
        s.add(Region(code="330000", name="浙江省", level="province"))
        s.add(Region(code="330106", name="西湖区", level="district", parent_code="330000"))
    yield runner
    core_db.get_engine().dispose()
    core_db.set_engine(None)
    reset_settings()


def test_user_add(cli: CliRunner) -> None:
    r = cli.invoke(
        app,
        ["user", "add", "wang", "--role", "agent", "--region", "330106", "--password-stdin"],
        input="s3cret-pass\n",
    )
    assert r.exit_code == 0, r.output
    assert "330106" in r.output
    r = cli.invoke(app, ["user", "add", "li", "--role", "admin", "--password-stdin"], input="s3cret-pass\n")
    assert "all regions" in r.output
    with unit_of_work() as s:
        wang = s.query(User).filter_by(username="wang").one()
        assert wang.regions == ["330106"] and verify_password(wang.password_hash, "s3cret-pass")
        assert wang.password_hash and "s3cret" not in wang.password_hash


def test_api_key_create_with_a_default_region_then_change_and_revoke(cli: CliRunner) -> None:
    assert (
        cli.invoke(app, ["user", "add", "sys_crm", "--role", "system", "--region", "330000"]).exit_code == 0
    )
    r = cli.invoke(app, ["api-key", "create", "crm", "--user", "sys_crm", "--default-region", "330106"])
    assert r.exit_code == 0, r.output
    secret = r.output.split()[-1]
    assert secret.startswith("mk_") and "default region: 330106" in r.output
    with unit_of_work() as s:
        assert principal_for_token(s, secret).default_region == "330106"
    assert cli.invoke(app, ["api-key", "default-region", "crm"]).exit_code == 2  # REGION or --clear
    r = cli.invoke(app, ["api-key", "default-region", "crm", "--clear"])
    assert r.exit_code == 0 and "default region none" in r.output
    r = cli.invoke(app, ["api-key", "default-region", "crm", "999999"])
    assert r.exit_code == 2 and "unknown region" in r.output
    listed = cli.invoke(app, ["api-key", "list"])
    assert "crm" in listed.output and secret not in listed.output
    assert cli.invoke(app, ["api-key", "revoke", "crm"]).exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "add", "x", "--role", "wizard"], "unknown role 'wizard'; expected one of agent"),
        (["user", "add", "x", "--role", "agent", "--region", "999999"], "unknown region code '999999'"),
        (["order", "show", "GD20990101000001"], "work order GD20990101000001 does not exist"),
        (
            ["order", "create", "--type", "fault", "--description", "x", "--region", "000000"],
            "region_code: unknown region",
        ),
        (
            ["order", "create", "--type", "upgrade", "--description", "x", "--region", "330106"],
            "type: expected one of",
        ),
        (  # the services' text maxima hold for the command line too (manyi.core.limits)
            ["order", "create", "--type", "fault", "--description", "断" * 4001, "--region", "330106"],
            "description: at most 4000 characters allowed, got 4001",
        ),
    ],
)
def test_errors_are_one_line_and_change_nothing(cli: CliRunner, args: list[str], message: str) -> None:
    r = cli.invoke(app, args)
    assert r.exit_code == 2
    assert message in " ".join(r.output.split())
    assert "Traceback" not in r.output
    with unit_of_work() as s:
        assert s.query(User).count() == 0


def test_order_create_show_transition(cli: CliRunner) -> None:
    cli.invoke(app, ["user", "add", "agent1", "--role", "agent"])
    r = cli.invoke(
        app,
        [
            "order",
            "create",
            "--type",
            "inquiry",
            "--description",
            "资费咨询",
            "--region",
            "330106",
            "--as",
            "agent1",
        ],
    )
    assert r.exit_code == 0, r.output
    number = r.output.split()[0]
    assert number.startswith("GD")
    r = cli.invoke(app, ["order", "transition", number, "arrive"])
    assert r.exit_code == 2 and "not allowed" in r.output
    r = cli.invoke(app, ["order", "transition", number, "resolve", "--resolution-code", "ANSWERED"])
    assert r.exit_code == 0 and "resolved/awaiting_callback" in r.output
    r = cli.invoke(app, ["order", "show", number])
    assert r.exit_code == 0
    assert "resolve" in r.output and "resolution" in r.output and "created" in r.output
    r = cli.invoke(app, ["order", "list", "--status", "resolved"])
    assert number in r.output

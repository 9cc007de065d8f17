"""Issue 12, admin: administrators and supervisors land on their own page, not the agent workbench."""

from __future__ import annotations

from tests.fixtures.console import Console


def test_admin_and_supervisor_land_on_their_own_home(console: Console) -> None:
    assert console.user("admin").get("/").headers["location"] == "/admin"
    assert console.user("supervisor").get("/").headers["location"] == "/supervisor"
    assert console.user("agent").get("/").headers["location"] == "/workbench"  # unchanged
    assert console.user("dispatcher").get("/").headers["location"] == "/board"

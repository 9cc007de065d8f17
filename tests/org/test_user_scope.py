"""Whom a user administrator may see and what they may grant (pure rule, exhaustive over the roles)."""

from __future__ import annotations

import pytest

from manyi.auth.permissions import PERMISSIONS, ROLE_PERMISSIONS, ROLES, permissions_for
from manyi.org.user_scope import Reach, ReachProblem, reach_problem

HANGZHOU = frozenset({"330100", "330106"})  # 杭州市 and its district 西湖区, as scope_regions expands it
ADMIN_ALL = Reach(frozenset(PERMISSIONS), None)
ADMIN_HANGZHOU = Reach(frozenset(PERMISSIONS), HANGZHOU)


@pytest.mark.parametrize(
    ("regions", "seen"),
    [
        ([], False),  # all regions: wider than Hangzhou
        (["330100"], True),
        (["330106"], True),  # a descendant
        (["330100", "330106"], True),
        (["330106", "330200"], False),  # one region outside is enough to hide the user
        (["330200"], False),
        (["330000"], False),  # the province is above Hangzhou, not inside it
    ],
)
def test_a_scoped_administrator_sees_only_users_inside_their_regions(regions: list[str], seen: bool) -> None:
    assert ADMIN_HANGZHOU.sees(regions) is seen
    assert ADMIN_ALL.sees(regions)  # an all-regions administrator sees everyone


def test_the_probe_a_hangzhou_admin_cannot_make_or_take_over_an_all_regions_admin() -> None:
    assert reach_problem(ADMIN_HANGZHOU, roles=["admin"], regions=[]) == ReachProblem("all_regions")
    assert reach_problem(ADMIN_HANGZHOU, roles=["admin"], regions=["330200"]) == ReachProblem(
        "region", "330200"
    )
    assert reach_problem(ADMIN_HANGZHOU, roles=["admin"], regions=["330106"]) is None
    assert reach_problem(ADMIN_ALL, roles=["admin"], regions=[]) is None


@pytest.mark.parametrize("actor_role", ROLES)
@pytest.mark.parametrize("granted", ROLES)
def test_a_role_is_grantable_exactly_when_its_permissions_are_the_actors_own(
    actor_role: str, granted: str
) -> None:
    reach = Reach(permissions_for([actor_role]), None)
    expected = ROLE_PERMISSIONS[granted] <= ROLE_PERMISSIONS[actor_role]
    assert (reach_problem(reach, roles=[granted]) is None) is expected
    assert (reach_problem(reach, current_roles=[granted]) is None) is expected
    assert (granted in reach.roles()) is expected
    if not expected:
        assert reach_problem(reach, roles=["agent", granted]) in (
            ReachProblem("role", granted),
            ReachProblem("role", "agent"),
        )
        assert reach_problem(reach, current_roles=[granted], roles=["agent"]).kind == "holds_role"  # type: ignore[union-attr]


def test_an_admin_holds_every_role_and_a_supervisor_not_the_admin_role() -> None:
    assert ADMIN_HANGZHOU.roles() == list(ROLES)
    supervisor = Reach(permissions_for(["supervisor"]), None)
    assert (
        "admin" not in supervisor.roles() and "agent" not in supervisor.roles()
    )  # agents may write customers
    problem = reach_problem(supervisor, roles=["admin"])
    assert problem is not None and "admin" in problem.english


def test_unchanged_regions_are_not_checked_and_messages_name_the_value() -> None:
    assert reach_problem(ADMIN_HANGZHOU, roles=["agent"], regions=None) is None
    problem = reach_problem(ADMIN_HANGZHOU, regions=["330106", "330200"])
    assert problem == ReachProblem("region", "330200") and "330200" in problem.english
    assert "all regions" in ReachProblem("all_regions").english

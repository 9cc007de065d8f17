"""Whom a user administrator may see, create or change, and what they may grant. Pure: no I/O.

The rule, one owner for the admin API and the console:
- a target user is visible (listed, shown, changeable) only when all its regions lie inside the
  administrator's scope; a target with no regions (all regions) lies only inside an all-regions scope;
  an invisible user is reported as missing (404), as out-of-scope orders are;
- the administrator never grants a role that gives a permission they lack, nor a region outside their
  scope, nor "all regions" unless they cover all regions (403, naming the role or region);
- nor changes a user who holds such a role (that would be taking over a stronger account).

"Inside" a scope means the same code or a descendant in the region tree: `scope` is the expanded set
of codes the administrator covers (see manyi.auth.service.scope_regions), None for all regions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from manyi.auth.permissions import ROLE_PERMISSIONS, ROLES


@dataclass(frozen=True)
class Reach:
    """What an administrator holds: the permissions of their roles and the regions they cover."""

    permissions: frozenset[str]
    scope: frozenset[str] | None  # every region code covered; None: all regions

    def sees(self, regions: Sequence[str]) -> bool:
        """True when a user with these regions lies inside this scope."""
        if self.scope is None:
            return True
        return bool(regions) and all(code in self.scope for code in regions)

    def holds_role(self, role: str) -> bool:
        """A role is within reach when every permission it gives is one the administrator has."""
        return ROLE_PERMISSIONS.get(role, frozenset()) <= self.permissions

    def roles(self) -> list[str]:
        """The roles this administrator may grant, in the usual order (for pickers)."""
        return [role for role in ROLES if self.holds_role(role)]


@dataclass(frozen=True)
class ReachProblem:
    """Why a change goes beyond the administrator's reach: kind is `role` (granting it), `holds_role`
    (the target has it), `region` (granting it) or `all_regions`; value is the role or region code."""

    kind: str
    value: str = ""

    @property
    def english(self) -> str:
        return MESSAGES[self.kind] % {"value": self.value}


MESSAGES = {
    "role": "you cannot grant the role %(value)s: it gives permissions you do not have",
    "holds_role": "you cannot change a user with the role %(value)s: it gives permissions you do not have",
    "region": "you cannot grant the region %(value)s: it lies outside your regions",
    "all_regions": "you cannot grant all regions: your account covers only some regions",
}


def reach_problem(
    reach: Reach,
    *,
    current_roles: Sequence[str] = (),
    roles: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
) -> ReachProblem | None:
    """The first thing a create or change goes beyond: the target's current roles, the roles and the
    regions it would get (None: unchanged). Visibility of an existing target is `Reach.sees`."""
    for role in current_roles:
        if not reach.holds_role(role):
            return ReachProblem("holds_role", role)
    for role in roles or ():
        if not reach.holds_role(role):
            return ReachProblem("role", role)
    if regions is not None and reach.scope is not None:
        if not regions:
            return ReachProblem("all_regions")
        for code in regions:
            if code not in reach.scope:
                return ReachProblem("region", code)
    return None

"""Where an order may be transferred: only to a team that can see it. Pure rules, no I/O.

A team works in its region and everything under it (a city's crew covers its districts; a team of
the province covers the whole province; a team without a region covers everything). Handing an
order to a team of another region would leave it with people whose region scope hides it: nobody
in the team could open, assign or close it. The order's region does not change with a transfer, so
the target team has to cover it.
"""

from __future__ import annotations

from collections.abc import Sequence

from manyi.core.errors import ValidationFailed


class TransferOutsideRegion(ValidationFailed):
    """The target team's region does not cover the order's region (422, nothing changed)."""


def team_covers(team_region: str | None, order_region_chain: Sequence[str]) -> bool:
    """Whether a team of team_region sees an order whose region and its ancestors are the chain."""
    return team_region is None or team_region in order_region_chain


def check_transfer_target(
    *,
    order_region: str,
    order_region_chain: Sequence[str],
    team_id: int,
    team_label: str,
    team_region: str | None,
) -> None:
    """Refuse a transfer to a team whose region does not cover the order's region."""
    if not team_covers(team_region, order_region_chain):
        raise TransferOutsideRegion(
            f"team: team {team_id} ({team_label}) works in region {team_region} and cannot see orders "
            f"of region {order_region}; transfer to a team of region {order_region} or of a region "
            "above it",
            field="team",
        )

"""The rows of many orders that took the same path under the same policy, a column at a time.

On such a group every clock ends the same way (met or stopped at the same step, or still running:
bulk_paths.clock_program), every step changes the same fields, and what differs from order to order
is instants and a few values; so the rows are built as columns (numpy arrays where they are numbers)
instead of order by order. bulk_rows.one_order builds the same rows for a single order and is used
where clocks pause or re-open; the equivalence test holds both to what the services store.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from manyi.bulk.clocks import Rung, climb_ladder, to_us
from manyi.bulk.paths import change_list
from manyi.bulk.rows import (
    Built,
    Resolved,
    appointment_item,
    created_changes,
    emit_rungs,
    item,
    loop_rows,
    new_built,
    one_order,
    outcome_item,
)
from manyi.bulk.sink import NULL_TIME


def build_rows(
    items: list[Resolved], ids: list[int], numbers: list[str], *, now: int | None, delays_us: tuple[int, ...]
) -> Built:
    """Every row of these orders (ids and numbers reserved by the caller, in the same order)."""
    out = new_built()
    groups: dict[tuple[int, int | None, str | None], list[int]] = {}
    for i, r in enumerate(items):
        if r.policy is not None and r.program is None:
            one_order(r, ids[i], numbers[i], now, delays_us, out)  # its clocks pause or re-open
        else:
            key = (id(r.path), r.policy.id if r.policy else None, r.calendar.name if r.calendar else None)
            groups.setdefault(key, []).append(i)
    for members in groups.values():
        fast_group(
            [items[i] for i in members],
            [ids[i] for i in members],
            [numbers[i] for i in members],
            now,
            delays_us,
            out,
        )
    loop_rows(items, ids, out)
    return out


def fast_group(
    members: list[Resolved],
    ids: list[int],
    numbers: list[str],
    now: int | None,
    delays: tuple[int, ...],
    out: Built,
) -> None:
    """Append the rows of orders sharing path, policy and calendar (clocks that never pause)."""
    head = members[0]
    path, policy, program = head.path, head.policy, head.program or {}
    n = len(members)
    specs = [m.spec for m in members]
    times = np.array([m.times for m in members], dtype=np.int64)
    actors = [s.actor_id for s in specs]
    nulls = [None] * n
    teams = [m.team_id for m in members]
    out.events.add_columns(
        [ids, times[:, 0], actors, ["created"] * n, [created_changes(t) for t in teams], nulls]
    )
    version = np.ones(n, dtype=np.int64)
    assignees: list[int | None] = [None] * n
    codes: list[str | None] = [None] * n
    resolutions: list[str | None] = [None] * n
    appointments = np.full(n, NULL_TIME, dtype=np.int64)

    # The clocks as planned: running, checked first at their warning, from the instant each starts
    # (the same step for the whole group: starts depend on the path alone).
    targets = policy.targets if policy is not None else ()
    starts = head.starts
    planned = []
    if policy is not None:
        assert head.group is not None
        positions = np.array([m.position for m in members])
        planned = [
            (t.budget[positions], t.due_us[positions], t.warn_us[positions], t.provisional[positions])
            for t in head.group.targets
        ]
    met_at = [np.full(n, NULL_TIME, dtype=np.int64) for _ in targets]
    late = [np.zeros(n, dtype=bool) for _ in targets]
    stopped = [False] * len(targets)
    running = [starts[c] == 0 for c in range(len(targets))]
    # What rules.settle records: when decided, on time, and the team then holding the order.
    settled_at = [np.full(n, NULL_TIME, dtype=np.int64) for _ in targets]
    on_time: list[list[bool | None]] = [[None] * n for _ in targets]
    credited: list[list[int | None]] = [[None] * n for _ in targets]
    provisional = np.zeros(n, dtype=bool)
    for c, p in enumerate(planned):
        if running[c]:
            provisional |= p[3]
    breached = np.zeros(n, dtype=bool)

    for k, (step, column) in enumerate(
        zip(path.steps, zip(*(s.steps for s in specs), strict=True), strict=True)
    ):
        at, before = times[:, k + 1], times[:, k]
        step_actors = [s.actor_id for s in column]
        if step.transition:
            if step.resolves or step.appoints:
                changes, moved = _dynamic(step, column, codes, resolutions, appointments)
                version += 1 if step.certain else moved | (at != before)
            elif step.outcome_field is None:
                changes = [change_list([*step.head, *step.tail])] * n
                version += 1 if step.certain else at != before
            else:  # a contact's outcome or a callback's result differs from order to order
                changes = [change_list([*step.head, *step.tail, *outcome_item(step, s)]) for s in column]
                version += 1 if step.certain else at != before
            notes = [s.reason or s.resolution for s in column]
            out.events.add_columns([ids, at, step_actors, [step.action] * n, changes, notes])
            # on_order_changed (start the clocks the step starts, move them), then
            # refresh_order_flags: a second version when the flags change.
            started = [c for c in range(len(targets)) if starts[c] == k + 1]
            for c in started:
                running[c] = True
            for c, end in program.get(k, ()):
                running[c] = False
                due = planned[c][1]
                if end == "met":
                    met_at[c] = at
                    late[c] = at > due
                    settled_at[c] = np.where(late[c], due, at)
                    on_time[c] = (~late[c]).tolist()
                    credited[c] = list(teams)
                else:
                    stopped[c] = True
                    overdue = due <= at
                    settled_at[c] = np.where(overdue, due, NULL_TIME)
                    on_time[c] = [False if o else None for o in overdue.tolist()]
                    credited[c] = [t if o else None for t, o in zip(teams, overdue.tolist(), strict=True)]
            if started or k in program:
                now_provisional = np.zeros(n, dtype=bool)
                now_breached = np.zeros(n, dtype=bool)
                for c, p in enumerate(planned):
                    begin = starts[c]
                    if begin is not None and begin <= k + 1 and not stopped[c]:
                        now_provisional |= p[3]
                    now_breached |= late[c]
                version += (now_provisional != provisional) | (now_breached != breached)
                provisional, breached = now_provisional, now_breached
        elif step.action == "assign":
            new = [s.assignee_id for s in column]
            changes = [
                "[]" if b == a else change_list([item("assignee_id", b, a)])
                for b, a in zip(assignees, new, strict=True)
            ]
            out.events.add_columns([ids, at, step_actors, ["assigned"] * n, changes, nulls])
            version += np.array([b != a for b, a in zip(assignees, new, strict=True)]) | (at != before)
            assignees = new
        else:  # transfer
            changes, shifted = [], []
            for i, s in enumerate(column):
                entries = [item("team_id", teams[i], s.team_id)] if s.team_id != teams[i] else []
                if assignees[i] is not None:
                    entries.append(item("assignee_id", assignees[i], None))
                changes.append(change_list(entries))
                shifted.append(bool(entries))
                teams[i] = s.team_id
            out.events.add_columns(
                [ids, at, step_actors, ["transfer"] * n, changes, [s.reason for s in column]]
            )
            version += np.array(shifted) | (at != before)
            assignees = [None] * n

    # The worker's sweeps up to `now`, for the clocks still running (only the due ones climb).
    warned_at = [np.full(n, NULL_TIME, dtype=np.int64) for _ in targets]
    breached_at = [np.full(n, NULL_TIME, dtype=np.int64) for _ in targets]
    levels = [np.zeros(n, dtype=np.int64) for _ in targets]
    next_check = [
        p[2].copy() if running[c] else np.full(n, NULL_TIME, dtype=np.int64) for c, p in enumerate(planned)
    ]
    ladder_breached = [np.zeros(n, dtype=bool) for _ in targets]
    # Each order's clocks in the order the services insert them (targets that start later come
    # last in a policy's targets); one that never started has no row.
    written = [c for c in range(len(targets)) if starts[c] is not None]
    position = {c: i for i, c in enumerate(written)}
    if now is not None:
        rungs: dict[int, list[tuple[Rung, int, str, int]]] = {}
        for c, p in enumerate(planned):
            if not running[c]:
                continue
            for i in np.flatnonzero(p[2] <= now).tolist():
                due = int(p[1][i])
                fired, warned, hit, hit_at, level, check = climb_ladder(
                    due=due,
                    warned_at=None,
                    breached=False,
                    level=0,
                    next_check=int(p[2][i]),
                    now=now,
                    delays_us=delays,
                )
                warned_at[c][i] = NULL_TIME if warned is None else warned
                ladder_breached[c][i] = hit
                breached_at[c][i] = NULL_TIME if hit_at is None else hit_at
                levels[c][i] = level
                next_check[c][i] = NULL_TIME if check is None else check
                if hit_at is not None and settled_at[c][i] == NULL_TIME:  # rules.settle
                    settled_at[c][i], on_time[c][i], credited[c][i] = hit_at, False, teams[i]
                rungs.setdefault(i, []).extend((rung, position[c], targets[c].kind, due) for rung in fired)
        for i, fired_rungs in rungs.items():
            who = (numbers[i], teams[i], assignees[i], specs[i].actor_id, specs[i].region_code)
            if emit_rungs(ids[i], who, now, fired_rungs, out):
                breached[i] = True  # the sweep flags the order with a plain UPDATE: same version

    assert head.calendar is not None or policy is None
    for c in written:
        target, p, begin = targets[c], planned[c], starts[c]
        state = "running" if running[c] else "stopped" if stopped[c] else "met"
        out.clocks.add_columns(
            [
                ids, [target.kind] * n, [policy.id] * n, [head.calendar.name] * n, [target.amount] * n,  # type: ignore[union-attr]
                [target.unit] * n, [policy.warning_share] * n, [state] * n, times[:, begin], p[0], p[1], p[2],  # type: ignore[union-attr]
                np.full(n, NULL_TIME, dtype=np.int64), ["[]"] * n, met_at[c], late[c] | ladder_breached[c],
                breached_at[c], warned_at[c], p[3], levels[c], next_check[c], settled_at[c], on_time[c],
                credited[c],
            ]
        )  # fmt: skip
    resolved_at = (
        times[:, path.resolved_step + 1] if path.resolved_step is not None else np.full(n, NULL_TIME)
    )
    closed_at = times[:, path.closed_step + 1] if path.closed_step is not None else np.full(n, NULL_TIME)
    policy_id = policy.id if policy is not None else None
    out.orders.add_columns(
        [
            ids, numbers, [head.spec.type] * n, [m.category_id for m in members], [s.channel for s in specs],
            [s.priority for s in specs], [s.severity for s in specs], [path.status] * n, [path.stage] * n,
            [path.stage_before_pause] * n, [s.title for s in specs], [s.description.strip() for s in specs],
            [s.customer_id for s in specs], [s.subscription_id for s in specs], [m.product for m in members],
            [s.region_code for s in specs], actors, assignees, teams, actors, nulls, nulls, nulls, codes,
            resolutions, [path.reopen_count] * n, [path.contact_attempts] * n, appointments, [policy_id] * n,
            provisional, times[:, 0], times[:, -1], resolved_at, closed_at, breached,
            np.full(n, NULL_TIME, dtype=np.int64), [0] * n, [0] * n, [0] * n, version, [False] * n,
        ]
    )  # fmt: skip


def _dynamic(
    step: Any,
    column: tuple[Any, ...],
    codes: list[str | None],
    resolutions: list[str | None],
    appointments: np.ndarray,
) -> tuple[list[str], np.ndarray]:
    """`changes` of a resolve or appoint step, order by order (the code or appointment differs);
    updates the orders' codes, resolutions and appointments; returns which appointments moved."""
    changes = []
    moved = np.zeros(len(column), dtype=bool)
    for i, s in enumerate(column):
        entries = [*step.head]
        if step.resolves:
            if s.resolution_code != codes[i]:
                entries.append(item("resolution_code", codes[i], s.resolution_code))
            codes[i], resolutions[i] = s.resolution_code, s.resolution
        else:
            new = to_us(s.appointment_at)
            if new != appointments[i]:
                entries.append(appointment_item(int(appointments[i]), new))
                moved[i] = True
            appointments[i] = new
        changes.append(change_list([*entries, *step.tail]))
    return changes, moved

"""Is the database ready for a command: reachable, migrated to this release's head, set up?

Every CLI command asks before it touches a table, so an operator gets one line saying what to run
(`manyi db upgrade`, `manyi setup`) instead of a traceback about a missing table. Reads table names
only: the core knows no concept's models.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from manyi.core.errors import ManyiError


class Needs(IntEnum):
    """What a command needs, each level including the ones before it."""

    NOTHING = 0
    SCHEMA = 1  # migrated to this release's head
    CALENDARS = 2  # + the built-in calendars and the national holiday schedule
    SETUP = 3  # + regions (`manyi setup`)


class NotReady(ManyiError):
    status = 503
    code = "not_ready"


@dataclass(frozen=True)
class SchemaState:
    current: tuple[str, ...]
    head: tuple[str, ...]
    tables: frozenset[str]


def schema_state(engine: Engine) -> SchemaState:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from manyi.core.migrate import alembic_config

    head = tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))
    with engine.connect() as conn:
        tables = frozenset(inspect(conn).get_table_names())
        current = tuple(sorted(MigrationContext.configure(conn).get_current_heads())) if tables else ()
    return SchemaState(current, head, tables)


_MANYI_TABLES = frozenset({"regions", "calendars", "work_orders", "users"})
_SETUP_CHECKS = (
    (
        Needs.CALENDARS,
        "SELECT 1 FROM calendars WHERE name = 'office'",
        "the built-in calendars are missing",
    ),
    (Needs.CALENDARS, "SELECT 1 FROM holiday_years", "the national holiday schedule is missing"),
    (Needs.SETUP, "SELECT 1 FROM regions", "no regions are loaded"),
)
SETUP_HINT = "run `manyi setup --province 湖南省 --admin NAME --password-stdin` (or `manyi demo`)"


def check_ready(engine: Engine, needs: Needs) -> None:
    """Raise NotReady with one sentence naming what to run when the database is not ready."""
    if needs == Needs.NOTHING:
        return
    where = engine.url.render_as_string(hide_password=True)
    path = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not path.startswith("file:") and not Path(path).exists():
        # Connecting would create an empty file: say so without leaving one behind.
        raise NotReady(f"the database {where} is empty: run `manyi db upgrade` first, then `manyi setup`")
    try:
        state = schema_state(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise NotReady(f"cannot reach the database {where}: {reason}") from None
    if not state.tables:
        raise NotReady(f"the database {where} is empty: run `manyi db upgrade` first, then `manyi setup`")
    if state.current and state.current != state.head:
        from alembic.script import ScriptDirectory

        from manyi.core.migrate import alembic_config

        known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        now, head = ", ".join(state.current), ", ".join(state.head)
        if not set(state.current) <= known:
            raise NotReady(
                f"the database {where} is at revision {now}, which this release of Manyi does not know "
                "(made by a newer release?)"
            )
        raise NotReady(
            f"the database {where} is at revision {now}, this release needs {head}: "
            "back it up, then run `manyi db upgrade`"
        )
    # No alembic_version but Manyi's tables: a schema made by create_all (tests, tools), taken as current.
    if not state.current and ("alembic_version" in state.tables or not state.tables >= _MANYI_TABLES):
        raise NotReady(f"the database {where} is not migrated: run `manyi db upgrade`")
    with engine.connect() as conn:
        for level, sql, missing in _SETUP_CHECKS:
            if needs >= level and conn.execute(text(sql)).first() is None:
                raise NotReady(f"the database {where} is not set up ({missing}): {SETUP_HINT}")

"""What every benchmark line carries, so a figure can be traced to its code and compared on any
machine: the commit it ran on, and its peer measured in the same run."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

ROOT = Path(__file__).resolve().parents[1]


def commit() -> str:
    """The short commit hash of the checkout, with '+dirty' when files differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def emit(line: dict[str, Any]) -> None:
    """Print one benchmark JSON line, stamped with the commit."""
    print(json.dumps({**line, "commit": commit()}, ensure_ascii=False), flush=True)


@dataclass
class Captured:
    """The statements (with their parameters) one piece of work sent to the database."""

    statements: list[tuple[str, Any]] = field(default_factory=list)


@contextmanager
def capture_statements(engine: Engine) -> Iterator[Captured]:
    """Record every statement sent through `engine` while the block runs."""
    captured = Captured()

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if not many:
            captured.statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield captured
    finally:
        event.remove(engine, "before_cursor_execute", record)


def replay_seconds(engine: Engine, captured: Captured, repeat: int) -> list[float]:
    """Wall seconds of each of `repeat` replays of the captured statements on one connection, each
    replay in a transaction rolled back afterwards: the database engine's part of the work alone."""
    samples = []
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for _ in range(repeat):
            cursor = raw.cursor()
            t0 = time.perf_counter()
            for statement, parameters in captured.statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            samples.append(time.perf_counter() - t0)
            cursor.close()
            raw.rollback()
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(0.95 * len(ordered)) - 1)]

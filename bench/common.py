"""What every benchmark line carries, so a figure can be traced to its code and compared on any
machine: the commit it ran on, and its peer measured in the same run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

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

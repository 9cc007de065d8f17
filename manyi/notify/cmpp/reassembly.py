"""Joining the segments of long messages: both ways a long message travels (our long SUBMITs at
the simulated gateway, a customer's long reply in DELIVERs) arrive as pieces carrying a reference,
the total and their number, in any order, possibly twice (a retransmission)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Part(Generic[T]):
    number: int
    payload: bytes  # the content after its user-data header
    token: T  # what the receiver needs afterwards (to acknowledge it, to report on it)


class Reassembler(Generic[T]):
    def __init__(self) -> None:
        self._groups: dict[Hashable, tuple[int, dict[int, Part[T]]]] = {}

    def add(self, key: Hashable, total: int, part: Part[T]) -> list[Part[T]] | None:
        """Keep one part; return all parts in order once the last one is in. A part received twice
        replaces the first copy (so the newest token is the one acknowledged)."""
        if not 1 <= part.number <= total:
            raise ValueError(f"segment number: expected 1..{total}, got {part.number}")
        _, parts = self._groups.setdefault(key, (total, {}))
        parts[part.number] = part
        if len(parts) < total:
            return None
        del self._groups[key]
        return [parts[n] for n in range(1, total + 1)]

    def take(self, key: Hashable) -> list[Part[T]]:
        """Remove and return what arrived of an incomplete message (given up on), in order."""
        _, parts = self._groups.pop(key, (0, {}))
        return [parts[n] for n in sorted(parts)]

    def __contains__(self, key: Hashable) -> bool:
        return key in self._groups

    def __len__(self) -> int:
        return len(self._groups)

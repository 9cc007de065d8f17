"""The gateway's message id (Msg_Id): a 64-bit integer the ISMG assigns in CMPP_SUBMIT_RESP and
repeats in the status report, which is how a receipt finds its message.

Its bits, from the most significant: month (4), day (5), hour (5), minute (6), second (6) of the
gateway's local time, the gateway's code (22), and a sequence (16) that wraps. We store it as the
decimal of the unsigned integer (what gateway operators' tools print) and decode the parts only
for display: two gateways may share neither clock nor code, so the parts carry no meaning for us.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

# (name, width in bits), most significant first: 4 + 5 + 5 + 6 + 6 + 22 + 16 = 64
_LAYOUT: tuple[tuple[str, int], ...] = (
    ("month", 4),
    ("day", 5),
    ("hour", 5),
    ("minute", 6),
    ("second", 6),
    ("gateway", 22),
    ("sequence", 16),
)


def _shifts() -> dict[str, tuple[int, int]]:
    shifts, position = {}, 64
    for name, width in _LAYOUT:
        position -= width
        shifts[name] = (position, (1 << width) - 1)
    return shifts


_SHIFTS = _shifts()


@dataclass(frozen=True, order=True)
class MsgId:
    value: int

    def __post_init__(self) -> None:
        if not 0 <= self.value < 1 << 64:
            raise ValueError(f"Msg_Id: expected an unsigned 64-bit integer, got {self.value}")

    @classmethod
    def compose(
        cls, *, month: int, day: int, hour: int, minute: int, second: int, gateway: int, sequence: int
    ) -> MsgId:
        """Build a Msg_Id from its parts (the ISMG's side: the simulator assigns them so)."""
        parts = {"month": month, "day": day, "hour": hour, "minute": minute, "second": second}
        parts |= {"gateway": gateway, "sequence": sequence}
        value = 0
        for name, (shift, mask) in _SHIFTS.items():
            if not 0 <= parts[name] <= mask:
                raise ValueError(f"Msg_Id.{name}: expected 0..{mask}, got {parts[name]}")
            value |= parts[name] << shift
        return cls(value)

    def part(self, name: str) -> int:
        shift, mask = _SHIFTS[name]
        return (self.value >> shift) & mask

    @property
    def gateway(self) -> int:
        return self.part("gateway")

    @property
    def sequence(self) -> int:
        return self.part("sequence")

    def describe(self) -> str:
        """The parts for a person: `12-03 16:38:14 gateway 123456 #42`."""
        p = self.part
        return (
            f"{p('month'):02d}-{p('day'):02d} {p('hour'):02d}:{p('minute'):02d}:{p('second'):02d}"
            f" gateway {p('gateway')} #{p('sequence')}"
        )

    def __str__(self) -> str:
        return str(self.value)


class MsgIdFactory:
    """Assigns Msg_Ids as an ISMG does: its local time, its code, a 16-bit wrapping sequence."""

    def __init__(self, gateway: int) -> None:
        self._gateway = gateway
        self._sequence = itertools.count()

    def next(self, at: datetime) -> MsgId:
        return MsgId.compose(
            month=at.month,
            day=at.day,
            hour=at.hour,
            minute=at.minute,
            second=at.second,
            gateway=self._gateway,
            sequence=next(self._sequence) & 0xFFFF,
        )

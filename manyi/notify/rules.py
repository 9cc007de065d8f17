"""Customer-protection rules and delivery arithmetic. Pure: no I/O, every input passed in.

- Quiet hours: a non-urgent message due inside the window waits for its end (local time).
- Opt-out: a reply whose whole text is TD, 退订 or T (any case, spaces and punctuation around it).
- Daily limit: at most N messages per number per local day (urgent ones are not counted against it).
- De-duplication: the same text to the same number on the same local day is written once.
- Backoff and failover: when a failed submit is tried again, and on which gateway.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_QUIET_START = 21 * 60  # 21:00
DEFAULT_QUIET_END = 8 * 60  # 08:00
OPT_OUT_WORDS = frozenset({"TD", "退订", "T"})
MAX_BACKOFF = timedelta(minutes=30)
_EDGES = re.compile(r"^[\s\W_]+|[\s\W_]+$")


def in_quiet_hours(minute_of_day: int, start: int, end: int) -> bool:
    """Whether a local minute of the day falls in [start, end); start > end wraps over midnight."""
    if start == end:
        return False
    if start < end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end


def release_at(at: datetime, *, zone: ZoneInfo, start: int, end: int, urgent: bool) -> datetime:
    """When a message written at `at` may go: at once, or at the end of the quiet hours it falls in."""
    if urgent:
        return at
    local = at.astimezone(zone)
    minute = local.hour * 60 + local.minute
    if not in_quiet_hours(minute, start, end):
        return at
    day = local.date() if minute < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end // 60, end % 60), tzinfo=zone).astimezone(at.tzinfo)


def is_opt_out(text: str) -> bool:
    """Whether a reply asks to stop messages: TD, 退订 or T alone (case and punctuation ignored)."""
    return _EDGES.sub("", text).upper() in OPT_OUT_WORDS


def local_day(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).date().isoformat()


def dedupe_key(*, channel: str, address: str, text: str, day: str) -> str:
    """One key per (channel, number, text, local day): an identical message the same day is one."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return f"{channel}:{address}:{day}:{digest}"


def over_daily_limit(sent_today: int, limit: int, *, urgent: bool) -> bool:
    """Whether one more message breaks the per-number daily limit (0 means no limit)."""
    return not urgent and limit > 0 and sent_today >= limit


def backoff(attempts: int) -> timedelta:
    """Pause before attempt attempts + 1: 10 s, 20 s, 40 s, … up to 30 minutes."""
    return min(MAX_BACKOFF, timedelta(seconds=10 * 2 ** min(max(attempts - 1, 0), 12)))


def gateway_for(attempts: int, gateways: int, *, failover_after: int) -> int:
    """The index of the gateway attempt `attempts` (1-based) goes to: the first until it failed
    failover_after times, then each next one in turn (a second gateway takes over)."""
    if gateways <= 1 or attempts <= failover_after:
        return 0
    return (1 + (attempts - failover_after - 1) // failover_after) % gateways


def extension_for(message_id: int, digits: int) -> str:
    """The per-message extension a reply comes back to: the id's last `digits` digits."""
    return f"{message_id % 10**digits:0{digits}d}"


def normalise_msisdn(number: str) -> str | None:
    """An SMS address from a stored phone: digits only, mainland mobiles with 86 in front."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) == 11 and digits.startswith("1"):
        return "86" + digits
    if 5 <= len(digits) <= 20:
        return digits
    return None

"""Working-time arithmetic on one calendar. Pure: no I/O, built from data, immutable.

The calendar is flattened once into a sorted index of working intervals (epoch seconds) with the
cumulative working time before each interval. "Working time elapsed since the index start" is then
a monotone function W(t), and every question is a binary search on it:

* add N working seconds to T  ->  the earliest t with W(t) = W(T) + N
* working time between A and B ->  W(B) - W(A)

Years without official holiday data are indexed on weekdays only and flagged provisional, so a
deadline that reaches into them is computed, but never silently trusted.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from manyi.core.errors import CalendarDataMissing, ValidationFailed

Interval = tuple[int, int]  # minutes since local midnight, [start, end)
UNITS = ("working_hours", "working_days", "natural_hours", "natural_days")
INDEX_FIRST_YEAR = 2004  # chinesecalendar's first year
INDEX_LAST_YEAR = 2040


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    provisional: bool


@dataclass(frozen=True)
class CalendarSpec:
    """Everything that defines a calendar's working time; the input of WorkingCalendar."""

    name: str
    timezone: str = "Asia/Shanghai"
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)  # weekday 0=Mon
    always: bool = False  # 7x24: every instant is working time
    holidays: frozenset[date] = frozenset()  # official public holidays (rest days)
    makeup_workdays: frozenset[date] = frozenset()  # 调休: weekend days that are working days
    data_years: frozenset[int] = frozenset()  # years whose official schedule is loaded
    overrides: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)  # () = closed


def _validate_intervals(intervals: Iterable[Interval], where: str) -> tuple[Interval, ...]:
    ordered = tuple(sorted(intervals))
    previous_end = 0
    for start, end in ordered:
        if not (0 <= start < end <= 1440):
            raise ValidationFailed(
                f"{where}: interval {start}-{end} must satisfy 0 <= start < end <= 1440 minutes"
            )
        if start < previous_end:
            raise ValidationFailed(f"{where}: intervals overlap at minute {start}")
        previous_end = end
    return ordered


class WorkingCalendar:
    """A calendar's working time, indexed for microsecond-fast deadline arithmetic."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.zone = ZoneInfo(spec.timezone)
        self._weekly = {
            wd: _validate_intervals(spec.weekly.get(wd, ()), f"{spec.name} weekday {wd}") for wd in range(7)
        }
        if not spec.always and not any(self._weekly.values()):
            raise ValidationFailed(f"calendar {spec.name!r}: no working hours on any weekday")
        # Provisional years are those after the last loaded one (and any gap); the index runs to 2040.
        self._first_provisional_year = self._first_year_without_data()
        self._build_index()

    # ----- day rules ---------------------------------------------------------------------------
    def _first_year_without_data(self) -> int | None:
        if self.spec.always:
            return None
        for year in range(INDEX_FIRST_YEAR, INDEX_LAST_YEAR + 1):
            if year not in self.spec.data_years:
                return year
        return None

    def has_data_for(self, year: int) -> bool:
        return self.spec.always or year in self.spec.data_years

    def day_intervals(self, day: date) -> tuple[Interval, ...]:
        """Return the working intervals of a local date (empty on a rest day)."""
        if day in self.spec.overrides:
            return tuple(self.spec.overrides[day])
        if self.spec.always:
            return ((0, 1440),)
        weekday = day.weekday()
        if self.has_data_for(day.year):
            if day in self.spec.holidays:
                return ()
            if day in self.spec.makeup_workdays:
                # A make-up day works the hours of a normal Monday (the weekday pattern it stands for).
                return self._weekly[weekday] or self._weekly[0]
        return self._weekly[weekday]

    def is_working_day(self, day: date) -> bool:
        return bool(self.day_intervals(day))

    # ----- index -------------------------------------------------------------------------------
    def _local_epoch(self, day: date, minute: int) -> int:
        if minute == 1440:
            day, minute = day + timedelta(days=1), 0
        local = datetime.combine(day, time(minute // 60, minute % 60), self.zone)
        return int(local.timestamp())

    def _build_index(self) -> None:
        starts: list[int] = []
        ends: list[int] = []
        working_days: list[int] = []  # proleptic ordinals of working days
        day = date(INDEX_FIRST_YEAR, 1, 1)
        last = date(INDEX_LAST_YEAR, 12, 31)
        while day <= last:
            intervals = self.day_intervals(day)
            if intervals:
                working_days.append(day.toordinal())
            for start, end in intervals:
                s, e = self._local_epoch(day, start), self._local_epoch(day, end)
                if starts and s <= ends[-1]:  # 24:00 of one day touches 00:00 of the next: merge
                    ends[-1] = max(ends[-1], e)
                else:
                    starts.append(s)
                    ends.append(e)
            day += timedelta(days=1)
        cum = [0] * len(starts)
        total = 0
        for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
            cum[i] = total
            total += e - s
        self._starts, self._ends, self._cum = starts, ends, cum
        self._cum_end = [c + (e - s) for c, s, e in zip(cum, starts, ends, strict=True)]
        self._working_days = working_days
        self._np_starts = np.asarray(starts, dtype=np.int64)
        self._np_ends = np.asarray(ends, dtype=np.int64)
        self._np_cum = np.asarray(cum, dtype=np.int64)
        self._np_cum_end = np.asarray(self._cum_end, dtype=np.int64)
        self._index_start = self._local_epoch(date(INDEX_FIRST_YEAR, 1, 1), 0)
        self._index_end = self._local_epoch(date(INDEX_LAST_YEAR, 12, 31), 1440)
        self._provisional_from = (
            None
            if self._first_provisional_year is None
            else self._local_epoch(date(self._first_provisional_year, 1, 1), 0)
        )

    def _epoch(self, instant: datetime, what: str = "start") -> int:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValidationFailed(
                f"{what}: expected a datetime with a UTC offset, got {instant.isoformat()}"
            )
        epoch = int(instant.timestamp())
        if not (self._index_start <= epoch < self._index_end):
            raise ValidationFailed(
                f"{what}: {instant.isoformat()} is outside the calendar range {INDEX_FIRST_YEAR}-{INDEX_LAST_YEAR}"
            )
        return epoch

    def _elapsed(self, epoch: int) -> int:
        """W(t): working seconds from the index start to epoch."""
        i = bisect_right(self._ends, epoch)
        if i == len(self._starts):
            return self._cum_end[-1]
        return self._cum[i] + max(0, epoch - self._starts[i])

    def _instant_at_elapsed(self, target: int) -> int:
        """The earliest epoch at which W reaches target."""
        j = bisect_left(self._cum_end, target)
        if j == len(self._starts):
            raise ValidationFailed(f"deadline beyond the calendar range (after {INDEX_LAST_YEAR})")
        return self._starts[j] + max(0, target - self._cum[j])

    def _is_provisional(self, first: int, last: int) -> bool:
        return (
            self._provisional_from is not None and last >= self._provisional_from and first < self._index_end
        )

    def _finish(self, start_epoch: int, due_epoch: int, strict: bool) -> Deadline:
        provisional = self._is_provisional(start_epoch, due_epoch)
        if provisional and strict:
            assert self._first_provisional_year is not None
            raise CalendarDataMissing(self.name, self._first_provisional_year)
        return Deadline(datetime.fromtimestamp(due_epoch, UTC), provisional)

    # ----- public arithmetic -------------------------------------------------------------------
    def add_working_seconds(self, start: datetime, seconds: float, *, strict: bool = False) -> Deadline:
        """Consume seconds of working time from start; the due instant is the earliest it is used up."""
        # The hot path of every SLA computation: inlined lookups, one bisect each way.
        if seconds < 0:
            raise ValidationFailed(f"amount: expected a non-negative duration, got {seconds}")
        if start.tzinfo is None:
            self._epoch(start)  # raises the naive-datetime error
        epoch = int(start.timestamp())
        if not (self._index_start <= epoch < self._index_end):
            self._epoch(start)  # raises the out-of-range error
        if seconds:
            ends, starts, cum = self._ends, self._starts, self._cum
            i = bisect_right(ends, epoch)
            elapsed = (
                (cum[i] + (epoch - starts[i] if epoch > starts[i] else 0))
                if i < len(starts)
                else self._cum_end[-1]
            )
            target = elapsed + round(seconds)
            j = bisect_left(self._cum_end, target)
            if j == len(starts):
                raise ValidationFailed(f"deadline beyond the calendar range (after {INDEX_LAST_YEAR})")
            due = starts[j] + target - cum[j]
        else:
            due = epoch
        if self._provisional_from is not None and due >= self._provisional_from:
            return self._finish(epoch, due, strict)
        return Deadline(datetime.fromtimestamp(due, UTC), False)

    def add_working_hours(self, start: datetime, hours: float, *, strict: bool = False) -> Deadline:
        return self.add_working_seconds(start, hours * 3600, strict=strict)

    def add_working_days(self, start: datetime, days: int, *, strict: bool = False) -> Deadline:
        """Close of business of the Nth working day after start's local date (Civil Code art. 201)."""
        if days < 1:
            raise ValidationFailed(f"amount: expected at least 1 working day, got {days}")
        epoch = self._epoch(start)
        local_day = start.astimezone(self.zone).date()
        k = bisect_right(self._working_days, local_day.toordinal()) + days - 1
        if k >= len(self._working_days):
            raise ValidationFailed(f"deadline beyond the calendar range (after {INDEX_LAST_YEAR})")
        due_day = date.fromordinal(self._working_days[k])
        due = self._local_epoch(due_day, self.day_intervals(due_day)[-1][1])
        return self._finish(epoch, due, strict)

    def add_natural_hours(self, start: datetime, hours: float, *, strict: bool = False) -> Deadline:
        epoch = self._epoch(start)
        return self._finish(epoch, epoch + round(hours * 3600), strict)

    def add_natural_days(self, start: datetime, days: int, *, strict: bool = False) -> Deadline:
        """24:00 of the Nth day after start; a rest-day end moves to the next working day (art. 203)."""
        if days < 1:
            raise ValidationFailed(f"amount: expected at least 1 day, got {days}")
        epoch = self._epoch(start)
        last_day = start.astimezone(self.zone).date() + timedelta(days=days)
        k = bisect_left(self._working_days, last_day.toordinal())
        if k >= len(self._working_days):
            raise ValidationFailed(f"deadline beyond the calendar range (after {INDEX_LAST_YEAR})")
        due_day = date.fromordinal(self._working_days[k])
        return self._finish(epoch, self._local_epoch(due_day, 1440), strict)

    def add(self, start: datetime, amount: float, unit: str, *, strict: bool = False) -> Deadline:
        """Add amount of unit (working_hours, working_days, natural_hours, natural_days) to start."""
        if unit == "working_hours":
            return self.add_working_hours(start, amount, strict=strict)
        if unit == "working_days":
            return self.add_working_days(start, int(amount), strict=strict)
        if unit == "natural_hours":
            return self.add_natural_hours(start, amount, strict=strict)
        if unit == "natural_days":
            return self.add_natural_days(start, int(amount), strict=strict)
        raise ValidationFailed(f"unit: expected one of {', '.join(UNITS)}, got {unit!r}")

    def working_seconds_between(self, a: datetime, b: datetime) -> int:
        """Working seconds from a to b (negative when b is before a)."""
        return self._elapsed(self._epoch(b, "end")) - self._elapsed(self._epoch(a, "start"))

    def is_working_time(self, instant: datetime) -> bool:
        epoch = self._epoch(instant, "instant")
        i = bisect_right(self._starts, epoch) - 1
        return i >= 0 and epoch < self._ends[i]

    def add_working_seconds_many(self, starts_epoch: np.ndarray, seconds: np.ndarray | int) -> np.ndarray:
        """Vectorised add: epoch-second starts plus working seconds -> epoch-second due instants."""
        te = np.asarray(starts_epoch, dtype=np.int64)
        if te.size and (te.min() < self._index_start or te.max() >= self._index_end):
            raise ValidationFailed(f"starts: instants must lie in {INDEX_FIRST_YEAR}-{INDEX_LAST_YEAR}")
        i = np.searchsorted(self._np_ends, te, side="right")
        i_clipped = np.minimum(i, len(self._np_starts) - 1)
        elapsed = np.where(
            i < len(self._np_starts),
            self._np_cum[i_clipped] + np.maximum(0, te - self._np_starts[i_clipped]),
            self._np_cum_end[-1],
        )
        target = elapsed + np.asarray(seconds, dtype=np.int64)
        j = np.searchsorted(self._np_cum_end, target, side="left")
        if j.size and j.max() >= len(self._np_starts):
            raise ValidationFailed(f"deadline beyond the calendar range (after {INDEX_LAST_YEAR})")
        return np.where(target == elapsed, te, self._np_starts[j] + np.maximum(0, target - self._np_cum[j]))

    def provisional_years(self) -> list[int]:
        """Years indexed without official data (weekdays only), from the first missing one on."""
        if self._first_provisional_year is None:
            return []
        return [
            y
            for y in range(self._first_provisional_year, INDEX_LAST_YEAR + 1)
            if y not in self.spec.data_years
        ]

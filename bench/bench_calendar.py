"""Calendar arithmetic: single `add working hours` calls and a vectorised batch, against businesstimedelta.

Prints one JSON line of medians over REPEATS runs: one run of 300k calls varies by 10% and more on a
shared machine, enough to flip a >= 500,000/s verdict either way. The peer runs on the same deadlines
on a calendar without 调休 (it cannot express make-up working days), with the same hours and holidays.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import statistics
import time
from collections.abc import Callable

import businesstimedelta
import chinese_calendar
import numpy as np
import pytz
from common import emit  # type: ignore[import-not-found]

from manyi.calendars.arithmetic import CalendarSpec, WorkingCalendar

HOURS = ((540, 720), (810, 1080))
N_SINGLE = 300_000
N_PEER = 5_000
N_BATCH = 1_000_000
REPEATS = 5


def _median_seconds(run: Callable[[], object]) -> float:
    timings = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        run()
        timings.append(time.perf_counter() - t0)
    return statistics.median(timings)


def main() -> None:
    office = WorkingCalendar(
        CalendarSpec(
            name="office",
            weekly={wd: HOURS for wd in range(5)},
            holidays=frozenset(chinese_calendar.holidays),
            makeup_workdays=frozenset(d for d in chinese_calendar.workdays if d.weekday() >= 5),
            data_years=frozenset(range(2004, 2027)),
        )
    )
    rng = random.Random(1)
    base = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    starts = [base + dt.timedelta(seconds=rng.randint(0, 600 * 86400)) for _ in range(2000)]
    amounts = [rng.choice((2, 4, 8, 16, 24)) for _ in starts]

    def single() -> None:
        for i in range(N_SINGLE):
            office.add_working_hours(starts[i % 2000], amounts[i % 2000])

    single_s = _median_seconds(single)

    epoch = np.array([int(s.timestamp()) for s in starts] * (N_BATCH // 2000), dtype=np.int64)
    secs = np.array([a * 3600 for a in amounts] * (N_BATCH // 2000), dtype=np.int64)
    batch_s = _median_seconds(lambda: office.add_working_seconds_many(epoch, secs))

    tz = pytz.timezone("Asia/Shanghai")
    workday = [0, 1, 2, 3, 4]
    rules = [
        businesstimedelta.WorkDayRule(
            start_time=dt.time(9), end_time=dt.time(12), working_days=workday, tz=tz
        ),
        businesstimedelta.WorkDayRule(
            start_time=dt.time(13, 30), end_time=dt.time(18), working_days=workday, tz=tz
        ),
        businesstimedelta.HolidayRule([d for d in chinese_calendar.holidays if d.year >= 2024], tz=tz),
    ]
    peer = businesstimedelta.Rules(rules)

    def peer_single() -> None:
        for i in range(N_PEER):
            start = starts[i % 2000].astimezone(tz)
            start + businesstimedelta.BusinessTimeDelta(peer, hours=amounts[i % 2000])

    peer_s = _median_seconds(peer_single)

    per_s = N_SINGLE / single_s
    peer_per_s = N_PEER / peer_s
    emit(
        {
            "bench": "calendar_add_working_hours",
            "n": N_SINGLE,
            "repeats": REPEATS,
            "seconds": round(single_s, 3),
            "per_s": round(per_s),
            "peer": "businesstimedelta",
            "peer_per_s": round(peer_per_s),
            "ratio": round(per_s / peer_per_s, 1),
            "batch_n": N_BATCH,
            "batch_seconds": round(batch_s, 3),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )


if __name__ == "__main__":
    main()

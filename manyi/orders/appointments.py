"""Rules for booking a visit and arriving on site (issue 12, bug 1), pure so they are tested alone.

A booking in the past is refused: "预约上门" two days ago would be a lie in the history and would
meet the appointment clock for free. A little slack is allowed because the console's time picker
has minute precision and the agent books "now" while on the phone. Arriving long before the agreed
time is allowed only with a note, because the customer may not be home and the history must say
why the technician came early."""

from __future__ import annotations

from datetime import datetime, timedelta

from manyi.core.clock import zone
from manyi.core.errors import ValidationFailed
from manyi.core.settings import get_settings

BOOKING_SLACK = timedelta(minutes=5)
EARLY_ARRIVAL_FREE = timedelta(hours=1)


def _local(instant: datetime) -> str:
    return instant.astimezone(zone(get_settings().default_timezone)).strftime("%Y-%m-%d %H:%M")


def check_booking(appointment_at: datetime | None, *, at: datetime) -> datetime:
    """The appointment instant to store, or ValidationFailed naming the field."""
    if appointment_at is None:
        raise ValidationFailed(
            "appointment_at: booking an appointment needs its date and time",
            field="appointment_at",
            key="appointment.required",
        )
    if appointment_at < at - BOOKING_SLACK:
        raise ValidationFailed(
            f"appointment_at: {appointment_at.isoformat()} is in the past; book a time from now on",
            field="appointment_at",
            key="appointment.past",
            params={"appointment": _local(appointment_at)},
        )
    return appointment_at


def check_arrival(appointment_at: datetime | None, *, at: datetime, note: str | None) -> None:
    """Refuse an arrival more than an hour before the appointment unless a note says why."""
    if appointment_at is None or at >= appointment_at - EARLY_ARRIVAL_FREE:
        return
    if note and note.strip():
        return
    raise ValidationFailed(
        f"reason: the appointment is at {appointment_at.isoformat()}; arriving more than "
        f"{EARLY_ARRIVAL_FREE.seconds // 3600} hour(s) earlier needs a note saying why",
        field="reason",
        key="arrival.early",
        params={"appointment": _local(appointment_at), "hours": EARLY_ARRIVAL_FREE.seconds // 3600},
    )

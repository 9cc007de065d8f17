"""Names the messages screen and the notification admin show for events and message states."""

from __future__ import annotations

EVENT_NAMES = {
    "order.accepted": "Order accepted",
    "order.appointment": "Appointment booked or changed",
    "order.resolved": "Order resolved",
    "order.assigned": "New assignment",
}

STATUSES = {
    "queued": "Queued",
    "sending": "Sending",
    "submitted": "Submitted",
    "delivered": "Delivered",
    "failed": "Failed",
    "suppressed": "Not sent (rule)",
}

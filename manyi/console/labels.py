"""Display names of the domain's codes (statuses, stages, types, actions, …) as English message ids;
their zh-CN names live in locale/zh_CN/labels.po. Pure data plus one lookup."""

from __future__ import annotations

from manyi.console.i18n import gettext

LABELS: dict[str, dict[str, str]] = {
    "status": {
        "acknowledged": "Acknowledged",
        "inProgress": "In progress",
        "pending": "Pending customer",
        "held": "Held",
        "resolved": "Resolved",
        "closed": "Closed",
        "rejected": "Rejected",
        "cancelled": "Cancelled",
    },
    "stage": {
        "accepted": "Accepted",
        "extracted": "Extracted",
        "contacted": "Contacted",
        "responded": "Responded",
        "appointed": "Appointed",
        "on_site": "On site",
        "awaiting_callback": "Awaiting callback",
        "pending": "Pending customer",
        "held": "Held",
        "closed": "Closed",
        "rejected": "Rejected",
        "cancelled": "Cancelled",
    },
    "type": {
        "complaint": "Complaint",
        "fault": "Fault",
        "install": "Installation",
        "remove": "Removal",
        "move": "Move",
        "change": "Change",
        "inquiry": "Inquiry",
        "callback": "Callback",
        "proactiveCare": "Proactive care",
    },
    "action": {
        "extract": "Extract",
        "start": "Start work",
        "reject": "Reject",
        "contact": "Contacted customer",
        "contact_failed": "Log failed contact attempt",
        "pause": "Pause (waiting for customer)",
        "hold": "Hold (waiting for third party)",
        "transfer": "Transfer",
        "respond": "Send formal response",
        "appoint": "Book appointment",
        "arrive": "Arrived on site",
        "resolve": "Resolve",
        "resume": "Resume",
        "callback_ok": "Callback made, order closed",
        "callback_unsatisfied": "Callback: not satisfied, reopened",
        "close": "Close",
        "reopen": "Reopen",
        "cancel": "Cancel",
    },
    "contact_outcome": {
        "reached": "Reached the customer",
        "not_reached": "No answer",
        "wrong_number": "Wrong number",
    },
    "callback_result": {
        "satisfied": "Satisfied",
        "basically_satisfied": "Basically satisfied",
        "unsatisfied": "Not satisfied",
        "unreachable": "Unreachable",
    },
    "clock": {
        "extraction": "Extraction",
        "first_contact": "First contact",
        "appointment": "Appointment",
        "response": "Response",
        "installation": "Installation task",
        "resolution": "Resolution",
    },
    "channel": {
        "hotline": "Hotline 10086",
        "hall": "Service hall",
        "web": "Website",
        "app": "Mobile app",
        "sms": "SMS",
        "partner": "Partner",
        "field": "Field",
        "system": "System",
    },
    "severity": {"critical": "Critical", "major": "Major", "minor": "Minor"},
    "priority": {"1": "P1 urgent", "2": "P2 high", "3": "P3 normal", "4": "P4 low"},
    "product": {"mobile": "Mobile", "broadband": "Broadband", "iptv": "IPTV"},
    "brand": {"gotone": "GoTone 全球通", "mzone": "M-Zone 动感地带", "easyown": "Easyown 神州行"},
    "role": {
        "agent": "Agent",
        "dispatcher": "Dispatcher",
        "technician": "Technician",
        "complaint_handler": "Complaint handler",
        "inspector": "Quality inspector",
        "supervisor": "Supervisor",
        "auditor": "Auditor",
        "admin": "Administrator",
        "partner": "Partner",
        "system": "System",
        "branch_manager": "Branch manager",
        "callback_agent": "Callback agent",
    },
    "resolution": {
        "fixed": "Problem fixed",
        "explained": "Explained to the customer",
        "answered": "Answered",
        "refunded": "Refunded",
        "duplicate": "Duplicate order",
        "repaired": "Repaired",
        "installed": "Installed",
        "equipment_replaced": "Equipment replaced",
        "relocated": "Moved to the new address",
        "removed": "Removed",
        "no_fault_found": "No fault found",
        "customer_side_issue": "Customer-side issue",
    },
    # Holiday names as the official schedule files (chinesecalendar) store them.
    "holiday": {
        name: name
        for name in (
            "New Year's Day",
            "Spring Festival",
            "Tomb-sweeping Day",
            "Labour Day",
            "Dragon Boat Festival",
            "National Day",
            "Mid-autumn Festival",
            "Anti-Fascist 70th Day",
        )
    },
    "unit": {
        "working_hours": "working hours",
        "working_days": "working days",
        "natural_hours": "natural hours",
        "natural_days": "natural days",
    },
}


def label(kind: str, code: object) -> str:
    """The display name of a code in the current language; unknown codes show as themselves."""
    if code is None:
        return ""
    message = LABELS.get(kind, {}).get(str(code))
    return gettext(message) if message else str(code)

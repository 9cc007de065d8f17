"""Message templates: the built-in text of every event per channel and language (zh-CN first,
English), an operator's own text from `notify_templates`, rendered in Jinja2's sandbox.

A template may use only the placeholders its event offers (checked when it is saved, so a typo is
refused then, not discovered as an empty gap in a customer's SMS), and renders with StrictUndefined
for the same reason. The sandbox keeps an operator's template from reaching Python internals.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from manyi.core.errors import ValidationFailed
from manyi.notify.sms import segment_count

LOCALES = ("zh-CN", "en")
MAX_BODY = 2000

# The placeholders each event offers, and who receives it.
EVENTS: dict[str, tuple[str, frozenset[str]]] = {
    "order.accepted": ("customer", frozenset({"number", "promised_at", "customer_name", "type_label"})),
    "order.appointment": ("customer", frozenset({"number", "appointment_at", "customer_name", "changed"})),
    "order.resolved": ("customer", frozenset({"number", "customer_name", "resolution"})),
    "order.assigned": ("staff", frozenset({"number", "title", "region"})),
    "sla.warning": ("staff", frozenset({"number", "clock", "due_at", "step"})),
    "sla.breach": ("staff", frozenset({"number", "clock", "due_at", "step"})),
    "sla.escalation": ("staff", frozenset({"number", "clock", "due_at", "step"})),
}
CUSTOMER_EVENTS = tuple(e for e, (who, _) in EVENTS.items() if who == "customer")
STAFF_EVENTS = tuple(e for e, (who, _) in EVENTS.items() if who == "staff")
CUSTOMER_CHANNELS = ("sms", "email")
STAFF_CHANNELS = ("email", "wecom", "dingtalk")

_SIGN = "【满意客服】"
BUILT_IN: dict[tuple[str, str], str] = {
    ("order.accepted", "zh-CN"): _SIGN
    + "{{ customer_name }}您好，您的{{ type_label }}工单{{ number }}已受理，我们将在{{ promised_at }}前处理完毕。",
    (
        "order.accepted",
        "en",
    ): "Dear {{ customer_name }}, your {{ type_label }} order {{ number }} is accepted; "
    "we will have it done by {{ promised_at }}.",
    ("order.appointment", "zh-CN"): _SIGN
    + "{{ customer_name }}您好，工单{{ number }}的上门时间{% if changed %}已改为{% else %}已约定为{% endif %}"
    "{{ appointment_at }}，如需调整请回复本短信。",
    ("order.appointment", "en"): "Dear {{ customer_name }}, the visit for order {{ number }} is "
    "{% if changed %}moved to{% else %}booked for{% endif %} {{ appointment_at }}. Reply to change it.",
    ("order.resolved", "zh-CN"): _SIGN
    + "{{ customer_name }}您好，您的工单{{ number }}已处理完毕。如问题仍未解决请回复本短信。",
    ("order.resolved", "en"): "Dear {{ customer_name }}, order {{ number }} is resolved. "
    "Reply to this message if the problem remains.",
    ("order.assigned", "zh-CN"): "新工单{{ number }}已派给您：{{ title }}（{{ region }}）",
    ("order.assigned", "en"): "New order {{ number }} assigned to you: {{ title }} ({{ region }})",
    ("sla.warning", "zh-CN"): "预警：工单{{ number }}的{{ clock }}时限将于{{ due_at }}到期",
    ("sla.warning", "en"): "Warning: the {{ clock }} limit of order {{ number }} ends at {{ due_at }}",
    ("sla.breach", "zh-CN"): "超时：工单{{ number }}的{{ clock }}时限已于{{ due_at }}到期",
    ("sla.breach", "en"): "Breach: the {{ clock }} limit of order {{ number }} ended at {{ due_at }}",
    ("sla.escalation", "zh-CN"): "升级（{{ step }}）：工单{{ number }}的{{ clock }}时限已于{{ due_at }}到期",
    ("sla.escalation", "en"): "Escalation ({{ step }}): the {{ clock }} limit of order {{ number }} "
    "ended at {{ due_at }}",
}

# The SLA clocks' names in messages (the console has its own labels; notify does not reach up to them).
CLOCK_NAMES = {
    "zh-CN": {
        "extraction": "提取",
        "first_contact": "首次联系",
        "appointment": "预约",
        "response": "答复",
        "installation": "装机",
        "resolution": "解决",
    },
    "en": {
        "extraction": "extraction",
        "first_contact": "first contact",
        "appointment": "appointment",
        "response": "response",
        "installation": "installation",
        "resolution": "resolution",
    },
}
TIME_FORMATS = {"zh-CN": "%m月%d日 %H:%M", "en": "%d %b %H:%M"}

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class Preview:
    text: str
    segments: int  # for SMS: how many messages the text is sent as
    characters: int


def check_template(event: str, body: str) -> None:
    """Refuse a template that does not parse or uses a placeholder its event does not offer."""
    if event not in EVENTS:
        raise ValidationFailed(f"event: expected one of {', '.join(EVENTS)}, got {event!r}", field="event")
    if not body.strip():
        raise ValidationFailed("body: expected a non-empty text", field="body")
    if len(body) > MAX_BODY:
        raise ValidationFailed(f"body: at most {MAX_BODY} characters, got {len(body)}", field="body")
    try:
        parsed = _ENV.parse(body)
    except TemplateSyntaxError as exc:
        raise ValidationFailed(
            f"body: the template does not parse at line {exc.lineno}: {exc.message}", field="body"
        ) from exc
    unknown = sorted(meta.find_undeclared_variables(parsed) - EVENTS[event][1])
    if unknown:
        offered = ", ".join(sorted(EVENTS[event][1]))
        raise ValidationFailed(
            f"body: unknown placeholder(s) {', '.join(unknown)}; {event} offers {offered}",
            field="body",
        )


def render(body: str, values: dict[str, object]) -> str:
    """Render a checked template; whitespace at the ends is dropped (an SMS pays for every character)."""
    return _ENV.from_string(body).render(**values).strip()


def built_in(event: str, locale: str) -> str:
    return BUILT_IN.get((event, locale)) or BUILT_IN[(event, "zh-CN")]


def preview(event: str, body: str, values: dict[str, object]) -> Preview:
    """Check and render a template with sample values, with its SMS segment count."""
    check_template(event, body)
    text = render(body, values)
    return Preview(text=text, segments=segment_count(text) if text else 0, characters=len(text))


SAMPLE_VALUES: dict[str, object] = {
    "number": "GD20261203000042",
    "promised_at": "12月05日 18:00",
    "appointment_at": "12月04日 14:00",
    "customer_name": "张先生",
    "type_label": "故障",
    "changed": False,
    "resolution": "已更换光猫",
    "title": "宽带无法上网",
    "region": "西湖区",
    "clock": "解决",
    "due_at": "12月05日 18:00",
    "step": "breach",
}

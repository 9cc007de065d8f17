"""The console's Jinja2 environment: autoescaped templates, gettext in the current language, and the
filters every page uses (local time, countdowns, masked phones, labels)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from manyi.console import i18n
from manyi.console.labels import label
from manyi.core import limits
from manyi.core.clock import zone
from manyi.core.masking import mask_phone
from manyi.core.settings import get_settings

TEMPLATE_DIR = Path(__file__).parent / "templates"


def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant in the operator's time zone (Asia/Shanghai by default)."""
    if value is None:
        return ""
    return value.astimezone(zone(get_settings().default_timezone)).strftime(fmt)


def duration(seconds: float | None) -> str:
    """A compact signed duration for countdowns: 2d 3h, 3h 05m, 12m (negative: overdue)."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    total = int(abs(seconds)) // 60
    days, rest = divmod(total, 1440)
    hours, minutes = divmod(rest, 60)
    d, h, m = i18n.gettext("d"), i18n.gettext("h"), i18n.gettext("m")
    if days:
        return f"{sign}{days}{d} {hours}{h}"
    if hours:
        return f"{sign}{hours}{h} {minutes:02d}{m}"
    return f"{sign}{minutes}{m}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a misspelt variable is an error in tests, not a blank on a page
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["local"] = local
    env.filters["duration"] = duration
    env.filters["phone"] = mask_phone
    env.globals["label"] = label
    env.globals["limits"] = limits  # text maxima for maxlength attributes, the services' own
    return env


ENV = _environment()


def render_template(name: str, context: dict[str, Any]) -> str:
    return ENV.get_template(name).render(context)

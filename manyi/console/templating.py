"""The console's Jinja2 environment: autoescaped templates, gettext in the current language, and the
filters every page uses (local time, countdowns, masked phones, labels)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from markupsafe import Markup

from manyi.console import i18n
from manyi.console.i18n import CONSOLE_DIR, SCREENS
from manyi.console.labels import label
from manyi.core import limits
from manyi.core.clock import zone
from manyi.core.masking import mask_phone, mask_text
from manyi.core.settings import get_settings

TEMPLATE_DIR = Path(__file__).parent / "templates"  # the shell's: base, login, account, errors


def _loader() -> ChoiceLoader:
    """The shell's templates, then each screen's own folder under its name: "board/board.html" is
    console/board/templates/board.html, so templates keep the names pages and includes use."""
    screens = {name: FileSystemLoader(CONSOLE_DIR / name / "templates") for name in SCREENS}
    return ChoiceLoader([FileSystemLoader(TEMPLATE_DIR), PrefixLoader(screens, delimiter="/")])


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


class Typed(str):
    """What the staff member typed into this very form, shown back after a refusal: not masked, or
    saving the form again would store the masked text in place of what they wrote."""


def as_typed(value: Any) -> Typed:
    return Typed("" if value is None else value)


@pass_context
def _masked_unless_pii(context: Context, value: Any) -> Any:
    """Every value a page prints, with phone and ID numbers masked for a staff member without the PII
    permission: the fields that hold them are masked where they are read, and this also covers free
    text (descriptions, notes, titles agents typed a callback number into) and any field added later.
    A page without a signed-in staff member (login, errors) masks too."""
    if not isinstance(value, str) or not value or isinstance(value, Typed):
        return value
    page = context.get("page")
    can = getattr(page, "can", None)
    if can is not None and can("pii:read"):
        return value
    masked = mask_text(value)
    if masked == value:
        return value
    return Markup(masked) if isinstance(value, Markup) else masked


def _environment() -> Environment:
    env = Environment(
        loader=_loader(),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a misspelt variable is an error in tests, not a blank on a page
        finalize=_masked_unless_pii,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["local"] = local
    env.filters["duration"] = duration
    env.filters["phone"] = mask_phone
    env.filters["as_typed"] = as_typed
    env.globals["label"] = label
    env.globals["limits"] = limits  # text maxima for maxlength attributes, the services' own
    return env


ENV = _environment()


def render_template(name: str, context: dict[str, Any]) -> str:
    return ENV.get_template(name).render(context)

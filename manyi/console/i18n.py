"""Console languages: message ids are English; zh-CN (the default) comes from gettext catalogs.

The shell keeps its catalogs in `locale/zh_CN/`, each screen its own in `<screen>/locale/zh_CN/`, so
pages can be added without touching one shared file; the catalogs are merged at start-up. Catalogs are read with Babel directly
from the .po files (no compile step, nothing generated to forget)."""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_COOKIE = "manyi_lang"
CONSOLE_DIR = Path(__file__).parent
LOCALE_DIR = CONSOLE_DIR / "locale"  # the shell's catalogs
# The console's screens: each a package with its routes, view and queries beside its own templates,
# static files and catalog (console/<screen>/templates, static, locale).
SCREENS = ("workbench", "orders", "board", "jobs", "supervisor", "admin", "messages")
LOCALE_DIRS = (LOCALE_DIR, *(CONSOLE_DIR / name / "locale" for name in SCREENS))


def catalogs(locale: str) -> list[Path]:
    """The .po files of one locale: the shell's and every screen's."""
    return sorted(po for folder in LOCALE_DIRS for po in (folder / locale).glob("*.po"))


_current: ContextVar[str] = ContextVar("console_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> NullTranslations:
    """The merged catalogs of one locale (English is the message ids themselves)."""
    found = catalogs(locale)
    if locale == "en" or not found:
        return NullTranslations()
    merged = Translations()
    for po in found:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        compiled = BytesIO()
        write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
        compiled.seek(0)
        merged.merge(Translations(compiled))
    return merged


def catalog_ids(locale: str) -> frozenset[str]:
    """Every message id translated in a locale's catalogs (for the completeness test)."""
    ids: set[str] = set()
    for po in catalogs(locale):
        with po.open("rb") as fh:
            for message in read_po(fh, locale=locale):
                if message.id and message.string and not message.fuzzy:
                    ids.add(message.id if isinstance(message.id, str) else message.id[0])
    return frozenset(ids)


def choose_locale(cookie: str | None, accept_language: str | None) -> str:
    """The cookie wins; else English only when the browser prefers it over Chinese; else zh-CN."""
    if cookie in LOCALES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def current_locale() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext

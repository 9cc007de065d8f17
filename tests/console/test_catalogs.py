"""Every message the console shows has its zh-CN translation: templates and page code are scanned
with Babel's extractors, so a new English string without a translation fails here, not in front of
an operator's staff."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from manyi.console.i18n import catalog_ids
from manyi.console.labels import LABELS
from manyi.orders.resolutions import ON_SITE_RESOLUTION_CODES, RESOLUTION_CODES

CONSOLE = Path(__file__).resolve().parents[2] / "manyi" / "console"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def _messages() -> list[tuple[str, int, str]]:
    found = []
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(CONSOLE), METHODS, keywords=KEYWORDS, options_map=OPTIONS
    ):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found.append((filename, lineno, text))
    return found


def test_the_extractor_sees_the_console_strings() -> None:
    texts = {m for _, _, m in _messages()}
    assert "Log in" in texts and "Wrong user name or password." in texts


def test_every_console_message_has_a_chinese_translation() -> None:
    known = catalog_ids("zh_CN")
    missing = sorted({f"{f}:{n}: {m!r}" for f, n, m in _messages() if m not in known})
    assert not missing, "untranslated:\n" + "\n".join(missing)


@pytest.mark.parametrize("kind", sorted(LABELS))
def test_every_label_has_a_chinese_name(kind: str) -> None:
    known = catalog_ids("zh_CN")
    untranslated = [en for en in LABELS[kind].values() if en not in known]
    assert not untranslated, f"{kind}: {untranslated}"


def test_every_resolution_code_has_a_label_and_no_label_is_left_over() -> None:
    """The resolve forms offer the orders domain's codes by name: a code added there needs one here."""
    assert list(LABELS["resolution"]) == list(RESOLUTION_CODES)
    assert set(ON_SITE_RESOLUTION_CODES) <= set(RESOLUTION_CODES)


def test_no_two_catalogs_translate_one_message_differently() -> None:
    """Catalogs are merged into one: the same English text must mean the same Chinese everywhere,
    or one page would silently show another page's wording."""
    from babel.messages.pofile import read_po

    from manyi.console.i18n import catalogs

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for po in catalogs("zh_CN"):
        with po.open("rb") as fh:
            for message in read_po(fh, locale="zh_CN"):
                if not message.id or not message.string:
                    continue
                key = str(message.id)
                if key in seen and seen[key][1] != message.string:
                    clashes.append(
                        f"{key!r}: {seen[key][0]} {seen[key][1]!r} vs {po.name} {message.string!r}"
                    )
                seen.setdefault(key, (po.name, str(message.string)))
    assert not clashes, "\n".join(clashes)

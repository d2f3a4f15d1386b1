"""The language a user reads, and how numbers, money, dates and durations look in it.

English is the texts as written in the code (messages.py and every command's help); Russian is a gettext catalog,
flowctl/locale/ru/LC_MESSAGES/flowctl.po, compiled to flowctl.mo beside it (tools/catalog.py). The language is the
workspace's `language:` if set, else the environment's as the C library reads it (LC_ALL, LC_MESSAGES, LANG), else
English. typer's own headings (Options, Commands, [default: …]) go through gettext's global domain, which activating
a language points at the same catalog; the click typer vendors writes plain English (cli/localize.py translates it).
"""

from __future__ import annotations

import gettext
import os
import re
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # decimal costs 2 ms to import, and --help formats no money
    from decimal import Decimal

LANGUAGES = ("en", "ru")
DOMAIN = "flowctl"
LOCALE_DIR = Path(__file__).parent / "locale"
_LANGUAGE_LINE = re.compile(r"^language:[ \t]*[\"']?([A-Za-z_]+)", re.MULTILINE)

NBSP = "\u00a0"  # the grouping space of Russian numbers: a line never breaks inside 1 254 000

_active: tuple[str, gettext.NullTranslations] | None = None
_machine = False  # csv and json keep machine-readable values in every language


def from_environment(environ=None) -> str:
    """The language of the environment's locale: the first of LC_ALL, LC_MESSAGES, LANG that is set decides."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            code = re.split(r"[_.@]", value, maxsplit=1)[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"


def configured_in(config_path: Path | None) -> str | None:
    """The `language:` of a workspace file, read without parsing YAML (help is shown before the workspace loads;
    the workspace's schema check, which runs when it loads, is what refuses a bad value)."""
    if config_path is None:
        return None
    try:
        found = _LANGUAGE_LINE.search(config_path.read_text("utf-8", errors="replace"))
    except OSError:
        return None
    return found.group(1) if found and found.group(1) in LANGUAGES else None


_catalogs: dict[str, gettext.NullTranslations] = {}


def use(code: str) -> None:
    """Make `code` the language of everything printed from now on."""
    global _active
    if _active and _active[0] == code:
        return
    translations = _catalogs.get(code)
    if translations is None and code == "en":
        translations = gettext.NullTranslations()
    elif translations is None:
        with open(LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as catalog:
            translations = gettext.GNUTranslations(catalog)
    _catalogs[code] = translations  # read once a process: `flowctl test` switches language at every step
    # click and typer call gettext.gettext, which reads the language from LANGUAGE first
    os.environ["LANGUAGE"] = code
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    _active = (code, translations)


def current() -> str:
    return _translations_pair()[0]


def _translations_pair() -> tuple[str, gettext.NullTranslations]:
    if _active is None:
        use(from_environment())
    return _active


def translate(message: str, context: str | None = None) -> str:
    translations = _translations_pair()[1]
    return translations.pgettext(context, message) if context else translations.gettext(message)


def translate_plural(singular: str, plural: str, count: int, context: str) -> str:
    return _translations_pair()[1].npgettext(context, singular, plural, count)


def set_machine_values(on: bool) -> None:
    """csv and json print values as programs read them (1254000.50, 2026-11-30, 63.2) whatever the language."""
    global _machine
    _machine = on


@contextmanager
def machine_values():
    saved = _machine
    set_machine_values(True)
    try:
        yield
    finally:
        set_machine_values(saved)


def machine() -> bool:
    return _machine


def russian() -> bool:
    return not _machine and current() == "ru"


# --- how values look ---------------------------------------------------------


def number(value: Decimal, decimals: int | None = None) -> str:
    """Thousands grouped: 1 254 000.50 in English (a plain space), 1 254 000,50 in Russian (a no-break space)."""
    if _machine:
        return format(value, f".{decimals}f") if decimals is not None else format(value.normalize(), "f")
    shown = format(value, f",.{decimals}f") if decimals is not None else format(value.normalize(), ",f")
    if russian():
        return shown.replace(",", NBSP).replace(".", ",")
    return shown.replace(",", " ")


def money(value: Decimal) -> str:
    shown = number(value, 2)
    return f"{shown}{NBSP}₽" if russian() else shown


def percent(value: float | None) -> str:
    if value is None:
        return ""
    if _machine:
        return f"{value:.1f}"
    return f"{value:.1f}".replace(".", ",") + f"{NBSP}%" if russian() else f"{value:.1f}%"


def dotted(value: date) -> str:
    """30.11.2026, as Russian writes a date (and as a date field shows one in every language)."""
    return f"{value.day:02}.{value.month:02}.{value.year:04}"  # not strftime: %Y drops zeros before 1000


def day(value: date) -> str:
    return dotted(value) if russian() else f"{value.year:04}-{value.month:02}-{value.day:02}"


def moment(value: datetime) -> str:
    return f"{day(value.date())} {value.hour:02}:{value.minute:02}"

"""Values of deal and contact fields: parse what a manager types, show what is stored.

`parse` turns typed text into the stored, JSON-serialisable value (None clears the
field); `display` turns a stored value back into text that `parse` accepts again.
Money is handled as exact decimals kept in canonical strings ("350000.50"), never floats.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

from flowctl import language
from flowctl import messages as M
from flowctl.errors import UsageError
from flowctl.pipeline.model import Field, fold
from flowctl.records import FrozenRecord
from flowctl.text import CONTROL, is_blank, pattern


TEXT_MAX_LENGTH = 2000
# Whole numbers stay within 15 digits so that JSON readers keep them exact (2**53 ≈ 9·10**15)
# and sums of amounts stay exact within Decimal's default 28-digit precision.
MAX_DIGITS = 15
USERS_LISTED = 10
SHOWN_RAW_LENGTH = 40

_SPACES = r"[\u00a0\u202f]"  # no-break and narrow no-break spaces, as pasted from Word or Excel
_MINUS = ("-", "\u2212")  # hyphen-minus and the minus sign
_CURRENCY = r"(?i)\s*(?:₽|руб\.?|р\.?)$"
_CANONICAL_MONEY = r"-?(?:0|[1-9][0-9]*)\.[0-9]{2}"
_DATE_PARTS = {"DD": "(?P<day>[0-9]{1,2})", "MM": "(?P<month>[0-9]{1,2})", "YYYY": "(?P<year>[0-9]{4})"}
_DATE_TIME = r"(.+?)(?:T|\s+)([0-9]{1,2}):([0-9]{2})"
_PHONE = r"(\+?)([0-9 \u00a0\u202f\-\u2013.()]+)"  # spaces, dashes, dots, parentheses
_BOOLEAN_WORDS = {"yes": True, "true": True, "1": True, "да": True,
                  "no": False, "false": False, "0": False, "нет": False}


def parse(field: Field, raw: str, *, team_logins: frozenset[str] = frozenset(), today: date | None = None,
          date_format: DateFormat | None = None, team_names: dict[str, str] | None = None, year_required: bool = False):
    """The value to store for `raw` as typed into `field`; None when `raw` is blank (clear the field), invisible
    characters alone included. `year_required`: a date must carry its year in four digits (a file's history).

    Raises UsageError naming the field by its label when `raw` is not a value of the field's type.
    """
    if is_blank(raw):
        return None
    typed = raw.strip()
    if field.type == "user":
        return _user(field, typed, team_logins, team_names or {})
    if field.type == "date":
        return _date(field, typed, today, date_format, year_required).isoformat()
    if field.type == "datetime":
        return _datetime(field, typed, today, date_format, year_required)
    return _PARSERS[field.type](field, typed)


def refuse_past(field: Field, stored, now_local: datetime) -> None:
    """A not_past field (Q2: when will he buy) refuses a typed value before today (a datetime: before this minute),
    `now_local` being now in the workspace's zone. Imports and restores do not call it: they bring history."""
    if not field.not_past or stored is None or field.type not in ("date", "datetime"):
        return
    limit = now_local.date().isoformat() if field.type == "date" else now_local.isoformat()[:16]
    if stored < limit:
        raise _refuse("field_in_past", field, value=display(field, stored),
                      today=display(field, limit))


def display(field: Field, stored) -> str:
    """A stored value as a person reads it; `parse` accepts the result back. A value the field's type cannot
    hold (the YAML changed the type after it was stored) is shown as it is stored rather than failing."""
    if stored is None:
        return ""
    try:
        return _DISPLAYS[field.type](field, stored)
    except (ValueError, TypeError, AttributeError, ArithmeticError):
        return str(stored)


def is_stored(field: Field, stored, *, team_logins: frozenset[str] = frozenset()) -> bool:
    """Whether `stored` is exactly what `parse` would store for this field: what a restore accepts."""
    if stored is None:
        return True
    try:
        with language.machine_values():  # the language's look (1 254 000,00 ₽) is not what is compared
            shown = display(field, stored)
        again = parse(field, shown, team_logins=team_logins)
    except UsageError:
        return False
    return type(again) is type(stored) and again == stored


def to_decimal(stored_money: str) -> Decimal:
    """The exact amount held in a stored money string."""
    if not isinstance(stored_money, str) or not pattern(_CANONICAL_MONEY).fullmatch(stored_money):
        # A float or a hand-edited value here would silently lose exactness.
        raise ValueError(f"not a stored amount of money: {stored_money!r}")
    return Decimal(stored_money)


def money_minor(stored_money: str) -> int:
    """The amount in kopecks, exactly."""
    to_decimal(stored_money)  # validates the canonical form
    return int(stored_money.replace(".", ""))


def normalize_phone(raw: str) -> str | None:
    """A phone number in E.164 ("+79123456789"), reading numbers without + as Russian; None if not a number."""
    match = pattern(_PHONE).fullmatch(raw.strip())
    if not match:
        return None
    digits = re.sub("[^0-9]", "", match.group(2))
    return _international(digits) if match.group(1) else _domestic(digits)


def phone_fragment(typed: str) -> re.Pattern | None:
    """What a piece of a phone number typed in any format ("8 912", "+7 912", "912-34") finds among the digits of
    stored numbers (E.164 without its +), or None when `typed` is not written like a number. Digits alone are
    compared; a leading 8 without + is also read as Russia's +7, as normalize_phone reads it, so "8 912" finds
    +7 912 … at the number's start while "89" still finds …-67-89 anywhere."""
    match = pattern(_PHONE).fullmatch(typed.strip())
    digits = re.sub("[^0-9]", "", match.group(2)) if match else ""
    if not digits:
        return None
    forms = [re.escape(digits)]
    if not match.group(1) and digits[0] == "8" and len(digits) > 1:  # a lone 8 is just a digit
        forms.append("^7" + re.escape(digits[1:]))
    return re.compile("|".join(forms))


def phone_digits(stored: str) -> str:
    """The digits of a stored phone, what phone_fragment's pattern is searched in."""
    return re.sub("[^0-9]", "", stored)


class DateFormat(FrozenRecord):
    """How a file writes its dates, as `date_format` read it: the spec as typed, for messages, and its pattern."""

    __slots__ = ("spec", "pattern")

    def __init__(self, spec: str, pattern: re.Pattern):
        self._set(spec, pattern)


def date_format(spec: str) -> DateFormat:
    """A date format as people write it: DD, MM and YYYY once each, in any order, separated by one of . / - or a
    space (DD.MM.YYYY, MM/DD/YYYY, YYYY-MM-DD; any case). DD and MM also take one digit (5.1.2026)."""
    parts = re.split("(DD|MM|YYYY)", spec.strip().upper())
    tokens, separators = parts[1::2], parts[0::2]
    if (sorted(tokens) != ["DD", "MM", "YYYY"] or separators[0] or separators[-1]
            or not all(s in (".", "/", "-", " ") for s in separators[1:-1])):
        raise UsageError(M.text("date_format_bad", spec=spec))
    return DateFormat(spec, re.compile("".join(_DATE_PARTS.get(p) or re.escape(p) for p in parts)))


# --- parsing -----------------------------------------------------------------


def free_text(label: str, typed: str | None) -> str:
    """A comment, a task's text or a reason: stripped, without control characters (which could drive a terminal)."""
    return _text(Field("text", label, "text"), (typed or "").strip())


def _refuse(key: str, field: Field, raw: str = "", **values) -> UsageError:
    return UsageError(M.text(key, label=field.label, raw=_shown(raw), **values))


def _shown(raw: str) -> str:
    """`raw` fit to quote in a one-line message: short, and with control characters (escapes, newlines) masked."""
    raw = CONTROL.sub("\ufffd", raw)
    return raw if len(raw) <= SHOWN_RAW_LENGTH else raw[:SHOWN_RAW_LENGTH - 1] + "…"


def _text(field: Field, typed: str) -> str:
    if CONTROL.search(typed):
        raise _refuse("field_text_control", field)
    if len(typed) > TEXT_MAX_LENGTH:
        raise _refuse("field_text_too_long", field, length=len(typed), limit=TEXT_MAX_LENGTH)
    return typed


def _integer(field: Field, typed: str) -> int:
    negative, body = _split_sign(typed)
    body = pattern(_SPACES).sub(" ", body)
    digits = _ungroup(body, " " if " " in body else None)
    if digits is None:
        raise _refuse("field_integer", field, typed)
    digits = _significant(field, typed, digits)
    value = -int(digits) if negative else int(digits)
    _check_range(field, Decimal(value))
    return value


def _money(field: Field, typed: str) -> str:
    negative, body = _split_sign(pattern(_CURRENCY).sub("", typed))
    parts = _amount_parts(pattern(_SPACES).sub(" ", body))
    if parts is None:
        raise _refuse("field_money", field, typed)
    whole, fraction = parts
    if len(fraction) > 2:
        raise _refuse("field_money_decimals", field, typed)
    whole = _significant(field, typed, whole)
    value = Decimal(f"{'-' if negative else ''}{whole}.{fraction.ljust(2, '0')}")
    if value < 0 and not (field.min is not None and field.min < 0):
        raise _refuse("field_money_negative", field, typed)
    _check_range(field, value)
    return f"{value + 0:.2f}"  # + 0 turns -0.00 into 0.00


def _split_sign(typed: str) -> tuple[bool, str]:
    if typed[:1] in _MINUS:
        return True, typed[1:]
    return False, typed


def _amount_parts(body: str) -> tuple[str, str] | None:
    """(whole digits, fraction digits) of an amount, or None.

    With both "," and "." the last one is the decimal point (1,054.50 and 1.054,50);
    one mark alone is the decimal point (350,50); a repeated mark separates thousands (1.000.000).
    """
    marks = re.findall("[,.]", body)
    point = marks[-1] if len(marks) == 1 or len(set(marks)) == 2 else None
    whole, _, fraction = body.rpartition(point) if point else (body, "", "")
    separators = set(re.findall("[ ,.]", whole))
    if len(separators) > 1 or (point and not re.fullmatch("[0-9]+", fraction)):
        return None
    digits = _ungroup(whole, separators.pop() if separators else None)
    return None if digits is None else (digits, fraction)


def _ungroup(number: str, separator: str | None) -> str | None:
    """The digits of `number` if `separator` (when given) splits it into groups of three: 1 000 000."""
    first, *rest = number.split(separator) if separator else [number]
    if not re.fullmatch("[0-9]{1,3}" if rest else "[0-9]+", first):
        return None
    if not all(re.fullmatch("[0-9]{3}", group) for group in rest):
        return None
    return first + "".join(rest)


def _significant(field: Field, typed: str, digits: str) -> str:
    """`digits` without leading zeros, refused when longer than MAX_DIGITS."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > MAX_DIGITS:
        raise _refuse("field_too_many_digits", field, typed, limit=MAX_DIGITS)
    return digits


def _check_range(field: Field, value: Decimal) -> None:
    # str() first: the limit as written in YAML (0.1), not its binary float (0.1000000000000000055…).
    if field.min is not None and value < Decimal(str(field.min)):
        raise _refuse("field_below_min", field, value=_number(field, value),
                      limit=_number(field, Decimal(str(field.min))))
    if field.max is not None and value > Decimal(str(field.max)):
        raise _refuse("field_above_max", field, value=_number(field, value),
                      limit=_number(field, Decimal(str(field.max))))


def _date(field: Field, typed: str, today: date | None, date_format: DateFormat | None = None,
          year_required: bool = False) -> date:
    if date_format:
        if not (match := date_format.pattern.fullmatch(typed)):
            raise _refuse("field_date_format", field, typed, format=date_format.spec)
        return _day(field, typed, match["year"], match["month"], match["day"])
    from flowctl.when import NeedsToday, NoSuchDay, NoYear, read_day  # one reading of a day, as agenda --date has

    try:
        day = read_day(typed, today, year_required=year_required)
    except NoYear:
        raise _refuse("field_date_no_year", field, typed) from None
    except NeedsToday:
        raise _refuse("field_date_needs_today", field, typed) from None
    except NoSuchDay:
        raise _refuse("field_no_such_day", field, typed) from None
    if day is None:
        raise _refuse("field_date", field, typed)
    return day


def _day(field: Field, typed: str, year: str, month: str, day: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise _refuse("field_no_such_day", field, typed) from None


def _datetime(field: Field, typed: str, today: date | None, date_format: DateFormat | None = None,
              year_required: bool = False) -> str:
    match = pattern(_DATE_TIME).fullmatch(typed)
    if not match:
        raise _refuse("field_datetime", field, typed)
    day = _date(field, match.group(1), today, date_format, year_required)
    try:
        moment = time(int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise _refuse("field_no_such_time", field, f"{match.group(2)}:{match.group(3)}") from None
    return f"{day.isoformat()}T{moment:%H:%M}"


def _enum(field: Field, typed: str) -> str:
    wanted = fold(typed)
    for option in field.options:
        if wanted in (fold(option.id), fold(option.label)):
            return option.id
    raise _refuse("field_enum", field, typed, options=", ".join(f"«{o.label}»" for o in field.options))


def _phone(field: Field, typed: str) -> str:
    phone = normalize_phone(typed)
    if phone is None:
        raise _refuse("field_phone", field, typed)
    return phone


def _international(digits: str) -> str | None:
    if digits.startswith("7"):
        return "+" + digits if len(digits) == 11 else None
    return "+" + digits if 8 <= len(digits) <= 15 else None


def _domestic(digits: str) -> str | None:
    """8 912 345-67-89, 7 912 345-67-89 and 912 345-67-89 (a mobile without its prefix)."""
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == 10 and digits[0] == "9":
        return "+7" + digits
    return None


def _user(field: Field, typed: str, team_logins: frozenset[str], team_names: dict[str, str]) -> str:
    """A team member by login (any case), else by display name or alias (flowctl.yaml's `aliases:`)."""
    if typed in team_logins:
        return typed
    matches = [login for login in team_logins if login.casefold() == typed.casefold()]
    if len(matches) == 1:
        return matches[0]
    if fold(typed) in team_names:
        return team_names[fold(typed)]
    if not team_logins:
        raise _refuse("field_user_no_team", field, typed)
    known = sorted(team_logins, key=str.casefold)
    logins = ", ".join(known[:USERS_LISTED]) + (", …" if len(known) > USERS_LISTED else "")
    raise _refuse("field_user_unknown", field, typed, logins=logins)


def _boolean(field: Field, typed: str) -> bool:
    try:
        return _BOOLEAN_WORDS[typed.casefold()]
    except KeyError:
        raise _refuse("field_boolean", field, typed) from None


_PARSERS = {"text": _text, "integer": _integer, "money": _money, "enum": _enum, "phone": _phone,
            "boolean": _boolean}


# --- display -----------------------------------------------------------------


def _number(field: Field, number: Decimal) -> str:
    """`number` with its thousands grouped, money with 2 decimals: 350 000.50 (Russian: 350 000,50 ₽)."""
    return language.money(number) if field.type == "money" else language.number(number)


def _show_phone(field: Field, stored: str) -> str:
    if re.fullmatch(r"\+7[0-9]{10}", stored):
        return f"+7 {stored[2:5]} {stored[5:8]}-{stored[8:10]}-{stored[10:]}"
    return stored


def _show_datetime(field: Field, stored: str) -> str:
    day, moment = stored.split("T")
    return f"{_show_date(date.fromisoformat(day))} {moment}"


def _show_date(day: date) -> str:
    return day.isoformat() if language.machine() else language.dotted(day)


_DISPLAYS = {
    "text": lambda field, stored: stored,
    "integer": lambda field, stored: _number(field, Decimal(stored)),
    "money": lambda field, stored: _number(field, to_decimal(stored)),
    "date": lambda field, stored: _show_date(date.fromisoformat(stored)),
    "datetime": _show_datetime,
    "enum": lambda field, stored: field.option_label(stored),
    "phone": _show_phone,
    "user": lambda field, stored: stored,
    "boolean": lambda field, stored: M.text("field_yes") if stored else M.text("field_no"),
}

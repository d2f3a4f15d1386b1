"""Dates and times as a sales manager types them: `завтра 15:00`, `+2d`, `пятница`, `01.12.2026`, `вчера`.

Typed times mean the workspace's wall clock (`tz`); everything returned is
aware UTC, and the store keeps it as `2026-12-01T12:00:00Z` (to_iso_utc).
A day alone (read_day) is read the same way for `agenda --date`, report periods and date fields:
`14.12` is this year's 14 December even when it has passed (no guessing), `14.12.26` is 2026 (a two-digit year
is 20xx), `+2w` / `in 2 weeks` / `через 2 недели` count whole days from today. parse_month reads a report's
month: `2026-12`, `12.2026`, `декабрь 2026`, `dec 2026`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from flowctl import messages as M
from flowctl.errors import UsageError
from flowctl.text import pattern


MIN_YEAR, MAX_YEAR = 1900, 2999

_TIME = r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})"
_ISO_DATE = r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"

# `+2d`, `+3 ч`, `in 2 days`, `через 2 дня`: the unit word is looked up in _UNITS.
_RELATIVE = r"(?:\+|in |через )(?P<count>[0-9]{1,6}) ?(?P<unit>[a-zа-я]+)"
_UNITS: dict[str, str] = {
    **dict.fromkeys(("d", "д", "day", "days", "день", "дн", "дня", "дней"), "days"),
    **dict.fromkeys(("h", "ч", "hour", "hours", "час", "часа", "часов"), "hours"),
    **dict.fromkeys(("m", "м", "minute", "minutes", "минуту", "минуты", "минут"), "minutes"),
    **dict.fromkeys(("w", "н", "week", "weeks", "неделю", "недели", "недель"), "weeks"),
}
# The only form that may carry seconds or an explicit offset; with an offset, tz is not applied.
_ISO_DATETIME = (
    _ISO_DATE + r"[t ]" + _TIME + r"(?::(?P<second>[0-9]{2}))?(?P<offset>z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
)
# `[day] [в|at] 15:00`; the lazy `??` lets `в 15:00` mean today instead of a day called `в`.
_AT_TIME = r"(?:(?P<day>.+?) )??(?:(?:в|at) )?" + _TIME
# `14.12`, `14.12.2026`, `14.12.26`, `14/12/2026`: day first, one separator; a two-digit year is 20xx.
_RU_DAY = r"(?P<day>[0-9]{1,2})(?P<sep>[./])(?P<month>[0-9]{1,2})(?:(?P=sep)(?P<year>[0-9]{4}|[0-9]{2}))?"
# A month as people name it: English, its abbreviation, Russian as written alone, with a day or with «в»
# (декабрь, декабря, декабре), and its abbreviation. A constant: nothing is built until a month is read.
_MONTH_NAMES = (
    ("january", "jan", "январь", "января", "январе", "янв"),
    ("february", "feb", "февраль", "февраля", "феврале", "фев"),
    ("march", "mar", "март", "марта", "марте", "мар"),
    ("april", "apr", "апрель", "апреля", "апреле", "апр"),
    ("may", "май", "мая", "мае"),
    ("june", "jun", "июнь", "июня", "июне", "июн"),
    ("july", "jul", "июль", "июля", "июле", "июл"),
    ("august", "aug", "август", "августа", "августе", "авг"),
    ("september", "sep", "sept", "сентябрь", "сентября", "сентябре", "сен", "сент"),
    ("october", "oct", "октябрь", "октября", "октябре", "окт"),
    ("november", "nov", "ноябрь", "ноября", "ноябре", "ноя", "нояб"),
    ("december", "dec", "декабрь", "декабря", "декабре", "дек"),
)
_WEEKDAY = r"(?:(?:во?|on) )?(?P<name>[a-zа-я]+)"  # `в пятницу`, `во вторник`, `on friday`

_DAY_WORDS = {"today": 0, "сегодня": 0, "tomorrow": 1, "завтра": 1, "послезавтра": 2, "day after tomorrow": 2,
              "yesterday": -1, "вчера": -1, "позавчера": -2, "day before yesterday": -2}
_WEEKDAYS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("monday", "mon", "понедельник", "пн"),
            ("tuesday", "tue", "вторник", "вт"),
            ("wednesday", "wed", "среда", "среду", "ср"),
            ("thursday", "thu", "четверг", "чт"),
            ("friday", "fri", "пятница", "пятницу", "пт"),
            ("saturday", "sat", "суббота", "субботу", "сб"),
            ("sunday", "sun", "воскресенье", "вс"),
        )
    )
    for name in names
}


class NoSuchDay(ValueError):
    """The text is written as a day, but the calendar has no such day (31.02.2026) or it is out of reach."""


class NeedsToday(ValueError):
    """The text counts from today (завтра, 14.12, +2w), and no today was given."""


class NoYear(ValueError):
    """The day is written without its year in four digits (14.12, 14.12.26) where the year cannot be guessed: a
    file's history (year_required)."""


def parse_when(text: str, now: datetime, tz: tzinfo, *, default_time: time = time(10, 0),
               year_required: bool = False) -> datetime:
    """The moment `text` names, as aware UTC; `now` (aware) anchors today, tomorrow and +2d. `year_required`: a
    day must carry its year in four digits (a file's history, where 14.12 or 14.12.99 would be a guess)."""
    typed = text.strip()
    try:
        moment = _parse(" ".join(typed.lower().split()), typed, now, tz, default_time, year_required)
    except OverflowError:  # e.g. +999999w, or a local time before year 1 in UTC
        raise _refusal("when_out_of_range", typed) from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:  # a typo, and days after it would overflow
        raise _refusal("when_out_of_range", typed)
    return moment


def read_day(text: str, today: date | None, *, year_required: bool = False) -> date | None:
    """The day `text` names, as people type one (case and extra spaces aside); None when it is no form of a day.

    Raises NoSuchDay for a day the calendar lacks, NeedsToday for a form that counts from today when `today` is None,
    NoYear for 14.12 or 14.12.26 when `year_required` (a file's history: its year is not to be guessed).
    """
    s = " ".join(text.lower().split())
    if (m := pattern(_RELATIVE).fullmatch(s)) and _UNITS.get(m["unit"]) in ("days", "weeks"):
        # A day, not a moment: whole days from today (`+3h` names a moment, so it is not a day).
        return _from_today(today, timedelta(**{_UNITS[m["unit"]]: int(m["count"])}))
    return _day(s, today, year_required)


def parse_month(text: str, today: date) -> date:
    """The first day of the month `text` names: `2026-12`, `12.2026`, `декабрь 2026`, `dec 2026`; a month's name
    alone is this year's. UsageError for anything else, or a year flowctl does not compute in."""
    from flowctl.clock import YEARS

    s = " ".join(text.lower().replace("ё", "е").split())
    year = month = None
    if m := re.fullmatch(r"([0-9]{4})-([0-9]{1,2})|([0-9]{1,2})[./]([0-9]{4})", s):
        year, month = (m[1], m[2]) if m[1] else (m[4], m[3])
    elif m := re.fullmatch(r"(?:(?:в|in) )?([a-zа-я]+)\.?(?: ([0-9]{4}))?", s):
        month = _month_number(m[1])
        year = m[2] or today.year
    try:
        first = date(int(year), int(month), 1) if month else None
    except ValueError:
        first = None
    if first is None:
        raise UsageError(M.text("month_format", month=text.strip()))
    if not YEARS[0] <= first.year <= YEARS[1]:
        raise UsageError(M.text("month_range", month=text.strip(), first=YEARS[0], last=YEARS[1]))
    return first


def _month_number(name: str) -> int | None:
    for number, names in enumerate(_MONTH_NAMES, start=1):
        if name in names:
            return number
    return None


def is_past(when: datetime, now: datetime) -> bool:
    return when < now


def format_local(when_utc: datetime, tz: tzinfo) -> str:
    from flowctl import language

    return language.moment(when_utc.astimezone(tz))


def to_iso_utc(dt: datetime) -> str:
    if dt.tzinfo is None:  # astimezone() would silently read it as the machine's local time
        raise ValueError(f"naive datetime {dt.isoformat()}: a stored time must be aware")
    return dt.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat() + "Z"  # %Y is not zero-padded


def from_iso_utc(s: str) -> datetime:
    """Reads what to_iso_utc wrote; ValueError on anything else (the caller decides whose fault)."""
    if not s.endswith("Z"):
        raise ValueError(f"not a stored UTC time: {s!r}")
    return datetime.fromisoformat(s)  # C-fast, unlike strptime: agendas and reports read thousands


def _parse(s: str, typed: str, now: datetime, tz: tzinfo, default_time: time, year_required: bool) -> datetime:
    if (m := pattern(_RELATIVE).fullmatch(s)) and m["unit"] in _UNITS:
        # Exact offset from now, not snapped to a day: `+3h` is three hours from now.
        return (now + timedelta(**{_UNITS[m["unit"]]: int(m["count"])})).astimezone(timezone.utc)
    if m := pattern(_ISO_DATETIME).fullmatch(s):
        day = _date(typed, m["year"], m["month"], m["day"])
        moment = datetime.combine(day, _time(typed, m["hour"], m["minute"], m["second"] or 0))
        zone = _offset(m["offset"]) if m["offset"] else tz
        return moment.replace(tzinfo=zone).astimezone(timezone.utc)
    today = now.astimezone(tz).date()
    if m := pattern(_AT_TIME).fullmatch(s):
        day_text, clock = m["day"], _time(typed, m["hour"], m["minute"])
    else:
        day_text, clock = s, default_time
    try:
        day = today if day_text is None else _day(day_text, today, year_required)  # a bare time is today
    except NoSuchDay:
        raise _refusal("when_bad_date", typed) from None
    except NoYear:
        raise UsageError(M.text("when_no_year", text=typed)) from None
    if day is None:
        raise _refusal("when_unknown", typed)
    # fold=0: zoneinfo picks the offset for a local time skipped or repeated by DST.
    return datetime.combine(day, clock, tzinfo=tz).astimezone(timezone.utc)


def _day(s: str, today: date | None, year_required: bool = False) -> date | None:
    """read_day's forms but the relative ones, `s` already lower-case with single spaces."""
    if s in _DAY_WORDS:
        return _from_today(today, timedelta(days=_DAY_WORDS[s]))
    if (m := pattern(_WEEKDAY).fullmatch(s)) and m["name"] in _WEEKDAYS:
        if today is None:
            raise NeedsToday(s)
        # Strictly after today: on a Monday, `monday` is a week away.
        return today + timedelta(days=(_WEEKDAYS[m["name"]] - today.weekday()) % 7 or 7)
    if m := pattern(_ISO_DATE).fullmatch(s):
        return _calendar_day(m["year"], m["month"], m["day"])
    if m := pattern(_RU_DAY).fullmatch(s):
        # `1.12` is this year's 1 December even when it has passed: no guessing about next year.
        year = m["year"]
        if year_required and (year is None or len(year) == 2):
            raise NoYear(s)
        if year is None and today is None:
            raise NeedsToday(s)
        year = today.year if year is None else 2000 + int(year) if len(year) == 2 else year
        return _calendar_day(year, m["month"], m["day"])
    return None


def _from_today(today: date | None, offset: timedelta) -> date:
    if today is None:
        raise NeedsToday(str(offset))
    try:
        return today + offset
    except OverflowError:
        raise NoSuchDay(str(offset)) from None


def _calendar_day(year: str | int, month: str, day: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise NoSuchDay(f"{year}-{month}-{day}") from None


def _date(typed: str, year: str | int, month: str, day: str) -> date:
    try:
        return _calendar_day(year, month, day)
    except NoSuchDay:
        raise _refusal("when_bad_date", typed) from None


def _time(typed: str, hour: str, minute: str, second: str | int = 0) -> time:
    try:
        return time(int(hour), int(minute), int(second))
    except ValueError:
        raise _refusal("when_bad_time", typed) from None


def _offset(text: str) -> timezone:
    """`z` or `+03:00`; the regex has already bounded the numbers."""
    if text == "z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))


def _refusal(key: str, typed: str) -> UsageError:
    return UsageError(M.text(key, text=typed, examples=M.text("when_examples")))

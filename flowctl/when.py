"""Dates and times as a sales manager types them: `завтра 15:00`, `+2d`, `пятница`, `01.12.2026`.

Typed times mean the workspace's wall clock (`tz`); everything returned is
aware UTC, and the store keeps it as `2026-12-01T12:00:00Z` (to_iso_utc).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flowctl import messages as M
from flowctl.errors import UsageError


MIN_YEAR, MAX_YEAR = 1900, 2999

_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})"
_ISO_DATE = r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"

# `+2d`, `+3 ч`, `in 2 days`, `через 2 дня`: the unit word is looked up in _UNITS.
_RELATIVE = re.compile(r"(?:\+|in |через )(?P<count>\d{1,6}) ?(?P<unit>[a-zа-я]+)")
_UNITS: dict[str, str] = {
    **dict.fromkeys(("d", "д", "day", "days", "день", "дн", "дня", "дней"), "days"),
    **dict.fromkeys(("h", "ч", "hour", "hours", "час", "часа", "часов"), "hours"),
    **dict.fromkeys(("m", "м", "minute", "minutes", "минуту", "минуты", "минут"), "minutes"),
    **dict.fromkeys(("w", "н", "week", "weeks", "неделю", "недели", "недель"), "weeks"),
}
# The only form that may carry seconds or an explicit offset; with an offset, tz is not applied.
_ISO_DATETIME = re.compile(
    _ISO_DATE + r"[t ]" + _TIME + r"(?::(?P<second>\d{2}))?(?P<offset>z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?"
)
# `[day] [в|at] 15:00`; the lazy `??` lets `в 15:00` mean today instead of a day called `в`.
_AT_TIME = re.compile(r"(?:(?P<day>.+?) )??(?:(?:в|at) )?" + _TIME)
_ISO_DAY = re.compile(_ISO_DATE)
_RU_DAY = re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})(?:\.(?P<year>\d{4}))?")
_WEEKDAY = re.compile(r"(?:(?:во?|on) )?(?P<name>[a-zа-я]+)")  # `в пятницу`, `во вторник`, `on friday`

_DAYS_AHEAD = {"today": 0, "сегодня": 0, "tomorrow": 1, "завтра": 1, "послезавтра": 2}
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


def parse_when(text: str, now: datetime, tz: ZoneInfo, *, default_time: time = time(10, 0)) -> datetime:
    """The moment `text` names, as aware UTC; `now` (aware) anchors today, tomorrow and +2d."""
    typed = text.strip()
    try:
        moment = _parse(" ".join(typed.lower().split()), typed, now, tz, default_time)
    except OverflowError:  # e.g. +999999w, or a local time before year 1 in UTC
        raise _refusal("when_out_of_range", typed) from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:  # a typo, and days after it would overflow
        raise _refusal("when_out_of_range", typed)
    return moment


def is_past(when: datetime, now: datetime) -> bool:
    return when < now


def format_local(when_utc: datetime, tz: ZoneInfo) -> str:
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


def _parse(s: str, typed: str, now: datetime, tz: ZoneInfo, default_time: time) -> datetime:
    if (m := _RELATIVE.fullmatch(s)) and m["unit"] in _UNITS:
        # Exact offset from now, not snapped to a day: `+3h` is three hours from now.
        return (now + timedelta(**{_UNITS[m["unit"]]: int(m["count"])})).astimezone(timezone.utc)
    if m := _ISO_DATETIME.fullmatch(s):
        day = _date(typed, m["year"], m["month"], m["day"])
        moment = datetime.combine(day, _time(typed, m["hour"], m["minute"], m["second"] or 0))
        zone = _offset(m["offset"]) if m["offset"] else tz
        return moment.replace(tzinfo=zone).astimezone(timezone.utc)
    today = now.astimezone(tz).date()
    if m := _AT_TIME.fullmatch(s):
        day_text, clock = m["day"], _time(typed, m["hour"], m["minute"])
    else:
        day_text, clock = s, default_time
    day = today if day_text is None else _day(day_text, today, typed)  # a bare time is today
    if day is None:
        raise _refusal("when_unknown", typed)
    # fold=0: zoneinfo picks the offset for a local time skipped or repeated by DST.
    return datetime.combine(day, clock, tzinfo=tz).astimezone(timezone.utc)


def _day(s: str, today: date, typed: str) -> date | None:
    if s in _DAYS_AHEAD:
        return today + timedelta(days=_DAYS_AHEAD[s])
    if (m := _WEEKDAY.fullmatch(s)) and m["name"] in _WEEKDAYS:
        # Strictly after today: on a Monday, `monday` is a week away.
        return today + timedelta(days=(_WEEKDAYS[m["name"]] - today.weekday()) % 7 or 7)
    if m := _ISO_DAY.fullmatch(s) or _RU_DAY.fullmatch(s):
        # `1.12` is this year's 1 December even when it has passed: no guessing about next year.
        return _date(typed, m["year"] or today.year, m["month"], m["day"])
    return None


def _date(typed: str, year: str | int, month: str, day: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
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

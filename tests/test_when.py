"""Typed dates and times: every accepted form in both languages, DST, refusals, the stored UTC format."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from flowctl.errors import ExitCode, UsageError
from flowctl.messages import TEXTS
from flowctl.when import (NeedsToday, NoSuchDay, format_local, from_iso_utc, is_past, parse_month, parse_when, read_day,
                          to_iso_utc)

MSK = ZoneInfo("Europe/Moscow")  # UTC+3 all year
BERLIN = ZoneInfo("Europe/Berlin")  # CET/CEST; clocks jump 02:00 → 03:00 on 2026-03-29
NOW = datetime(2026, 11, 29, 18, 30, tzinfo=timezone.utc)  # Sunday, 21:30 in Moscow


def msk(*args) -> datetime:
    return datetime(*args, tzinfo=MSK)


def parse(text: str, now: datetime = NOW, tz: ZoneInfo = MSK, **kwargs) -> datetime:
    return parse_when(text, now, tz, **kwargs)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-12-01", msk(2026, 12, 1, 10, 0)),
        ("2026-12-01 15:00", msk(2026, 12, 1, 15, 0)),
        ("2026-12-01 9:30", msk(2026, 12, 1, 9, 30)),
        ("2026-12-01T15:00", msk(2026, 12, 1, 15, 0)),
        ("2026-12-01T15:00:45", msk(2026, 12, 1, 15, 0, 45)),
        ("2026-12-01 в 15:00", msk(2026, 12, 1, 15, 0)),
    ],
)
def test_iso_dates_are_local_to_the_workspace(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text, expected_utc",
    [
        ("2026-12-01T15:00+03:00", datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)),
        ("2026-12-01T15:00:00-05:30", datetime(2026, 12, 1, 20, 30, tzinfo=timezone.utc)),
        ("2026-12-01T15:00Z", datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)),
    ],
)
def test_explicit_offset_wins_over_the_workspace_zone(text, expected_utc):
    assert parse(text, tz=MSK) == expected_utc
    assert parse(text, tz=BERLIN) == expected_utc


@pytest.mark.parametrize(
    "text, expected",
    [
        ("01.12.2026", msk(2026, 12, 1, 10, 0)),
        ("01.12.2026 15:00", msk(2026, 12, 1, 15, 0)),
        ("1.12", msk(2026, 12, 1, 10, 0)),
        ("1.12 15:00", msk(2026, 12, 1, 15, 0)),
        ("1.12 в 9:30", msk(2026, 12, 1, 9, 30)),
        ("15.11", msk(2026, 11, 15, 10, 0)),  # already passed: still this year, no roll-over
        ("1.1.2027", msk(2027, 1, 1, 10, 0)),
    ],
)
def test_russian_style_dates(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("today", msk(2026, 11, 29, 10, 0)),
        ("сегодня", msk(2026, 11, 29, 10, 0)),
        ("today 15:00", msk(2026, 11, 29, 15, 0)),
        ("сегодня в 23:59", msk(2026, 11, 29, 23, 59)),
        ("tomorrow", msk(2026, 11, 30, 10, 0)),
        ("завтра", msk(2026, 11, 30, 10, 0)),
        ("tomorrow 9:30", msk(2026, 11, 30, 9, 30)),
        ("tomorrow at 15:00", msk(2026, 11, 30, 15, 0)),
        ("завтра 15:00", msk(2026, 11, 30, 15, 0)),
        ("завтра в 15:00", msk(2026, 11, 30, 15, 0)),
        ("послезавтра", msk(2026, 12, 1, 10, 0)),
        ("послезавтра 0:00", msk(2026, 12, 1, 0, 0)),
        ("15:00", msk(2026, 11, 29, 15, 0)),
        ("9:30", msk(2026, 11, 29, 9, 30)),
        ("в 15:00", msk(2026, 11, 29, 15, 0)),
    ],
)
def test_day_words_and_bare_times(text, expected):
    assert parse(text) == expected


def test_today_is_the_workspace_day_not_the_utc_day():
    late = datetime(2026, 11, 29, 22, 30, tzinfo=timezone.utc)  # already Monday 01:30 in Moscow
    assert parse("today", now=late) == msk(2026, 11, 30, 10, 0)
    assert parse("завтра", now=late) == msk(2026, 12, 1, 10, 0)
    assert parse("monday", now=late) == msk(2026, 12, 7, 10, 0)


@pytest.mark.parametrize(
    "names, expected_day",
    [
        (("monday", "mon", "понедельник", "пн"), 30),
        (("tuesday", "tue", "вторник", "вт", "во вторник"), 1),
        (("wednesday", "wed", "среда", "среду", "ср", "в среду"), 2),
        (("thursday", "thu", "четверг", "чт"), 3),
        (("friday", "fri", "пятница", "пятницу", "пт", "в пятницу", "on friday"), 4),
        (("saturday", "sat", "суббота", "субботу", "сб"), 5),
        (("sunday", "sun", "воскресенье", "вс"), 6),  # today is Sunday: strictly after means a week on
    ],
)
def test_weekdays_mean_the_next_such_day_strictly_after_today(names, expected_day):
    month = 11 if expected_day == 30 else 12
    for name in names:
        assert parse(name) == msk(2026, month, expected_day, 10, 0), name


def test_weekday_takes_a_time():
    assert parse("friday 15:00") == msk(2026, 12, 4, 15, 0)
    assert parse("пятница в 9:30") == msk(2026, 12, 4, 9, 30)
    assert parse("в пятницу в 15:00") == msk(2026, 12, 4, 15, 0)


def test_weekday_on_that_weekday_is_seven_days_away():
    monday = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)  # Monday 09:00 in Moscow
    assert parse("monday", now=monday) == msk(2026, 12, 7, 10, 0)
    assert parse("пн 8:00", now=monday) == msk(2026, 12, 7, 8, 0)
    assert parse("вторник", now=monday) == msk(2026, 12, 1, 10, 0)


@pytest.mark.parametrize(
    "text, delta",
    [
        ("+2d", timedelta(days=2)),
        ("+3h", timedelta(hours=3)),
        ("+30m", timedelta(minutes=30)),
        ("+1w", timedelta(weeks=1)),
        ("+2д", timedelta(days=2)),
        ("+3ч", timedelta(hours=3)),
        ("+30м", timedelta(minutes=30)),
        ("+2н", timedelta(weeks=2)),
        ("+0d", timedelta(0)),
        ("in 2 days", timedelta(days=2)),
        ("in 1 day", timedelta(days=1)),
        ("in 3 hours", timedelta(hours=3)),
        ("in 1 hour", timedelta(hours=1)),
        ("in 45 minutes", timedelta(minutes=45)),
        ("через 1 день", timedelta(days=1)),
        ("через 2 дня", timedelta(days=2)),
        ("через 5 дней", timedelta(days=5)),
        ("через 2 дн", timedelta(days=2)),
        ("через 1 час", timedelta(hours=1)),
        ("через 2 часа", timedelta(hours=2)),
        ("через 5 часов", timedelta(hours=5)),
        ("через 1 минуту", timedelta(minutes=1)),
        ("через 3 минуты", timedelta(minutes=3)),
        ("через 30 минут", timedelta(minutes=30)),
    ],
)
def test_relative_offsets_are_added_to_now_exactly(text, delta):
    assert parse(text) == NOW + delta


def test_relative_offset_keeps_seconds_of_now():
    now = datetime(2026, 11, 29, 18, 30, 15, tzinfo=timezone.utc)
    assert parse("+3h", now=now) == datetime(2026, 11, 29, 21, 30, 15, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", ["  Завтра   15:00 ", "ЗАВТРА В 15:00", "Tomorrow 15:00", "\tTOMORROW\t15:00\n"])
def test_case_and_surrounding_spaces_are_ignored(text):
    assert parse(text) == msk(2026, 11, 30, 15, 0)


def test_case_is_ignored_in_iso_and_relative_forms():
    assert parse("2026-12-01t15:00z") == parse("2026-12-01T15:00Z")
    assert parse("+2D") == parse("+2d") == parse("IN 2 DAYS") == parse("Через 2 дня")


def test_default_time_applies_to_dates_without_a_time():
    nine = time(9, 0)
    assert parse("завтра", default_time=nine) == msk(2026, 11, 30, 9, 0)
    assert parse("friday", default_time=nine) == msk(2026, 12, 4, 9, 0)
    assert parse("01.12.2026", default_time=nine) == msk(2026, 12, 1, 9, 0)
    assert parse("2026-12-01", default_time=nine) == msk(2026, 12, 1, 9, 0)
    assert parse("завтра 15:00", default_time=nine) == msk(2026, 11, 30, 15, 0)


@pytest.mark.parametrize("text", ["2026-12-01 15:00", "завтра", "friday", "+2d", "2026-12-01T15:00+03:00"])
def test_result_is_aware_utc(text):
    result = parse(text)
    assert result.tzinfo is timezone.utc
    assert result.utcoffset() == timedelta(0)


def test_moscow_is_three_hours_ahead_of_utc():
    assert parse("2026-12-01 15:00") == datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def test_dst_in_berlin():
    now = datetime(2026, 3, 28, 12, 0, tzinfo=timezone.utc)  # Saturday, 13:00 CET
    assert parse("today 15:00", now=now, tz=BERLIN) == datetime(2026, 3, 28, 14, 0, tzinfo=timezone.utc)
    assert parse("tomorrow 15:00", now=now, tz=BERLIN) == datetime(2026, 3, 29, 13, 0, tzinfo=timezone.utc)
    assert parse("+1d", now=now, tz=BERLIN) == now + timedelta(hours=24)  # exact, not the same wall time
    # 02:30 on 29 March does not exist; fold=0 reads it with the winter offset.
    assert parse("29.03.2026 2:30", now=now, tz=BERLIN) == datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)
    # 02:30 on 25 October happens twice; fold=0 takes the first, summer one.
    assert parse("25.10.2026 2:30", now=now, tz=BERLIN) == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text, key",
    [
        ("32.13.2026", "when_bad_date"),
        ("29.02.2026", "when_bad_date"),
        ("2026-13-01", "when_bad_date"),
        ("15.00", "when_bad_date"),  # times are written 15:00; 15.00 reads as a (missing) month 0
        ("25:00", "when_bad_time"),
        ("завтра 24:00", "when_bad_time"),
        ("2026-12-01 15:60", "when_bad_time"),
        ("2026-12-01T15:00:61", "when_bad_time"),
        ("someday", "when_unknown"),
        ("+2x", "when_unknown"),
        ("+d", "when_unknown"),
        ("-2d", "when_unknown"),
        ("через два дня", "when_unknown"),
        ("завтра 15", "when_unknown"),
        ("завтра 15.00", "when_unknown"),
        ("2026-12-01T15:00+25:00", "when_unknown"),
        ("2026-12-01+03:00", "when_unknown"),
        ("next friday", "when_unknown"),
        ("", "when_unknown"),
        ("   ", "when_unknown"),
        ("+999999w", "when_out_of_range"),
        ("01.01.0001 01:00", "when_out_of_range"),  # 1 January of year 1, 01:00 Moscow is before year 1 in UTC
    ],
)
def test_unreadable_input_is_a_usage_error_quoting_it_with_examples(text, key):
    with pytest.raises(UsageError) as refused:
        parse(text)
    message = refused.value.message
    assert message == TEXTS[key].format(text=text.strip(), examples=TEXTS["when_examples"])
    assert f"'{text.strip()}'" in message
    assert "today 15:00, tomorrow 10:00, +2d, +3h, friday, 2026-12-01 15:00, 01.12.2026" in message
    assert refused.value.exit_code == ExitCode.USAGE == 2


def test_is_past_is_strict():
    assert is_past(NOW - timedelta(seconds=1), NOW)
    assert not is_past(NOW, NOW)
    assert not is_past(NOW + timedelta(minutes=1), NOW)
    assert is_past(parse("сегодня 15:00"), NOW)  # 15:00 Moscow is before 21:30 Moscow
    assert not is_past(parse("+1m"), NOW)


def test_format_local():
    assert format_local(datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc), MSK) == "2026-12-01 15:00"
    assert format_local(datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc), BERLIN) == "2026-07-01 14:00"
    assert format_local(parse("завтра в 9:30"), MSK) == "2026-11-30 09:30"


def test_to_iso_utc_writes_the_z_format():
    assert to_iso_utc(datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)) == "2026-12-01T12:00:00Z"
    assert to_iso_utc(msk(2026, 12, 1, 15, 0)) == "2026-12-01T12:00:00Z"
    assert to_iso_utc(datetime(2026, 12, 1, 12, 0, 5, 999999, tzinfo=timezone.utc)) == "2026-12-01T12:00:05Z"


def test_to_iso_utc_refuses_a_naive_datetime():
    with pytest.raises(ValueError):
        to_iso_utc(datetime(2026, 12, 1, 12, 0))


def test_from_iso_utc_reads_aware_utc():
    read = from_iso_utc("2026-12-01T12:00:00Z")
    assert read == datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    assert read.tzinfo is timezone.utc


@pytest.mark.parametrize("stored", ["2026-12-01T12:00:00+03:00", "2026-12-01 12:00:00", "2026-12-01", "завтра"])
def test_from_iso_utc_refuses_other_formats(stored):
    with pytest.raises(ValueError):
        from_iso_utc(stored)


@pytest.mark.parametrize(
    "text", ["2026-12-01 15:00", "завтра в 9:30", "friday", "+3h", "2026-12-01T15:00:45+03:00", "01.12.2026"]
)
def test_utc_round_trip(text):
    moment = parse(text)
    stored = to_iso_utc(moment)
    assert stored.endswith("Z")
    assert from_iso_utc(stored) == moment
    assert to_iso_utc(from_iso_utc(stored)) == stored


# -- days people type: yesterday, dd.mm.yy, days counted from today (read_day), months (parse_month) ----------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("вчера", msk(2026, 11, 28, 10, 0)),
        ("Вчера в 15:00", msk(2026, 11, 28, 15, 0)),
        ("позавчера", msk(2026, 11, 27, 10, 0)),
        ("позавчера 9:30", msk(2026, 11, 27, 9, 30)),
    ],
)
def test_yesterday_in_russian(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("yesterday", msk(2026, 11, 28, 10, 0)),
        ("yesterday at 15:00", msk(2026, 11, 28, 15, 0)),
        ("day before yesterday", msk(2026, 11, 27, 10, 0)),
        ("day after tomorrow 9:00", msk(2026, 12, 1, 9, 0)),
    ],
)
def test_yesterday_in_english(text, expected):
    assert parse(text) == expected


def test_yesterday_crosses_the_year_in_the_workspace_day():
    new_year = datetime(2026, 12, 31, 22, 30, tzinfo=timezone.utc)  # already 1 January 2027, 01:30 in Moscow
    assert parse("вчера", now=new_year) == msk(2026, 12, 31, 10, 0)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("14.12.26", msk(2026, 12, 14, 10, 0)),
        ("14.12.26 15:00", msk(2026, 12, 14, 15, 0)),
        ("1.1.27", msk(2027, 1, 1, 10, 0)),
        ("14/12/2026", msk(2026, 12, 14, 10, 0)),
        ("14/12", msk(2026, 12, 14, 10, 0)),
    ],
)
def test_a_two_digit_year_is_20xx_and_slashes_read_as_dots(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["14.12/2026", "14.12.202", "14.12.26.", "٢٠٢٦-١٢-٠١"])
def test_mixed_separators_three_digit_years_and_other_digits_are_not_dates(text):
    with pytest.raises(UsageError):
        parse(text)


TODAY = NOW.astimezone(MSK).date()  # Sunday 29 November 2026


@pytest.mark.parametrize(
    "text, expected",
    [
        ("+2w", date(2026, 12, 13)),
        ("in 2 weeks", date(2026, 12, 13)),
        ("через 2 недели", date(2026, 12, 13)),
        ("Через 3 дня", date(2026, 12, 2)),
        ("+0d", date(2026, 11, 29)),
        ("вчера", date(2026, 11, 28)),
        ("14.12", date(2026, 12, 14)),
        ("15.11", date(2026, 11, 15)),  # passed: this year's, no guessing
        ("14.12.26", date(2026, 12, 14)),
        ("2026-12-14", date(2026, 12, 14)),
        ("пятница", date(2026, 12, 4)),
    ],
)
def test_read_day_counts_whole_days_from_today(text, expected):
    assert read_day(text, TODAY) == expected


@pytest.mark.parametrize("text", ["+3h", "через 30 минут", "15:00", "someday", "завтра 15:00"])
def test_read_day_finds_no_day_in_moments_and_words(text):
    assert read_day(text, TODAY) is None


def test_read_day_needs_today_only_for_what_counts_from_it():
    assert read_day("14.12.2026", None) == date(2026, 12, 14)
    assert read_day("14.12.26", None) == date(2026, 12, 14)
    for text in ("14.12", "+2w", "завтра", "пятница"):
        with pytest.raises(NeedsToday):
            read_day(text, None)


@pytest.mark.parametrize("text", ["31.02.2026", "2026-02-30", "30.02.28"])
def test_read_day_refuses_days_the_calendar_lacks(text):
    with pytest.raises(NoSuchDay):
        read_day(text, TODAY)


@pytest.mark.parametrize(
    "text",
    ["2026-12", "12.2026", "12/2026", "декабрь 2026", "Декабрь 2026", "декабря 2026", "в декабре 2026", "дек 2026",
     "дек. 2026", "december 2026", "December 2026", "dec 2026", "in december 2026", "  декабрь   2026 "],
)
def test_month_as_people_write_it(text):
    assert parse_month(text, TODAY) == date(2026, 12, 1)


@pytest.mark.parametrize(
    "text, expected",
    [("январь", date(2026, 1, 1)), ("май", date(2026, 5, 1)), ("may", date(2026, 5, 1)), ("сент 2027", date(2027, 9, 1)),
     ("sept 2027", date(2027, 9, 1)), ("февраль 2027", date(2027, 2, 1)), ("2026-1", date(2026, 1, 1))],
)
def test_a_month_name_alone_is_this_years(text, expected):
    assert parse_month(text, TODAY) == expected


@pytest.mark.parametrize("text", ["13.2026", "2026-13", "2026-00", "декабрь 26", "ма 2026", "деккабрь 2026", "12.26",
                                  "2026", "0000-12", "next month"])
def test_not_a_month_is_a_usage_error_with_examples(text):
    with pytest.raises(UsageError) as refused:
        parse_month(text, TODAY)
    assert refused.value.message == TEXTS["month_format"].format(month=text.strip())
    assert refused.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize("text", ["1000-12", "декабрь 9999"])
def test_a_month_outside_the_calendar_is_out_of_range(text):
    with pytest.raises(UsageError) as refused:
        parse_month(text, TODAY)
    assert "out of range" in refused.value.message


@pytest.mark.parametrize("text", ["14.12", "14.12.26 10:00", "1/2/99"])
def test_a_files_moment_must_give_its_year_in_four_digits(text):
    with pytest.raises(UsageError) as refused:
        parse(text, year_required=True)
    assert refused.value.message == TEXTS["when_no_year"].format(text=text)
    assert parse("14.12.2026 10:00", year_required=True) == msk(2026, 12, 14, 10, 0)

"""Field values: what a manager may type for each field type, what is stored, and how it reads back."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowctl.errors import ExitCode, UsageError
from flowctl.messages import TEXTS
from flowctl.fields import display, money_minor, normalize_phone, parse, to_decimal
from flowctl.pipeline.model import Field, Option

TODAY = date(2026, 11, 29)

TEXT = Field("product", "Продукт", "text")
HOUSES = Field("houses", "Сколько домов", "integer", min=1, max=500)
COUNT = Field("count", "Количество", "integer")
BUDGET = Field("budget", "Бюджет", "money")
DISCOUNT = Field("discount", "Скидка", "money", min=-1000, max=1000)
PRICE = Field("price", "Цена", "money", min=0.1, max=1_000_000)
LEAD_DATE = Field("lead_date", "Дата ЛИДА", "date")
MEETING = Field("meeting", "Встреча", "datetime")
CLIENT_TYPE = Field("client_type", "Строитель/Частник", "enum",
                    options=(Option("builder", "Строитель"), Option("private", "Частник"),
                             Option("elsewhere", "Купил в другом месте"), Option("ready", "Ёлка готова")))
PHONE = Field("phone", "Телефон", "phone")
RESPONSIBLE = Field("responsible", "Ответственный", "user")
PAID = Field("paid", "Оплачено", "boolean")

TEAM = frozenset({"ivanov", "Petrova", "sidorov"})


def refused(field: Field, raw: str, **kwargs) -> str:
    """The message of the UsageError that parsing `raw` raises."""
    with pytest.raises(UsageError) as caught:
        parse(field, raw, **kwargs)
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.message.startswith(f"{field.label}: ")
    return caught.value.message


# --- blank ------------------------------------------------------------------------


@pytest.mark.parametrize("field", [TEXT, HOUSES, BUDGET, LEAD_DATE, MEETING, CLIENT_TYPE, PHONE, RESPONSIBLE, PAID])
@pytest.mark.parametrize("raw", ["", "   ", "\t\n", "\u00a0"])
def test_blank_clears_every_type(field, raw):
    assert parse(field, raw) is None


def test_none_displays_as_empty():
    assert display(BUDGET, None) == "" and display(PAID, None) == ""


# --- text -------------------------------------------------------------------------


def test_text_is_stripped():
    assert parse(TEXT, "  Металлочерепица Монтеррей \n") == "Металлочерепица Монтеррей"


def test_text_keeps_inner_spaces_and_any_script():
    assert parse(TEXT, "Профнастил  С-8 «Ral 3005» 😀") == "Профнастил  С-8 «Ral 3005» 😀"


@pytest.mark.parametrize("raw", ["две\nстроки", "таб\tуляция", "nul\x00", "bell\x07", "del\x7f", "c1\x85x",
                                 "line\u2028sep", "para\u2029sep", "esc\x1b[31m"])
def test_text_refuses_control_characters(raw):
    assert "control characters" in refused(TEXT, raw)


def test_text_at_most_2000_characters():
    assert parse(TEXT, "я" * 2000) == "я" * 2000
    message = refused(TEXT, "я" * 2001)
    assert "2001 characters" in message and "at most 2000" in message
    assert "яяя" not in message  # the long text itself is not echoed


def test_text_limit_counts_after_stripping():
    assert parse(TEXT, "  " + "a" * 2000 + "  ") == "a" * 2000


# --- integer ----------------------------------------------------------------------


@pytest.mark.parametrize("raw, stored", [
    ("12", 12), ("0", 0), ("007", 7), ("1 000", 1000), ("1 000 000", 1_000_000),
    ("1\u00a0000", 1000), ("1\u202f000", 1000), ("-5", -5), ("\u22125", -5), (" 42 ", 42),
    ("999999999999999", 999_999_999_999_999),
])
def test_integer_accepts(raw, stored):
    assert parse(COUNT, raw) == stored
    assert type(parse(COUNT, raw)) is int


@pytest.mark.parametrize("raw", ["1,5", "1.5", "1,000", "1.000", "12a", "один", "1e3", "1 00", "10 00", "1  000",
                                 " -", "--1", "+5", "- 5", "1_000", "٣", "²", "0x10", "NaN", "∞"])
def test_integer_refuses(raw):
    assert "is not a whole number (e.g. 12 or 1 000)" in refused(COUNT, raw)


def test_integer_refuses_more_than_15_digits_without_crashing():
    assert parse(COUNT, "0" * 30 + "1") == 1
    assert "at most 15 digits" in refused(COUNT, "1" * 16)
    assert "at most 15 digits" in refused(COUNT, "9" * 5000)  # int() alone would raise ValueError here


def test_integer_min_and_max():
    assert parse(HOUSES, "1") == 1 and parse(HOUSES, "500") == 500
    assert refused(HOUSES, "0") == "Сколько домов: 0 is less than the minimum, 1"
    assert refused(HOUSES, "1 000") == "Сколько домов: 1 000 is more than the maximum, 500"


def test_integer_fractional_limit_is_shown_as_written():
    field = Field("n", "Этажей", "integer", min=1.5)
    assert refused(field, "1") == "Этажей: 1 is less than the minimum, 1.5"
    assert parse(field, "2") == 2


@pytest.mark.parametrize("stored, shown", [(0, "0"), (12, "12"), (1000, "1 000"), (-1_234_567, "-1 234 567")])
def test_integer_display_round_trips(stored, shown):
    assert display(COUNT, stored) == shown
    assert parse(COUNT, shown) == stored


# --- money ------------------------------------------------------------------------


@pytest.mark.parametrize("raw, stored", [
    ("350 000,50", "350000.50"),
    ("350000.50", "350000.50"),
    ("350000,50", "350000.50"),
    ("350 000", "350000.00"),
    ("350000", "350000.00"),
    ("1 054,50 ₽", "1054.50"),
    ("1 054,50₽", "1054.50"),
    ("1 054,50 руб.", "1054.50"),
    ("1 054,50 руб", "1054.50"),
    ("1 054,50 РУБ.", "1054.50"),
    ("1 054 р.", "1054.00"),
    ("1054р", "1054.00"),
    ("1\u00a0054,50", "1054.50"),
    ("1\u202f054,50", "1054.50"),
    ("1\u00a0054,50\u00a0₽", "1054.50"),
    ("1,054.50", "1054.50"),
    ("1.054,50", "1054.50"),
    ("1,000,000", "1000000.00"),
    ("1.000.000", "1000000.00"),
    ("1,000,000.05", "1000000.05"),
    ("1.000.000,05", "1000000.05"),
    ("0,1", "0.10"),
    ("0,10", "0.10"),
    ("0.05", "0.05"),
    ("0", "0.00"),
    ("00012,30", "12.30"),
    ("-0,00", "0.00"),  # minus zero is zero, not a negative amount
    ("  350 000,50  ", "350000.50"),
    ("999 999 999 999 999,99", "999999999999999.99"),
])
def test_money_accepts(raw, stored):
    assert parse(BUDGET, raw) == stored


@pytest.mark.parametrize("raw", [
    "12,3,4", "1,00,000", "3 50", "350 ,50", "350, 50", "350,", "350.", ",50", ".50", "1 000.000,50",
    "1,000.000.50", "1.000,000,50", "abc", "десять", "NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf",
    "∞", "1e5", "1E+3", "1.5e3", "0x10", "$100", "100 $", "100 USD", "₽ 100", "1 000  000", "+100", "--100",
    "- 100", "١٠٠", "10_000", "½",
])
def test_money_refuses(raw):
    assert refused(BUDGET, raw) == f"Бюджет: '{raw}' is not an amount of money (e.g. 350 000,50)"


@pytest.mark.parametrize("raw", ["0,001", "1,054", "1.000", "10,555", "350 000,505"])
def test_money_refuses_more_than_two_decimals(raw):
    # "1,054" and "1.000" are ambiguous (one thousand fifty-four?), so they are refused rather than guessed
    assert "more than 2 digits after the decimal point" in refused(BUDGET, raw)


def test_money_refuses_negative_unless_min_allows():
    assert refused(BUDGET, "-5") == "Бюджет: '-5' is negative; the amount must be 0 or more"
    assert "negative" in refused(BUDGET, "\u22125,50")
    assert "negative" in refused(Field("m", "Сумма", "money", min=0), "-0,01")
    assert parse(DISCOUNT, "-500,50") == "-500.50"
    assert parse(DISCOUNT, "\u22121 000") == "-1000.00"


def test_money_min_and_max():
    assert refused(DISCOUNT, "-1 000,01") == "Скидка: -1 000.01 is less than the minimum, -1 000.00"
    assert refused(DISCOUNT, "1 000,01") == "Скидка: 1 000.01 is more than the maximum, 1 000.00"
    assert parse(DISCOUNT, "1 000") == "1000.00"


def test_money_float_limits_compare_as_written():
    # 0.1 in YAML is the binary float 0.1000000000000000055…; "0,10" must still meet it
    assert parse(PRICE, "0,10") == "0.10"
    assert refused(PRICE, "0,09") == "Цена: 0.09 is less than the minimum, 0.10"
    assert parse(PRICE, "1 000 000") == "1000000.00"
    assert "more than the maximum, 1 000 000.00" in refused(PRICE, "1 000 000,01")


def test_money_refuses_more_than_15_digits():
    assert "at most 15 digits" in refused(BUDGET, "1 000 000 000 000 000")
    assert "at most 15 digits" in refused(BUDGET, "9" * 5000)


def test_money_is_exact():
    total = to_decimal(parse(BUDGET, "0,10")) + to_decimal(parse(BUDGET, "0,20"))
    assert total == Decimal("0.30") and str(total) == "0.30"


def test_money_is_stored_as_canonical_string():
    stored = parse(BUDGET, "1 054,5 ₽")
    assert stored == "1054.50" and isinstance(stored, str)


def test_money_minor_is_kopecks():
    assert money_minor("350000.50") == 35_000_050
    assert money_minor("0.01") == 1
    assert money_minor("0.00") == 0
    assert money_minor("-500.50") == -50_050
    assert money_minor(parse(BUDGET, "999 999 999 999 999,99")) == 99_999_999_999_999_999


def test_to_decimal():
    assert to_decimal("350000.50") == Decimal("350000.50")
    assert to_decimal("-0.01") == Decimal("-0.01")


@pytest.mark.parametrize("bad", [0.1, 350000, Decimal("1.00"), "350 000.50", "350000.5", "1e3", "NaN", "", None])
def test_to_decimal_refuses_non_canonical_values(bad):
    with pytest.raises(ValueError):
        to_decimal(bad)
    with pytest.raises(ValueError):
        money_minor(bad)


@pytest.mark.parametrize("field, stored, shown", [
    (BUDGET, "350000.50", "350 000.50"), (BUDGET, "0.00", "0.00"), (BUDGET, "0.05", "0.05"),
    (BUDGET, "1000.00", "1 000.00"), (BUDGET, "999.99", "999.99"), (BUDGET, "1000000.00", "1 000 000.00"),
    (DISCOUNT, "-954.50", "-954.50"), (DISCOUNT, "-1000.00", "-1 000.00"),
])
def test_money_display_round_trips(field, stored, shown):
    assert display(field, stored) == shown
    assert parse(field, shown) == stored


_SEPARATORS = st.sampled_from([
    ("", ","), (" ", ","), ("\u00a0", ","), ("\u202f", ","), ("", "."), (" ", "."), (",", "."), (".", ","),
])
_CURRENCIES = st.sampled_from(["", " ₽", "₽", " руб.", " руб", " р."])


def _typed(amount: Decimal, thousands: str, point: str) -> str:
    """`amount` as a person writes it: 350 000,50 / 350,000.50 / 350.000,50 …"""
    whole, fraction = f"{amount:.2f}".split(".")
    groups = []
    while whole:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    return thousands.join(groups) + point + fraction


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False),
       _SEPARATORS, _CURRENCIES)
def test_money_typed_any_way_parses_to_the_same_amount(amount, separators, currency):
    stored = parse(BUDGET, _typed(amount, *separators) + currency)
    assert to_decimal(stored) == amount
    assert parse(BUDGET, display(BUDGET, stored)) == stored


# --- date -------------------------------------------------------------------------


@pytest.mark.parametrize("raw, stored", [
    ("2026-11-29", "2026-11-29"), ("29.11.2026", "2026-11-29"), ("29/11/2026", "2026-11-29"),
    ("1.2.2026", "2026-02-01"), ("01.02.2026", "2026-02-01"), ("29.02.2028", "2028-02-29"),
    ("  29.11.2026 ", "2026-11-29"),
])
def test_date_accepts(raw, stored):
    assert parse(LEAD_DATE, raw) == stored


@pytest.mark.parametrize("raw, stored", [
    ("today", "2026-11-29"), ("сегодня", "2026-11-29"), ("Сегодня", "2026-11-29"), ("TODAY", "2026-11-29"),
    ("tomorrow", "2026-11-30"), ("завтра", "2026-11-30"), ("yesterday", "2026-11-28"), ("вчера", "2026-11-28"),
])
def test_date_words_are_relative_to_today(raw, stored):
    assert parse(LEAD_DATE, raw, today=TODAY) == stored


def test_date_words_cross_month_and_year_ends():
    assert parse(LEAD_DATE, "завтра", today=date(2026, 12, 31)) == "2027-01-01"
    assert parse(LEAD_DATE, "вчера", today=date(2026, 3, 1)) == "2026-02-28"


def test_date_word_without_today_is_a_usage_error():
    assert "needs today's date" in refused(LEAD_DATE, "завтра")


@pytest.mark.parametrize("raw, stored", [
    ("14.12", "2026-12-14"), ("14.12.26", "2026-12-14"), ("14/12/26", "2026-12-14"), ("1.2.27", "2027-02-01"),
    ("15.11", "2026-11-15"),  # already passed: still this year (the field may refuse a past day: not_past)
    ("через 2 недели", "2026-12-13"), ("in 2 weeks", "2026-12-13"), ("+2w", "2026-12-13"), ("+3d", "2026-12-02"),
    ("через 3 дня", "2026-12-02"), ("послезавтра", "2026-12-01"), ("позавчера", "2026-11-27"),
    ("пятница", "2026-12-04"), ("в пятницу", "2026-12-04"),
])
def test_date_fields_read_days_as_agenda_date_does(raw, stored):
    assert parse(LEAD_DATE, raw, today=TODAY) == stored


def test_a_two_digit_year_is_this_century():
    assert parse(LEAD_DATE, "01.01.99") == "2099-01-01"
    assert parse(LEAD_DATE, "14.12.26") == "2026-12-14"  # a full date needs no today


@pytest.mark.parametrize("raw", ["14.12", "+2w", "через 2 недели", "пятница"])
def test_a_day_counted_from_today_needs_today(raw):
    assert "needs today's date" in refused(LEAD_DATE, raw)


@pytest.mark.parametrize("raw", ["2026/11/29", "29-11-2026", "2026-11-9", "26-11-29", "29.11/2026", "29 ноября 2026",
                                 "20261129", "29.11.2026г", "2026-11-29T10:00", "٢٠٢٦-١١-٢٩", "29.11.202", "+3h",
                                 "через 30 минут", "14.12.2026.1"])
def test_date_refuses(raw):
    assert refused(LEAD_DATE, raw, today=TODAY) == (
        f"Дата ЛИДА: '{raw}' is not a date (e.g. 29.11.2026, 29.11, 2026-11-29, сегодня or через 2 недели)")


@pytest.mark.parametrize("raw", ["31.02.2026", "29.02.2026", "2026-13-01", "00.01.2026", "32/01/2026",
                                 "2026-04-31", "01.01.0000", "30.02.28"])
def test_date_refuses_impossible_days(raw):
    assert refused(LEAD_DATE, raw) == f"Дата ЛИДА: there is no such day as '{raw}'"


@pytest.mark.parametrize("raw", ["14.12", "14.12.26", "1/2/99"])
def test_a_files_date_must_give_its_year_in_four_digits(raw):
    """History from a file: 01.02.99 is not 2099, and 14.12 is not this year's; the year is not guessed."""
    assert refused(LEAD_DATE, raw, today=TODAY, year_required=True) == (
        f"Дата ЛИДА: '{raw}' does not give its year in four digits, and the year of history is not guessed "
        f"(write 14.12.2026)")
    assert "four digits" in refused(MEETING, f"{raw} 10:00", today=TODAY, year_required=True)


def test_a_files_date_may_still_be_a_full_date_or_a_day_word():
    assert parse(LEAD_DATE, "14.12.2026", year_required=True) == "2026-12-14"
    assert parse(LEAD_DATE, "завтра", today=TODAY, year_required=True) == "2026-11-30"


def test_a_day_beyond_the_calendar_is_no_such_day():
    assert refused(LEAD_DATE, "+999999w", today=TODAY) == "Дата ЛИДА: there is no such day as '+999999w'"


@pytest.mark.parametrize("stored, shown", [("2026-11-29", "29.11.2026"), ("2026-02-01", "01.02.2026"),
                                           ("0999-01-05", "05.01.0999")])
def test_date_display_round_trips(stored, shown):
    assert display(LEAD_DATE, stored) == shown
    assert parse(LEAD_DATE, shown) == stored


# --- datetime ---------------------------------------------------------------------


@pytest.mark.parametrize("raw, stored", [
    ("2026-11-29T15:00", "2026-11-29T15:00"), ("2026-11-29 15:00", "2026-11-29T15:00"),
    ("2026-11-29 9:05", "2026-11-29T09:05"), ("2026-11-29T00:00", "2026-11-29T00:00"),
    ("2026-11-29 23:59", "2026-11-29T23:59"), ("29.11.2026 15:00", "2026-11-29T15:00"),
    ("29/11/2026  15:00", "2026-11-29T15:00"), ("завтра 10:30", "2026-11-30T10:30"),
])
def test_datetime_accepts(raw, stored):
    assert parse(MEETING, raw, today=TODAY) == stored


@pytest.mark.parametrize("raw", ["2026-11-29", "15:00", "2026-11-29T15", "2026-11-29T15:00:00",
                                 "2026-11-29T15:00Z", "2026-11-29T15:00+03:00", "2026-11-29 3 pm",
                                 "2026-11-29T1500", "2026-11-29 15.00"])
def test_datetime_refuses(raw):
    assert refused(MEETING, raw, today=TODAY) == (
        f"Встреча: '{raw}' is not a date and time (e.g. 2026-11-29 15:00 or 29.11.2026 15:00)")


def test_datetime_refuses_impossible_times_and_days():
    assert refused(MEETING, "2026-11-29 24:00") == "Встреча: there is no such time of day as '24:00'"
    assert refused(MEETING, "2026-11-29 12:60") == "Встреча: there is no such time of day as '12:60'"
    assert refused(MEETING, "31.02.2026 10:00") == "Встреча: there is no such day as '31.02.2026'"
    assert parse(MEETING, "29.11.26 10:00") == "2026-11-29T10:00"
    assert "not a date" in refused(MEETING, "29.11.202 10:00")
    assert "needs today's date" in refused(MEETING, "завтра 10:00")


def test_not_past_refuses_a_typed_day_before_today_and_a_moment_before_this_minute():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from flowctl.fields import refuse_past

    now = datetime(2026, 11, 29, 15, 30, tzinfo=ZoneInfo("Europe/Moscow"))
    buys = Field("buys_when", "Когда ПОКУПАЕТ", "date", not_past=True)
    call = Field("call_at", "Созвон", "datetime", not_past=True)
    for fine in ((buys, "2026-11-29"), (buys, "2027-01-01"), (buys, None), (call, "2026-11-29T15:30"),
                 (LEAD_DATE, "2020-01-01")):  # a field without not_past takes any day
        refuse_past(*fine, now)
    with pytest.raises(UsageError) as caught:
        refuse_past(buys, "2026-11-28", now)
    assert caught.value.message == ("Когда ПОКУПАЕТ: 28.11.2026 has already passed; this field asks when it will be, "
                                    "so give 29.11.2026 or later")
    with pytest.raises(UsageError) as caught:
        refuse_past(call, "2026-11-29T15:29", now)
    assert caught.value.message.startswith("Созвон: 29.11.2026 15:29 has already passed")


def test_datetime_display_round_trips():
    assert display(MEETING, "2026-11-29T09:05") == "29.11.2026 09:05"
    assert parse(MEETING, "29.11.2026 09:05") == "2026-11-29T09:05"


# --- enum -------------------------------------------------------------------------


@pytest.mark.parametrize("raw, stored", [
    ("builder", "builder"), ("BUILDER", "builder"), ("Строитель", "builder"), ("строитель", "builder"),
    ("СТРОИТЕЛЬ", "builder"), ("  частник ", "private"), ("купил   в другом  месте", "elsewhere"),
    ("Елка готова", "ready"), ("ёлка ГОТОВА", "ready"), ("ready", "ready"),
])
def test_enum_matches_id_or_label_loosely(raw, stored):
    assert parse(CLIENT_TYPE, raw) == stored


@pytest.mark.parametrize("raw", ["строит", "builders", "Stroitel", "купил в другом", "1"])
def test_enum_refuses_and_lists_labels(raw):
    assert refused(CLIENT_TYPE, raw) == (
        f"Строитель/Частник: '{raw}' is not one of: «Строитель», «Частник», «Купил в другом месте», «Ёлка готова»")


def test_enum_displays_the_label():
    assert display(CLIENT_TYPE, "private") == "Частник"
    assert parse(CLIENT_TYPE, display(CLIENT_TYPE, "elsewhere")) == "elsewhere"
    assert display(CLIENT_TYPE, "gone") == "gone"  # an option removed from the pipeline shows its id


# --- phone ------------------------------------------------------------------------


RUSSIAN_FORMS = ["8 912 345-67-89", "+7 (912) 345 67 89", "89123456789", "79123456789", "9123456789",
                 "+79123456789", "8(912)345-67-89", "8 912 345 67 89", "8.912.345.67.89", "+7 912 345–67–89",
                 "8\u00a0912\u00a0345-67-89", " +7 912 3456789 "]


@pytest.mark.parametrize("raw", RUSSIAN_FORMS)
def test_russian_phone_forms_all_normalise_to_e164(raw):
    assert normalize_phone(raw) == "+79123456789"
    assert parse(PHONE, raw) == "+79123456789"


def test_the_three_spec_phone_forms_are_equal():
    assert parse(PHONE, "8 912 345-67-89") == parse(PHONE, "+7 (912) 345 67 89") == parse(PHONE, "9123456789")


@pytest.mark.parametrize("raw, stored", [
    ("8 812 123-45-67", "+78121234567"),  # St Petersburg landline
    ("8 (495) 123-45-67", "+74951234567"),
    ("8 800 555-35-35", "+78005553535"),
    ("7 495 123 45 67", "+74951234567"),
])
def test_russian_landlines(raw, stored):
    assert parse(PHONE, raw) == stored


@pytest.mark.parametrize("raw, stored", [
    ("+375 29 123-45-67", "+375291234567"),  # Belarus
    ("+998 90 123 45 67", "+998901234567"),  # Uzbekistan
    ("+49 30 1234567", "+49301234567"),
    ("+1 (212) 555-0100", "+12125550100"),
    ("+12345678", "+12345678"),  # 8 digits, the shortest accepted
    ("+123456789012345", "+123456789012345"),  # 15 digits, the longest
])
def test_international_phones_are_kept_as_digits(raw, stored):
    assert parse(PHONE, raw) == stored


@pytest.mark.parametrize("raw", [
    "8 912 345-67-8", "8 912 345-67-890", "912 345-67-8", "4951234567", "1234567", "+7 912 345-67-8",
    "+7 912 345-67-890", "+7 8 912 345-67-89", "+1234567", "+1234567890123456", "+", "()", "---",
    "8 912 ABC-67-89", "8 912 345-67-89 доб. 12", "tel:+79123456789", "89123456789+", "++79123456789",
    "8 912 345/67/89", "8_912_345_67_89", "0079123456789", "+7 912 345 67 89, 8 912 000 00 00", "٨٩١٢٣٤٥٦٧٨٩",
])
def test_phone_refuses(raw):
    assert normalize_phone(raw) is None
    assert refused(PHONE, raw) == (
        f"Телефон: '{raw}' is not a phone number (e.g. +7 912 345-67-89 or 8 912 345-67-89)")


def test_phone_display_round_trips():
    assert display(PHONE, "+79123456789") == "+7 912 345-67-89"
    assert parse(PHONE, "+7 912 345-67-89") == "+79123456789"
    assert display(PHONE, "+375291234567") == "+375291234567"


# --- user -------------------------------------------------------------------------


@pytest.mark.parametrize("raw, stored", [("ivanov", "ivanov"), ("IVANOV", "ivanov"), ("petrova", "Petrova"),
                                         ("Petrova", "Petrova"), (" sidorov ", "sidorov")])
def test_user_returns_the_canonical_login(raw, stored):
    assert parse(RESPONSIBLE, raw, team_logins=TEAM) == stored


def test_user_unknown_lists_known_logins():
    assert refused(RESPONSIBLE, "kuznetsov", team_logins=TEAM) == (
        "Ответственный: 'kuznetsov' is not in the team; known logins: ivanov, Petrova, sidorov")


def test_user_list_stops_at_ten():
    team = frozenset(f"user{n:02}" for n in range(15))
    message = refused(RESPONSIBLE, "nobody", team_logins=team)
    assert message.endswith("known logins: " + ", ".join(f"user{n:02}" for n in range(10)) + ", …")


def test_user_prefers_exact_match_and_refuses_ambiguous_case():
    team = frozenset({"ivan", "Ivan"})
    assert parse(RESPONSIBLE, "Ivan", team_logins=team) == "Ivan"
    assert parse(RESPONSIBLE, "ivan", team_logins=team) == "ivan"
    assert "is not in the team" in refused(RESPONSIBLE, "IVAN", team_logins=team)


def test_user_with_empty_team():
    assert refused(RESPONSIBLE, "ivanov") == "Ответственный: 'ivanov' is not in the team, which has no members yet"


def test_user_displays_the_login():
    assert display(RESPONSIBLE, "Petrova") == "Petrova"


# --- boolean ----------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["yes", "YES", "true", "True", "1", "да", "Да", "ДА"])
def test_boolean_true(raw):
    assert parse(PAID, raw) is True


@pytest.mark.parametrize("raw", ["no", "No", "false", "FALSE", "0", "нет", "Нет"])
def test_boolean_false(raw):
    assert parse(PAID, raw) is False


@pytest.mark.parametrize("raw", ["y", "n", "ага", "2", "-1", "yes!", "да нет", "on", "off"])
def test_boolean_refuses(raw):
    assert refused(PAID, raw) == f"Оплачено: '{raw}' is not yes or no (type да or нет)"


@pytest.mark.parametrize("stored, shown", [(True, "да"), (False, "нет")])
def test_boolean_display_round_trips(stored, shown):
    assert display(PAID, stored) == shown
    assert parse(PAID, shown) is stored


# --- across types -----------------------------------------------------------------


def test_stored_values_are_json_serialisable():
    values = [parse(TEXT, "Кровля"), parse(COUNT, "1 000"), parse(BUDGET, "350 000,50"), parse(LEAD_DATE, "29.11.2026"),
              parse(MEETING, "29.11.2026 15:00"), parse(CLIENT_TYPE, "Частник"), parse(PHONE, "8 912 345-67-89"),
              parse(RESPONSIBLE, "ivanov", team_logins=TEAM), parse(PAID, "да")]
    assert json.loads(json.dumps(values)) == values


def test_long_typed_values_are_shortened_in_messages():
    message = refused(BUDGET, "x" * 500)
    assert len(message) < 120 and "…" in message


def test_control_characters_are_masked_in_messages():
    message = refused(BUDGET, "1\n000\x1b[2J")
    assert message == "Бюджет: '1\ufffd000\ufffd[2J' is not an amount of money (e.g. 350 000,50)"


def test_every_message_names_the_field_first():
    sentences = {key: template for key, template in TEXTS.items()
                 if key.startswith("field_") and "{label}" in template or key.startswith(("field_integer", "field_money"))}
    assert len(sentences) >= 15
    assert all(template.startswith("{label}: ") for template in sentences.values())

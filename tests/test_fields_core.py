"""Typed values (fields.py, text.py): behaviour the older tests left open.

Written from the mutation run (tests/mutation/): what a manager types, what is stored, what a refusal quotes.
"""

from __future__ import annotations

from datetime import date

import pytest

from flowctl.errors import UsageError
from flowctl.fields import date_format, parse
from flowctl.pipeline.model import Field

TODAY = date(2026, 11, 29)
HOUSES = Field("houses", "Сколько домов", "integer", min=1)
LEAD_DATE = Field("lead_date", "Дата ЛИДА", "date")
MEETING = Field("meeting", "Встреча", "datetime")


def refused(field: Field, raw: str, **kwargs) -> str:
    with pytest.raises(UsageError) as caught:
        parse(field, raw, today=TODAY, **kwargs)
    return caught.value.message


# -- what a refusal quotes ----------------------------------------------------------------------------

def test_a_refused_value_is_quoted_whole_up_to_40_characters():
    forty = "x" * 40
    assert refused(HOUSES, forty) == f"Сколько домов: '{forty}' is not a whole number (e.g. 12 or 1 000)"


def test_a_refused_value_longer_than_40_characters_is_cut_to_40_with_an_ellipsis():
    raw = "y" * 39 + "z" * 10
    assert refused(HOUSES, raw) == f"Сколько домов: '{'y' * 39}…' is not a whole number (e.g. 12 or 1 000)"


def test_a_day_counted_from_today_where_today_is_unknown_quotes_what_was_typed():
    """A file's own dates are read with no today (an import's history): «завтра» there names no day."""
    with pytest.raises(UsageError) as caught:
        parse(LEAD_DATE, "завтра", today=None)
    assert caught.value.message == \
        "Дата ЛИДА: 'завтра' needs today's date, which is unknown here; type the date (29.11.2026)"


def test_a_number_longer_than_fifteen_digits_is_refused_quoting_it():
    assert refused(HOUSES, "1" * 16) == \
        f"Сколько домов: '{'1' * 16}' is too large; at most 15 digits before the decimal point"


@pytest.mark.parametrize("typed", ["1234 567", "12 34", "1 2345"])
def test_digits_grouped_by_a_space_are_read_only_in_groups_of_three_after_a_first_of_up_to_three(typed):
    assert refused(HOUSES, typed) == f"Сколько домов: '{typed}' is not a whole number (e.g. 12 or 1 000)"
    assert parse(HOUSES, "1 234 567") == 1234567


# -- users (F1) ------------------------------------------------------------------------------------

RESPONSIBLE = Field("responsible", "Ответственный", "user")


def test_f1_an_unknown_login_is_refused_listing_a_team_of_ten_whole_and_a_larger_one_cut():
    ten = frozenset(f"user{n:02}" for n in range(10))
    assert refused(RESPONSIBLE, "nobody", team_logins=ten) == \
        f"Ответственный: 'nobody' is not in the team; known logins: {', '.join(sorted(ten))}"
    eleven = ten | {"user10"}
    assert refused(RESPONSIBLE, "nobody", team_logins=eleven) == \
        f"Ответственный: 'nobody' is not in the team; known logins: {', '.join(sorted(ten))}, …"


# -- date formats of a file (--date-format, a mapping file's date_format:) --------------------------

@pytest.mark.parametrize("spec, typed, stored", [
    ("DD.MM.YYYY", "05.01.2026", "2026-01-05"),
    ("MM/DD/YYYY", "1/5/2026", "2026-01-05"),
    ("YYYY-MM-DD", "2026-01-05", "2026-01-05"),
    ("dd mm yyyy", "05 01 2026", "2026-01-05"),  # any case; a space separates too
])
def test_a_date_format_reads_dates_written_its_way(spec, typed, stored):
    assert parse(LEAD_DATE, typed, date_format=date_format(spec)) == stored


@pytest.mark.parametrize("spec", ["DD_MM_YYYY", "DD_MM.YYYY", "DD.MM_YYYY", "DD..MM.YYYY", "on DD.MM.YYYY",
                                  "DD.MM.YYYY!", "DD.MM", "DD.DD.YYYY", "DDMMYYYY"])
def test_a_date_format_other_than_dd_mm_yyyy_with_one_separator_each_is_refused_as_typed(spec):
    with pytest.raises(UsageError) as caught:
        date_format(spec)
    assert caught.value.message.startswith(f"'{spec}' is not a date format for --date-format or date_format:")


def test_a_date_that_does_not_follow_the_files_format_names_the_format_as_typed():
    assert refused(LEAD_DATE, "2026-01-05", date_format=date_format("dd.mm.yyyy")) == \
        "Дата ЛИДА: '2026-01-05' is not a date written dd.mm.yyyy"


def test_a_date_and_time_reads_its_date_with_the_files_format():
    assert parse(MEETING, "01/05/2026 14:30", date_format=date_format("MM/DD/YYYY")) == "2026-01-05T14:30"
    assert refused(MEETING, "13/05/2026 14:30", date_format=date_format("MM/DD/YYYY")) == \
        "Встреча: there is no such day as '13/05/2026'"


# -- what a reader does not see (text.py), as the PostgreSQL store's triggers receive it -----------------

def test_the_unseen_ranges_are_whole_runs_of_the_characters_a_reader_does_not_see():
    """unseen_ranges() is text.py's definition (seen()) compiled for the database's triggers: every range holds
    only characters a reader does not see, and ends at ones he sees, so a blank result is blank for the database
    too (L3). The database's own copy is published once a process, so its test cannot see a change here."""
    from bisect import bisect_right

    from flowctl.text import seen, unseen_ranges

    ranges = unseen_ranges()
    firsts = [a for a, _ in ranges]

    def unseen(point: int) -> bool:
        index = bisect_right(firsts, point) - 1
        return index >= 0 and ranges[index][0] <= point <= ranges[index][1]

    assert all(a <= b for a, b in ranges)
    assert all(b + 1 < a for (_, b), (a, _) in zip(ranges, ranges[1:]))  # in order, apart: each run is whole
    for a, b in ranges:
        assert not seen(chr(a)) and not seen(chr(b)), (a, b)
        assert all(seen(chr(p)) for p in (a - 1, b + 1) if p > 0), (a, b)  # U+0000 cannot occur in a text
    assert [unseen(ord(ch)) for ch in "\x01\x1f \u00a0\u200b\u2028\u3164\u2800\U000e0001"] == [True] * 9
    assert [unseen(ord(ch)) for ch in "a\x21\u00a1Ж\u4e00\ue000\U0010ffff"] == [False] * 7


# -- a piece of a phone number (contact find) ------------------------------------------------------------

def test_an_8_typed_before_one_digit_finds_the_numbers_that_begin_7_and_that_digit_while_a_lone_8_is_a_digit():
    from flowctl.fields import phone_digits, phone_fragment

    stored = ("+79131112233", "+73831112233", "+74951234589", "+74951234567")
    assert [bool(phone_fragment("89").search(phone_digits(p))) for p in stored] == [True, False, True, False]
    assert [bool(phone_fragment("8").search(phone_digits(p))) for p in stored] == [False, True, True, False]


# -- how a stored date is shown ------------------------------------------------------------------------

def test_a_date_is_shown_dotted_in_a_table_and_as_stored_in_csv_and_json():
    from flowctl import language
    from flowctl.fields import display

    assert (display(LEAD_DATE, "2026-01-05"), display(MEETING, "2026-01-05T14:30")) == \
        ("05.01.2026", "05.01.2026 14:30")
    with language.machine_values():  # --format csv or json: read by programs
        assert (display(LEAD_DATE, "2026-01-05"), display(MEETING, "2026-01-05T14:30")) == \
            ("2026-01-05", "2026-01-05 14:30")

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

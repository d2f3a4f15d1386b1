"""Dates people type into commands (issue 14, «Dates people type»), on both local stores; the clock is pinned at
Monday 30.11.2026 09:00 in Moscow. The forms themselves are proved in test_when.py and test_fields.py."""

from __future__ import annotations

import pytest

from test_deals import new_deal


# -- agenda --date and task list --due: yesterday ---------------------------------------------------


@pytest.mark.parametrize("typed, day", [("вчера", "2026-11-29"), ("позавчера", "2026-11-28"),
                                        ("yesterday", "2026-11-29"), ("Вчера", "2026-11-29")])
def test_agenda_for_yesterday(local_ws, typed, day):
    assert local_ws.json("agenda", "--date", typed)["date"] == day


def test_yesterday_in_russian_titles_the_agenda_with_that_day(local_ws, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    shown = local_ws.ok("agenda", "--date", "вчера").stdout
    assert "29.11.2026" in shown.splitlines()[0]


def test_tasks_due_yesterday_are_listed_by_yesterday(local_ws):
    deal_id = new_deal(local_ws)
    late = local_ws.json("task", "add", deal_id, "--type", "call", "--due", "вчера 15:00", "--past")
    assert late["due"] == "2026-11-29T12:00:00Z"
    assert [t["id"] for t in local_ws.json("task", "list", "--due", "вчера")] == [late["id"]]
    assert [t["id"] for t in local_ws.json("task", "list", "--due", "yesterday")] == [late["id"]]


# -- report forecast --month ------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["2026-12", "12.2026", "декабрь 2026", "December 2026", "дек 2026", "dec 2026",
                                   "в декабре 2026", "декабрь"])
def test_forecast_month_as_people_write_it(local_ws, typed):
    assert local_ws.json("report", "forecast", "--month", typed)["month"] == "2026-12"


@pytest.mark.parametrize("typed", ["13.2026", "декабрь 26", "2026-13", "someday"])
def test_forecast_month_that_is_no_month_is_a_usage_error(local_ws, typed):
    refused = local_ws.run("report", "forecast", "--month", typed)
    assert refused.exit_code == 2
    assert refused.stderr == f"flowctl: '{typed}' is not a month; write e.g. 2026-12, 12.2026 or December 2026\n"


# -- report --from/--to ----------------------------------------------------------------------------


@pytest.mark.parametrize("report", ["funnel", "managers", "velocity"])
def test_reversed_from_to_is_a_usage_error_not_zeros(local_ws, report):
    new_deal(local_ws)
    refused = local_ws.run("report", report, "--from", "01.12.2026", "--to", "2026-11-01")
    assert (refused.exit_code, refused.stdout) == (2, "")
    assert refused.stderr == ("flowctl: --from 2026-12-01 is after --to 2026-11-01: no day is in that period; "
                              "swap them\n")


def test_a_one_day_period_and_yesterday_to_today_are_periods(local_ws):
    new_deal(local_ws)  # its lead date is today, 30.11.2026
    assert local_ws.json("report", "funnel", "--from", "30.11.2026", "--to", "сегодня")["stages"][0]["entered"] == 1
    assert local_ws.json("report", "funnel", "--from", "вчера", "--to", "today")["stages"][0]["entered"] == 1

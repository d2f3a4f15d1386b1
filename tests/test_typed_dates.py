"""Dates people type into commands (issue 14, «Dates people type»), on both local stores; the clock is pinned at
Monday 30.11.2026 09:00 in Moscow. The forms themselves are proved in test_when.py and test_fields.py."""

from __future__ import annotations

import json

import pytest

from test_deals import QUALIFIED, call_done, new_deal, walk_to


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


# -- Q2: «Когда ПОКУПАЕТ» asks when he will buy: a day already gone is refused when typed ---------------


def _to_hot_with(ws, buys_when: str):
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "ОП ВЗЯЛ В РАБОТУ")
    call_done(ws, deal_id)
    fields = [f if not f.startswith("buys_when=") else f"buys_when={buys_when}" for f in QUALIFIED]
    return deal_id, ws.run("deal", "advance", deal_id, "горячие", *fields)


@pytest.mark.parametrize("typed, shown", [("01.11.2026", "01.11.2026"), ("вчера", "29.11.2026"),
                                          ("15.11", "15.11.2026"), ("29.11.26", "29.11.2026")])
def test_q2_purchase_date_in_past_refused(local_ws, typed, shown):
    deal_id, _ = _to_hot_with(local_ws, "14.12.2026")
    before = local_ws.snapshot()
    refused = local_ws.run("deal", "set", deal_id, f"Когда ПОКУПАЕТ={typed}")
    assert refused.exit_code == 2
    assert refused.stderr == (f"flowctl: Когда ПОКУПАЕТ: {shown} has already passed; this field asks when it will "
                              f"be, so give 30.11.2026 or later\n")
    assert local_ws.snapshot() == before


def test_q2_purchase_date_in_past_refused_on_advance_and_create_writing_nothing(local_ws):
    deal_id, refused = _to_hot_with(local_ws, "01.11.2026")
    assert refused.exit_code == 2 and "Когда ПОКУПАЕТ: 01.11.2026 has already passed" in refused.stderr
    assert local_ws.json("deal", "show", deal_id)["stage"] == "in_work"
    before = local_ws.snapshot()
    created = local_ws.run("deal", "create", "--contact", "1", "-F", "buys_when=2026-11-29")
    assert created.exit_code == 2 and "Когда ПОКУПАЕТ: 29.11.2026 has already passed" in created.stderr
    assert local_ws.snapshot() == before


def test_q2_purchase_date_in_past_refused_in_russian(local_ws, monkeypatch):
    deal_id, _ = _to_hot_with(local_ws, "14.12.2026")
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    refused = local_ws.run("deal", "set", deal_id, "Когда ПОКУПАЕТ=вчера")
    assert refused.stderr == ("flowctl: Когда ПОКУПАЕТ: 29.11.2026 — уже в прошлом; поле спрашивает, когда это будет: "
                              "укажите 30.11.2026 или позже\n")


@pytest.mark.parametrize("typed, stored", [("сегодня", "2026-11-30"), ("30.11", "2026-11-30"), ("14.12", "2026-12-14"),
                                           ("14.12.26", "2026-12-14"), ("через 2 недели", "2026-12-14"),
                                           ("in 2 weeks", "2026-12-14"), ("+2w", "2026-12-14")])
def test_q2_purchase_date_today_or_later_accepted_as_people_type_it(local_ws, typed, stored):
    deal_id, moved = _to_hot_with(local_ws, typed)
    assert moved.exit_code == 0, moved.stderr
    assert local_ws.json("deal", "show", deal_id)["fields"]["buys_when"] == stored


def test_q2_past_purchase_date_imported_as_history(local_ws, tmp_path):
    """An import brings an old CRM's history: a purchase date that has passed is kept as it was."""
    source = tmp_path / "deals.csv"
    source.write_text("ID,Когда ПОКУПАЕТ\nX-1,01.10.2026\n", "utf-8")
    local_ws.ok("import", "deals", "--owner", "olga", source, "--id-column", "ID", user="olga")
    assert local_ws.json("deal", "show", 1)["fields"]["buys_when"] == "2026-10-01"


@pytest.mark.parametrize("cell", ["01.10.26", "01.10"])
def test_an_imported_date_without_its_full_year_refuses_the_file(local_ws, tmp_path, cell):
    """Typed, 14.12.26 is 2026 and 14.12 this year's; in a file of history the year is not guessed (01.02.99 is
    not 2099): the file is refused, as any date that does not read day first."""
    source = tmp_path / "deals.csv"
    source.write_text(f"ID,Когда ПОКУПАЕТ\nX-1,01.10.2026\nX-2,{cell}\n", "utf-8")
    refused = local_ws.run("import", "deals", "--owner", "olga", source, "--id-column", "ID", user="olga")
    assert refused.exit_code == 2
    assert f"line 3, column 'Когда ПОКУПАЕТ': Когда ПОКУПАЕТ: '{cell}' does not give its year in four digits" in \
        refused.stderr
    assert local_ws.json("deal", "list") == []


def test_q2_a_purchase_date_that_has_since_passed_stays_and_restores(local_ws, tmp_path):
    deal_id, moved = _to_hot_with(local_ws, "14.12.2026")
    assert moved.exit_code == 0
    later = "2027-01-11T06:00:00Z"  # 14.12.2026 is now the past
    assert local_ws.json("deal", "set", deal_id, "site=Новая Званка", now=later)["fields"]["buys_when"] == "2026-12-14"
    dump = tmp_path / "all.json"
    local_ws.ok("export", "all", "--format", "json", "-o", dump, now=later)
    restored = local_ws.run("--store", local_ws.root / "new.db", "import", "all", dump, user="olga", now=later)
    assert restored.exit_code == 0, restored.stderr
    shown = json.loads(local_ws.ok("--store", local_ws.root / "new.db", "deal", "show", deal_id, "--format", "json",
                                   now=later).stdout)
    assert shown["fields"]["buys_when"] == "2026-12-14"


def test_q2_the_shipped_pipeline_declares_buys_when_not_past(krovlya):
    assert krovlya.deal_field("buys_when").not_past is True
    assert not any(f.not_past for f in krovlya.deal_fields if f.id != "buys_when")


def test_not_past_is_refused_on_a_field_that_holds_no_date(tmp_path):
    from conftest import KROVLYA

    from flowctl.pipeline.compile import check

    edited = tmp_path / "krovlya.yaml"
    edited.write_text(KROVLYA.read_text("utf-8").replace(
        "      label: Сколько домов\n      type: integer\n",
        "      label: Сколько домов\n      type: integer\n      not_past: true\n", 1), "utf-8")
    problems, _ = check(edited)
    assert [(p.rule, p.yaml_path, p.message) for p in problems] == [
        ("schema", "fields.deal[8].not_past", "only date and datetime fields take not_past, not a field of type integer")]

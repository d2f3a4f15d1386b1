"""Reports (funnel, forecast, managers, velocity) on a store of 30 deals built through the real CLI, both stores.

The scenario below is played command by command in time order, every command at its own pinned `now`
(FLOWCTL_NOW, UTC). Every expected figure in this file is a literal worked out by hand from the table;
none is computed by code that mirrors the reports. Moscow is UTC+3 all year (no DST since 2014).
"""

from __future__ import annotations

import re

import pytest

from conftest import Workspace

# ------------------------------------------------------------------------------------------------------
# The scenario. All times are UTC in 2026, "MM-DD hh:mm"; "-" is never. Columns S2, S3, S4 and `entered` are
# the moments the deal ENTERED that stage (S1 is entered on creation); `plan` is the engineer's outcome of S4
# (S5 КП ГОТОВО or S5b СМЕТА ГОТОВА) with its budget; `closed` is won or lost, with the reason when lost.
# `lead` is the lead date (F5) the deal must get: the creation day in Moscow (!: differs from the UTC day).
#
# How each move is made:
#   S1→S2     the manager completes the open call task (--contact call), then moves   (contact_made)
#   S2→S3     the manager moves with the qualification fields                         (Q1, Q2)
#   S3→S4     the manager completes the open «get plan» task, then moves with the TZ  (tasks_done, Q3, Q4)
#   S4→S5/b   tural moves with -F budget=…                                            (M1, Q5)
#   →won      the manager completes «Закрыть в оплату», then moves                    (L6)
#   →lost     the manager moves with -F lost_reason=…                                 (Q6; open tasks cancelled)
SCENARIO = """
#   who   created      S2           S3           S4           plan  entered      budget        closed  at           reason            lead
1   ivan  08-03 06:00  08-03 06:10  08-05 06:10  08-10 06:10  S5    08-11 06:10  350 000,50    won     08-21 06:10  -                 08-03
2   ivan  08-10 07:00  -            -            -            -     -            -             lost    08-11 07:00  no_contact        08-10
3   olga  08-17 08:00  08-17 08:05  08-18 08:05  08-23 08:05  S5b   08-25 08:05  1 254 000     won     09-08 08:05  -                 08-17
4   ivan  08-24 06:00  08-24 06:15  08-27 06:15  09-03 06:15  S5    09-04 06:15  89 999,99     won     09-30 21:30  -                 08-24
5   olga  08-31 20:00  08-31 20:05  -            -            -     -            -             lost    09-02 20:05  too_expensive     08-31
6   ivan  08-31 21:30  08-31 21:40  09-01 21:40  -            -     -            -             lost    09-03 21:40  postponed         09-01!
7   olga  09-07 07:00  09-07 07:05  09-07 08:05  09-14 08:05  S5    09-14 12:05  2 000 000     won     10-31 21:10  -                 09-07
8   ivan  09-10 06:00  09-10 06:10  09-11 06:10  09-16 06:10  S5b   09-17 06:10  415 500,25    won     10-15 09:00  -                 09-10
9   olga  09-14 07:00  09-14 07:15  09-17 07:15  09-19 07:15  -     -            -             lost    09-21 07:15  bought_elsewhere  09-14
10  ivan  09-21 06:00  09-21 06:40  09-22 06:40  09-27 06:40  S5    09-28 06:40  1 100 000,10  lost    10-12 06:40  bought_elsewhere  09-21
11  ivan  09-28 07:00  09-28 07:05  09-30 07:05  10-07 07:05  S5b   10-09 07:05  640 250,75    won     10-31 20:30  -                 09-28
12  olga  09-30 20:30  09-30 20:40  -            -            -     -            -             -       -            -                 09-30
13  ivan  09-30 21:45  09-30 21:55  10-01 21:55  10-06 21:55  S5    10-07 21:55  1 500 000     -       -            -                 10-01!
14  ivan  10-05 07:00  -            -            -            -     -            -             -       -            -                 10-05
15  olga  10-06 06:00  10-06 06:05  10-07 06:05  10-09 06:05  S5    10-09 10:05  350 000,50    -       -            -                 10-06
16  olga  10-12 08:00  10-12 08:05  10-12 09:05  10-13 09:05  S5    10-13 13:05  75 000        won     11-10 10:00  -                 10-12
17  olga  10-15 06:00  10-15 06:10  10-17 06:10  10-20 06:10  S5b   10-21 06:10  820 000       -       -            -                 10-15
18  ivan  10-19 07:00  10-19 07:05  10-20 07:05  10-27 07:05  -     -            -             -       -            -                 10-19
19  ivan  10-22 06:00  10-22 06:15  10-25 06:15  10-30 06:15  S5    11-01 06:15  99 999,95     -       -            -                 10-22
20  olga  10-28 08:50  10-28 09:00  10-31 09:00  -            -     -            -             -       -            -                 10-28
21  ivan  10-29 06:00  10-29 06:05  -            -            -     -            -             -       -            -                 10-29
22  ivan  11-05 08:44  11-05 08:59  11-06 08:59  -            -     -            -             -       -            -                 11-05
23  olga  11-05 08:50  11-05 09:00  11-06 09:00  -            -     -            -             -       -            -                 11-05
24  olga  11-09 07:00  11-09 07:05  11-09 08:05  11-10 08:05  -     -            -             -       -            -                 11-09
25  ivan  11-11 06:00  11-11 06:10  11-12 06:10  11-14 06:10  S5b   11-14 10:10  33 333,33     -       -            -                 11-11
26  ivan  11-16 07:00  11-16 07:40  11-18 07:40  11-19 07:40  -     -            -             -       -            -                 11-16
27  ivan  11-19 21:50  11-19 22:00  11-19 23:00  -            -     -            -             -       -            -                 11-20!
28  olga  11-20 07:00  -            -            -            -     -            -             -       -            -                 11-20
29  ivan  11-20 08:45  -            -            -            -     -            -             -       -            -                 11-20
30  olga  11-20 08:55  -            -            -            -     -            -             -       -            -                 11-20
"""
# Notes on the table:
#   #2 lost from S1, #5 from S2, #6 from S3, #9 from S4, #10 from S5 (the only lost deal with a budget).
#   #4 is won 09-30 21:30 UTC = 10-01 00:30 in Moscow: an October win. #11 is won 10-31 20:30 UTC = 23:30: October.
#   #7 is won 10-31 21:10 UTC = 11-01 00:10 in Moscow: a November win.
#   #5 is created 08-31 23:00 in Moscow (lead 08-31), #6 09-01 00:30 (lead 09-01), #12 09-30 23:30 (lead 09-30),
#   #13 10-01 00:45 (lead 10-01), #27 11-20 00:50 (lead 11-20).
#   Still open at the end: S1 #14 (call never made), #28 (2 h; call done at 07:10 but not moved), #29 (exactly
#   15 min), #30 (5 min); S2 #12, #21; S3 #20 (20 d), #22 (14 d 1 min), #23 (exactly 14 d), #27 (10 h);
#   S4 #18, #24, #26; S5 #13, #15, #19; S5b #17, #25.

# Tasks completed without a move: (deal, when).
TASKS_DONE_ALONE = [(15, "10-10 09:00"), (28, "11-20 07:10")]

# The reports are read at 11-20 09:00 UTC (Friday 12:00 in Moscow).
FINAL_NOW = "2026-11-20T09:00:00Z"

QUALIFY = ["-F", "client_type=Строитель", "-F", "site=Званка", "-F", "houses=2", "-F", "Этап СТРОЙКИ=коробка",
           "-F", "buys_when=01.12.2026"]
TECH = ["-F", "roof_plan=План кровли", "-F", "coating=металлочерепица", "-F", "thickness=0,5"]
PLAN_STAGE = {"S5": "КП ГОТОВО", "S5b": "СМЕТА ГОТОВА"}
COLUMNS = ("id", "who", "created", "in_work", "hot", "volumes", "plan", "entered", "budget", "closed", "at",
           "reason", "lead")


def deals() -> list[dict]:
    """The table's rows; cells are separated by two spaces or more (a budget or a time holds single spaces)."""
    rows = []
    for line in SCENARIO.strip().splitlines()[1:]:
        cells = [None if cell == "-" else cell for cell in re.split(r"\s{2,}", line.strip())]
        assert len(cells) == len(COLUMNS), line
        rows.append(dict(zip(COLUMNS, cells)))
    return rows


def utc(when: str) -> str:
    return f"2026-{when.replace(' ', 'T')}:00Z"


def _actions():
    """Every command of the table as (moment, deal, step, who, action), in time order."""
    actions = []
    owner = {}
    for d in deals():
        deal_id, who = int(d["id"]), d["who"]
        owner[deal_id] = who
        steps = [(d["created"], ("create",)), (d["in_work"], ("in_work",)), (d["hot"], ("hot",)),
                 (d["volumes"], ("volumes",)), (d["entered"], ("plan", d["plan"], d["budget"])),
                 (d["at"], (d["closed"], d["reason"]))]
        for step, (moment, action) in enumerate(steps):
            if moment:
                actions.append((utc(moment), deal_id, step, who, action))
    for deal_id, moment in TASKS_DONE_ALONE:
        actions.append((utc(moment), deal_id, 9, owner[deal_id], ("tasks_done",)))
    return sorted(actions, key=lambda a: a[:3])


def _complete_open_tasks(ws, deal_id: int, who: str, now: str) -> None:
    for task in ws.json("task", "list", "--deal", deal_id, user=who, now=now):
        ws.ok("task", "done", task["id"], "--result", "Поговорили с клиентом", "--contact", "call", user=who, now=now)


def build(ws) -> None:
    for now, deal_id, _, who, action in _actions():
        kind = action[0]
        if kind == "create":
            assert ws.json("deal", "create", user=who, now=now)["id"] == deal_id
        elif kind == "in_work":
            _complete_open_tasks(ws, deal_id, who, now)
            ws.ok("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ", user=who, now=now)
        elif kind == "hot":
            ws.ok("deal", "advance", deal_id, "ГОРЯЧИЕ", *QUALIFY, user=who, now=now)
        elif kind == "volumes":
            _complete_open_tasks(ws, deal_id, who, now)
            ws.ok("deal", "advance", deal_id, "ОБЪЕМЫ У ТУРАЛА", *TECH, user=who, now=now)
        elif kind == "plan":
            ws.ok("deal", "advance", deal_id, PLAN_STAGE[action[1]], "-F", f"budget={action[2]}", user="tural", now=now)
        elif kind == "won":
            _complete_open_tasks(ws, deal_id, who, now)
            ws.ok("deal", "advance", deal_id, "УСПЕШНО РЕАЛИЗОВАНО", user=who, now=now)
        elif kind == "lost":
            ws.ok("deal", "advance", deal_id, "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО", "-F", f"lost_reason={action[1]}",
                  user=who, now=now)
        elif kind == "tasks_done":
            _complete_open_tasks(ws, deal_id, who, now)
        else:  # pragma: no cover
            raise AssertionError(kind)


@pytest.fixture(scope="module", params=["sqlite", "json"])
def store(request, tmp_path_factory):
    """The scenario built once per store; the clock is left at FINAL_NOW."""
    monkeypatch = pytest.MonkeyPatch()
    try:
        ws = Workspace(tmp_path_factory.mktemp(f"reports-{request.param}") / "ws", request.param, monkeypatch)
        build(ws)
        monkeypatch.setenv("FLOWCTL_NOW", FINAL_NOW)
        yield ws
    finally:
        monkeypatch.undo()


# ------------------------------------------------------------------------------------------------------
# The store is what the table says (so that a wrong figure below is the report's, not the scenario's).


def test_scenario_is_as_tabled(store):
    listed = store.json("deal", "list", now=FINAL_NOW)
    got = {d["id"]: (d["responsible"], d["stage"], d["budget"], d["fields"]["lead_date"]) for d in listed}
    assert {int(d["id"]): f"2026-{d['lead'].rstrip('!')}" for d in deals()} == {k: v[3] for k, v in got.items()}
    assert got == {
        1: ("ivan", "won", "350000.50", "2026-08-03"),
        2: ("ivan", "lost", None, "2026-08-10"),
        3: ("olga", "won", "1254000.00", "2026-08-17"),
        4: ("ivan", "won", "89999.99", "2026-08-24"),
        5: ("olga", "lost", None, "2026-08-31"),
        6: ("ivan", "lost", None, "2026-09-01"),  # created 08-31 21:30 UTC = 09-01 00:30 in Moscow
        7: ("olga", "won", "2000000.00", "2026-09-07"),
        8: ("ivan", "won", "415500.25", "2026-09-10"),
        9: ("olga", "lost", None, "2026-09-14"),
        10: ("ivan", "lost", "1100000.10", "2026-09-21"),
        11: ("ivan", "won", "640250.75", "2026-09-28"),
        12: ("olga", "in_work", None, "2026-09-30"),  # 09-30 20:30 UTC = 23:30 in Moscow
        13: ("ivan", "proposal_ready", "1500000.00", "2026-10-01"),  # 09-30 21:45 UTC = 10-01 00:45 in Moscow
        14: ("ivan", "new_lead", None, "2026-10-05"),
        15: ("olga", "proposal_ready", "350000.50", "2026-10-06"),
        16: ("olga", "won", "75000.00", "2026-10-12"),
        17: ("olga", "estimate_ready", "820000.00", "2026-10-15"),
        18: ("ivan", "volumes", None, "2026-10-19"),
        19: ("ivan", "proposal_ready", "99999.95", "2026-10-22"),
        20: ("olga", "hot", None, "2026-10-28"),
        21: ("ivan", "in_work", None, "2026-10-29"),
        22: ("ivan", "hot", None, "2026-11-05"),
        23: ("olga", "hot", None, "2026-11-05"),
        24: ("olga", "volumes", None, "2026-11-09"),
        25: ("ivan", "estimate_ready", "33333.33", "2026-11-11"),
        26: ("ivan", "volumes", None, "2026-11-16"),
        27: ("ivan", "hot", None, "2026-11-20"),  # 11-19 21:50 UTC = 11-20 00:50 in Moscow
        28: ("olga", "new_lead", None, "2026-11-20"),
        29: ("ivan", "new_lead", None, "2026-11-20"),
        30: ("olga", "new_lead", None, "2026-11-20"),
    }


# ------------------------------------------------------------------------------------------------------
# funnel

FUNNEL_COLUMNS = ("stage", "deals", "budget", "entered", "went_on", "conversion")


def _funnel_rows(report):
    return [tuple(row[k] for k in FUNNEL_COLUMNS) for row in report["stages"]]


def test_funnel_whole_period(store):
    report = store.json("report", "funnel", now=FINAL_NOW)
    assert (report["pipeline"], report["from"], report["to"]) == ("krovlya", None, None)
    assert [(r["order"], r["stage_label"], r["kind"]) for r in report["stages"]] == [
        (1, "НОВЫЙ ЛИД", "open"), (2, "ОП ВЗЯЛ В РАБОТУ", "open"), (3, "ГОРЯЧИЕ", "open"),
        (4, "ОБЪЕМЫ У ТУРАЛА", "open"), (5, "КП ГОТОВО", "open"), (6, "СМЕТА ГОТОВА", "open"),
        (7, "УСПЕШНО РЕАЛИЗОВАНО", "won"), (8, "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО", "lost")]
    # entered: S1 all 30; S2 30 - {2,14,28,29,30} = 25; S3 25 - {5,12,21} = 22; S4 22 - {6,20,22,23,27} = 17;
    # S5 {1,4,7,10,13,15,16,19} = 8; S5b {3,8,11,17,25} = 5.
    # went on: S4 17 - {9 lost; 18,24,26 still there} = 13; S5 → won {1,4,7,16} = 4; S5b → won {3,8,11} = 3.
    assert _funnel_rows(report) == [
        # stage            deals  budget now     entered  went on  conversion
        ("new_lead",       4,     "0.00",        30,      25,      83.3),  # 25/30 = 83.33
        ("in_work",        2,     "0.00",        25,      22,      88.0),  # 22/25
        ("hot",            4,     "0.00",        22,      17,      77.3),  # 17/22 = 77.27
        ("volumes",        3,     "0.00",        17,      13,      76.5),  # 13/17 = 76.47
        ("proposal_ready", 3,     "1950000.45",  8,       4,       50.0),  # 1 500 000 + 350 000.50 + 99 999.95
        ("estimate_ready", 2,     "853333.33",   5,       3,       60.0),  # 820 000 + 33 333.33
        # won: 350 000.50 + 1 254 000 + 89 999.99 + 2 000 000 + 415 500.25 + 640 250.75 + 75 000
        ("won",            7,     "4824751.49",  7,       None,    None),
        ("lost",           5,     "1100000.10",  5,       None,    None),  # only #10 (lost from S5) had a budget
    ]
    assert (report["won"], report["lost"], report["win_rate"]) == (7, 5, 58.3)  # 7/12 = 58.33


def test_funnel_september_by_lead_date(store):
    # Lead dates 01.09–30.09 in Moscow: #6 (created 08-31 21:30 UTC) is in, #5 (08-31 20:00 UTC) is out,
    # #12 (09-30 20:30 UTC) is in, #13 (09-30 21:45 UTC) is out. The cohort: #6 … #12, seven deals.
    report = store.json("report", "funnel", "--from", "2026-09-01", "--to", "30.09.2026", now=FINAL_NOW)
    assert (report["from"], report["to"]) == ("2026-09-01", "2026-09-30")
    assert _funnel_rows(report) == [
        # stage            deals  budget now     entered  went on  conversion
        ("new_lead",       0,     "0.00",        7,       7,       100.0),
        ("in_work",        1,     "0.00",        7,       6,       85.7),   # #12 still there; 6/7 = 85.71
        ("hot",            0,     "0.00",        6,       5,       83.3),   # #6 lost from S3; 5/6 = 83.33
        ("volumes",        0,     "0.00",        5,       4,       80.0),   # #9 lost from S4
        ("proposal_ready", 0,     "0.00",        2,       1,       50.0),   # #7 won, #10 lost
        ("estimate_ready", 0,     "0.00",        2,       2,       100.0),  # #8, #11 won
        ("won",            3,     "3055751.00",  3,       None,    None),   # 2 000 000 + 415 500.25 + 640 250.75
        ("lost",           3,     "1100000.10",  3,       None,    None),   # #6, #9, #10
    ]
    assert (report["won"], report["lost"], report["win_rate"]) == (3, 3, 50.0)


def test_funnel_table_lists_stages_in_order_with_the_win_rate(store):
    out = store.ok("report", "funnel", now=FINAL_NOW).stdout
    lines = out.splitlines()
    labels = ["НОВЫЙ ЛИД", "ОП ВЗЯЛ В РАБОТУ", "ГОРЯЧИЕ", "ОБЪЕМЫ У ТУРАЛА", "КП ГОТОВО", "СМЕТА ГОТОВА",
              "УСПЕШНО РЕАЛИЗОВАНО", "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО"]
    rows = [next(i for i, line in enumerate(lines) if f" {label} " in f" {line} ") for label in labels]
    assert rows == sorted(rows) and len(set(rows)) == len(rows)
    assert "deals now" in lines[0] and "conversion" in lines[0]
    assert "1 950 000.45" in lines[rows[4]] and "83.3%" in lines[rows[0]]
    assert "█" not in out  # not a terminal: no bars
    assert lines[-1] == "win rate: 58.3% (won 7, lost 5)"


# ------------------------------------------------------------------------------------------------------
# forecast

# Open now in the plan stages (any lead date): КП ГОТОВО #13 1 500 000 + #15 350 000.50 + #19 99 999.95
# = 1 950 000.45; СМЕТА ГОТОВА #17 820 000 + #25 33 333.33 = 853 333.33.
# Won in October, Moscow time: #4 (09-30 21:30 UTC = 10-01 00:30) 89 999.99, #8 (10-15) 415 500.25,
# #11 (10-31 20:30 UTC = 23:30) 640 250.75 = 1 145 750.99; not #7 (10-31 21:10 UTC = 11-01 00:10).


def test_forecast_october_weighted(store):
    report = store.json("report", "forecast", "--month", "2026-10", "--weighted", now=FINAL_NOW)
    assert (report["month"], report["weighted"]) == ("2026-10", True)
    assert [(r["stage"], r["deals"], r["budget"], r["probability"], r["expected"]) for r in report["stages"]] == [
        ("proposal_ready", 3, "1950000.45", 0.6, "1170000.27"),  # 1 950 000.45 × 0.6 = 1 170 000.270
        ("estimate_ready", 2, "853333.33", 0.6, "512000.00"),    # 853 333.33 × 0.6 = 511 999.998
    ]
    assert report["open_plan"] == "1682000.27"  # 1 170 000.27 + 512 000.00 (= 1 682 000.268 unrounded)
    assert (report["won_deals"], report["won"]) == (3, "1145750.99")
    assert report["total"] == "2827751.26"  # 1 682 000.27 + 1 145 750.99


def test_forecast_october_unweighted(store):
    report = store.json("report", "forecast", "--month", "2026-10", now=FINAL_NOW)
    assert (report["month"], report["weighted"]) == ("2026-10", False)
    # unweighted, the rows still show the stage's probability, but expected is the budget itself
    assert [(r["stage"], r["deals"], r["budget"], r["probability"], r["expected"]) for r in report["stages"]] == [
        ("proposal_ready", 3, "1950000.45", 0.6, "1950000.45"),
        ("estimate_ready", 2, "853333.33", 0.6, "853333.33"),
    ]
    assert report["open_plan"] == "2803333.78"  # 1 950 000.45 + 853 333.33
    assert (report["won_deals"], report["won"]) == (3, "1145750.99")
    assert report["total"] == "3949084.77"  # 2 803 333.78 + 1 145 750.99


def test_forecast_won_follows_the_moscow_month(store):
    won = {m: store.json("report", "forecast", "--month", m, now=FINAL_NOW) for m in
           ("2026-08", "2026-09", "2026-11", "2026-12")}
    assert (won["2026-08"]["won_deals"], won["2026-08"]["won"]) == (1, "350000.50")   # #1
    assert (won["2026-09"]["won_deals"], won["2026-09"]["won"]) == (1, "1254000.00")  # #3; not #4 (Oct 1 MSK)
    assert (won["2026-11"]["won_deals"], won["2026-11"]["won"]) == (2, "2075000.00")  # #7 (Nov 1 00:10 MSK), #16
    assert (won["2026-12"]["won_deals"], won["2026-12"]["won"]) == (0, "0.00")
    assert won["2026-12"]["total"] == "2803333.78"  # the open plan alone


# ------------------------------------------------------------------------------------------------------
# managers
#
# Tasks per deal: the call on creation (S1), «get plan» on entering S3, «Закрыть в оплату» on entering S5/S5b,
# each for the deal's responsible. Done:
#   calls      ivan {1,4,6,8,10,11,13,18,19,21,22,25,26,27} = 14    olga {3,5,7,9,12,15,16,17,20,23,24,28} = 12
#   get plan   ivan {1,4,8,10,11,13,18,19,25,26} = 10               olga {3,7,9,15,16,17,24} = 7
#   payment    ivan {1,4,8,11} = 4                                  olga {3,7,15,16} = 4
#   total      ivan 28                                              olga 23
# Open and overdue at 11-20 09:00 UTC (due < now):
#   ivan: call #14 (due 10-05 07:15), get plan #22 (11-07 08:59), payment #13 (10-08 21:55), #19 (11-02 06:15),
#         #25 (11-15 10:10) = 5; not overdue: call #29 (due exactly now), get plan #27 (11-20 23:00)
#   olga: get plan #20 (11-01 09:00), #23 (11-07 09:00), payment #17 (10-22 06:10) = 3; not: call #30 (09:10)


def test_managers_whole_period(store):
    rows = store.json("report", "managers", now=FINAL_NOW)
    assert rows == [
        {"user": "ivan", "name": "Иван", "open_deals": 10,  # 13,14,18,19,21,22,25,26,27,29
         "won": 4, "won_sum": "1495751.49",  # 350 000.50 + 89 999.99 + 415 500.25 + 640 250.75
         "lost": 3, "win_rate": 57.1,  # 2, 6, 10; 4/7 = 57.14
         "overdue_tasks": 5, "tasks_done": 28},
        {"user": "olga", "name": "Ольга", "open_deals": 8,  # 12,15,17,20,23,24,28,30
         "won": 3, "won_sum": "3329000.00",  # 1 254 000 + 2 000 000 + 75 000
         "lost": 2, "win_rate": 60.0,  # 5, 9; 3/5
         "overdue_tasks": 3, "tasks_done": 23},
        # the engineer owns no deal; his calculation (due a day after entering S4) is open and overdue on the
        # three deals still in S4 (#18 since 10-19, #24 since 11-09, #26 since 11-16); cancelled on the others
        {"user": "tural", "name": "Турал", "open_deals": 0, "won": 0, "won_sum": "0.00", "lost": 0, "win_rate": None,
         "overdue_tasks": 3, "tasks_done": 0},
    ]


def test_managers_september(store):
    # Deals by lead date 01.09–30.09 (#6 … #12); tasks by completion time in September, Moscow time:
    #   ivan: calls #6 (08-31 21:40 UTC = 09-01 00:40), #8, #10, #11; get plan #4, #8, #10 = 7
    #   olga: calls #7, #9, #12 (09-30 20:40 UTC = 23:40); get plan #7, #9; payment #3 (09-08) = 6
    #   not in September: call #5 (08-31 20:05 UTC = 23:05), call #13 (09-30 21:55 UTC = 10-01 00:55),
    #   payment #4 (09-30 21:30 UTC = 10-01 00:30)
    # Overdue tasks are those open and overdue now, whatever the period (5 and 3, as above).
    rows = store.json("report", "managers", "--from", "01.09.2026", "--to", "2026-09-30", now=FINAL_NOW)
    assert rows == [
        {"user": "ivan", "name": "Иван", "open_deals": 0, "won": 2, "won_sum": "1055751.00",  # #8, #11
         "lost": 2, "win_rate": 50.0, "overdue_tasks": 5, "tasks_done": 7},  # lost #6, #10
        {"user": "olga", "name": "Ольга", "open_deals": 1, "won": 1, "won_sum": "2000000.00",  # open #12, won #7
         "lost": 1, "win_rate": 50.0, "overdue_tasks": 3, "tasks_done": 6},  # lost #9
        {"user": "tural", "name": "Турал", "open_deals": 0, "won": 0, "won_sum": "0.00", "lost": 0, "win_rate": None,
         "overdue_tasks": 3, "tasks_done": 0},  # as in the whole period: overdue now
    ]


# ------------------------------------------------------------------------------------------------------
# velocity
#
# Completed stays (entered, then entered the next stage or closed), from the table:
#   S1 (26): 5 min ×9 {3,5,7,11,15,16,18,21,24}, 10 min ×10 {1,6,8,12,13,17,20,23,25,27},
#            15 min ×4 {4,9,19,22}, 40 min ×2 {10,26}, 1 d ×1 {2}
#            median rank ⌈13⌉ = 13 → 10 min (ranks 13 and 14 agree); p90 rank ⌈23.4⌉ = 24 → 40 min
#   S2 (23): 1 h ×4 {7,16,24,27}, 1 d ×10 {3,6,8,10,13,15,18,22,23,25}, 2 d ×5 {1,5,11,17,26}, 3 d ×4 {4,9,19,20}
#            median rank 12 → 1 d; p90 rank ⌈20.7⌉ = 21 → 3 d
#   S3 (18): 1 d ×3 {16,24,26}, 2 d ×4 {6,9,15,25}, 3 d ×1 {17}, 5 d ×6 {1,3,8,10,13,19}, 7 d ×4 {4,7,11,18}
#            median rank 9 → 5 d (ranks 9 and 10 agree); p90 rank ⌈16.2⌉ = 17 → 7 d
#   S4 (14): 4 h ×4 {7,15,16,25}, 1 d ×6 {1,4,8,10,13,17}, 2 d ×4 {3,9,11,19}
#            median rank 7 → 1 d (ranks 7 and 8 agree); p90 rank ⌈12.6⌉ = 13 → 2 d
#   S5 (5):  #1 10 d = 864000 s; #10 14 d = 1209600 s; #4 09-04 06:15 → 09-30 21:30 = 26 d 15 h 15 min = 2301300 s;
#            #16 10-13 13:05 → 11-10 10:00 = 27 d 20 h 55 min = 2408100 s;
#            #7 09-14 12:05 → 10-31 21:10 = 47 d 9 h 5 min = 4093500 s; median rank 3, p90 rank 5
#   S5b (3): #3 14 d = 1209600 s; #11 10-09 07:05 → 10-31 20:30 = 22 d 13 h 25 min = 1949100 s;
#            #8 09-17 06:10 → 10-15 09:00 = 28 d 2 h 50 min = 2429400 s; median rank 2, p90 rank 3
# Over the limit now (11-20 09:00 UTC), strictly longer than max_stay:
#   S1 (15 min): #14 (since 10-05), #28 (2 h) = 2; not #29 (exactly 15 min), #30 (5 min)
#   S3 (14 d):   #20 (20 d), #22 (14 d 1 min) = 2; not #23 (exactly 14 d), #27 (10 h)

MIN, HOUR, DAY = 60, 3600, 86400


def test_velocity_whole_period(store):
    """M3, L7: how fast deals move on, per stage, and which sit over the stage's limit now."""
    rows = store.json("report", "velocity", now=FINAL_NOW)
    assert [(r["stage"], r["stays"], r["median_seconds"], r["p90_seconds"], r["over_limit_now"]) for r in rows] == [
        ("new_lead",       26, 10 * MIN, 40 * MIN, 2),
        ("in_work",        23, 1 * DAY,  3 * DAY,  None),
        ("hot",            18, 5 * DAY,  7 * DAY,  2),
        ("volumes",        14, 1 * DAY,  2 * DAY,  None),
        ("proposal_ready", 5,  2301300,  4093500,  None),
        ("estimate_ready", 3,  1949100,  2429400,  None),
    ]
    assert [(r["stage_label"], r["median"], r["p90"], r["limit"]) for r in rows] == [
        ("НОВЫЙ ЛИД", "10 min", "40 min", "15 min"),
        ("ОП ВЗЯЛ В РАБОТУ", "1 d", "3 d", ""),
        ("ГОРЯЧИЕ", "5 d", "7 d", "14 d"),
        ("ОБЪЕМЫ У ТУРАЛА", "1 d", "2 d", ""),
        ("КП ГОТОВО", "26 d 15 h", "47 d 9 h", ""),
        ("СМЕТА ГОТОВА", "22 d 13 h", "28 d 2 h", ""),
    ]


def test_velocity_november_counts_only_the_periods_deals(store):
    # Lead dates 01.11–30.11: #22 … #30.
    #   S1 stays: #24 5 min, #23 10 min, #25 10 min, #27 10 min, #22 15 min, #26 40 min → median rank 3 → 10 min,
    #             p90 rank ⌈5.4⌉ = 6 → 40 min
    #   S3 stays: #24 1 d, #26 1 d, #25 2 d → median rank 2 → 1 d, p90 rank 3 → 2 d
    #   over the limit now, of these deals only: S1 #28 (not #14, lead 10-05) = 1; S3 #22 (not #20, lead 10-28) = 1
    rows = {r["stage"]: r for r in store.json("report", "velocity", "--from", "2026-11-01", "--to", "2026-11-30",
                                              now=FINAL_NOW)}
    assert (rows["new_lead"]["stays"], rows["new_lead"]["median_seconds"], rows["new_lead"]["p90_seconds"]) == \
        (6, 10 * MIN, 40 * MIN)
    assert (rows["hot"]["stays"], rows["hot"]["median_seconds"], rows["hot"]["p90_seconds"]) == (3, 1 * DAY, 2 * DAY)
    assert (rows["new_lead"]["over_limit_now"], rows["hot"]["over_limit_now"]) == (1, 1)


def test_a_deal_without_a_lead_date_is_in_no_period_on_any_store(ws):
    """--to alone once counted a deal whose lead date was blanked on the JSON store only (its filter compared ""
    <= the day); the SQL stores compare with NULL, which nothing matches. A period is of lead dates: none is in it."""
    undated = ws.json("deal", "create", "--pipeline", "krovlya")["id"]
    ws.json("deal", "create", "--pipeline", "krovlya")
    ws.ok("deal", "set", undated, "Дата ЛИДА=", user="olga")

    def new_leads(*period):
        report = ws.json("report", "funnel", *period)
        return next(s["deals"] for s in report["stages"] if s["stage"] == "new_lead")

    assert new_leads() == 2
    assert new_leads("--to", "2026-12-31") == 1
    assert new_leads("--from", "2026-01-01") == 1
    a_week_on = "2026-12-07T06:00:00Z"  # both deals over «НОВЫЙ ЛИД»'s limit by then
    over = {row["stage"]: row["over_limit_now"] for row in ws.json("report", "velocity", now=a_week_on)}
    assert over["new_lead"] == 2
    over = {row["stage"]: row["over_limit_now"] for row in ws.json("report", "velocity", "--to", "2026-12-31",
                                                                   now=a_week_on)}
    assert over["new_lead"] == 1

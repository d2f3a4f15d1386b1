"""Working hours (issue 14): due times flowctl sets by itself fall inside the team's hours, rounded up to the quarter
hour. The arithmetic first (working_hours.due_after, Moscow, UTC+3 all year), then the workspace and the commands.

The week of 30 November 2026: Monday 30.11 … Friday 04.12, Saturday 05.12, Sunday 06.12, Monday 07.12."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from flowctl.working_hours import DEFAULT, WorkingHours, due_after, from_config

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


def msk(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=MSK)


def due(start: datetime, written: str, hours: WorkingHours = DEFAULT, tz=MSK) -> datetime:
    """`due_in` as the YAML writes it (15m, 2h, 1d), counted from `start`; the due time in Moscow."""
    count, unit = int(written[:-1]), written[-1]
    amount = timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: count})
    result = due_after(start, amount, unit == "d", hours, tz)
    assert result.tzinfo is timezone.utc
    return result.astimezone(tz)


# -- days are working days, at the same clock time moved into the hours --------------------------------


@pytest.mark.parametrize("start, written, expected", [
    (msk(4, 17), "1d", msk(7, 17)),             # Friday 17:00 → Monday 17:00
    (msk(4, 20, 30), "1d", msk(7, 18)),         # the Friday evening: Monday at the closing, not Saturday
    (msk(4, 8, 12), "1d", msk(7, 9)),           # before the opening: the opening
    (msk(30, 9, month=11), "1d", msk(1, 9)),    # Monday 09:00 → Tuesday 09:00 (the tests' pinned clock)
    (msk(1, 14, 40), "1d", msk(2, 14, 45)),     # Tuesday → Wednesday, rounded up
    (msk(3, 10), "2d", msk(7, 10)),             # Thursday + 2 working days → Monday
    (msk(30, 10, month=11), "5d", msk(7, 10)),  # a working week is a week
    (msk(30, 10, month=11), "14d", msk(18, 10)),  # 14 working days: Friday of the third week
])
def test_days_count_working_days(start, written, expected):
    assert due(start, written) == expected


@pytest.mark.parametrize("start, expected", [
    (msk(5, 12), msk(7, 12)),       # Saturday noon → Monday noon: the next working day
    (msk(6, 23, 50), msk(7, 18)),   # Sunday night → Monday, at the closing
    (msk(6, 3), msk(7, 9)),         # Sunday 03:00 → Monday at the opening
])
def test_weekend_start_makes_monday_the_next_working_day(start, expected):
    assert due(start, "1d") == expected


def test_one_day_exactly_at_closing_is_the_next_days_closing():
    assert due(msk(4, 18), "1d") == msk(7, 18)
    assert due(msk(3, 18), "1d") == msk(4, 18)


# -- minutes and hours are working time -----------------------------------------------------------------


@pytest.mark.parametrize("start, written, expected", [
    (msk(1, 10), "15m", msk(1, 10, 15)),          # in the hours: as on the clock
    (msk(1, 17, 55), "15m", msk(2, 9, 15)),       # 5 min today, 10 tomorrow: 09:10, rounded up to 09:15
    (msk(4, 17, 55), "15m", msk(7, 9, 15)),       # on a Friday: Monday
    (msk(4, 20, 30), "15m", msk(7, 9, 15)),       # Friday evening: from Monday's opening
    (msk(5, 11), "2h", msk(7, 11)),               # Saturday: from Monday's opening
    (msk(1, 8, 12), "15m", msk(1, 9, 15)),        # the 08:12: from the opening, 09:15
    (msk(1, 16), "3h", msk(2, 10)),               # 2 h today, 1 h tomorrow
    (msk(1, 9), "9h", msk(1, 18)),                # a whole working day fits, due at the closing
    (msk(1, 9), "10h", msk(2, 10)),
    (msk(30, 9, month=11), "45h", msk(4, 18)),    # a working week from Monday's opening: Friday's closing
    (msk(30, 9, month=11), "46h", msk(7, 10)),
    (msk(30, 9, month=11), "91h", msk(14, 10)),   # more than two working weeks at once
])
def test_minutes_and_hours_count_working_time(start, written, expected):
    assert due(start, written) == expected


def test_working_time_exactly_at_closing_stays_that_day():
    assert due(msk(1, 17, 45), "15m") == msk(1, 18)  # lands on the closing: still today
    assert due(msk(1, 18), "15m") == msk(2, 9, 15)   # starts at the closing: closed, from the next opening
    assert due(msk(4, 18), "15m") == msk(7, 9, 15)


@pytest.mark.parametrize("start, expected", [
    (msk(1, 10, 1), msk(1, 10, 30)),       # 10:16 → 10:30
    (msk(1, 10, 0, 59), msk(1, 10, 15)),   # seconds are dropped before rounding
    (msk(1, 10, 14), msk(1, 10, 30)),      # 10:29 → 10:30
    (msk(1, 10, 15), msk(1, 10, 30)),      # on a quarter: kept
    (msk(1, 17, 46), msk(2, 9, 15)),       # 09:01 → 09:15
])
def test_rounding_up_to_the_quarter_hour(start, expected):
    assert due(start, "15m") == expected


def test_zero_is_the_start_moved_into_the_hours():
    assert due(msk(1, 10, 5), "0m") == msk(1, 10, 15)
    assert due(msk(5, 10), "0m") == msk(7, 9)
    assert due(msk(5, 10), "0d") == msk(7, 9)


# -- other hours, other zones --------------------------------------------------------------------------


SIX_DAYS = from_config({"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "from": "8:30", "to": "20:00"})


def test_declared_hours_replace_the_default():
    assert SIX_DAYS == WorkingHours(frozenset(range(6)), time(8, 30), time(20))
    assert due(msk(4, 20, 30), "1d", SIX_DAYS) == msk(5, 20)        # Saturday works here
    assert due(msk(5, 19, 55), "15m", SIX_DAYS) == msk(7, 8, 45)    # then Monday 08:40, rounded
    assert due(msk(1, 7), "15m", SIX_DAYS) == msk(1, 8, 45)
    assert due(msk(1, 10), "12d", SIX_DAYS) == msk(15, 10)           # two weeks of six days


def test_keys_left_out_are_the_defaults():
    assert from_config(None) == from_config({}) == DEFAULT
    assert from_config({"to": "17:00"}) == WorkingHours(DEFAULT.days, time(9), time(17))
    assert DEFAULT.as_config() == {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}


def test_one_working_day_a_week():
    mondays = from_config({"days": ["mon"]})
    assert due(msk(30, 10, month=11), "1d", mondays) == msk(7, 10)
    assert due(msk(30, 10, month=11), "3d", mondays) == msk(21, 10)
    assert due(msk(30, 17, 50, month=11), "15m", mondays) == msk(7, 9, 15)


def test_hours_are_wall_times_across_a_dst_change():
    """Berlin moves its clocks on Sunday 29.03.2026: Friday 17:00 + 1d is Monday 17:00 on the wall (CEST)."""
    friday = datetime(2026, 3, 27, 17, 0, tzinfo=BERLIN)
    result = due(friday, "1d", tz=BERLIN)
    assert (result.date().isoformat(), result.hour, result.minute) == ("2026-03-30", 17, 0)
    assert result.utcoffset() == timedelta(hours=2)


# -- the shortcuts (whole weeks at once) agree with counting quarter hour by quarter hour -----------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

QUARTER = timedelta(minutes=15)


@st.composite
def schedules(draw) -> WorkingHours:
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    opens = draw(st.integers(0, 94))  # quarter hours since midnight
    closes = draw(st.integers(opens + 1, 95))
    return WorkingHours(frozenset(days), time(opens // 4, opens % 4 * 15), time(closes // 4, closes % 4 * 15))


def _counted(start: datetime, quarters: int, hours: WorkingHours) -> datetime:
    """The end of the `quarters`-th working quarter hour from `start` (on a quarter), stepping one at a time."""
    moment = start
    while quarters:
        if hours.is_working_day(moment.date()) and hours.opens <= moment.time() < hours.closes:
            quarters -= 1
        moment += QUARTER
    return moment


@settings(max_examples=150, deadline=None)
@given(hours=schedules(), start_quarter=st.integers(0, 7 * 96 - 1), quarters=st.integers(1, 3 * 7 * 4 * 8))
def test_working_time_agrees_with_counting_quarter_hours(hours, start_quarter, quarters):
    start = datetime(2026, 11, 30) + QUARTER * start_quarter  # a naive wall time in the week of 30.11
    expected = _counted(start, quarters, hours)
    got = due_after(start.replace(tzinfo=timezone.utc), QUARTER * quarters, False, hours, timezone.utc)
    assert got.replace(tzinfo=None) == expected


@settings(max_examples=150, deadline=None)
@given(hours=schedules(), start_day=st.integers(0, 6), count=st.integers(1, 40))
def test_working_days_agree_with_counting_days(hours, start_day, count):
    day = datetime(2026, 11, 30, 12, 0) + timedelta(days=start_day)
    expected = day.date()
    for _ in range(count):
        expected += timedelta(days=1)
        while not hours.is_working_day(expected):
            expected += timedelta(days=1)
    got = due_after(day.replace(tzinfo=timezone.utc), timedelta(days=count), True, hours, timezone.utc)
    assert got.date() == expected
    assert hours.opens <= got.time() <= hours.closes


# -- the workspace and the commands, on both local stores ---------------------------------------------------

from test_deals import QUALIFIED, call_done, new_deal  # noqa: E402

FRIDAY_2030 = "2026-12-04T17:30:00Z"  # Friday 20:30 in Moscow


def _due_of(ws, deal_id, task_type: str) -> str:
    return next(t["due"] for t in ws.json("task", "list", "--deal", deal_id) if t["type"] == task_type)


def test_on_enter_tasks_on_friday_evening_fall_due_on_monday_inside_the_hours(local_ws):
    local_ws.monkeypatch.setenv("FLOWCTL_NOW", FRIDAY_2030)
    deal_id = new_deal(local_ws)
    assert _due_of(local_ws, deal_id, "call") == "2026-12-07T06:15:00Z"  # 15m: Monday 09:15, not Friday 20:45
    call_done(local_ws, deal_id)
    local_ws.ok("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ")
    call_done(local_ws, deal_id)
    local_ws.ok("deal", "advance", deal_id, "горячие", *QUALIFIED)
    assert _due_of(local_ws, deal_id, "get_plan") == "2026-12-07T15:00:00Z"  # 1d: Monday 18:00, not Saturday 20:30
    added = [e for e in local_ws.json("deal", "history", deal_id) if e["kind"] == "task.added"]
    assert [e["data"]["due"] for e in added] == ["2026-12-07T06:15:00Z", "2026-12-07T15:00:00Z"]


def test_on_enter_tasks_in_the_hours_keep_their_clock_times(local_ws):
    deal_id = new_deal(local_ws)  # Monday 09:00, the pinned clock
    assert _due_of(local_ws, deal_id, "call") == "2026-11-30T06:15:00Z"
    local_ws.monkeypatch.setenv("FLOWCTL_NOW", "2026-11-30T14:51:00Z")  # Monday 17:51: 9 min today, 6 tomorrow
    second = local_ws.json("deal", "create", "--contact", "1")["id"]
    assert _due_of(local_ws, second, "call") == "2026-12-01T06:15:00Z"  # Tuesday 09:06 → 09:15


def test_typed_due_times_are_not_moved(local_ws):
    local_ws.monkeypatch.setenv("FLOWCTL_NOW", FRIDAY_2030)
    deal_id = new_deal(local_ws)
    saturday = local_ws.json("task", "add", deal_id, "--type", "call", "--due", "суббота 20:37")
    assert saturday["due"] == "2026-12-05T17:37:00Z"  # a person chose it
    assert local_ws.json("task", "postpone", saturday["id"], "--due", "+1h", "--reason", "просил позже")["due"] == \
        "2026-12-04T18:30:00Z"  # Friday 21:30, exactly an hour on


def _with_hours(ws, hours: str) -> None:
    config = ws.root / "flowctl.yaml"
    config.write_text(config.read_text("utf-8") + hours, "utf-8")


def test_declared_working_hours_are_published_rules(local_ws):
    """Hours other than the default are part of the rules the team works under: a private copy changes nothing."""
    _with_hours(local_ws, 'working_hours: {days: [mon, tue, wed, thu, fri, sat], from: "08:00", to: "20:00"}\n')
    refused = local_ws.run("deal", "list")
    assert refused.exit_code == 3 and "the working hours changed" in refused.stderr
    local_ws.republish()
    local_ws.monkeypatch.setenv("FLOWCTL_NOW", FRIDAY_2030)
    assert _due_of(local_ws, new_deal(local_ws), "call") == "2026-12-05T05:15:00Z"  # Saturday 08:15


def test_the_default_hours_written_out_change_no_published_rule(local_ws):
    _with_hours(local_ws, 'working_hours:\n  days: [mon, tue, wed, thu, fri]\n  from: "09:00"\n  to: "18:00"\n')
    assert local_ws.run("deal", "list").exit_code == 0  # the same rules as without the key


def test_a_store_published_with_hours_restores(local_ws, tmp_path):
    _with_hours(local_ws, 'working_hours: {to: "17:00"}\n')
    local_ws.republish()
    new_deal(local_ws)
    dump = tmp_path / "all.json"
    local_ws.ok("export", "all", "--format", "json", "-o", dump)
    restored = local_ws.run("--store", local_ws.root / "new.db", "import", "all", dump, user="olga")
    assert restored.exit_code == 0, restored.stderr
    again = json.loads(local_ws.ok("--store", local_ws.root / "new.db", "export", "all", "--format", "json").stdout)
    assert again == json.loads(dump.read_text("utf-8"))  # the deal and the published hours, as they were


@pytest.mark.parametrize("hours, message", [
    ("working_hours: {to: 18:00}\n",
     "1080 is not a time: write it in quotes, like \"18:00\" (YAML reads an unquoted 18:00 as the number 1080)"),
    ('working_hours: {from: "9:10"}\n',
     "'9:10' is not a time on a quarter hour: write \"HH:MM\" with the minutes 00, 15, 30 or 45, like \"09:00\" or "
     "\"17:45\""),
    ('working_hours: {from: "19:00"}\n',
     "working_hours: the day ends at 18:00, which is not after it starts (19:00); hours span one day"),
    ('working_hours: {days: []}\n', "[] must hold at least 1 item(s)"),
    ('working_hours: {days: [mon, mon]}\n', "['mon', 'mon'] lists an item twice"),
    ('working_hours: {days: [monday]}\n', "'monday' is not one of: mon, tue, wed, thu, fri, sat, sun"),
])
def test_working_hours_that_cannot_be_are_config_errors_with_their_line(local_ws, hours, message):
    _with_hours(local_ws, hours)
    refused = local_ws.run("deal", "list")
    assert refused.exit_code == 3
    assert f"flowctl.yaml:{len((local_ws.root / 'flowctl.yaml').read_text('utf-8').splitlines())}:" in refused.stderr
    assert message in refused.stderr


def test_init_writes_the_default_working_hours(tmp_path, monkeypatch, cli):
    from flowctl.workspace import load

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    assert cli("init", tmp_path / "new", "--user", "ivan").exit_code == 0
    written = (tmp_path / "new" / "flowctl.yaml").read_text("utf-8")
    assert 'working_hours:' in written and "  days: [mon, tue, wed, thu, fri]\n" in written
    assert '  from: "09:00"' in written and '  to: "18:00"\n' in written
    assert load(tmp_path / "new" / "flowctl.yaml").working_hours == DEFAULT


def test_the_schema_and_its_copy_describe_every_working_hours_key():
    import json

    from conftest import ROOT

    shipped = (ROOT / "flowctl" / "schemas" / "workspace.schema.json").read_text("utf-8")
    assert (ROOT / "schemas" / "workspace.schema.json").read_text("utf-8") == shipped
    hours = json.loads(shipped)["properties"]["working_hours"]
    assert hours["description"] and all(key["description"] for key in hours["properties"].values())

"""Tasks and the manager's day, with a pinned clock: T1–T3, L1–L4, W1–W4, E1–E4, the hygiene check, the demo."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT
from test_deals import ALMAZ, QUALIFIED, TECH, call_done, new_deal, walk_to

from flowctl.queries.agenda import estimate

MON_0900 = "2026-11-30T06:00:00Z"  # Monday 09:00 in Moscow: the pinned "now"


def open_tasks(ws, deal_id):
    return ws.json("task", "list", "--deal", deal_id)


# -- T: tasks ---------------------------------------------------------------------------------

def test_t1_task_types_come_from_the_pipeline(ws):
    deal_id = new_deal(ws)
    task = ws.json("task", "add", deal_id, "--type", "получить проект/план кровли", "--due", "tomorrow 15:00")
    assert task["type"] == "get_plan" and task["responsible"] == "ivan"  # the deal's responsible by default
    unknown = ws.run("task", "add", deal_id, "--type", "get_plna", "--due", "+2h")
    assert unknown.exit_code == 2 and "did you mean 'get_plan'" in unknown.stderr


@pytest.mark.parametrize("when, due_utc", [
    ("today 15:00", "2026-11-30T12:00:00Z"), ("tomorrow 10:00", "2026-12-01T07:00:00Z"),
    ("+2d", "2026-12-02T06:00:00Z"), ("+3h", "2026-11-30T09:00:00Z"), ("пятница", "2026-12-04T07:00:00Z"),
    ("2026-12-10 09:30", "2026-12-10T06:30:00Z"),
])
def test_t2_task_has_a_day_and_time_in_the_workspace_zone(ws, when, due_utc):
    deal_id = new_deal(ws)
    assert ws.json("task", "add", deal_id, "--type", "call", "--due", when)["due"] == due_utc


def test_t2_task_in_the_past_refused_unless_asked(ws):
    deal_id = new_deal(ws)
    before = ws.snapshot()
    refused = ws.run("task", "add", deal_id, "--type", "call", "--due", "today 08:00")
    assert refused.exit_code == 2 and "--past" in refused.stderr
    assert ws.snapshot() == before
    assert ws.json("task", "add", deal_id, "--type", "call", "--due", "today 08:00", "--past")["overdue"] is True


def test_t2_task_for_another_user(ws):
    deal_id = new_deal(ws)
    assert ws.json("task", "add", deal_id, "--type", "call", "--due", "+1h", "--to", "olga")["responsible"] == "olga"
    assert ws.run("task", "add", deal_id, "--type", "call", "--due", "+1h", "--to", "nobody").exit_code == 4


def test_t3_the_task_is_completed_then_the_deal_moves_on(ws):
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "горячие")
    refused = ws.run("deal", "advance", deal_id, "ОБЪЕМЫ У ТУРАЛА", *TECH)
    assert refused.exit_code == 1 and "open tasks completed first (1 open)" in refused.stderr
    call_done(ws, deal_id)
    assert ws.json("deal", "advance", deal_id, "ОБЪЕМЫ У ТУРАЛА", *TECH)["stage"] == "volumes"


# -- L: laws ----------------------------------------------------------------------------------

def test_l1_overdue_task_marked_in_agenda_and_found_by_check(ws):
    deal_id = new_deal(ws)
    later = "2026-11-30T08:00:00Z"  # 11:00: the lead's 15-minute call is long overdue
    rows = ws.json("agenda", now=later)["tasks"]
    assert [(r["deal_id"], r["overdue"]) for r in rows] == [(deal_id, True)]
    assert "OVERDUE" in ws.ok("agenda", now=later).stdout
    overdue = [f for f in ws.json("check", now=later) if f["rule"] == "overdue"]
    assert overdue and overdue[0]["deal_id"] == deal_id and overdue[0]["for"] == "1 h 45 min"
    assert ws.json("task", "list", "--overdue", now=later)[0]["deal_id"] == deal_id


@pytest.mark.parametrize("result", [None, "", "   ", "\t", "ok"])
def test_l3_task_needs_result(ws, result):
    deal_id = new_deal(ws)
    task_id = open_tasks(ws, deal_id)[0]["id"]
    before = ws.snapshot()
    args = ["task", "done", task_id, "--contact", "call"] + ([] if result is None else ["--result", result])
    refused = ws.run(*args)
    assert refused.exit_code == 1 and "(L3)" in refused.stderr
    assert ws.snapshot() == before


@pytest.mark.parametrize("contact", [None, "", "  "])
def test_l2_task_needs_contact_with_client(ws, contact):
    deal_id = new_deal(ws)
    task_id = open_tasks(ws, deal_id)[0]["id"]
    before = ws.snapshot()
    args = ["task", "done", task_id, "--result", "Поговорили"] + ([] if contact is None else ["--contact", contact])
    refused = ws.run(*args)
    assert refused.exit_code == 1 and "(L2)" in refused.stderr
    assert ws.snapshot() == before


def test_l2_contact_kind_must_be_one_the_yaml_lists(ws):
    deal_id = new_deal(ws)
    task_id = open_tasks(ws, deal_id)[0]["id"]
    assert ws.run("task", "done", task_id, "--result", "Поговорили", "--contact", "telepathy").exit_code == 2
    assert ws.json("task", "done", task_id, "--result", "Поговорили", "--contact", "Встреча")["contact_kind"] == \
        "meeting"


def test_l2_l3_result_and_contact_stored_and_in_history(ws):
    deal_id = new_deal(ws)
    task_id = open_tasks(ws, deal_id)[0]["id"]
    done = ws.json("task", "done", task_id, "--result", "  Дозвонился, ждёт КП  ", "--contact", "call")
    assert (done["status"], done["result"], done["contact_kind"]) == ("done", "Дозвонился, ждёт КП", "call")
    events = [e for e in ws.json("deal", "history", deal_id) if e["kind"] == "task.done"]
    assert events[0]["data"] == {"type": "call", "result": "Дозвонился, ждёт КП", "contact": "call"}
    assert events[0]["actor"] == "ivan"
    again = ws.run("task", "done", task_id, "--result", "ещё раз", "--contact", "call")
    assert again.exit_code == 1 and "is done, not open" in again.stderr


@pytest.mark.parametrize("count, text", [(0, "0 tasks × 3 min = 0 h 0 min"), (1, "1 task × 3 min = 0 h 3 min"),
                                         (45, "45 tasks × 3 min = 2 h 15 min"), (61, "61 tasks × 3 min = 3 h 3 min")])
def test_l4_time_estimate(count, text):
    assert estimate([3] * count, 3) == text


def test_l4_agenda_footer_counts_the_days_tasks(ws):
    ws.ok("contact", "add", *ALMAZ)
    for _ in range(45):
        ws.ok("deal", "create")
    result = ws.json("agenda")
    assert result["count"] == 45 and result["minutes"] == 135
    assert ws.ok("agenda").stdout.rstrip().endswith("45 tasks × 3 min = 2 h 15 min")


# -- W: the work order ------------------------------------------------------------------------

def _deal_in(ws, stage: str, budget: str | None = None) -> int:
    deal_id = new_deal(ws) if not ws.json("contact", "list") else ws.json("deal", "create", "--contact", "1")["id"]
    steps = {"new_lead": [], "in_work": ["ОП ВЗЯЛ В РАБОТУ"], "hot": ["ОП ВЗЯЛ В РАБОТУ", "горячие"],
             "volumes": ["ОП ВЗЯЛ В РАБОТУ", "горячие", "ОБЪЕМЫ У ТУРАЛА"],
             "proposal_ready": ["ОП ВЗЯЛ В РАБОТУ", "горячие", "ОБЪЕМЫ У ТУРАЛА", "КП ГОТОВО"],
             "estimate_ready": ["ОП ВЗЯЛ В РАБОТУ", "горячие", "ОБЪЕМЫ У ТУРАЛА", "СМЕТА ГОТОВА"]}[stage]
    fields = {"горячие": QUALIFIED, "ОБЪЕМЫ У ТУРАЛА": TECH, "КП ГОТОВО": ["-F", f"budget={budget}"],
              "СМЕТА ГОТОВА": ["-F", f"budget={budget}"]}
    for step in steps:
        call_done(ws, deal_id)
        user = "tural" if step in ("КП ГОТОВО", "СМЕТА ГОТОВА") else "ivan"
        ws.ok("deal", "advance", deal_id, step, *fields.get(step, []), user=user)
    if not [t for t in open_tasks(ws, deal_id) if t["responsible"] == "ivan"]:  # S4's task is the engineer's
        ws.ok("task", "add", deal_id, "--type", "call", "--due", "today 18:00")
    return deal_id


def test_w1_w2_w3_w4_agenda_follows_the_work_order(ws):
    """New leads first (W4), then S5/S5b biggest budget first (W1, L5), then S3 (W2), then S2 (W3), then the rest."""
    in_work = _deal_in(ws, "in_work")
    hot = _deal_in(ws, "hot")
    small_kp = _deal_in(ws, "proposal_ready", "120 000")
    volumes = _deal_in(ws, "volumes")
    big_estimate = _deal_in(ws, "estimate_ready", "2 500 000")
    mid_kp = _deal_in(ws, "proposal_ready", "900 000")
    lead = _deal_in(ws, "new_lead")
    tomorrow_evening = "2026-12-01T15:00:00Z"  # every task above is due by then
    order = [r["deal_id"] for r in ws.json("agenda", now=tomorrow_evening)["tasks"]]
    assert order == [lead, big_estimate, mid_kp, small_kp, hot, in_work, volumes]


def test_w4_new_lead_has_its_call_at_once(ws, krovlya):
    deal_id = new_deal(ws)
    [task] = open_tasks(ws, deal_id)
    assert task["type"] == "call" and task["due"] == "2026-11-30T06:15:00Z"  # due in the YAML's 15 minutes


def test_agenda_of_another_user_and_day(ws):
    deal_id = new_deal(ws)
    ws.ok("task", "add", deal_id, "--type", "call", "--due", "2026-12-03 12:00", "--to", "olga")
    assert ws.json("agenda", "--user", "olga")["count"] == 0
    assert ws.json("agenda", "--user", "olga", "--date", "2026-12-03")["count"] == 1
    csv_lines = ws.ok("agenda", "--user", "olga", "--date", "2026-12-03", "--format", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("#,overdue,due,stage,deal,contact,budget,task") and len(csv_lines) == 2


# -- E: the worked example, and on-enter tasks ----------------------------------------------

def test_e1_contact_named_by_client_type(ws):
    assert ws.json("contact", "add", *ALMAZ)["display_name"] == "Алмаз Строитель"


def test_e2_entering_s3_creates_the_plan_task_once(ws):
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "горячие")
    tasks = open_tasks(ws, deal_id)
    assert [(t["type"], t["stage"], t["due"]) for t in tasks] == [("get_plan", "hot", "2026-12-01T06:00:00Z")]


def test_e3_e4_engineer_moves_to_s5_and_close_payment_task_is_the_managers(ws):
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "КП ГОТОВО")
    [task] = open_tasks(ws, deal_id)
    assert task["type"] == "close_payment" and task["responsible"] == "ivan" and task["created_by"] == "tural"
    assert task["text"] == "Закрыть в оплату"


def test_on_enter_tasks_cancelled_on_leaving_and_created_again_on_reentry(ws):
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "горячие")
    ws.ok("deal", "advance", deal_id, "lost", "-F", "lost_reason=no_contact")
    assert open_tasks(ws, deal_id) == []  # a closed deal keeps no open task
    cancelled = [e for e in ws.json("deal", "history", deal_id) if e["kind"] == "task.cancelled"]
    assert [e["data"]["type"] for e in cancelled] == ["get_plan"]
    ws.ok("deal", "advance", deal_id, "in_work", user="olga")  # reopened by the head of sales
    ws.ok("task", "add", deal_id, "--type", "call", "--due", "+1h")
    call_done(ws, deal_id)
    ws.ok("deal", "advance", deal_id, "горячие")
    types = [t["type"] for t in ws.json("task", "list", "--deal", deal_id, "--all")]
    assert types.count("get_plan") == 2  # once per entry
    assert [t["type"] for t in open_tasks(ws, deal_id)] == ["get_plan"]


def test_leaving_a_stage_keeps_tasks_set_by_hand(ws):
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "ОП ВЗЯЛ В РАБОТУ")
    ws.ok("task", "add", deal_id, "--type", "call", "--due", "+1d", "--text", "перезвонить про сроки")
    ws.ok("deal", "advance", deal_id, "горячие", *QUALIFIED)
    assert sorted(t["type"] for t in open_tasks(ws, deal_id)) == ["call", "get_plan"]


def test_postpone_keeps_the_reason_in_history(ws):
    deal_id = new_deal(ws)
    task_id = open_tasks(ws, deal_id)[0]["id"]
    assert ws.run("task", "postpone", task_id, "--due", "tomorrow 11:00").exit_code == 1
    moved = ws.json("task", "postpone", task_id, "--due", "tomorrow 11:00", "--reason", "клиент в отъезде")
    assert moved["due"] == "2026-12-01T08:00:00Z"
    event = [e for e in ws.json("deal", "history", deal_id) if e["kind"] == "task.postponed"][0]
    assert event["data"]["reason"] == "клиент в отъезде" and event["data"]["old"] == "2026-11-30T06:15:00Z"


def test_f11_contact_card_lists_every_task(ws):
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "горячие")
    card = ws.json("contact", "show", "1")
    assert [t["type"] for t in card["deals"][0]["tasks"]] == ["call", "get_plan"]
    assert "Получить проект/план кровли" in ws.ok("contact", "show", "1").stdout


# -- the hygiene check ------------------------------------------------------------------------

def test_check_finds_every_kind_of_problem(ws):
    """L8 information hygiene: no-task (T1), overdue (L1), too long in S1 (W4) and S3 (Q2; M3, L7: deals must
    move on), and a field the current stage requires."""
    no_task = new_deal(ws)
    call_done(ws, no_task)
    ws.ok("deal", "advance", no_task, "ОП ВЗЯЛ В РАБОТУ")  # S2 with no next task
    stuck_lead = ws.json("deal", "create", "--contact", "1")["id"]  # W4: still in S1 later on
    hot = ws.json("deal", "create", "--contact", "1")["id"]
    walk_to(ws, hot, "горячие")
    ws.ok("task", "postpone", open_tasks(ws, hot)[0]["id"], "--due", "+20d", "--reason", "ждём план")
    # ops make budget required in S3 after the deals exist: open deals now lack it
    pipeline = ws.root / "pipelines" / "krovlya.yaml"
    pipeline.write_text(pipeline.read_text("utf-8").replace("      - buys_when\n", "      - buys_when\n      - budget\n", 1),
                        "utf-8")
    ws.republish()  # a newly required field strands no value: it may be published, and check finds the gaps
    three_weeks = "2026-12-21T06:00:00Z"
    findings = ws.json("check", now=three_weeks)
    kinds = {(f["rule"], f["deal_id"]) for f in findings}
    assert ("no-task", no_task) in kinds
    assert ("overdue", stuck_lead) in kinds  # L1
    assert ("stage-limit", stuck_lead) in kinds  # W4: longer than 15 min in S1
    assert ("stage-limit", hot) in kinds  # Q2: longer than 14 d in S3
    assert ("missing-field", hot) in kinds
    limit = [f for f in findings if f == {**f, "rule": "stage-limit", "deal_id": hot}][0]
    assert limit["for"] == "21 d" and limit["responsible"] == "ivan"
    assert ws.run("check", "--strict", now=three_weeks).exit_code == 1
    assert ws.run("check", now=three_weeks).exit_code == 0
    assert ws.json("check", "--user", "olga", now=three_weeks) == []


def test_check_is_clean_on_a_well_kept_store(ws):
    new_deal(ws)
    assert ws.json("check") == []
    assert ws.run("check", "--strict").exit_code == 0


def test_demo_plays_the_worked_example(tmp_path):
    result = subprocess.run([sys.executable, "-m", "flowctl", "demo"], capture_output=True, text=True, cwd=tmp_path,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                              "FLOWCTL_STORE": str(tmp_path / "mine.db"), "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "created contact #1 Алмаз Строитель" in out  # E1
    assert "Получить проект/план кровли" in out  # E2
    assert "(L3)" in out and "(L2)" in out  # E3 refusals
    assert "only Инженер may move a deal from «ОБЪЕМЫ У ТУРАЛА» to «КП ГОТОВО»" in out  # M1
    assert "deal #1 → «КП ГОТОВО»" in out and "Закрыть в оплату" in out  # E4
    assert "2 tasks × 3 min = 0 h 6 min" in out  # L4
    assert not (tmp_path / "mine.db").exists()  # the user's own store is untouched
    assert list(tmp_path.iterdir()) == [] or all(p.name == ".cache" for p in tmp_path.iterdir())


@pytest.mark.parametrize("real_now", ["2026-12-05T09:00:00Z", "2027-03-03T21:30:00Z"])
def test_the_demo_tells_the_same_story_whatever_the_clock_says(cli, tmp_path, monkeypatch, real_now):
    """The demo is a scenario with a clock of its own (Monday 30.11.2026, 10:00): the user's clock, a Saturday or
    another year, changes nothing it shows, so «tomorrow» holds the same 2 tasks every time it is played."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWCTL_NOW", raising=False)
    first = cli("demo")
    monkeypatch.setenv("FLOWCTL_NOW", real_now)
    again = cli("demo")
    assert first.exit_code == again.exit_code == 0
    assert again.stdout == first.stdout
    assert "2 tasks × 3 min = 0 h 6 min" in again.stdout and "2026-12-01 11:00" in again.stdout


def test_l3_invisible_characters_are_not_a_result(ws):
    deal_id = new_deal(ws)
    task_id = open_tasks(ws, deal_id)[0]["id"]
    refused = ws.run("task", "done", task_id, "--result", "\u200b\u200b\u200b\u200b", "--contact", "call")
    assert refused.exit_code == 1 and "(L3)" in refused.stderr


def test_task_texts_refuse_terminal_control_characters(ws):
    deal_id = new_deal(ws)
    before = ws.snapshot()
    refused = ws.run("task", "add", deal_id, "--type", "call", "--due", "+1h", "--text", "\x1b]0;pwned\x07")
    assert refused.exit_code == 2 and "control characters" in refused.stderr
    assert ws.snapshot() == before

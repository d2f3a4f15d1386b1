"""The working day around the rules (issue 14): fixing tasks, handing work over, corrections, the engineer's queue.

Who may cancel, hand over and correct is the shipped pipeline's reading of a regulation that is silent on it:
`tasks.cancel`/`tasks.reassign` = the task's own member and the head; `ownership.reassign` = the head;
`ownership.colleagues` = the engineer (M1) and the head; corrections back to S4, S3 and S2 with a comment.
"""

from __future__ import annotations

import json

import pytest
from conftest import KROVLYA
from test_deals import QUALIFIED, TECH, call_done, new_deal, walk_to

PETR = "  - {login: petr, name: Пётр, roles: [manager]}"


@pytest.fixture
def team(local_ws):
    """The test team and a second manager, petr, published."""
    return local_ws.join(PETR)


@pytest.fixture
def any_team(ws):
    """The same on every store, PostgreSQL included, for the paths whose writes the database sees."""
    return ws.join(PETR)


def tasks_of(ws, deal_id, **filters):
    return [t for t in ws.json("task", "list", "--deal", deal_id, "--all", user="olga")
            if all(t[k] == v for k, v in filters.items())]


def events(ws, deal_id, kind):
    return [e for e in ws.json("deal", "history", deal_id, user="olga") if e["kind"] == kind]


def hot_deal(ws) -> int:
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "горячие")
    return deal_id


# -- tasks can be fixed -------------------------------------------------------------------------

def test_t3_a_duplicate_task_cancelled_with_a_reason_no_longer_blocks_the_move(any_team):
    team = any_team
    deal_id = hot_deal(team)
    duplicate = team.json("task", "add", deal_id, "--type", "call", "--due", "+1h")["id"]
    call_done_except = [t for t in tasks_of(team, deal_id, status="open") if t["id"] != duplicate]
    for task in call_done_except:
        team.ok("task", "done", task["id"], "--result", "План получен", "--contact", "call")
    blocked = team.run("deal", "advance", deal_id, "ОБЪЕМЫ У ТУРАЛА", *TECH)
    assert blocked.exit_code == 1 and "(1 open)" in blocked.stderr
    cancelled = team.json("task", "cancel", duplicate, "--reason", "Задача задвоилась")
    assert cancelled["status"] == "cancelled"
    assert team.json("deal", "advance", deal_id, "ОБЪЕМЫ У ТУРАЛА", *TECH)["stage"] == "volumes"
    [event] = [e for e in events(team, deal_id, "task.cancelled") if e["task_id"] == duplicate]
    assert (event["actor"], event["data"]["reason"]) == ("ivan", "Задача задвоилась")
    shown = team.ok("deal", "history", deal_id, user="olga").stdout
    assert f"task #{duplicate} cancelled: Задача задвоилась" in shown


def test_cancelling_a_task_needs_a_reason_and_a_refusal_writes_nothing(team):
    deal_id = new_deal(team)
    [task] = tasks_of(team, deal_id)
    before = team.snapshot()
    for reason in (None, "   "):
        refused = team.run("task", "cancel", task["id"], *(["--reason", reason] if reason else []))
        assert refused.exit_code == 1 and "--reason" in refused.stderr
    assert team.snapshot() == before


@pytest.mark.parametrize("user, allowed", [("ivan", True), ("olga", True), ("petr", False), ("tural", False)])
def test_who_may_cancel_a_task_is_the_pipelines_own_member_and_head(team, user, allowed):
    """tasks.cancel: [responsible, head]: ivan's own task, the head; not a colleague, not the engineer."""
    deal_id = new_deal(team)
    [task] = tasks_of(team, deal_id)
    before = team.snapshot()
    result = team.run("task", "cancel", task["id"], "--reason", "Ошибка", user=user)
    if allowed:
        assert result.exit_code == 0, result.stderr
        assert tasks_of(team, deal_id)[0]["status"] == "cancelled"
    else:
        assert result.exit_code == 5, result.stderr
        assert team.snapshot() == before


def test_a_task_is_handed_to_a_teammate_by_name_and_lands_in_their_agenda(team):
    deal_id = new_deal(team)
    [task] = tasks_of(team, deal_id)
    moved = team.json("task", "reassign", task["id"], "--to", "пётр", "--reason", "Иван в отпуске")
    assert moved["responsible"] == "petr"
    assert [t["task_id"] for t in team.json("agenda", user="petr")["tasks"]] == [task["id"]]
    assert team.json("agenda", user="ivan")["tasks"] == []
    [event] = events(team, deal_id, "task.reassigned")
    assert event["data"] == {"type": "call", "old": "ivan", "new": "petr", "reason": "Иван в отпуске"}
    assert f"task #{task['id']} handed over Иван → Пётр" in team.ok("deal", "history", deal_id).stdout
    again = team.run("task", "reassign", task["id"], "--to", "petr", user="olga")
    assert again.exit_code == 2 and "already Пётр's" in again.stderr


def test_task_add_takes_a_teammate_by_name(team):
    deal_id = new_deal(team)
    added = team.json("task", "add", deal_id, "--type", "calculate", "--due", "+1d", "--to", "Турал")
    assert added["responsible"] == "tural"


def test_who_may_hand_over_a_task_is_its_own_member_and_the_head(team):
    """tasks.reassign: [responsible, head]: the engineer may work ivan's deal, not give away ivan's task; a
    colleague manager may not even reach it."""
    deal_id = new_deal(team)
    [task] = tasks_of(team, deal_id)
    before = team.snapshot()
    refused = team.run("task", "reassign", task["id"], "--to", "petr", user="tural")
    assert refused.exit_code == 5
    assert refused.stderr == (f"flowctl: task #{task['id']} is Иван's: only the member it is for, Руководитель ОП"
                              " may hand it to someone else\n")
    assert team.run("task", "reassign", task["id"], "--to", "petr", user="petr").exit_code == 5
    assert team.snapshot() == before
    assert team.json("task", "reassign", task["id"], "--to", "petr", user="olga")["responsible"] == "petr"


# -- hand-overs (F1) ----------------------------------------------------------------------------

def test_f1_a_deal_handed_over_takes_its_open_tasks_and_leaves_the_engineers(any_team):
    team = any_team
    deal_id = new_deal(team)
    walk_to(team, deal_id, "ОБЪЕМЫ У ТУРАЛА")
    team.ok("task", "add", deal_id, "--type", "present_offer", "--due", "+2d")
    assert {t["responsible"] for t in tasks_of(team, deal_id, status="open")} == {"ivan", "tural"}
    team.ok("deal", "set", deal_id, "Ответственный=Пётр", user="olga")
    open_now = tasks_of(team, deal_id, status="open")
    assert sorted((t["type"], t["responsible"]) for t in open_now) == [("calculate", "tural"),
                                                                       ("present_offer", "petr")]
    followed = events(team, deal_id, "task.reassigned")
    assert [(e["actor"], e["data"]["old"], e["data"]["new"], e["data"]["with_deal"]) for e in followed] == \
        [("olga", "ivan", "petr", True)]
    assert team.json("agenda", user="petr", now="2026-12-03T06:00:00Z")["count"] == 1


def test_f1_a_manager_may_not_hand_a_deal_to_someone_else(team):
    deal_id = new_deal(team)
    before = team.snapshot()
    refused = team.run("deal", "set", deal_id, "Ответственный=petr")
    assert refused.exit_code == 5 and "only Руководитель ОП may hand a deal" in refused.stderr
    assert team.snapshot() == before


@pytest.mark.parametrize("command", [["deal", "set", "{deal}", "site=Мурино"],
                                     ["deal", "advance", "{deal}", "ОП ВЗЯЛ В РАБОТУ"],
                                     ["task", "add", "{deal}", "--type", "call", "--due", "+1h"],
                                     ["task", "done", "{task}", "--result", "Поговорили", "--contact", "call"]])
def test_f1_a_manager_works_his_own_deals_not_a_colleagues(team, command):
    deal_id = new_deal(team)
    [task] = tasks_of(team, deal_id)
    argv = [a.format(deal=deal_id, task=task["id"]) for a in command]
    before = team.snapshot()
    refused = team.run(*argv, user="petr")
    assert refused.exit_code == 5 and f"deal #{deal_id} is Иван's" in refused.stderr
    assert team.snapshot() == before
    assert team.run(*argv, user="olga").exit_code in (0, 1)  # the head may (a move may still need its contact)


def test_m1_the_engineer_prices_and_moves_a_colleagues_deal(team):
    deal_id = new_deal(team)
    walk_to(team, deal_id, "КП ГОТОВО")  # tural sets the budget on ivan's deal on the way
    assert team.json("deal", "show", deal_id)["stage"] == "proposal_ready"


def test_tasks_stay_when_the_pipeline_says_tasks_follow_false(team):
    path = team.root / "pipelines" / "krovlya.yaml"
    path.write_text(path.read_text("utf-8").replace("tasks_follow: true", "tasks_follow: false"), "utf-8")
    team.republish()
    deal_id = new_deal(team)
    team.ok("deal", "set", deal_id, "Ответственный=petr", user="olga")
    assert [t["responsible"] for t in tasks_of(team, deal_id, status="open")] == ["ivan"]
    assert events(team, deal_id, "task.reassigned") == []


# -- corrections --------------------------------------------------------------------------------

def test_a_correction_back_to_the_engineer_needs_a_comment_and_is_not_a_loss(any_team):
    team = any_team
    deal_id = new_deal(team)
    walk_to(team, deal_id, "КП ГОТОВО")
    before = team.snapshot()
    silent = team.run("deal", "advance", deal_id, "ОБЪЕМЫ У ТУРАЛА")
    assert silent.exit_code == 1 and "is a correction" in silent.stderr and "--comment" in silent.stderr
    assert team.snapshot() == before
    moved = team.json("deal", "advance", deal_id, "ОБЪЕМЫ У ТУРАЛА", "--comment", "Клиент сменил кровлю на мягкую")
    assert moved["stage"] == "volumes"
    stage_event = events(team, deal_id, "deal.stage")[-1]
    assert stage_event["data"] == {"from": "proposal_ready", "to": "volumes", "correction": True,
                                   "comment": "Клиент сменил кровлю на мягкую"}
    assert "«КП ГОТОВО» → «ОБЪЕМЫ У ТУРАЛА», a correction: Клиент сменил кровлю на мягкую" in \
        team.ok("deal", "history", deal_id).stdout
    assert [t["responsible"] for t in tasks_of(team, deal_id, status="open", type="calculate")] == ["tural"]
    funnel = team.json("report", "funnel", user="olga")
    rows = {r["stage"]: r for r in funnel["stages"]}
    assert (funnel["lost"], funnel["corrections"]) == (0, 1)
    assert (rows["proposal_ready"]["sent_back"], rows["volumes"]["sent_back"]) == (1, 0)
    assert rows["volumes"]["entered"] == 1  # entering again is not a second deal
    assert "corrections: 1" in team.ok("report", "funnel", user="olga").stdout


def test_a_correction_from_hot_back_to_in_work_is_the_managers_not_the_engineers(team):
    deal_id = hot_deal(team)
    refused = team.run("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ", "-m", "Рано", user="tural")
    assert refused.exit_code == 5
    moved = team.json("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ", "-m", "Клиент не готов решать")
    assert moved["stage"] == "in_work"
    call_done(team, deal_id)
    assert team.json("deal", "advance", deal_id, "горячие", *QUALIFIED)["stage"] == "hot"


def test_an_ordinary_move_keeps_an_optional_comment(team):
    deal_id = new_deal(team)
    call_done(team, deal_id)
    team.ok("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ", "--comment", "Дозвонились с первого раза")
    assert events(team, deal_id, "deal.stage")[-1]["data"] == {"from": "new_lead", "to": "in_work",
                                                               "comment": "Дозвонились с первого раза"}


# -- the engineer's queue -----------------------------------------------------------------------

def test_m1_entering_volumes_puts_the_calculation_in_the_engineers_agenda(team):
    deal_id = new_deal(team)
    walk_to(team, deal_id, "ОБЪЕМЫ У ТУРАЛА")
    [calc] = tasks_of(team, deal_id, status="open")
    assert (calc["type"], calc["responsible"]) == ("calculate", "tural")
    agenda = team.json("agenda", user="tural", now="2026-12-01T15:00:00Z")
    assert [t["task_id"] for t in agenda["tasks"]] == [calc["id"]]


def test_a_roles_task_goes_to_the_member_holding_it_with_the_fewest_open_tasks(local_ws):
    local_ws.join("  - {login: aziz, name: Азиз, roles: [engineer]}")
    first, second = new_deal(local_ws), local_ws.json("deal", "create", "--contact", "1")["id"]
    walk_to(local_ws, first, "ОБЪЕМЫ У ТУРАЛА")
    walk_to(local_ws, second, "ОБЪЕМЫ У ТУРАЛА")
    owners = [tasks_of(local_ws, d, status="open", type="calculate")[0]["responsible"] for d in (first, second)]
    assert owners == ["aziz", "tural"]  # both free: the first by login; then the one without a task


def test_the_lint_names_an_unknown_role_in_ownership_tasks_and_on_enter(local_ws):
    text = KROVLYA.read_text("utf-8").replace("for: engineer", "for: engineeer").replace(
        "cancel: [responsible, head]", "cancel: [responsible, boss]").replace("reassign: [head]", "reassign: [hed]")
    path = local_ws.root / "pipelines" / "krovlya.yaml"
    path.write_text(text, "utf-8")
    result = local_ws.run("validate", str(path), "--format", "json")
    problems = json.loads(result.stdout)["problems"]
    assert result.exit_code == 1
    assert sorted((p["rule"], p["message"].split("'")[1]) for p in problems) == [
        ("unknown-role", "boss"), ("unknown-role", "engineeer"), ("unknown-role", "hed")]


# -- several products (P1) ----------------------------------------------------------------------

def add_fasad(ws, default: str | None = None, publish: bool = True) -> None:
    """A second product, «Фасад», whose file sorts before «Кровля»; optionally flowctl.yaml's default_pipeline."""
    text = KROVLYA.read_text("utf-8").replace("id: krovlya", "id: fasad", 1).replace("name: Кровля", "name: Фасад", 1)
    (ws.root / "pipelines" / "fasad.yaml").write_text(text, "utf-8")
    if default:
        config = ws.root / "flowctl.yaml"
        config.write_text(config.read_text("utf-8") + f"default_pipeline: {default}\n", "utf-8")
    if publish:
        ws.republish()


def test_p1_a_new_deal_lands_in_the_declared_default_not_the_first_file(local_ws):
    add_fasad(local_ws, default="Кровля")
    assert local_ws.json("deal", "create")["pipeline"] == "krovlya"
    assert local_ws.json("deal", "create", "--pipeline", "Фасад")["pipeline"] == "fasad"
    assert local_ws.json("deal", "create", "-p", "КРОВЛЯ")["pipeline"] == "krovlya"
    unknown = local_ws.run("deal", "create", "-p", "окна")
    assert unknown.exit_code == 4 and "pipelines: fasad («Фасад»), krovlya («Кровля»)" in unknown.stderr


def test_p1_with_several_pipelines_and_no_default_nobody_guesses(local_ws):
    add_fasad(local_ws)
    before = local_ws.snapshot()
    refused = local_ws.run("deal", "create")
    assert refused.exit_code == 2 and "name one with --pipeline" in refused.stderr
    assert "default_pipeline" in refused.stderr
    assert local_ws.snapshot() == before


def test_p1_reports_cover_every_pipeline_unless_one_is_named(local_ws):
    add_fasad(local_ws, default="krovlya")
    local_ws.ok("deal", "create")
    local_ws.ok("deal", "create", "-p", "fasad")
    local_ws.ok("deal", "create", "-p", "fasad")
    both = local_ws.json("report", "funnel", user="olga")
    assert [(p["pipeline"], p["stages"][0]["deals"]) for p in both["pipelines"]] == [("krovlya", 1), ("fasad", 2)]
    one = local_ws.json("report", "funnel", "-p", "фасад", user="olga")
    assert (one["pipeline"], one["stages"][0]["deals"]) == ("fasad", 2)
    table = local_ws.ok("report", "forecast", user="olga").stdout
    assert table.index("«Кровля»") < table.index("«Фасад»") and "all pipelines, 2026-11: 0.00" in table
    managers = local_ws.json("report", "managers", user="olga")
    assert [(r["user"], r["open_deals"]) for r in managers] == [("ivan", 3)]
    velocity = local_ws.json("report", "velocity", user="olga")["pipelines"]
    assert [(v["pipeline"], v["stages"][0]["stage"]) for v in velocity] == [("krovlya", "new_lead"), ("fasad", "new_lead")]
    assert local_ws.json("report", "velocity", "-p", "fasad", user="olga")[0]["stage"] == "new_lead"  # one: a list
    csv = local_ws.ok("report", "velocity", "--format", "csv", user="olga").stdout.splitlines()
    assert csv[0].startswith("pipeline,") and {line.split(",")[0] for line in csv[1:]} == {"krovlya", "fasad"}


def test_a_deal_of_a_pipeline_gone_from_the_workspace_is_read_only_and_breaks_nothing(unpublished_ws):
    ws = unpublished_ws
    add_fasad(ws, default="krovlya", publish=False)
    gone = ws.json("deal", "create", "-p", "fasad")["id"]
    kept = ws.json("deal", "create")["id"]
    (ws.root / "pipelines" / "fasad.yaml").unlink()
    listed = ws.run("deal", "list", "--format", "json")
    assert listed.exit_code == 0 and {d["id"] for d in json.loads(listed.stdout)} == {gone, kept}
    assert "deals of pipeline 'fasad' are shown as stored, read-only" in listed.stderr
    shown = ws.run("deal", "show", gone)
    assert shown.exit_code == 0 and "responsible  ivan" in shown.stdout
    assert ws.run("agenda").exit_code == 0 and ws.run("task", "list").exit_code == 0
    before = ws.snapshot()
    refused = ws.run("deal", "set", gone, "site=Мурино")
    assert refused.exit_code == 3 and "no longer has pipeline 'fasad'" in refused.stderr
    assert ws.snapshot() == before
    assert ws.json("deal", "set", kept, "site=Мурино")["fields"]["site"] == "Мурино"


def test_contact_tables_write_the_phone_as_people_do_and_csv_as_stored(local_ws):
    local_ws.ok("contact", "add", "name=Алмаз", "phone=8 912 345-67-89")
    for command in (["contact", "list"], ["contact", "find", "912 345"]):
        assert "+7 912 345-67-89" in local_ws.ok(*command).stdout
        assert local_ws.ok(*command, "--format", "csv").stdout.splitlines()[1].endswith("+79123456789")


# -- every write path: imports and restores ------------------------------------------------------

def test_f1_a_reimport_that_changes_the_owner_hands_the_deals_tasks_over_too(ws, tmp_path):
    from test_transfer import run_json, write_csv

    first = write_csv(tmp_path / "a.csv", [["ID", "Ответственный"], ["X-1", "ivan"]])
    deal_id = run_json(ws, "import", "deals", first, "--id-column", "ID")["rows"][0]["id"]
    ws.ok("task", "add", deal_id, "--type", "call", "--due", "+1d")  # an imported deal starts with no task
    assert [t["responsible"] for t in tasks_of(ws, deal_id, status="open")] == ["ivan"]
    moved = write_csv(tmp_path / "b.csv", [["ID", "Ответственный"], ["X-1", "Ольга"]])
    assert run_json(ws, "import", "deals", moved, "--id-column", "ID")["update"] == 1
    assert [t["responsible"] for t in tasks_of(ws, deal_id, status="open")] == ["olga"]
    [event] = events(ws, deal_id, "task.reassigned")
    assert (event["data"]["old"], event["data"]["new"], event["data"]["with_deal"]) == ("ivan", "olga", True)


def test_a_restore_brings_back_cancellations_hand_overs_and_corrections_as_they_were(team, tmp_path):
    deal_id = new_deal(team)
    walk_to(team, deal_id, "КП ГОТОВО")
    extra = team.json("task", "add", deal_id, "--type", "call", "--due", "+1d")["id"]
    team.ok("task", "cancel", extra, "--reason", "Дубль")
    team.ok("deal", "advance", deal_id, "ОБЪЕМЫ У ТУРАЛА", "-m", "Сменили кровлю")
    team.ok("deal", "set", deal_id, "Ответственный=petr", user="olga")
    dump = tmp_path / "all.json"
    team.ok("export", "all", "--format", "json", "-o", dump, user="olga")
    exported = json.loads(dump.read_text("utf-8"))
    restored_store = team.root / "restored.db"
    team.ok("--store", restored_store, "import", "all", dump, user="olga")
    assert json.loads(team.ok("--store", restored_store, "export", "all", "--format", "json", user="olga").stdout) \
        == exported
    assert team.json("--store", restored_store, "report", "funnel", user="olga")["corrections"] == 1


def test_f1_a_manager_may_not_create_a_deal_for_someone_else_the_head_may(team):
    before = team.snapshot()
    refused = team.run("deal", "create", "-F", "Ответственный=Пётр")
    assert refused.exit_code == 5 and refused.stderr == \
        "flowctl: a new deal is yours: only Руководитель ОП may give it to Пётр\n"
    assert team.snapshot() == before
    assert team.json("deal", "create", "-F", "Ответственный=ivan")["responsible"] == "ivan"  # naming oneself
    given = team.json("deal", "create", "-F", "Ответственный=Пётр", user="olga")
    assert given["responsible"] == "petr"
    assert [t["responsible"] for t in tasks_of(team, given["id"], status="open")] == ["petr"]


def test_f1_a_colleagues_deal_is_not_changed_through_its_contact(team):
    """The client type is the contact's, but a manager's change of it stops at a colleague's deal (exit 5)."""
    team.ok("contact", "add", "name=Алмаз", "client_type=builder")
    mine = team.json("deal", "create", "--contact", "1")["id"]
    theirs = team.json("deal", "create", "--contact", "1", user="petr")["id"]
    before = team.snapshot()
    refused = team.run("contact", "set", "1", "client_type=private")
    assert refused.exit_code == 5 and f"deal #{theirs}" in refused.stderr
    assert team.snapshot() == before
    team.ok("contact", "set", "1", "client_type=private", user="olga")  # the head works every deal
    assert {team.json("deal", "show", d, user="olga")["fields"]["client_type"] for d in (mine, theirs)} == {"private"}


def test_f1_a_deal_with_no_responsible_is_taken_for_oneself_not_given_away(team):
    deal_id = team.json("deal", "create", "-F", "Ответственный=")["id"]
    assert team.json("deal", "show", deal_id)["responsible"] is None
    before = team.snapshot()
    given = team.run("deal", "set", deal_id, "Ответственный=petr")
    assert given.exit_code == 5 and "only Руководитель ОП may hand a deal" in given.stderr
    assert team.snapshot() == before
    assert team.json("deal", "set", deal_id, "Ответственный=petr", user="petr")["responsible"] == "petr"  # taken


def test_check_reports_an_overdue_task_of_a_gone_pipelines_deal_instead_of_failing(unpublished_ws):
    ws = unpublished_ws
    add_fasad(ws, default="krovlya", publish=False)
    deal_id = ws.json("deal", "create", "-p", "fasad")["id"]
    (ws.root / "pipelines" / "fasad.yaml").unlink()
    found = ws.run("check", "--format", "json", now="2026-12-05T12:00:00Z")
    assert found.exit_code == 0, found.stderr
    assert [(f["rule"], f["deal_id"]) for f in json.loads(found.stdout) if f["rule"] == "overdue"] == \
        [("overdue", deal_id)]

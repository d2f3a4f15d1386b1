"""Issue 14, "small things that looked broken": people by name in tables and cards (logins in csv and json), the
overdue column named, empty lists said in one line, the pipeline's move conditions shown and a refused move that
says its --field values were not saved."""

from __future__ import annotations

import json
import re

from test_deals import call_done, new_deal

LATER = "2026-12-02T06:00:00Z"  # two days after the pinned "now": the first call is overdue


def table(text: str) -> list[list[str]]:
    """A table's lines as cells (columns are two or more spaces apart), the dashed rule left out."""
    return [re.split(r" {2,}", line.strip()) for line in text.splitlines() if line.strip() and set(line) - {"-", " "}]


# -- 1. the responsible by name wherever a person reads a table or a card -----------------------------------


def test_deal_list_and_card_show_the_responsible_by_name_while_csv_and_json_keep_the_login(ws):
    deal_id = new_deal(ws)
    listed = table(ws.ok("deal", "list").stdout)
    assert listed[0][3] == "responsible" and listed[1][3] == "Иван"
    assert ws.ok("deal", "list", "--format", "csv").stdout.splitlines()[1].split(",")[3] == "ivan"
    assert ws.json("deal", "list")[0]["responsible"] == "ivan"
    assert ["Ответственный", "Иван"] in table(ws.ok("deal", "show", deal_id).stdout)
    assert ws.ok("deal", "show", deal_id, "--format", "csv").stdout.splitlines()[1].split(",")[3] == "ivan"
    assert ws.json("deal", "show", deal_id)["fields"]["responsible"] == "ivan"


def test_contact_card_names_each_deals_responsible(ws):
    deal_id = new_deal(ws)
    card = ws.ok("contact", "show", "1").stdout
    assert f"  #{deal_id} «НОВЫЙ ЛИД» (Кровля), responsible Иван\n" in card and "ivan" not in card
    assert ws.json("contact", "show", "1")["deals"][0]["responsible"] == "ivan"


def test_task_list_who_column_is_a_name_in_the_table_and_a_login_in_csv(ws):
    deal_id = new_deal(ws)
    ws.ok("task", "add", deal_id, "--type", "call", "--due", "tomorrow 10:00", "--to", "olga")
    rows = table(ws.ok("task", "list").stdout)
    who = rows[0].index("who")
    assert [r[who] for r in rows[1:]] == ["Иван", "Ольга"]
    csv_rows = [line.split(",") for line in ws.ok("task", "list", "--format", "csv").stdout.splitlines()]
    assert [r[csv_rows[0].index("who")] for r in csv_rows[1:]] == ["ivan", "olga"]
    assert [t["responsible"] for t in ws.json("task", "list")] == ["ivan", "olga"]


def test_history_names_who_acted_and_every_member_it_mentions(ws):
    deal_id = new_deal(ws)
    ws.ok("deal", "set", deal_id, "responsible=olga", user="olga")  # the head hands the deal over
    rows = table(ws.ok("deal", "history", deal_id).stdout)
    assert [r[1] for r in rows[1:]] == ["Иван", "Иван", "Ольга", "Ольга"]  # created, task, handed, task follows
    assert rows[2][2].endswith("for Иван")
    assert rows[3][2] == "Ответственный: Иван → Ольга"
    assert rows[4][2] == "task #1 went with the deal Иван → Ольга"
    csv_rows = ws.ok("deal", "history", deal_id, "--format", "csv").stdout.splitlines()[1:]
    assert [line.split(",")[1] for line in csv_rows] == ["ivan", "ivan", "olga", "olga"]
    assert "Ответственный: ivan → olga" in csv_rows[2] and "ivan → olga" in csv_rows[3]
    assert [e["actor"] for e in ws.json("deal", "history", deal_id)] == ["ivan", "ivan", "olga", "olga"]


def test_check_names_the_responsible_of_each_finding(ws):
    new_deal(ws)
    rows = table(ws.run("check", now=LATER).stdout)
    assert rows[0][2] == "responsible" and {r[2] for r in rows[1:]} == {"Иван"}
    assert {f["responsible"] for f in ws.json("check", now=LATER)} == {"ivan"}


def test_publish_history_names_who_published(local_ws):
    rows = table(local_ws.ok("publish", "--history").stdout)
    assert rows[0][2] == "by" and rows[1][2] == "Ольга"
    assert local_ws.json("publish", "--history")[0]["actor"] == "olga"


def test_a_russian_card_names_the_responsible_too(local_ws, monkeypatch):
    new_deal(local_ws)
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    assert "(Кровля), ответственный Иван\n" in local_ws.ok("contact", "show", "1").stdout


def test_a_login_nobody_in_the_team_has_stays_a_login_and_csv_keeps_logins():
    from types import SimpleNamespace

    from flowctl import language
    from flowctl.cli.views import person
    from flowctl.services.session import Session

    session = Session(SimpleNamespace(team={"ivan": SimpleNamespace(name="Иван")}), None, None, None)
    assert (person(session, "ivan"), person(session, "petr"), person(session, None)) == ("Иван", "petr", None)
    with language.machine_values():
        assert person(session, "ivan") == "ivan"


# -- 2. the overdue mark has a column header, the same in the task list and the agenda ---------------------


def test_task_list_and_agenda_name_their_overdue_column_alike(ws):
    new_deal(ws)
    tasks = ws.run("task", "list", now=LATER).stdout.splitlines()
    assert tasks[0].split()[-1] == "overdue" and tasks[2].split()[-1] == "OVERDUE"
    assert len(tasks[0].split()) == len(tasks[1].split())  # every column has a header
    agenda = ws.ok("agenda", now=LATER).stdout.splitlines()
    assert agenda[2].split()[:2] == ["#", "overdue"] and agenda[4].split()[:2] == ["1", "OVERDUE"]
    assert ws.ok("task", "list", "--format", "csv", now=LATER).stdout.splitlines()[0].endswith(",status,overdue")
    assert ws.ok("agenda", "--format", "csv", now=LATER).stdout.startswith("#,overdue,due,")


def test_the_russian_overdue_column_reads_as_one(local_ws, monkeypatch):
    new_deal(local_ws)
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    agenda = local_ws.ok("agenda", now=LATER).stdout.splitlines()
    assert agenda[2].split()[:2] == ["#", "просрочка"] and agenda[4].split()[:2] == ["1", "ПРОСРОЧЕНА"]


# -- 3. an empty list is said in one line (a table's format only) -----------------------------------------


def test_an_empty_agenda_says_so_in_one_line_and_its_json_is_unchanged(ws):
    new_deal(ws)  # ivan's call; olga has nothing
    assert ws.ok("agenda", user="olga").stdout == "no tasks for Ольга on 2026-11-30\n"
    assert ws.ok("agenda", "--user", "olga", "--date", "2026-12-03").stdout == "no tasks for Ольга on 2026-12-03\n"
    assert ws.json("agenda", user="olga") == {"date": "2026-11-30", "user": "olga", "tasks": [], "count": 0,
                                              "minutes": 0, "estimate": "0 tasks × 3 min = 0 h 0 min"}
    assert ws.ok("agenda", "--format", "csv", user="olga").stdout.splitlines() == [
        "#,overdue,due,stage,deal,contact,budget,task,task #"]


def test_an_empty_agenda_in_russian(local_ws, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    assert local_ws.ok("agenda").stdout == "Иван: задач на 30.11.2026 нет\n"


def test_empty_task_and_deal_lists_say_so_in_a_table_while_csv_keeps_its_header(ws):
    assert ws.ok("deal", "list").stdout == "no deals\n"
    assert ws.ok("task", "list").stdout == "no open tasks (--all lists the done and cancelled ones too)\n"
    assert ws.ok("task", "list", "--all").stdout == "no tasks\n"
    assert ws.ok("deal", "list", "--format", "csv").stdout == "#,stage,contact,responsible,budget,lead date\n"
    assert ws.ok("task", "list", "--format", "csv").stdout == "#,deal,stage,task,text,due,who,status,overdue\n"
    assert ws.json("deal", "list") == [] and ws.json("task", "list") == []
    deal_id = new_deal(ws)
    call_done(ws, deal_id)
    assert ws.ok("task", "list").stdout.startswith("no open tasks")  # the done call is not open
    assert ws.ok("task", "list", "--all").stdout.splitlines()[0].startswith("#  deal")
    assert ws.ok("deal", "list", "--stage", "горячие").stdout == "no deals\n"


def test_empty_lists_in_russian(local_ws, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    assert local_ws.ok("deal", "list").stdout == "сделок нет\n"
    assert local_ws.ok("task", "list", "--all").stdout == "задач нет\n"


# -- 4. pipeline show: each move's conditions, corrections and whose on-enter task it is -------------------


def _moves(text: str) -> dict[tuple[str, str], list[str]]:
    """The moves table of `pipeline show` (the second table) as {(from, to): row}."""
    second = text.split("\n\n")[2]
    return {(r[0], r[1]): r for r in table(second)[1:]}


def test_pipeline_show_lists_each_moves_conditions_and_corrections(local_ws):
    shown = local_ws.ok("pipeline", "show", "krovlya").stdout
    header = table(shown.split("\n\n")[2])[0]
    assert header == ["from", "to", "who may", "conditions", "target requires"]
    moves = _moves(shown)
    assert moves[("НОВЫЙ ЛИД", "ОП ВЗЯЛ В РАБОТУ")][3] == "a contact with the client"  # S1, L2
    assert moves[("ГОРЯЧИЕ", "ОБЪЕМЫ У ТУРАЛА")][3] == "the open tasks completed"  # T3
    assert moves[("ГОРЯЧИЕ", "ОП ВЗЯЛ В РАБОТУ")][3] == "a correction: with --comment"
    assert moves[("ОБЪЕМЫ У ТУРАЛА", "КП ГОТОВО")][3] == "Бюджет"  # no condition: the column is left empty
    assert "Рассчитать объемы (for Инженер)" in shown and "Позвонить (for" not in shown


def test_pipeline_show_json_and_csv_keep_the_conditions_ids(local_ws):
    data = json.loads(local_ws.ok("pipeline", "show", "krovlya", "--format", "json").stdout)
    by_move = {(t["from"], t["to"]): t for t in data["transitions"]}
    first = by_move[("НОВЫЙ ЛИД", "ОП ВЗЯЛ В РАБОТУ")]
    assert (first["conditions"], first["correction"]) == (["contact_made"], False)
    assert (by_move[("ГОРЯЧИЕ", "ОП ВЗЯЛ В РАБОТУ")]["conditions"],
            by_move[("ГОРЯЧИЕ", "ОП ВЗЯЛ В РАБОТУ")]["correction"]) == ([], True)
    assert sum(t["correction"] for t in data["transitions"]) == 4
    csv_lines = local_ws.ok("pipeline", "show", "krovlya", "--format", "csv").stdout.splitlines()
    assert csv_lines[0] == "from,to,who may,conditions,target requires"
    assert "НОВЫЙ ЛИД,ОП ВЗЯЛ В РАБОТУ,Менеджер ОП,contact_made," in csv_lines
    assert "ГОРЯЧИЕ,ОП ВЗЯЛ В РАБОТУ,Менеджер ОП,correction," in csv_lines


def test_pipeline_show_in_russian_says_conditions_and_roles_in_russian(local_ws, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    shown = local_ws.ok("pipeline", "show", "krovlya").stdout
    assert table(shown.split("\n\n")[2])[0][3] == "условия"
    moves = _moves(shown)
    assert moves[("НОВЫЙ ЛИД", "ОП ВЗЯЛ В РАБОТУ")][3] == "контакт с клиентом"
    assert moves[("ГОРЯЧИЕ", "ОБЪЕМЫ У ТУРАЛА")][3] == "открытые задачи выполнены"
    assert moves[("ГОРЯЧИЕ", "ОП ВЗЯЛ В РАБОТУ")][3] == "исправление: с --comment"
    assert "Рассчитать объемы (исполнитель: Инженер)" in shown


# -- 5. a refused deal advance says its --field values were not saved ---------------------------------------

NOT_SAVED = ("the --field values were not saved: give them again with the move, or save them first with"
             " `flowctl deal set {id} …`")


def test_a_refused_advance_says_its_field_values_were_not_saved_and_writes_nothing(ws):
    deal_id = new_deal(ws)
    before = ws.snapshot()
    refused = ws.run("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ", "-F", "site=Званка")
    assert (refused.exit_code, refused.stderr) == (1, (
        "flowctl: «НОВЫЙ ЛИД» → «ОП ВЗЯЛ В РАБОТУ» needs a contact with the client first: complete a task with"
        f" --contact; {NOT_SAVED.format(id=deal_id)}\n"))
    assert ws.snapshot() == before
    assert "site" not in ws.json("deal", "show", deal_id)["fields"]


def test_a_move_refused_by_role_keeps_its_exit_code_and_says_the_same(ws):
    deal_id = new_deal(ws)
    call_done(ws, deal_id)
    refused = ws.run("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ", "--field", "site=Званка", user="tural")
    assert refused.exit_code == 5
    assert refused.stderr.startswith("flowctl: only Менеджер ОП may move a deal from «НОВЫЙ ЛИД»")
    assert refused.stderr.endswith(f"; {NOT_SAVED.format(id=deal_id)}\n")


def test_a_refused_advance_without_field_values_and_a_bad_value_say_nothing_of_them(ws):
    deal_id = new_deal(ws)
    plain = ws.run("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ")
    assert (plain.exit_code, plain.stderr) == (1, "flowctl: «НОВЫЙ ЛИД» → «ОП ВЗЯЛ В РАБОТУ» needs a contact with"
                                                  " the client first: complete a task with --contact\n")
    bad = ws.run("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ", "-F", "budget=много")
    assert bad.exit_code == 2 and "not saved" not in bad.stderr  # the value itself is what is wrong


def test_the_advice_of_the_refusal_works(local_ws):
    deal_id = new_deal(local_ws)
    refused = local_ws.run("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ", "-F", "site=Званка")
    assert refused.exit_code == 1
    local_ws.ok("deal", "set", deal_id, "site=Званка")  # save them first …
    call_done(local_ws, deal_id)
    moved = local_ws.json("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ")  # … then the move alone
    assert (moved["stage"], moved["fields"]["site"]) == ("in_work", "Званка")


def test_a_refused_advance_says_it_in_russian(local_ws, monkeypatch):
    deal_id = new_deal(local_ws)
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    refused = local_ws.run("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ", "-F", "site=Званка")
    assert refused.stderr.endswith(
        "; значения --field не сохранены: укажите их снова вместе с переходом или сначала сохраните командой"
        f" `flowctl deal set {deal_id} …`\n")

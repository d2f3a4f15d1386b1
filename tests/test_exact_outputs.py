"""What the services write and say, to the letter: the history event of each change with every key, and
the text of each refusal with every value it names (mutation testing found these asserted only in part)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_deals import ALMAZ, new_deal

MOMENT = "2026-11-30T06:00:00Z"  # the pinned "now": Monday 09:00 in Moscow


def history(ws, deal_id: int) -> list[dict]:
    return [{k: v for k, v in e.items() if k != "id"} for e in ws.json("deal", "history", deal_id)]


def test_task_add_records_the_whole_task_in_the_deals_history(ws):
    deal_id = new_deal(ws)
    task = ws.json("task", "add", deal_id, "-t", "call", "-d", "tomorrow 10:00", "--text", "Уточнить адрес",
                   "--to", "olga")
    assert {k: task[k] for k in ("deal_id", "type", "due", "responsible", "text", "status", "created_by")} == {
        "deal_id": deal_id, "type": "call", "due": "2026-12-01T07:00:00Z", "responsible": "olga",
        "text": "Уточнить адрес", "status": "open", "created_by": "ivan"}
    assert history(ws, deal_id)[-1] == {
        "at": MOMENT, "actor": "ivan", "kind": "task.added", "task_id": task["id"],
        "data": {"type": "call", "due": "2026-12-01T07:00:00Z", "responsible": "olga", "text": "Уточнить адрес"}}


def test_task_add_defaults_to_the_deals_responsible_and_the_types_label(ws):
    deal_id = new_deal(ws)
    ws.ok("deal", "set", deal_id, "responsible=tural", user="olga")
    task = ws.json("task", "add", deal_id, "-t", "получить проект/план кровли", "-d", "tomorrow 10:00", user="olga")
    assert (task["responsible"], task["type"], task["text"], task["created_by"]) == \
        ("tural", "get_plan", "Получить проект/план кровли", "olga")


def test_task_add_refusals_say_exactly_why(ws):
    deal_id = new_deal(ws)
    unknown = ws.run("task", "add", deal_id, "-t", "факс", "-d", "tomorrow 10:00")
    assert (unknown.exit_code, unknown.stderr) == (2, "flowctl: unknown task type 'факс'; types: call, get_plan,"
                                                      " tech_assignment, calculate, present_offer, close_payment\n")
    past = ws.run("task", "add", deal_id, "-t", "call", "-d", "2026-11-29 10:00")
    assert (past.exit_code, past.stderr) == (2, "flowctl: '2026-11-29 10:00' is in the past; pass --past to record"
                                                " a task due then\n")
    ws.ok("deal", "advance", deal_id, "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО", "-F", "lost_reason=дорого")
    closed = ws.run("task", "add", deal_id, "-t", "call", "-d", "tomorrow 10:00")
    assert (closed.exit_code, closed.stderr) == (1, f"flowctl: deal #{deal_id} is closed («ЗАКРЫТО И НЕ"
                                                    " РЕАЛИЗОВАНО»); reopen it before setting tasks\n")


def test_import_records_each_created_deal_with_its_source_line_stage_fields_and_contact(ws, tmp_path):
    ws.ok("contact", "add", *ALMAZ)
    source = tmp_path / "deals.csv"
    source.write_text("ID,Этап,Контакт,Бюджет\nX-1,НОВЫЙ ЛИД,8 912 345-67-89,100\nX-1,НОВЫЙ ЛИД,,250\n", "utf-8")
    result = ws.json("import", "deals", "--owner", "olga", source, "--id-column", "ID", "--map", "Контакт=contact", user="olga")
    assert [(r["line"], r["action"], r["id"]) for r in result["rows"]] == [(2, "create", 1), (3, "update", 1)]
    deal = ws.json("deal", "show", 1)
    assert (deal["contact_id"], deal["budget"]) == (1, "250.00")  # the contact found by its phone; row 3 updated
    created, changed = history(ws, 1)
    assert created == {"at": MOMENT, "actor": "olga", "kind": "deal.imported", "task_id": None, "data": {
        "source": "deals.csv", "line": 2, "stage": "new_lead", "external_id": "X-1",
        "fields": {"budget": "100.00", "client_type": "builder", "lead_date": "2026-11-30", "product": "КРОВЛЯ",
                   "responsible": "olga"}}}
    assert changed["data"] == {"field": "budget", "old": "100.00", "new": "250.00", "source": "deals.csv", "line": 3}
    assert json.loads(ws.ok("export", "history", "--format", "json").stdout)[-2]["contact_id"] == 1


def test_import_refusals_say_exactly_why(ws, tmp_path):
    source = tmp_path / "deals.csv"
    source.write_text("ID,Этап,Контакт\nX-1,ГОРЯЧИЕ,\nX-2,НОВЫЙ ЛИД,+7 000\n", "utf-8")
    result = ws.json("import", "deals", "--owner", "olga", source, "--id-column", "ID", "--map", "Контакт=contact", "--skip-invalid",
                     user="olga")
    assert [(r["line"], r["action"], r.get("reason")) for r in result["rows"]] == [
        (2, "refused", "«ГОРЯЧИЕ» needs: Строитель/Частник, Где строит, Этап СТРОЙКИ, Когда ПОКУПАЕТ"),
        (3, "refused", "no contact '+7 000' (give its id in the source, its flowctl id or its phone)")]


def test_a_closed_deals_refusal_names_every_role_that_may_reopen_or_none(unpublished_ws):
    ws = unpublished_ws
    deal_id = new_deal(ws)
    ws.ok("deal", "advance", deal_id, "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО", "-F", "lost_reason=дорого")
    pipeline = ws.root / "pipelines" / "krovlya.yaml"
    shipped = pipeline.read_text("utf-8")
    pipeline.write_text(shipped.replace("    label: Менеджер ОП\n", "    label: Менеджер ОП\n    reopen: true\n", 1),
                        "utf-8")
    refused = ws.run("deal", "set", deal_id, "budget=100", user="tural")
    assert (refused.exit_code, refused.stderr) == (1, f"flowctl: deal #{deal_id} is closed («ЗАКРЫТО И НЕ"
                                                      " РЕАЛИЗОВАНО»): only Менеджер ОП, Руководитель ОП may change it\n")
    no_reopening = shipped.replace("    reopen: true\n", "", 1).replace(
        "  - from: [won, lost]   # a closed deal is reopened by the head of sales only\n    to: in_work\n    roles: [head]\n",
        "")
    assert no_reopening.count("reopen") == shipped.count("reopen") - 2
    pipeline.write_text(no_reopening, "utf-8")
    refused = ws.run("deal", "set", deal_id, "budget=100", user="olga")
    assert (refused.exit_code, refused.stderr) == (1, f"flowctl: deal #{deal_id} is closed («ЗАКРЫТО И НЕ"
                                                      " РЕАЛИЗОВАНО»): only — may change it\n")


def test_import_usage_errors_name_the_column_and_the_target(local_ws, tmp_path):
    source = tmp_path / "deals.csv"
    source.write_text("ID,Этап,Сумма\nX-1,НОВЫЙ ЛИД,100\n", "utf-8")
    mapped = local_ws.run("import", "deals", "--owner", "olga", source, "--id-column", "ID", "--map", "Сумма=budjet", user="olga")
    assert (mapped.exit_code, mapped.stderr) == (2, "flowctl: column 'Сумма' is mapped to unknown field 'budjet'"
                                                    " (did you mean 'budget'?)\n")
    no_id = local_ws.run("import", "deals", "--owner", "olga", source, "--id-column", "Номер", user="olga")
    assert (no_id.exit_code, no_id.stderr) == (2, "flowctl: there is no column 'Номер' (given with --id-column)\n")


def test_import_without_an_id_column_creates_every_row(local_ws, tmp_path):
    source = tmp_path / "deals.csv"
    source.write_text("Этап,Бюджет\nНОВЫЙ ЛИД,100\nНОВЫЙ ЛИД,200\n", "utf-8")
    result = local_ws.ok("import", "deals", "--owner", "olga", source, user="olga")
    assert result.stderr.splitlines()[-1] == "deals.csv: 2 to create, 0 to update, 0 unchanged, 0 refused; written"
    assert [d["budget"] for d in local_ws.json("deal", "list")] == ["100.00", "200.00"]


def test_import_reads_day_words_as_the_workspaces_today(local_ws, tmp_path):
    """«завтра» in a date column is the day after today in the workspace's zone, as when typed."""
    source = tmp_path / "deals.csv"
    source.write_text("ID,Когда ПОКУПАЕТ\nX-1,завтра\n", "utf-8")
    local_ws.ok("import", "deals", "--owner", "olga", source, "--id-column", "ID", user="olga")
    assert local_ws.json("deal", "show", 1)["fields"]["buys_when"] == "2026-12-01"


def test_a_mapping_without_a_source_column_is_refused(local_ws, tmp_path):
    source = tmp_path / "deals.csv"
    source.write_text("ID,Сумма\nX-1,100\n", "utf-8")
    refused = local_ws.run("import", "deals", "--owner", "olga", source, "--map", "=budget", user="olga")
    assert (refused.exit_code, refused.stderr) == (2, "flowctl: '=budget' is not a mapping; write \"Source column=field\"\n")


def test_import_refuses_a_responsible_outside_the_team_where_the_field_is_plain_text(unpublished_ws, tmp_path):
    """A pipeline whose `responsible` is a text field (any value parses): the import still names only team
    members as responsible."""
    ws = unpublished_ws
    pipeline = ws.root / "pipelines" / "krovlya.yaml"
    pipeline.write_text(pipeline.read_text("utf-8").replace("      type: user\n      meaning: owner ",
                                                            "      type: text\n      # meaning: owner ", 1),
                        "utf-8")
    source = tmp_path / "deals.csv"
    source.write_text("ID,Ответственный\nX-1,mallory\n", "utf-8")
    result = ws.json("import", "deals", "--owner", "olga", source, "--id-column", "ID", "--skip-invalid", user="olga")
    assert [(r["action"], r.get("reason")) for r in result["rows"]] == [
        ("refused", "responsible 'mallory' is not in the team")]


def test_an_unreadable_datetime_refuses_the_whole_file_as_a_date_does(unpublished_ws, tmp_path):
    """Every date and date-time of a file is read one way: one that does not read so means the others may have
    been misread, so nothing is imported (not just that row)."""
    ws = unpublished_ws
    pipeline = ws.root / "pipelines" / "krovlya.yaml"
    pipeline.write_text(pipeline.read_text("utf-8").replace(
        "    - id: construction_stage   # F6, Q1\n",
        "    - id: visit_at\n      label: Визит\n      type: datetime\n    - id: construction_stage   # F6, Q1\n", 1),
        "utf-8")
    source = tmp_path / "deals.csv"
    source.write_text("ID,Визит\nX-1,01.12.2026 10:00\nX-2,когда-нибудь\n", "utf-8")
    refused = ws.run("import", "deals", "--owner", "olga", source, "--id-column", "ID", "--skip-invalid", user="olga")
    assert refused.exit_code == 2
    assert refused.stderr.startswith(f"flowctl: {source} line 3, column 'Визит': ")
    assert "nothing was imported: every date of a file is read day first" in refused.stderr
    assert ws.json("deal", "list") == []


def test_money_with_too_many_decimals_is_refused_quoting_what_was_typed(local_ws):
    deal_id = new_deal(local_ws)
    refused = local_ws.run("deal", "set", deal_id, "budget=100,555")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("flowctl: Бюджет: '100,555' has more than 2 digits after the decimal point;")


@pytest.mark.parametrize("old, new, user, says", [
    ("migrate: [head]", "migrate: [head, engineer]", "ivan",
     "'ivan' may not migrate the store's data: the workspace power 'migrate' belongs to Инженер, Руководитель ОП "
     "(powers: in {config})"),
    (" migrate: [head],", "", "olga",  # a power nobody holds is refused to everyone, saying how to grant it
     "nobody may migrate the store's data: the workspace power 'migrate' is not given to any role; name the roles "
     "that hold it under powers: in {config}, e.g. `powers: {{migrate: [head]}}`"),
])
def test_a_workspace_power_refusal_names_the_login_the_action_the_power_and_every_holder_or_how_to_grant_it(
        local_ws, old, new, user, says):
    config = local_ws.root / "flowctl.yaml"
    text = config.read_text("utf-8")
    assert old in text
    config.write_text(text.replace(old, new, 1), "utf-8")
    local_ws.republish()
    refused = local_ws.run("migrate", user=user)
    assert (refused.exit_code, refused.stderr) == (5, f"flowctl: {says.format(config=config)}\n")


def test_task_done_refusals_list_the_kinds_of_contact(local_ws):
    deal_id = new_deal(local_ws)
    task_id = local_ws.json("task", "list", "--deal", deal_id)[0]["id"]
    missing = local_ws.run("task", "done", task_id, "--result", "Договорились")
    assert (missing.exit_code, missing.stderr) == (1, "flowctl: a task is completed only after a contact with the"
                                                      " client (L2): add --contact call, meeting, message\n")
    unknown = local_ws.run("task", "done", task_id, "--result", "Договорились", "--contact", "факс")
    assert (unknown.exit_code, unknown.stderr) == (2, "flowctl: unknown kind of contact 'факс'; use one of: call,"
                                                      " meeting, message\n")


def test_closing_a_deal_records_each_cancelled_task_with_its_id(ws):
    deal_id = new_deal(ws)
    first_call = ws.json("task", "list", "--deal", deal_id)[0]["id"]
    own = ws.json("task", "add", deal_id, "-t", "call", "-d", "tomorrow 10:00")["id"]
    ws.ok("deal", "advance", deal_id, "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО", "-F", "lost_reason=дорого")
    cancelled = [e for e in history(ws, deal_id) if e["kind"] == "task.cancelled"]
    assert cancelled == [
        {"at": MOMENT, "actor": "ivan", "kind": "task.cancelled", "task_id": first_call,
         "data": {"type": "call", "left": "new_lead"}},
        {"at": MOMENT, "actor": "ivan", "kind": "task.cancelled", "task_id": own,
         "data": {"type": "call", "left": "new_lead"}}]


def test_a_json_store_is_rewritten_through_a_named_temporary_file_with_the_files_permissions(tmp_path, monkeypatch):
    """The temporary file is named `.<store>.<random>.tmp` beside the store, which is how a later command knows a
    killed writer's leftover; and the store keeps the mode a new file gets (umask 022: rw-r--r--)."""
    import os

    from flowctl.store import open_store
    from flowctl.store.base import Contact

    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (replaced.append(Path(src)), real_replace(src, dst)))
    previous = os.umask(0o022)
    try:
        store = open_store(str(tmp_path / "team.json"), create=True)
        with store.transaction():
            store.add_contact(Contact(None, {"name": "Пётр"}, "2026-11-30T06:00:00Z"))
        store.close()
    finally:
        os.umask(previous)
    assert replaced and all(p.parent == tmp_path and p.name.startswith(".team.json.") and p.name.endswith(".tmp")
                            for p in replaced)
    assert (tmp_path / "team.json").stat().st_mode & 0o777 == 0o644


def test_task_and_move_refusals_name_the_task_and_the_stage(local_ws):
    deal_id = new_deal(local_ws)
    same = local_ws.run("deal", "advance", deal_id, "НОВЫЙ ЛИД")
    assert (same.exit_code, same.stderr) == (1, "flowctl: the deal is already in «НОВЫЙ ЛИД»\n")
    missing = local_ws.run("task", "done", 99, "--result", "Договорились", "--contact", "call")
    assert (missing.exit_code, missing.stderr) == (4, "flowctl: no task #99\n")
    task_id = local_ws.json("task", "list", "--deal", deal_id)[0]["id"]
    local_ws.ok("task", "done", task_id, "--result", "Договорились", "--contact", "call")
    again = local_ws.run("task", "done", task_id, "--result", "Договорились", "--contact", "call")
    assert (again.exit_code, again.stderr) == (1, f"flowctl: task #{task_id} is done, not open\n")
    bad = local_ws.json("task", "add", deal_id, "-t", "call", "-d", "tomorrow 10:00")["id"]
    refused = local_ws.run("task", "done", bad, "--result", "ok\x1b[2J", "--contact", "call")
    assert refused.exit_code == 2 and refused.stderr.startswith("flowctl: result: ")


def test_s1_contact_made_counts_only_the_deals_own_history(local_ws):
    """Another deal's call does not count as this deal's contact with the client (S1 → S2 needs one)."""
    later = new_deal(local_ws)
    other = local_ws.json("deal", "create", "--pipeline", "krovlya", "--contact", "1")["id"]
    task_id = local_ws.json("task", "list", "--deal", other)[0]["id"]
    local_ws.ok("task", "done", task_id, "--result", "Договорились", "--contact", "call")
    refused = local_ws.run("deal", "advance", later, "ОП ВЗЯЛ В РАБОТУ")
    assert refused.exit_code == 1, refused.stderr
    local_ws.ok("deal", "advance", other, "ОП ВЗЯЛ В РАБОТУ")


def test_task_list_filters_by_user_deal_overdue_and_due_day(local_ws):
    first = new_deal(local_ws)  # its first call (ivan's) is due at 09:15 today
    second = local_ws.json("deal", "create", "--pipeline", "krovlya", "--contact", "1")["id"]
    olga_overdue = local_ws.json("task", "add", second, "-t", "call", "-d", "today 08:00", "--to", "olga",
                                 "--past")["id"]
    tomorrow = local_ws.json("task", "add", first, "-t", "call", "-d", "tomorrow 10:00")["id"]

    def ids(*args, now="2026-11-30T07:00:00Z"):  # 10:00 in Moscow: the 09:15 calls are overdue
        return sorted(t["id"] for t in local_ws.json("task", "list", *args, now=now))

    calls = sorted(t["id"] for t in local_ws.json("task", "list") if t["id"] not in (olga_overdue, tomorrow))
    assert ids("--user", "olga") == [olga_overdue]
    assert ids("--overdue", "--user", "olga") == [olga_overdue]
    assert ids("--overdue", "--deal", second) == sorted([olga_overdue, calls[1]])
    assert ids("--overdue") == sorted([olga_overdue, *calls])
    assert ids("--due", "tomorrow") == [tomorrow]
    assert ids("--due", "tomorrow", "--user", "olga") == []
    assert ids("--due", "today", now="2026-11-30T20:30:00Z") == sorted([olga_overdue, *calls])  # 23:30 in Moscow
    assert ids("--due", "today", now="2026-11-30T21:30:00Z") == [tomorrow]  # 00:30 on the 1st in Moscow
    assert ids("--due", "today", "--deal", second) == sorted([olga_overdue, calls[1]])
    local_ws.ok("task", "done", calls[0], "--result", "Договорились", "--contact", "call")
    assert ids("--due", "today") == sorted([olga_overdue, calls[1]])  # open ones only, unless --all


def test_deal_and_contact_creation_record_everything_and_refusals_name_what_is_missing(local_ws):
    contact = local_ws.json("contact", "add", *ALMAZ)
    assert contact["created_at"] == MOMENT
    created = json.loads(local_ws.ok("export", "history", "--format", "json").stdout)[0]
    assert (created["kind"], created["contact_id"]) == ("contact.created", contact["id"])
    unknown = local_ws.run("deal", "create", "--pipeline", "krovlya", "--contact", "99")
    assert (unknown.exit_code, unknown.stderr) == (4, "flowctl: no contact #99\n")
    assert (local_ws.run("deal", "show", 42).stderr, local_ws.run("deal", "show", 42).exit_code) == \
        ("flowctl: no deal #42\n", 4)
    deal_id = local_ws.json("deal", "create", "--pipeline", "krovlya", "--contact", contact["id"])["id"]
    first, on_enter = history(local_ws, deal_id)[:2]
    assert first["kind"] == "deal.created" and set(first["data"]) == {"pipeline", "stage", "fields"}
    assert first["data"]["fields"]["responsible"] == "ivan"
    assert (on_enter["kind"], on_enter["data"]["on_enter"]) == ("task.added", "new_lead")
    syntax = local_ws.run("deal", "set", deal_id, "budget")
    assert (syntax.exit_code, syntax.stderr) == (2, "flowctl: 'budget' is not key=value\n")
    assert local_ws.run("deal", "set", deal_id, "responsible=mallory").exit_code == 2
    assert local_ws.json("deal", "set", deal_id, "responsible=olga", user="olga")["responsible"] == "olga"  # the head


def test_a_first_stage_that_requires_a_field_refuses_a_deal_without_it(unpublished_ws):
    ws = unpublished_ws
    pipeline = ws.root / "pipelines" / "krovlya.yaml"
    text = pipeline.read_text("utf-8")
    pipeline.write_text(text.replace("  - id: new_lead", "  - id: new_lead\n    requires: [site, budget]", 1), "utf-8")
    refused = ws.run("deal", "create", "--pipeline", "krovlya")
    assert (refused.exit_code, refused.stderr) == (1, "flowctl: «НОВЫЙ ЛИД» needs: Где строит, Бюджет\n")


def test_overdue_is_an_open_task_past_its_due_time(local_ws):
    deal_id = new_deal(local_ws)  # its first call is due at 09:15
    later = local_ws.json("task", "add", deal_id, "-t", "call", "-d", "tomorrow 10:00")["id"]
    rows = {t["id"]: t["overdue"] for t in local_ws.json("task", "list", now="2026-11-30T07:00:00Z")}
    assert rows[later] is False and list(rows.values()).count(True) == 1
    first = next(i for i in rows if i != later)
    local_ws.ok("task", "done", first, "--result", "Договорились", "--contact", "call", now="2026-11-30T07:00:00Z")
    done = {t["id"]: t for t in local_ws.json("task", "list", "--all", now="2026-11-30T07:00:00Z")}
    assert done[first]["status"] == "done" and done[first]["overdue"] is False
    assert sorted(t["id"] for t in local_ws.json("task", "list", "--due", "today", "--all", "--deal", deal_id)) == \
        [first]


def test_import_finds_a_contact_by_its_id_in_the_source(local_ws, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("ID,Имя\nC-7,Пётр\n", "utf-8")
    local_ws.ok("import", "contacts", contacts, "--id-column", "ID", user="olga")
    deals = tmp_path / "deals.csv"
    deals.write_text("ID,Контакт\nX-1,C-7\n", "utf-8")
    local_ws.ok("import", "deals", "--owner", "olga", deals, "--id-column", "ID", "--map", "Контакт=contact", user="olga")
    assert local_ws.json("deal", "show", 1)["contact"] == "Пётр"


def test_import_takes_the_contact_whose_id_in_the_source_is_given_before_one_with_that_phone(local_ws, tmp_path):
    """A reference that is both one contact's id in the source and another's phone names the first."""
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("ID,Имя\n8 912 345-67-89,Пётр\n", "utf-8")
    local_ws.ok("import", "contacts", contacts, "--id-column", "ID", user="olga")
    local_ws.ok("contact", "add", *ALMAZ)  # Алмаз's phone is 8 912 345-67-89
    deals = tmp_path / "deals.csv"
    deals.write_text("ID,Контакт\nX-1,8 912 345-67-89\n", "utf-8")
    local_ws.ok("import", "deals", "--owner", "olga", deals, "--id-column", "ID", "--map", "Контакт=contact", user="olga")
    assert local_ws.json("deal", "show", 1)["contact"] == "Пётр"

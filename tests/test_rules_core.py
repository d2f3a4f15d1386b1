"""The rules' core (machine, deals, tasks, contacts, permissions): behaviour the older tests left open.

Written from the mutation run (tests/mutation/): each test proves something a user or the regulation relies
on, and names the rule where it proves one.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager

from test_deals import new_deal, walk_to


def _history(ws, **match) -> list[dict]:
    """The store's whole history (`export history`), the events whose keys hold the given values."""
    events = json.loads(ws.ok("export", "history", "--format", "json").stdout)
    return [e for e in events if all(e.get(k) == v for k, v in match.items())]


# -- contacts (F8–F11) ------------------------------------------------------------------------------

def test_changing_a_contact_records_each_changed_field_with_its_old_and_new_value(ws):
    contact = ws.json("contact", "add", "name=Алмаз", "phone=8 912 345-67-89")["id"]
    ws.json("contact", "add", "name=Борис")
    ws.ok("contact", "set", contact, "Телефон=8 912 000-00-00", "name=Алмаз", "client_type=Строитель")
    changes = [e for e in _history(ws, kind="contact.field")]
    assert [(e["contact_id"], e["data"]) for e in changes] == [
        (contact, {"field": "phone", "old": "+79123456789", "new": "+79120000000"}),
        (contact, {"field": "client_type", "old": None, "new": "builder"}),
    ]  # the name given again unchanged is no change; the other contact has no history of this


def test_f8_a_name_holding_the_client_type_only_inside_a_longer_word_still_says_it(ws):
    shown = ws.json("contact", "add", "name=Строительный Двор", "client_type=builder")["display_name"]
    assert shown == "Строительный Двор Строитель"  # «Строительный» is not the word «Строитель»


def _contact_card(ws, *changes: tuple[str, str]) -> None:
    """The workspace's pipeline with its contact card (F8–F10) changed, each (old, new) once, and published."""
    path = ws.root / "pipelines" / "krovlya.yaml"
    text = path.read_text("utf-8")
    card = text[text.index("  contact:  "):]
    for old, new in changes:
        assert old in card
        card = card.replace(old, new, 1)
    path.write_text(text[:text.index("  contact:  ")] + card, "utf-8")
    ws.republish()


def test_f8_of_two_parts_saying_the_same_the_first_stays_and_a_longer_one_stays_wherever_it_is(ws):
    same = ws.json("contact", "add", "name=строитель", "client_type=builder")["display_name"]
    assert same == "строитель"  # «{name} {client_type}»: the name comes first
    _contact_card(ws, ('contact_display: "{name} {client_type}"', 'contact_display: "{client_type} {name}"'))
    longer = ws.json("contact", "add", "name=Алмаз Строитель", "client_type=builder")["display_name"]
    assert longer == "Алмаз Строитель"  # the longer part says the client type, though it comes second


def test_f8_a_part_of_several_words_another_part_says_with_other_punctuation_is_not_said_again(ws):
    _contact_card(ws, ("    - id: phone         # F9\n", "    - id: city\n      label: Город\n      type: text\n"
                                                          "    - id: phone         # F9\n"),
                  ('contact_display: "{name} {client_type}"', 'contact_display: "{name} {city} {client_type}"'))
    said = ws.json("contact", "add", "name=Алмаз (Верхняя-Пышма)", "city=верхняя пышма", "client_type=builder")
    assert said["display_name"] == "Алмаз (Верхняя-Пышма) Строитель"  # the same words, whatever joins them
    apart = ws.json("contact", "add", "name=Борис", "city=Верхняя Пышма", "client_type=builder")
    assert apart["display_name"] == "Борис Верхняя Пышма Строитель"


def test_f8_f9_a_contact_lacking_two_required_fields_is_refused_naming_both_and_written_nowhere(ws):
    _contact_card(ws, ("      label: Телефон\n      type: phone\n", "      label: Телефон\n      type: phone\n"
                                                                     "      required: true\n"))
    before = ws.snapshot()
    refused = ws.run("contact", "add", "client_type=builder")
    assert (refused.exit_code, refused.stderr) == (1, "flowctl: a contact needs: Имя, Телефон\n")
    assert ws.snapshot() == before


def test_e2_a_stages_task_is_recorded_with_its_type_due_time_assignee_text_and_stage(ws):
    deal = new_deal(ws)
    [added] = _history(ws, kind="task.added")
    [task] = ws.json("task", "list", "--deal", deal)
    assert added["data"] == {"type": "call", "due": "2026-11-30T06:15:00Z", "responsible": "ivan",
                             "text": task["text"], "on_enter": "new_lead"}
    assert (added["deal_id"], added["task_id"]) == (deal, task["id"])


def test_q2_a_day_already_past_in_the_workspace_is_refused_though_the_computer_is_still_on_it(local_ws, monkeypatch):
    """Buys-when (not_past) typed at 00:30 on 1 December in Moscow, on a computer in California (still 30 November)."""
    deal = new_deal(local_ws)
    with _computer_in("America/Los_Angeles", monkeypatch):
        refused = local_ws.run("deal", "set", deal, "buys_when=30.11.2026", now="2026-11-30T21:30:00Z")
    assert (refused.exit_code, refused.stderr) == \
        (2, "flowctl: Когда ПОКУПАЕТ: 30.11.2026 has already passed; this field asks when it will be, so give "
            "01.12.2026 or later\n")


def test_an_unknown_field_is_named_as_typed_without_its_spaces_with_the_nearest_name(ws):
    deal = new_deal(ws)
    refused = ws.run("deal", "set", deal, " bugdet =1")
    assert (refused.exit_code, refused.stderr) == (2, "flowctl: unknown field 'bugdet' (did you mean 'budget'?)\n")


def test_a_deal_as_data_has_every_key_and_its_last_change(ws):
    deal = new_deal(ws)
    ws.ok("deal", "set", deal, "site=Берёзовский", now="2026-11-30T08:00:00Z")
    shown = ws.json("deal", "show", deal)
    assert set(shown) == {"id", "pipeline", "stage", "stage_label", "contact_id", "contact", "responsible", "budget",
                          "fields", "created_at", "stage_since", "updated_at"}
    assert (shown["created_at"], shown["stage_since"], shown["updated_at"]) == \
        ("2026-11-30T06:00:00Z", "2026-11-30T06:00:00Z", "2026-11-30T08:00:00Z")


def test_a_deals_creation_is_recorded_with_its_contact_and_a_deal_without_one_without(ws):
    deal = new_deal(ws)
    alone = ws.json("deal", "create")["id"]
    created = {e["deal_id"]: e["contact_id"] for e in _history(ws, kind="deal.created")}
    assert created == {deal: 1, alone: None}


def test_f4_a_client_type_set_on_a_deal_stays_the_deals_when_the_contact_card_has_no_such_field(ws):
    _contact_card(ws, ("    - id: client_type   # F10\n      label: Строитель/Частник\n      type: enum\n"
                       "      options: *client_types\n", ""),
                  ('contact_display: "{name} {client_type}"', 'contact_display: "{name}"'))
    ws.ok("contact", "add", "name=Алмаз")
    first = ws.json("deal", "create", "--contact", "1")["id"]
    second = ws.json("deal", "create", "--contact", "1")["id"]
    assert ws.json("deal", "set", first, "client_type=private")["fields"]["client_type"] == "private"
    assert ws.json("contact", "show", "1")["fields"] == {"name": "Алмаз"}
    assert "client_type" not in ws.json("deal", "show", second)["fields"]
    assert _history(ws, kind="contact.field") == []


def test_f4_a_client_type_the_contacts_field_cannot_hold_stays_on_the_deal_it_was_set_on(ws):
    path = ws.root / "pipelines" / "krovlya.yaml"  # the deal's choice (F4) has a third option; the contact's not
    text = path.read_text("utf-8")
    path.write_text(text.replace("        - {id: private, label: Частник}\n",
                                 "        - {id: private, label: Частник}\n        - {id: dealer, label: Дилер}\n", 1),
                    "utf-8")
    _contact_card(ws, ("      options: *client_types",
                       "      options: [{id: builder, label: Строитель}, {id: private, label: Частник}]"))
    ws.ok("contact", "add", "name=Алмаз", "client_type=builder")
    first = ws.json("deal", "create", "--contact", "1")["id"]
    second = ws.json("deal", "create", "--contact", "1")["id"]
    assert ws.json("deal", "set", first, "client_type=Дилер")["fields"]["client_type"] == "dealer"
    assert ws.json("contact", "show", "1")["fields"] == {"name": "Алмаз", "client_type": "builder"}
    assert ws.json("deal", "show", second)["fields"]["client_type"] == "builder"
    assert _history(ws, kind="contact.field") == []


def test_contact_find_finds_a_contact_by_the_name_its_display_name_leaves_out_and_nothing_by_a_missing_name(ws):
    """A pipeline naming contacts by their type alone (F8 as it chooses), its contacts' name optional."""
    _contact_card(ws, ("      type: text\n      required: true\n", "      type: text\n"),
                  ('contact_display: "{name} {client_type}"', 'contact_display: "{client_type}"'))
    ws.ok("contact", "add", "name=Алмаз", "client_type=builder")
    ws.ok("contact", "add", "phone=8 912 345-67-89", "client_type=private")
    assert [(c["id"], c["display_name"]) for c in ws.json("contact", "find", "алмаз")] == [(1, "Строитель")]
    for text in ("none", "xx"):  # the nameless contact holds neither
        result = ws.run("contact", "find", text)
        assert (result.exit_code, result.stderr) == (4, f"flowctl: no contact matches «{text}»\n"), text


def test_f10_a_contact_change_is_copied_to_its_own_open_deals_and_a_value_given_again_is_no_change(ws):
    ws.ok("contact", "add", "name=Алмаз", "client_type=builder")
    ws.ok("contact", "add", "name=Борис", "client_type=builder")
    reopened = ws.json("deal", "create", "--contact", "1")["id"]
    other = ws.json("deal", "create", "--contact", "1")["id"]
    boris = ws.json("deal", "create", "--contact", "2")["id"]
    nobodys = ws.json("deal", "create")["id"]
    ws.ok("deal", "advance", reopened, "lost", "-F", "lost_reason=other")
    ws.ok("contact", "set", "1", "client_type=private")  # the lost deal keeps builder
    ws.ok("deal", "advance", reopened, "ОП ВЗЯЛ В РАБОТУ", user="olga")  # reopened by the head, still builder

    def client_types():
        return [ws.json("deal", "show", d)["fields"].get("client_type") for d in (reopened, other, boris, nobodys)]

    assert client_types() == ["builder", "private", "builder", None]
    ws.ok("contact", "set", "1", "client_type=private", "name=Алмаз")  # no change: nothing to copy
    assert client_types() == ["builder", "private", "builder", None]
    ws.ok("contact", "set", "1", "client_type=builder")  # the reopened deal has it already; the other takes it
    assert client_types() == ["builder", "builder", "builder", None]
    assert [(e["deal_id"], e["data"]) for e in _history(ws, kind="deal.field", contact_id=1)] == [
        (other, {"field": "client_type", "old": "builder", "new": "private"}),
        (other, {"field": "client_type", "old": "private", "new": "builder"})]


def test_f10_a_contacts_client_type_its_deals_field_cannot_hold_is_not_copied_to_them(ws):
    """The contact card keeps the client type as free text; the deal's is a choice of builder or private."""
    _contact_card(ws, ("      type: enum\n      options: *client_types", "      type: text"))
    ws.ok("contact", "add", "name=Алмаз", "client_type=private")
    deal = ws.json("deal", "create", "--contact", "1")
    assert deal["fields"]["client_type"] == "private"  # a value the deal's field holds is copied
    assert ws.json("contact", "set", "1", "client_type=Застройщик")["fields"]["client_type"] == "Застройщик"
    assert ws.json("deal", "show", deal["id"])["fields"]["client_type"] == "private"
    assert _history(ws, kind="deal.field") == []


def test_a_contact_is_taken_by_its_whole_name_though_its_display_name_says_more(ws):
    ws.ok("contact", "add", "name=Алмаз", "client_type=builder")  # shown «Алмаз Строитель»
    ws.ok("contact", "add", "name=Алмаз Петров", "client_type=builder")
    assert ws.json("contact", "show", "алмаз")["id"] == 1
    assert ws.json("contact", "set", "Алмаз", "client_type=private")["display_name"] == "Алмаз Частник"


def test_a_contact_is_taken_by_its_whole_phone_though_a_longer_number_holds_the_same_digits(ws):
    ws.ok("contact", "add", "name=Алмаз", "phone=8 912 345-67-89")
    ws.ok("contact", "add", "name=Ганс", "phone=+49 79123456789")  # 49 7912345678 9: the same eleven digits
    for ref in ("8 912 345-67-89", "+7 912 345 67 89", "79123456789"):
        assert ws.json("contact", "show", ref)["id"] == 1, ref
    assert ws.json("contact", "show", "+4979123456789")["id"] == 2
    several = ws.run("contact", "show", "912 345")  # a part of a number is both's
    assert (several.exit_code, several.stderr) == (2, "flowctl: «912 345» matches several contacts (2): #1 Алмаз, "
                                                      "#2 Ганс; give the id, the phone or more of the name\n")


def test_a_contact_without_a_name_is_not_taken_for_the_one_whose_whole_name_is_typed(ws):
    """A card whose name is optional and whose client type is free text; «None» and «XXXX» are what a missing name
    could be mistaken for."""
    _contact_card(ws, ("      type: text\n      required: true\n", "      type: text\n"),
                  ("      type: enum\n      options: *client_types", "      type: text"))
    for name in ("None", "XXXX"):
        nameless = ws.json("contact", "add", f"client_type={name} Ltd")  # shown «None Ltd»: found by «None» too
        named = ws.json("contact", "add", f"name={name}")
        assert (nameless["display_name"], ws.json("contact", "show", name.lower())["id"]) == \
            (f"{name} Ltd", named["id"]), name


def test_f9_a_restore_refuses_a_second_contact_with_a_phone_another_has_and_writes_nothing(ws, tmp_path):
    """A hand-edited backup: `contact add` and `contact set` never let two contacts share a phone, and a store where
    two did would refuse every change of the second (its own phone «already belongs» to the first)."""
    ws.ok("contact", "add", "name=Алмаз", "phone=8 912 345-67-89", "client_type=builder")
    ws.ok("contact", "add", "name=Борис", "phone=8 912 000-00-00")
    ws.ok("contact", "add", "name=Вера")
    ws.ok("contact", "add", "name=Глеб")  # two without a phone share none
    dump = tmp_path / "all.json"
    ws.ok("export", "all", "-o", dump)
    data = json.loads(dump.read_text("utf-8"))
    data["contacts"][1]["fields"]["phone"] = "+79123456789"
    dump.write_text(json.dumps(data, indent=1), "utf-8")
    restored = ws.run("--store", tmp_path / "restored.db", "import", "all", dump, user="olga")
    assert (restored.exit_code, restored.stderr) == (1, (
        f"{dump}:16: contacts[1]: phone +7 912 345-67-89 already belongs to contact #1 Алмаз Строитель\n"
        f"flowctl: 1 bad rows in {dump}; nothing was written\n"))
    assert not (tmp_path / "restored.db").exists()


def test_f9_an_import_refuses_to_give_a_contact_found_by_its_id_the_phone_another_contact_has(ws, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("ID,Имя,Телефон\nC-7,Пётр,8 912 000-00-00\n", "utf-8")
    ws.ok("import", "contacts", contacts, "--id-column", "ID", user="olga")
    ws.ok("contact", "add", "name=Алмаз", "phone=8 912 345-67-89", "client_type=builder")
    before = ws.snapshot()
    contacts.write_text("ID,Имя,Телефон\nC-7,Пётр,+7 912 345 67 89\n", "utf-8")
    refused = ws.run("import", "contacts", contacts, "--id-column", "ID", "--format", "json", user="olga")
    assert refused.exit_code == 1
    assert [(row["line"], row["action"], row["reason"]) for row in json.loads(refused.stdout)["rows"]] == \
        [(2, "refused", "phone +7 912 345-67-89 already belongs to contact #2 Алмаз Строитель")]
    assert ws.snapshot() == before
    contacts.write_text("ID,Имя,Телефон\nC-7,Пётр Ильич,8 912 000-00-00\n", "utf-8")  # its own phone kept
    ws.ok("import", "contacts", contacts, "--id-column", "ID", user="olga")
    assert ws.json("contact", "show", "1")["fields"] == {"name": "Пётр Ильич", "phone": "+79120000000"}


def test_f9_a_scenarios_given_contacts_may_not_share_a_phone(cli, tmp_path, monkeypatch):
    code, problems = _played(cli, tmp_path, monkeypatch, """given:
  contacts:
    - {Имя: Алмаз, Телефон: 8 912 345-67-89}
    - {Имя: Борис, Телефон: +7 912 345 67 89}
steps:
  - run: contact show 2
""")
    assert (code, problems) == \
        (1, ["scenario.yaml:10: contacts[1]: phone +7 912 345-67-89 already belongs to contact #1 Алмаз"])


# -- a scenario's given: rows ------------------------------------------------------------------------

def _played(cli, tmp_path, monkeypatch, body: str) -> tuple[int, list]:
    """`flowctl test` on a scenario of the test header and `body`: its exit code and its failure's problems."""
    from test_scenarios import HEADER

    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenario.yaml").write_text(HEADER.format(name="given rows", language="en") + body, "utf-8")
    result = cli("test", tmp_path / "scenario.yaml", "--format", "json")
    [played] = json.loads(result.stdout)["scenarios"]
    return result.exit_code, played.get("failure", {}).get("problems")


def test_given_deals_take_their_own_contacts_client_type_the_lead_date_and_the_values_typed(cli, tmp_path, monkeypatch):
    """Each given deal's contact is the one it names, its lead date the scenario's day (F5), a YAML false the text
    a person types for it, and the history's ids follow one another."""
    code, problems = _played(cli, tmp_path, monkeypatch, """given:
  contacts: [{Имя: Алмаз, Строитель/Частник: Строитель}, {Имя: Марина, Строитель/Частник: Частник}]
  deals: [{contact: 1, fields: {Нюансы ТЗ: false}}, {contact: 2, fields: {Нюансы ТЗ: true}}]
steps:
  - run: export history --format json
    expect:
      json:
        - {id: 1, kind: contact.created, contact_id: 1}
        - {id: 2, kind: contact.created, contact_id: 2}
        - {id: 3, kind: deal.imported, deal_id: 1, contact_id: 1,
           data: {fields: {client_type: builder, lead_date: "2026-11-30", nuances: "false"}}}
        - {id: 4, kind: deal.imported, deal_id: 2, contact_id: 2,
           data: {fields: {client_type: private, lead_date: "2026-11-30", nuances: "true"}}}
        - {id: 5, kind: task.added, deal_id: 1}
        - {id: 6, kind: task.added, deal_id: 2}
""")
    assert (code, problems) == (0, None)


# -- tasks (T2, L1) -----------------------------------------------------------------------------------

def _team(ws, old: str, new: str) -> None:
    config = ws.root / "flowctl.yaml"
    text = config.read_text("utf-8")
    assert old in text
    config.write_text(text.replace(old, new, 1), "utf-8")
    ws.republish()


def test_e4_a_responsible_who_holds_the_role_of_a_stages_task_does_it_himself(local_ws):
    _team(local_ws, "{login: ivan, name: Иван, roles: [manager]}", "{login: ivan, name: Иван, roles: [manager, engineer]}")
    busy = new_deal(local_ws)  # ivan's open call here would make tural the less loaded engineer
    deal = local_ws.json("deal", "create", "--contact", "1")["id"]
    walk_to(local_ws, deal, "ОБЪЕМЫ У ТУРАЛА")
    assert local_ws.json("task", "list", "--deal", busy)[0]["responsible"] == "ivan"
    assert [(t["type"], t["responsible"]) for t in local_ws.json("task", "list", "--deal", deal)] == \
        [("calculate", "ivan")]


def test_e4_a_stages_task_for_a_role_nobody_holds_goes_to_the_responsible(local_ws):
    _team(local_ws, "{login: tural, name: Турал, roles: [engineer]}", "{login: tural, name: Турал, roles: [head]}")
    deal = new_deal(local_ws)
    walk_to(local_ws, deal, "ОБЪЕМЫ У ТУРАЛА")
    assert [(t["type"], t["responsible"]) for t in local_ws.json("task", "list", "--deal", deal)] == \
        [("calculate", "ivan")]


def test_l1_a_task_is_overdue_only_once_its_due_time_has_passed(local_ws):
    deal = new_deal(local_ws)
    [call] = local_ws.json("task", "list", "--deal", deal)
    assert call["due"] == "2026-11-30T06:15:00Z"  # 09:15 in Moscow
    for now, overdue in (("2026-11-30T06:15:00Z", False), ("2026-11-30T06:15:01Z", True)):
        assert local_ws.json("task", "list", "--deal", deal, now=now)[0]["overdue"] is overdue, now
        assert [t["id"] for t in local_ws.json("task", "list", "--overdue", now=now)] == ([call["id"]] if overdue else [])


def test_l1_a_done_task_is_never_overdue_not_even_with_all(local_ws):
    deal = new_deal(local_ws)  # its first call is due at 09:15 today
    [call] = local_ws.json("task", "list", "--deal", deal)
    local_ws.ok("task", "done", call["id"], "--result", "Договорились", "--contact", "call")
    later = "2026-11-30T07:00:00Z"  # 10:00 in Moscow
    overdue = local_ws.json("task", "add", deal, "-t", "call", "-d", "today 09:30", "--past", now=later)["id"]
    for extra in ((), ("--all",)):
        assert [t["id"] for t in local_ws.json("task", "list", "--overdue", *extra, now=later)] == [overdue]


@contextmanager
def _computer_in(zone: str, monkeypatch):
    """The computer's own time zone (TZ) set to `zone` while the block runs; the workspace keeps Moscow."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_due_day_is_the_workspaces_day_whatever_the_computers_time_zone(local_ws, monkeypatch):
    """`task list --due tomorrow` in Moscow's workspace on a computer set to California (UTC−8): tomorrow 10:00 in
    Moscow is still today there, but the day asked for is the workspace's."""
    deal = new_deal(local_ws)  # its first call is due at 09:15 today
    tomorrow = local_ws.json("task", "add", deal, "-t", "call", "-d", "tomorrow 10:00")["id"]
    just_after_midnight = local_ws.json("task", "add", deal, "-t", "call", "-d", "tomorrow 00:30")["id"]
    with _computer_in("America/Los_Angeles", monkeypatch):
        due = [t["id"] for t in local_ws.json("task", "list", "--due", "tomorrow", now="2026-11-30T07:00:00Z")]
    assert sorted(due) == [tomorrow, just_after_midnight]  # the whole day, from midnight


def test_t2_postponing_a_task_needs_a_reason_kept_in_the_history_with_both_due_times(ws):
    deal = new_deal(ws)
    [task] = ws.json("task", "list", "--deal", deal)
    before = ws.snapshot()
    refused = ws.run("task", "postpone", task["id"], "--due", "tomorrow 10:00")
    assert (refused.exit_code, refused.stderr) == \
        (1, 'flowctl: postponing a task needs --reason "…" (it is kept in the history)\n')
    bad = ws.run("task", "postpone", task["id"], "--due", "tomorrow 10:00", "--reason", "перезвонит\tзавтра")
    assert (bad.exit_code, bad.stderr) == \
        (2, "flowctl: reason: control characters (line breaks, tabs, direction marks) are not allowed\n")
    assert ws.snapshot() == before
    moved = ws.json("task", "postpone", task["id"], "--due", "tomorrow 10:00", "--reason", "клиент в отъезде")
    assert moved["due"] == "2026-12-01T07:00:00Z"
    [event] = _history(ws, kind="task.postponed")
    assert (event["deal_id"], event["task_id"], event["data"]) == \
        (deal, task["id"], {"old": task["due"], "new": "2026-12-01T07:00:00Z", "reason": "клиент в отъезде"})


def test_l1_a_task_is_postponed_into_the_past_only_when_asked_with_past(ws):
    deal = new_deal(ws)
    [task] = ws.json("task", "list", "--deal", deal)
    refused = ws.run("task", "postpone", task["id"], "--due", "2026-11-27 10:00", "--reason", "забыл отметить")
    assert (refused.exit_code, refused.stderr) == \
        (2, "flowctl: '2026-11-27 10:00' is in the past; pass --past to record a task due then\n")
    moved = ws.json("task", "postpone", task["id"], "--due", "2026-11-27 10:00", "--reason", "забыл отметить",
                    "--past")
    assert moved["due"] == "2026-11-27T07:00:00Z" and moved["overdue"] is True


def test_a_task_added_with_control_characters_in_its_text_is_refused_naming_the_text(ws):
    deal = new_deal(ws)
    before = ws.snapshot()
    bad = ws.run("task", "add", deal, "--type", "call", "--due", "+1h", "--text", "Перезвонить\x1b[2J")
    assert (bad.exit_code, bad.stderr) == \
        (2, "flowctl: task text: control characters (line breaks, tabs, direction marks) are not allowed\n")
    assert ws.snapshot() == before


def test_cancelling_a_task_keeps_its_type_and_reason_in_the_history_and_refuses_control_characters(ws):
    deal = new_deal(ws)
    [task] = ws.json("task", "list", "--deal", deal)
    before = ws.snapshot()
    bad = ws.run("task", "cancel", task["id"], "--reason", "задвоилась\tзадача")
    assert (bad.exit_code, bad.stderr) == \
        (2, "flowctl: reason: control characters (line breaks, tabs, direction marks) are not allowed\n")
    assert ws.snapshot() == before
    assert ws.json("task", "cancel", task["id"], "--reason", "Задача задвоилась")["status"] == "cancelled"
    [event] = _history(ws, kind="task.cancelled")
    assert (event["deal_id"], event["task_id"], event["data"]) == \
        (deal, task["id"], {"type": "call", "reason": "Задача задвоилась"})


def test_closing_a_deal_cancels_its_open_tasks_and_leaves_its_done_ones_done(ws):
    deal = new_deal(ws)
    [first_call] = ws.json("task", "list", "--deal", deal)
    ws.ok("task", "done", first_call["id"], "--result", "Договорились о замере", "--contact", "call")
    later = ws.json("task", "add", deal, "-t", "call", "-d", "tomorrow 10:00")["id"]
    ws.ok("deal", "advance", deal, "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО", "-F", "lost_reason=дорого")
    statuses = {t["id"]: t["status"] for t in ws.json("task", "list", "--deal", deal, "--all")}
    assert statuses == {first_call["id"]: "done", later: "cancelled"}
    assert [e["task_id"] for e in _history(ws, kind="task.cancelled")] == [later]


def test_l3_with_a_minimum_of_one_character_a_blank_result_is_refused_asking_for_one(ws):
    path = ws.root / "pipelines" / "krovlya.yaml"
    text = path.read_text("utf-8")
    assert "result_min_length: 3" in text
    path.write_text(text.replace("result_min_length: 3", "result_min_length: 1"), "utf-8")
    ws.republish()
    deal = new_deal(ws)
    [task] = ws.json("task", "list", "--deal", deal)
    refused = ws.run("task", "done", task["id"], "--result", " ", "--contact", "call")
    assert (refused.exit_code, refused.stderr) == \
        (1, "flowctl: a task is completed only with a comment describing the result (L3): add --result \"…\" "
            "(at least 1 characters)\n")
    assert ws.json("task", "done", task["id"], "--result", "Да", "--contact", "call")["status"] == "done"


def test_handing_a_task_over_refuses_its_own_member_and_control_characters_in_the_reason(ws):
    deal = new_deal(ws)
    [task] = ws.json("task", "list", "--deal", deal)
    before = ws.snapshot()
    same = ws.run("task", "reassign", task["id"], "--to", "Иван", "--reason", "в отпуске")
    assert (same.exit_code, same.stderr) == (2, f"flowctl: task #{task['id']} is already Иван's\n")
    bad = ws.run("task", "reassign", task["id"], "--to", "olga", "--reason", "в\nотпуске")
    assert (bad.exit_code, bad.stderr) == \
        (2, "flowctl: reason: control characters (line breaks, tabs, direction marks) are not allowed\n")
    assert ws.snapshot() == before


def test_a_task_handed_over_without_a_reason_has_no_reason_in_the_history(ws):
    deal = new_deal(ws)
    [task] = ws.json("task", "list", "--deal", deal)
    ws.ok("task", "reassign", task["id"], "--to", "olga")
    ws.ok("task", "reassign", task["id"], "--to", "ivan", user="olga")
    ws.ok("deal", "set", deal, "Ответственный=olga", user="olga")  # the deal handed over takes its task along
    assert [e["data"] for e in _history(ws, kind="task.reassigned")] == [
        {"type": "call", "old": "ivan", "new": "olga"},
        {"type": "call", "old": "olga", "new": "ivan"},
        {"type": "call", "old": "ivan", "new": "olga", "with_deal": True}]


def test_a_task_the_pipeline_lets_nobody_cancel_is_refused_saying_nobody_may(ws):
    path = ws.root / "pipelines" / "krovlya.yaml"
    text = path.read_text("utf-8")
    rule = "  cancel: [responsible, head] "
    assert rule in text
    path.write_text(text.replace(rule, "  cancel: [] "), "utf-8")
    ws.republish()
    deal = new_deal(ws)
    [task] = ws.json("task", "list", "--deal", deal)
    for user in ("ivan", "olga"):
        refused = ws.run("task", "cancel", task["id"], "--reason", "Задача задвоилась", user=user)
        assert (refused.exit_code, refused.stderr) == \
            (5, f"flowctl: task #{task['id']} is Иван's: only — may cancel it\n"), user


# -- the pipeline drawn (flowctl graph) -------------------------------------------------------------

def test_closed_stages_are_drawn_green_when_won_and_red_when_lost(cli):
    mermaid = cli("graph", "krovlya", "--format", "mermaid").stdout.splitlines()
    assert "  classDef s_won color:darkgreen,fill:palegreen" in mermaid
    assert "  classDef s_lost color:darkred,fill:mistyrose" in mermaid
    dot = cli("graph", "krovlya", "--format", "dot").stdout.splitlines()
    assert '\twon [label="УСПЕШНО РЕАЛИЗОВАНО ✔\\l" color=darkgreen fillcolor=palegreen peripheries=2]' in dot
    assert '\tlost [label="ЗАКРЫТО И НЕ РЕАЛИЗОВАНО ✘\\l" color=darkred fillcolor=mistyrose peripheries=2]' in dot
    assert '\thot [label="ГОРЯЧИЕ\\l"]' in dot  # an open stage keeps the default look


def test_the_diagram_starts_at_the_initial_stage_and_draws_only_the_pipelines_stages(cli, krovlya):
    import re

    mermaid = cli("graph", "krovlya", "--format", "mermaid").stdout
    assert re.findall(r"\[\*\] --> (\w+)", mermaid) == ["new_lead"]
    assert re.findall(r'state "[^"]*" as (\w+)', mermaid) == [s.id for s in krovlya.stages]
    dot = cli("graph", "krovlya", "--format", "dot").stdout
    assert re.findall(r"^\t(\w+) \[label=", dot, re.MULTILINE) == [s.id for s in krovlya.stages]


def test_m2_a_move_open_to_two_roles_is_labelled_with_both(ws):
    path = ws.root / "pipelines" / "krovlya.yaml"
    text = path.read_text("utf-8")
    move = "  - from: in_work       # S2 → S3 once the urgency is qualified (Q2)\n    to: hot\n    roles: [manager]"
    assert move in text
    path.write_text(text.replace(move, move.replace("[manager]", "[manager, head]")), "utf-8")
    assert "  in_work --> hot: Менеджер ОП, Руководитель ОП\n" in ws.ok("graph", "krovlya", "--format", "mermaid").stdout


# -- deals: the state machine each move asks -----------------------------------------------------------

def test_a_process_builds_a_pipelines_machine_at_its_first_move_and_again_for_a_republished_pipeline(
        krovlya, monkeypatch):
    """One machine per pipeline per process: built on first use (a fresh process has none), reused for the same
    pipeline, rebuilt when the pipeline with that id is another object (published again)."""
    from conftest import KROVLYA

    from flowctl.pipeline.compile import compile_file
    from flowctl.services import deals

    monkeypatch.setattr(deals, "_machines", {})  # as in a process that has moved nothing yet
    first = deals.machine_for(krovlya)
    assert first.pipeline is krovlya and deals.machine_for(krovlya) is first
    republished = compile_file(KROVLYA)
    assert deals.machine_for(republished).pipeline is republished
    assert deals._machines == {"krovlya": deals.machine_for(republished)}


def test_a_pipeline_that_never_reopens_a_closed_deal_says_the_stage_has_no_way_out(ws):
    path = ws.root / "pipelines" / "krovlya.yaml"
    text = path.read_text("utf-8")
    reopen = "  - from: [won, lost]   # a closed deal is reopened by the head of sales only\n    to: in_work\n" \
             "    roles: [head]\n"
    assert reopen in text
    path.write_text(text.replace(reopen, ""), "utf-8")
    ws.republish()
    deal = new_deal(ws)
    ws.ok("deal", "advance", deal, "lost", "-F", "lost_reason=Дорого")
    for dest in ("in_work", "won"):
        refused = ws.run("deal", "advance", deal, dest, user="olga")
        assert (refused.exit_code, refused.stderr) == \
            (1, "flowctl: cannot move from «ЗАКРЫТО И НЕ РЕАЛИЗОВАНО»: it is a closed stage with no way out\n")


# -- deals: who hands them over (F1) -------------------------------------------------------------------

def test_f1_a_colleagues_deal_is_refused_to_a_manager_naming_its_owner_and_the_roles_that_may_work_it(ws):
    ws.ok("contact", "add", "name=Алмаз")
    deal = ws.json("deal", "create", "--contact", "1", user="olga")["id"]  # the head's own deal
    refused = ws.run("deal", "set", deal, "site=Берёзовский")
    assert (refused.exit_code, refused.stderr) == \
        (5, f"flowctl: deal #{deal} is Ольга's: only Инженер, Руководитель ОП may work a colleague's deal\n")
    path = ws.root / "pipelines" / "krovlya.yaml"
    text = path.read_text("utf-8")
    assert "  colleagues: [engineer, head]  " in text
    path.write_text(text.replace("  colleagues: [engineer, head]  ", "  colleagues: []  ", 1), "utf-8")
    ws.republish()
    refused = ws.run("deal", "set", deal, "site=Берёзовский", user="tural")
    assert (refused.exit_code, refused.stderr) == (5, f"flowctl: deal #{deal} is Ольга's: only — may work a colleague's "
                                                      "deal\n")


def _ownership_reassign(ws, roles: str) -> None:
    path = ws.root / "pipelines" / "krovlya.yaml"
    text = path.read_text("utf-8")
    assert "  reassign: [head]   " in text
    path.write_text(text.replace("  reassign: [head]   ", f"  reassign: {roles}   ", 1), "utf-8")
    ws.republish()


def test_f1_a_deal_handed_over_as_it_moves_takes_its_old_responsibles_open_tasks_along(ws):
    deal = new_deal(ws)
    other = ws.json("deal", "create", "--pipeline", "krovlya", "--contact", "1")["id"]  # ivan's too, not handed over
    [first_call] = ws.json("task", "list", "--deal", deal)
    ws.ok("task", "done", first_call["id"], "--result", "Договорились о замере", "--contact", "call")
    own = ws.json("task", "add", deal, "-t", "call", "-d", "tomorrow 10:00")["id"]
    before = ws.snapshot()
    refused = ws.run("deal", "advance", deal, "ОП ВЗЯЛ В РАБОТУ", "-F", "Ответственный=olga")
    assert (refused.exit_code, refused.stderr) == \
        (5, f"flowctl: deal #{deal} is Иван's: only Руководитель ОП may hand a deal to someone else; the --field "
            f"values were not saved: give them again with the move, or save them first with `flowctl deal set {deal} "
            "…`\n")
    assert ws.snapshot() == before
    moved = ws.json("deal", "advance", deal, "ОП ВЗЯЛ В РАБОТУ", "-F", "Ответственный=olga", user="olga")
    assert (moved["stage"], moved["responsible"]) == ("in_work", "olga")
    owners = {t["id"]: t["responsible"] for t in ws.json("task", "list", "--deal", deal)}
    assert owners[own] == "olga" and set(owners.values()) == {"olga"}
    assert {t["responsible"] for t in ws.json("task", "list", "--deal", other)} == {"ivan"}


def test_a_restored_deal_whose_history_lacks_its_creation_still_needs_a_contact_to_move(local_ws, tmp_path):
    """A contact counts from the deal's entry into its stage; a history without that entry (an export edited by
    hand) has no contact in it either: the move that needs one is refused."""
    deal = new_deal(local_ws)
    dump = tmp_path / "all.json"
    local_ws.ok("export", "all", "--format", "json", "-o", dump)
    data = json.loads(dump.read_text("utf-8"))
    data["history"] = [e for e in data["history"] if e.get("deal_id") != deal]
    dump.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    store = local_ws.root / "new.db"
    local_ws.ok("--store", store, "import", "all", dump, user="olga")
    refused = local_ws.run("--store", store, "deal", "advance", deal, "ОП ВЗЯЛ В РАБОТУ")
    assert (refused.exit_code, refused.stderr) == \
        (1, "flowctl: «НОВЫЙ ЛИД» → «ОП ВЗЯЛ В РАБОТУ» needs a contact with the client first: complete a task with "
            "--contact\n")


def test_a_correction_names_both_stages_without_a_comment_and_refuses_control_characters_in_one(ws):
    deal = new_deal(ws)
    walk_to(ws, deal, "ГОРЯЧИЕ")
    before = ws.snapshot()
    bare = ws.run("deal", "advance", deal, "ОП ВЗЯЛ В РАБОТУ")
    assert (bare.exit_code, bare.stderr) == \
        (1, "flowctl: «ГОРЯЧИЕ» → «ОП ВЗЯЛ В РАБОТУ» is a correction: say why with --comment \"…\" (it is kept in "
            "the history)\n")
    bad = ws.run("deal", "advance", deal, "ОП ВЗЯЛ В РАБОТУ", "--comment", "рано\tквалифицировали")
    assert (bad.exit_code, bad.stderr) == \
        (2, "flowctl: comment: control characters (line breaks, tabs, direction marks) are not allowed\n")
    assert ws.snapshot() == before


def test_f1_a_refused_hand_over_names_every_role_that_may_make_it(ws):
    _ownership_reassign(ws, "[head, engineer]")
    deal = new_deal(ws)
    before = ws.snapshot()
    refused = ws.run("deal", "set", deal, "Ответственный=olga")
    assert (refused.exit_code, refused.stderr) == (5, f"flowctl: deal #{deal} is Иван's: only Руководитель ОП, "
                                                      "Инженер may hand a deal to someone else\n")
    refused = ws.run("deal", "create", "-F", "Ответственный=olga")
    assert (refused.exit_code, refused.stderr) == \
        (5, "flowctl: a new deal is yours: only Руководитель ОП, Инженер may give it to Ольга\n")
    assert ws.snapshot() == before


def test_f1_a_pipeline_that_lets_nobody_hand_deals_over_says_so(ws):
    _ownership_reassign(ws, "[]")
    deal = new_deal(ws)
    before = ws.snapshot()
    for user in ("ivan", "olga"):
        refused = ws.run("deal", "set", deal, "Ответственный=tural", user=user)
        assert (refused.exit_code, refused.stderr) == \
            (5, f"flowctl: deal #{deal} is Иван's: only — may hand a deal to someone else\n"), user
    assert ws.snapshot() == before


def test_f1_a_deal_nobody_is_responsible_for_is_refused_to_another_member_as_nobodys(ws):
    deal = new_deal(ws)
    ws.ok("deal", "set", deal, "Ответственный=", user="olga")  # the head takes it from ivan, giving it to nobody
    refused = ws.run("deal", "set", deal, "Ответственный=tural")
    assert (refused.exit_code, refused.stderr) == \
        (5, f"flowctl: deal #{deal} is —'s: only Руководитель ОП may hand a deal to someone else\n")
    assert ws.json("deal", "set", deal, "Ответственный=ivan")["responsible"] == "ivan"  # anyone takes it himself


# -- deals: who sees which (deal list, contact show) ---------------------------------------------------

def _second_pipeline(ws) -> None:
    """pipelines/okna.yaml: the same pipeline for another product, its S3 called «ЗАМЕР»."""
    text = (ws.root / "pipelines" / "krovlya.yaml").read_text("utf-8")
    for old, new in (("id: krovlya", "id: okna"), ("name: Кровля ", "name: Окна "), ("label: ГОРЯЧИЕ", "label: ЗАМЕР")):
        assert old in text, old
        text = text.replace(old, new, 1)
    (ws.root / "pipelines" / "okna.yaml").write_text(text, "utf-8")
    ws.republish()


def _ids(ws, *args) -> list[int]:
    return [d["id"] for d in ws.json("deal", "list", *args)]


def test_deal_list_shows_the_deals_of_the_pipeline_contact_and_stage_asked_for(ws):
    _second_pipeline(ws)
    ws.ok("contact", "add", "name=Алмаз")
    ws.ok("contact", "add", "name=Борис")
    roof_1 = ws.json("deal", "create", "--pipeline", "krovlya", "--contact", "1")["id"]
    roof_2 = ws.json("deal", "create", "--pipeline", "krovlya", "--contact", "2")["id"]
    window_1 = ws.json("deal", "create", "--pipeline", "okna", "--contact", "1")["id"]
    assert _ids(ws, "--pipeline", "krovlya") == [roof_1, roof_2]
    assert _ids(ws, "--pipeline", "okna") == [window_1]
    assert _ids(ws, "--contact", "1") == [roof_1, window_1]
    assert _ids(ws, "--limit", "2") == [roof_1, roof_2]
    assert _ids(ws, "--limit", "1", "--desc") == [window_1]
    assert _ids(ws, "--pipeline", "okna", "--stage", "ЗАМЕР") == []  # a stage of that pipeline, empty
    assert _ids(ws, "--stage", "новый лид") == [roof_1, roof_2, window_1]


def test_deal_list_refuses_a_stage_or_sort_it_does_not_know_with_a_suggestion(ws):
    _second_pipeline(ws)
    ws.ok("deal", "create", "--pipeline", "krovlya")
    for args, message in (
            (("--pipeline", "krovlya", "--stage", "ЗАМЕР"), "unknown stage 'ЗАМЕР'"),  # only okna has it
            (("--stage", "НОВЫЙ ЛИ"), "unknown stage 'НОВЫЙ ЛИ' (did you mean 'НОВЫЙ ЛИД'?)"),
            (("--sort", "budjet"), "unknown sort 'budjet'; use one of: id, budget, lead_date, stage_since, updated")):
        result = ws.run("deal", "list", *args)
        assert (result.exit_code, result.stderr) == (2, f"flowctl: {message}\n"), args


def test_an_unknown_contact_is_not_found_by_its_number(ws):
    for command in (("contact", "show", "7"), ("contact", "set", "7", "name=Алмаз")):
        result = ws.run(*command)
        assert (result.exit_code, result.stderr) == (4, "flowctl: no contact #7\n"), command


def test_q1_clearing_fields_the_current_stage_required_is_refused_naming_stage_and_fields(ws):
    from test_deals import walk_to

    deal = new_deal(ws)
    walk_to(ws, deal, "горячие")
    before = ws.snapshot()
    result = ws.run("deal", "set", deal, "site=", "Этап СТРОЙКИ=")
    assert (result.exit_code, result.stderr) == \
        (1, "flowctl: «ГОРЯЧИЕ» requires Где строит, Этап СТРОЙКИ; it cannot be cleared while the deal is there\n")
    assert ws.snapshot() == before

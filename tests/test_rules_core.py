"""The rules' core (machine, deals, tasks, contacts, permissions): behaviour the older tests left open.

Written from the mutation run (tests/mutation/): each test proves something a user or the regulation relies
on, and names the rule where it proves one.
"""

from __future__ import annotations

import json

from test_deals import new_deal


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


# -- tasks (T2, L1) -----------------------------------------------------------------------------------

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

"""`import all` checks every row of a backup against the pipelines and the team before it writes (issue 10 item 4),
and refuses before reading a byte or creating a store when the actor may not restore (items 11; issue 18)."""

from __future__ import annotations

import json

import pytest

from test_deals import new_deal, walk_to


def exported(ws, tmp_path) -> dict:
    """A small real export: a contact, a deal at «КП ГОТОВО» with its tasks and history."""
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "КП ГОТОВО")
    dump = tmp_path / "all.json"
    ws.ok("export", "all", "--format", "json", "-o", dump)
    return json.loads(dump.read_text("utf-8"))


def restore(ws, tmp_path, data: dict | str, user: str = "olga", target: str = "new.db"):
    """Write `data` as a backup file and restore it into a new store; (result, the store's path)."""
    backup = tmp_path / "edited.json"
    backup.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    store = ws.root / target
    return ws.run("--store", store, "import", "all", backup, user=user), store


def deal(data: dict) -> dict:
    return data["deals"][0]


EDITS = {  # what a hand edit did → (the edit, what the refusal says)
    "unknown stage": (lambda d: deal(d).update(stage="paid"), "stage 'paid' is not a stage of krovlya"),
    "won without budget": (lambda d: (deal(d).update(stage="won"), deal(d)["fields"].pop("budget")),
                           "«УСПЕШНО РЕАЛИЗОВАНО» needs: Бюджет"),
    "lost without reason": (lambda d: deal(d).update(stage="lost"), "«ЗАКРЫТО И НЕ РЕАЛИЗОВАНО» needs"),
    "responsible not in the team": (lambda d: deal(d)["fields"].update(responsible="mallory"),
                                    "Ответственный: 'mallory' is not a value of this field"),
    "impossible date": (lambda d: deal(d)["fields"].update(lead_date="31.02.2026"), "Дата ЛИДА: '31.02.2026'"),
    "id not a number": (lambda d: deal(d).update(id="abc"), "id 'abc' is not a whole number"),
    "budget a float": (lambda d: deal(d)["fields"].update(budget=350000.5), "Бюджет: 350000.5 is not a value"),
    "unknown field": (lambda d: deal(d)["fields"].update(colour="red"), "field 'colour' is not a field of krovlya"),
    "task of a missing deal": (lambda d: d["tasks"][0].update(deal_id=99), "deal 99 is not in the file"),
    "done task without result": (lambda d: d["tasks"][0].update(status="done", result="", contact_kind="call",
                                                                 done_at="2026-11-30T06:00:00Z"), "(L3)"),
    "event edited out of order": (lambda d: d["history"][1].update(id=1), "out of order"),
    "bad time": (lambda d: deal(d).update(stage_since="yesterday"), "stage_since 'yesterday' is not a stored UTC"),
    "control characters": (lambda d: d["contacts"][0]["fields"].update(name="\x1b]0;x\x07"), "Имя:"),
    # each check of a history row names what it found wrong
    "event time": (lambda d: d["history"][0].update(at="вчера"),
                   "history[0]: at 'вчера' is not a stored UTC time like 2026-11-30T06:00:00Z"),
    "event kind": (lambda d: d["history"][0].update(kind=" "), "history[0]: kind ' ' "),
    "event of a missing deal": (lambda d: d["history"][1].update(deal_id=99), "history[1]: deal 99 is not in the file"),
    "event of a missing contact": (lambda d: d["history"][1].update(contact_id=98),
                                   "history[1]: contact 98 is not in the file"),
    "event of a missing task": (lambda d: d["history"][1].update(task_id=97), "history[1]: task 97 is not in the file"),
    "event data not an object": (lambda d: d["history"][1].update(data=[1]),
                                 "history[1]: data is not an object of field values"),
    "events out of order": (lambda d: d["history"][2].update(id=d["history"][1]["id"]),
                            "history[2]: history event 2 is out of order"),
    "done task without contact": (lambda d: d["tasks"][0].update(status="done", result="Договорились",
                                                                  contact_kind=None, done_at="2026-11-30T06:00:00Z"),
                                  "tasks[0]: a task is completed only after a contact with the client (L2): add"
                                  " --contact call, meeting, message"),
    "done task with a number for result": (lambda d: d["tasks"][0].update(status="done", result=12345,
                                                                           contact_kind="call",
                                                                           done_at="2026-11-30T06:00:00Z"),
                                           "tasks[0]: a task is completed only with a comment describing the result"
                                           " (L3)"),
    "done task at no time": (lambda d: d["tasks"][0].update(status="done", result="Договорились",
                                                             contact_kind="call", done_at="потом"),
                             "tasks[0]: done_at 'потом' is not a stored UTC time"),
    "published by nobody": (lambda d: d["publications"][0].update(actor=""),
                            "publications[0]: actor '' is not a line of printable text"),
    "published versions out of order": (lambda d: d["publications"].append(dict(d["publications"][0])),
                                        "publications[1]: history event 1 is out of order"),
    "published content missing parts, its digest recomputed": (
        lambda d: d["publications"][0].update(content={"pipelines": {}}, digest=_digest({"pipelines": {}})),
        "publications[0]: published version 1 is not what was published"),
}


def _digest(content: dict) -> str:
    from flowctl.services.publish import digest_of

    return digest_of(content)


@pytest.mark.parametrize("edit", EDITS)
def test_restore_refuses_a_bad_row_by_its_line_and_writes_nothing(ws, tmp_path, edit):
    data = exported(ws, tmp_path)
    change, says = EDITS[edit]
    change(data)
    result, store = restore(ws, tmp_path, data)
    assert result.exit_code == 1, (result.exit_code, result.stderr)
    assert says in result.stderr
    assert "edited.json:" in result.stderr.splitlines()[0]  # file:line: section[index]: reason
    assert "bad rows in" in result.stderr and "nothing was written" in result.stderr
    assert not store.exists()  # not even an empty store is left behind


def test_restore_names_the_line_of_the_bad_row(ws, tmp_path):
    data = exported(ws, tmp_path)
    deal(data)["stage"] = "paid"
    result, _ = restore(ws, tmp_path, data)
    text = (tmp_path / "edited.json").read_text("utf-8").splitlines()
    first = result.stderr.splitlines()[0]
    line = int(first.split(":")[1])
    assert first.split(": ", 1)[1].startswith("deals[0]")
    assert text[line - 1].strip() == "{" and text[line].strip() == f'"id": {deal(data)["id"]},'  # deals[0] opens
    assert text[line - 2].strip() == '"deals": ['



def test_restore_of_an_infinite_budget_is_refused_and_leaves_no_store(ws, tmp_path):
    """1e309 is read by JSON as infinity: it crashed and left an empty store behind."""
    data = exported(ws, tmp_path)
    text = json.dumps(data, ensure_ascii=False, indent=2).replace('"budget": "350000.50"', '"budget": 1e309')
    result, store = restore(ws, tmp_path, text)
    assert result.exit_code == 1 and "Бюджет: inf" in result.stderr
    assert not store.exists()


@pytest.mark.parametrize("target", ["new.db", "new.json"])
def test_restore_of_a_good_export_still_restores_everything(ws, tmp_path, target):
    data = exported(ws, tmp_path)
    result, store = restore(ws, tmp_path, data, target=target)
    assert result.exit_code == 0, result.stderr
    assert json.loads(ws.ok("--store", store, "export", "all", "--format", "json").stdout) == data


def test_restore_refuses_an_export_whose_rules_differ_from_the_files_and_creates_no_store(ws, tmp_path):
    """A store restored under other rules than the local files would refuse every command (exit 3) and, on a
    server, would check its rows against rules nobody published; so the restore itself says so first."""
    data = exported(ws, tmp_path)
    config = ws.root / "flowctl.yaml"
    config.write_text(config.read_text("utf-8").replace("timezone: Europe/Moscow", "timezone: Asia/Baku"), "utf-8")
    result, store = restore(ws, tmp_path, data)
    assert result.exit_code == 3, result.stderr
    assert result.stderr.startswith("flowctl: the export's rules (version 1, published by olga at ")
    assert "differ from your files: the time zone changed;" in result.stderr  # what differs, by name
    assert not store.exists()


def test_restore_reports_every_bad_row_not_only_the_first(ws, tmp_path):
    data = exported(ws, tmp_path)
    deal(data)["stage"] = "paid"
    data["contacts"][0]["created_at"] = "вчера"
    result, _ = restore(ws, tmp_path, data)
    assert "contacts[0]" in result.stderr and "deals[0]" in result.stderr and "2 bad rows" in result.stderr


def test_restore_by_a_role_without_the_power_reads_nothing_and_creates_no_store(ws, tmp_path):
    """Issue 18: `--as tural import all x.json` exited 5 and left a new 77 KB store; /dev/zero is not read."""
    store = ws.root / "r3.db"
    for source in (tmp_path / "missing.json", "/dev/zero"):
        refused = ws.run("--store", store, "import", "all", source, user="tural")
        assert refused.exit_code == 5, refused.stderr
        assert not store.exists()


def test_restore_of_an_endless_file_stops_at_its_limit(ws, tmp_path, monkeypatch):
    from flowctl.services import restore as module

    monkeypatch.setattr(module, "MAX_EXPORT_BYTES", 1000)
    result = ws.run("--store", ws.root / "n.db", "import", "all", "/dev/zero", user="olga")
    assert result.exit_code == 2 and "larger than 1000 bytes" in result.stderr
    assert not (ws.root / "n.db").exists()


def test_l3_restore_accepts_a_result_of_exactly_the_pipelines_minimum_of_one(unpublished_ws, tmp_path):
    """A pipeline asking for one visible character: a task done with a one-letter result restores (the
    restore's L3 check is the same as task done's, max(1, minimum))."""
    ws = unpublished_ws
    pipeline = ws.root / "pipelines" / "krovlya.yaml"
    pipeline.write_text(pipeline.read_text("utf-8").replace("result_min_length: 3", "result_min_length: 1"), "utf-8")
    deal_id = new_deal(ws)
    task = ws.json("task", "list", "--deal", deal_id)[0]
    ws.ok("task", "done", task["id"], "--result", "Д", "--contact", "call")
    data = json.loads(ws.ok("export", "all", "--format", "json").stdout)
    result, store = restore(ws, tmp_path, data)
    assert result.exit_code == 0, result.stderr
    assert [t["result"] for t in json.loads(ws.ok("--store", store, "export", "tasks", "--format", "json").stdout)] \
        == ["Д"]


def test_restore_reads_an_export_from_before_published_versions(ws, tmp_path):
    """An export made before flowctl published anything has no "publications" section: it restores into a
    local store (a server store wants the rules published first)."""
    data = exported(ws, tmp_path)
    del data["publications"]
    result, store = restore(ws, tmp_path, data)
    assert result.exit_code == 0, result.stderr
    assert json.loads(ws.ok("--store", store, "export", "all", "--format", "json").stdout)["deals"] == data["deals"]


@pytest.mark.parametrize("text, says", [
    ('{"format": "flowctl-export", "version": 1} and more', "text after the end of the object"),
    ('{"format" "flowctl-export"}', "(expected a key at character 10)"),
    ('{"format": "flowctl-export", "version": 1, "deals": {"id": 1}}', "(the format or version is not flowctl-export 1)"),
])
def test_restore_says_what_is_wrong_with_a_file_that_is_no_export(local_ws, tmp_path, text, says):
    result, store = restore(local_ws, tmp_path, text)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"flowctl: {tmp_path / 'edited.json'}: not a flowctl export (make one with"
                                    " `flowctl export all --format json`) (")
    assert says in result.stderr
    assert not store.exists()


def test_restore_reports_a_bad_task_once_not_again_for_each_event_about_it(local_ws, tmp_path):
    """The history's events of a task that is itself reported point at a row the file has: one line, not one
    more per event."""
    data = exported(local_ws, tmp_path)
    data["tasks"][0]["status"] = "someday"
    assert any(e.get("task_id") == data["tasks"][0]["id"] for e in data["history"])
    result, _ = restore(local_ws, tmp_path, data)
    assert result.exit_code == 1
    assert [line.split(": ")[1].split("[")[0] for line in result.stderr.splitlines()[:-1]] == ["tasks"]
    assert "1 bad rows" in result.stderr

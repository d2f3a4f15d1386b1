"""Imports (CSV contacts and deals, mapping files) and `import all`: behaviour the older tests left open.

Written from the mutation run (tests/mutation/): each test proves what an import promises (README, the
command's help), and names the rule where it proves one.
"""

from __future__ import annotations

import json

import pytest

from test_transfer import run_json, write_csv, write_text


def _history(ws, **match) -> list[dict]:
    events = json.loads(ws.ok("export", "history", "--format", "json", user="olga").stdout)
    return [e for e in events if all(e.get(k) == v for k, v in match.items())]


def _contacts(ws) -> dict[int, tuple]:
    exported = json.loads(ws.ok("export", "contacts", "--format", "json").stdout)
    return {c["id"]: (c["external_id"], c["fields"]) for c in exported}


# -- contacts from CSV ------------------------------------------------------------------------------

CONTACTS_1 = [["ID", "Имя", "Телефон", "Строитель/Частник", "Заметка"],
              ["C-1", "Алмаз", "8 912 345-67-89", "Строитель", "звонить вечером"],
              ["C-2", "Борис", "", "Частник", ""]]
CONTACTS_2 = [["ID", "Имя", "Телефон", "Строитель/Частник"],
              ["C-1", "Алмаз", "8 912 345-67-89", "Частник"],     # by its id: one field changes
              ["", "Алмаз", "+7 912 345-67-89", "Частник"],        # no id, a known phone: nothing changes
              ["", "Алмаз", "8 (912) 345-67-89", "Строитель"],     # no id, a known phone: an update keeps C-1
              ["C-2", "Борис", "8 913 111-22-33", "Частник"],      # by its id: a phone added
              ["", "Вера", "8 914 000-00-00", ""]]                 # nobody known: a new contact without an id


def test_importing_contacts_creates_them_and_records_where_each_came_from(ws, tmp_path):
    path = write_csv(tmp_path / "contacts1.csv", CONTACTS_1)
    report = run_json(ws, "import", "contacts", path, "--id-column", "ID")
    assert {k: report[k] for k in ("source", "dry_run", "ignored_columns", "create", "update", "unchanged",
                                    "refused")} == \
        {"source": "contacts1.csv", "dry_run": False, "ignored_columns": ["Заметка"], "create": 2, "update": 0,
         "unchanged": 0, "refused": 0}
    assert [(r["line"], r["action"], r["key"], r["id"]) for r in report["rows"]] == \
        [(2, "create", "C-1", 1), (3, "create", "C-2", 2)]
    assert _contacts(ws) == {1: ("C-1", {"name": "Алмаз", "phone": "+79123456789", "client_type": "builder"}),
                             2: ("C-2", {"name": "Борис", "client_type": "private"})}
    assert [(e["contact_id"], e["data"]) for e in _history(ws, kind="contact.imported")] == [
        (1, {"source": "contacts1.csv", "line": 2, "external_id": "C-1",
             "fields": {"name": "Алмаз", "phone": "+79123456789", "client_type": "builder"}}),
        (2, {"source": "contacts1.csv", "line": 3, "external_id": "C-2",
             "fields": {"name": "Борис", "client_type": "private"}}),
    ]
    again = run_json(ws, "import", "contacts", path, "--id-column", "ID")  # the same file again converges
    assert [(r["line"], r["action"], r["key"], r["id"]) for r in again["rows"]] == \
        [(2, "unchanged", "C-1", 1), (3, "unchanged", "C-2", 2)]


def test_reimporting_contacts_updates_them_by_their_id_or_their_phone(ws, tmp_path):
    run_json(ws, "import", "contacts", write_csv(tmp_path / "contacts1.csv", CONTACTS_1), "--id-column", "ID")
    path = write_csv(tmp_path / "contacts2.csv", CONTACTS_2)
    before = ws.snapshot()
    preview = ws.run("import", "contacts", path, "--id-column", "ID", "--dry-run", user="olga")
    assert preview.exit_code == 0, preview.stderr
    assert "sets Строитель/Частник" in preview.stdout and "sets Телефон" in preview.stdout  # labels, not ids
    assert ws.snapshot() == before
    report = run_json(ws, "import", "contacts", path, "--id-column", "ID")
    created = report["rows"][4]["id"]  # 3; on PostgreSQL ids the rolled-back dry run drew are skipped
    assert created == 3 or (ws.server and created > 3)
    assert [(r["line"], r["action"], r["key"], r["id"], r["changes"]) for r in report["rows"]] == [
        (2, "update", "C-1", 1, {"client_type": "private"}),
        (3, "unchanged", None, 1, None),
        (4, "update", None, 1, {"client_type": "builder"}),
        (5, "update", "C-2", 2, {"phone": "+79131112233"}),
        (6, "create", None, created, None),
    ]
    assert _contacts(ws) == {1: ("C-1", {"name": "Алмаз", "phone": "+79123456789", "client_type": "builder"}),
                             2: ("C-2", {"name": "Борис", "phone": "+79131112233", "client_type": "private"}),
                             created: (None, {"name": "Вера", "phone": "+79140000000"})}
    assert [(e["contact_id"], e["data"]) for e in _history(ws, kind="contact.field")] == [
        (1, {"field": "client_type", "old": "builder", "new": "private", "source": "contacts2.csv", "line": 2}),
        (1, {"field": "client_type", "old": "private", "new": "builder", "source": "contacts2.csv", "line": 4}),
        (2, {"field": "phone", "old": None, "new": "+79131112233", "source": "contacts2.csv", "line": 5}),
    ]


def test_a_column_named_external_id_keys_contacts_without_id_column(ws, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["external_id", "name"], ["A-7", "Алмаз"]])
    assert run_json(ws, "import", "contacts", path)["rows"][0]["key"] == "A-7"
    again = write_csv(tmp_path / "c2.csv", [["external_id", "name"], ["A-7", "Алмаз Ильич"]])
    assert [(r["action"], r["id"]) for r in run_json(ws, "import", "contacts", again)["rows"]] == [("update", 1)]


def test_skip_invalid_imports_the_good_contacts_and_reports_the_refused_one(ws, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["name", "phone"], ["Алмаз", "8 912 345-67-89"], ["", "8 913 111-22-33"],
                                          ["Борис", ""]])
    refused = run_json(ws, "import", "contacts", path, expect=1)
    assert refused["refused"] == 1 and _contacts(ws) == {}  # all or nothing by default
    report = run_json(ws, "import", "contacts", path, "--skip-invalid")
    assert [(r["line"], r["action"]) for r in report["rows"]] == [(2, "create"), (3, "refused"), (4, "create")]
    assert report["rows"][1]["reason"] == "a contact needs: Имя"
    assert [fields["name"] for _, fields in _contacts(ws).values()] == ["Алмаз", "Борис"]


BIRTHDAY = """\
    - id: birthday
      label: День рождения
      type: date
"""


def _with_birthday(ws) -> None:
    """The pipeline's contact card gains a date field."""
    path = ws.root / "pipelines" / "krovlya.yaml"
    text = path.read_text("utf-8")
    anchor = "  contact:              # the contact card, F8–F10\n"
    assert anchor in text
    path.write_text(text.replace(anchor, anchor + BIRTHDAY), "utf-8")
    ws.republish()


def test_contact_dates_are_read_with_the_files_date_format(ws, tmp_path):
    _with_birthday(ws)
    path = write_csv(tmp_path / "c.csv", [["name", "День рождения"], ["Алмаз", "12/31/1990"]])
    run_json(ws, "import", "contacts", path, "--date-format", "MM/DD/YYYY")
    assert _contacts(ws)[1][1]["birthday"] == "1990-12-31"


def test_a_contact_date_that_does_not_read_refuses_the_whole_file_naming_file_line_and_column(ws, tmp_path):
    _with_birthday(ws)
    path = write_csv(tmp_path / "c.csv", [["name", "День рождения"], ["Алмаз", "01.02.1990"], ["Борис", "31.02.1990"]])
    result = ws.run("import", "contacts", path, "--skip-invalid", user="olga")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"flowctl: {path} line 3, column 'День рождения': ")
    assert "nothing was imported: every date of a file is read day first" in result.stderr
    assert _contacts(ws) == {}


def test_a_date_that_does_not_follow_the_files_date_format_refuses_the_file_naming_the_format_as_typed(local_ws,
                                                                                                       tmp_path):
    _with_birthday(local_ws)
    path = write_csv(tmp_path / "c.csv", [["name", "День рождения"], ["Алмаз", "31.12.1990"]])
    result = local_ws.run("import", "contacts", path, "--date-format", "mm/dd/yyyy", user="olga")
    assert result.exit_code == 2
    assert result.stderr == (
        f"flowctl: {path} line 2, column 'День рождения': День рождения: '31.12.1990' is not a date written "
        "mm/dd/yyyy; nothing was imported: every date of a file is read as mm/dd/yyyy (if this file writes dates "
        "another way, say how with --date-format, e.g. --date-format MM/DD/YYYY)\n")
    assert _contacts(local_ws) == {}


# -- mapping files ----------------------------------------------------------------------------------

def test_a_mapping_file_with_a_repeated_key_names_the_line_of_the_repeat(ws, tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "Сумма"], ["D-1", "100"]])
    mapping = write_text(tmp_path / "map.yaml", "columns:\n  Сумма: budget\n  Сумма: site\n")
    result = ws.run("import", "deals", "--owner", "olga", path, "--mapping", mapping, user="olga")
    assert result.exit_code == 3
    assert result.stderr.startswith(f"flowctl: {mapping}:3:3: ")
    assert result.stderr.count("\n") == 1


def test_the_command_line_overrides_the_mapping_file_key_by_key_and_the_file_gives_the_rest(local_ws, tmp_path):
    path = write_csv(tmp_path / "d.csv", [
        ["Код", "Сумма", "Место", "Создана", "Этап", "Тип", "Ответственный"],
        ["K-1", "500", "Званка", "11.05.2026 09:00", "Работа", "Фирма", "ivan"],  # 5 November, as MM.DD.YYYY
        ["K-2", "700", "Мурино", "11.06.2026 10:00", "НОВЫЙ ЛИД", "Физик", "ivan"]])
    mapping = write_text(tmp_path / "map.yaml", (
        "columns: {Сумма: budget, Место: site, Тип: client_type}\nid_column: Код\ndate_format: DD/MM/YYYY\n"
        "created: Создана\nstages: {Работа: in_work}\nvalues: {Тип: {Физик: private, Фирма: builder}}\n"))
    run_json(local_ws, "import", "deals", path, "--mapping", mapping, "--map", "Сумма=nuances", "--date-format",
             "MM.DD.YYYY", "--value-map", "Тип:Фирма=private")
    deals = {d["external_id"]: d for d in json.loads(local_ws.ok("export", "deals", "--format", "json").stdout)}
    assert {key: (d["stage"], d["created_at"], {k: d["fields"].get(k) for k in ("nuances", "budget", "site",
                                                                                 "client_type")})
            for key, d in deals.items()} == {
        "K-1": ("in_work", "2026-11-05T06:00:00Z",
                {"nuances": "500", "budget": None, "site": "Званка", "client_type": "private"}),
        "K-2": ("new_lead", "2026-11-06T07:00:00Z",
                {"nuances": "700", "budget": None, "site": "Мурино", "client_type": "private"}),
    }


def test_a_mapping_file_gives_every_key_the_command_line_leaves_out(local_ws, tmp_path):
    """Dates, the creation and stage-date columns, value maps and the history file's columns from the file; the
    owner, the history file and a value map of another column from the command line."""
    path = write_csv(tmp_path / "d.csv", [
        ["Код", "Тип", "Товар", "Создана", "Горячие с", "Этап"],
        ["K-1", "Фирма", "кровля", "11/01/2026 09:00", "", "ОП ВЗЯЛ В РАБОТУ"]])
    log = write_csv(tmp_path / "log.csv", [["Сделка", "Куда", "Когда"],
                                           ["K-1", "ОП ВЗЯЛ В РАБОТУ", "11/03/2026 11:00"]])
    mapping = write_text(tmp_path / "map.yaml", (
        "columns: {Тип: client_type, Товар: product}\nid_column: Код\ndate_format: MM/DD/YYYY\ncreated: Создана\n"
        "stage_dates: {hot: Горячие с}\nvalues: {Тип: {Фирма: builder}}\n"
        "history_columns: {id: Сделка, stage: Куда, at: Когда}\n"))
    report = run_json(local_ws, "import", "deals", path, "--mapping", mapping, "--owner", "ivan", "--history", log,
                      "--value-map", "Товар:кровля=КРОВЛЯ")
    assert report["ignored_columns"] == []  # «Горячие с» is read, as the date «ГОРЯЧИЕ» was entered
    [deal] = json.loads(local_ws.ok("export", "deals", "--format", "json").stdout)
    assert (deal["created_at"], deal["fields"]["client_type"], deal["fields"]["product"],
            deal["fields"]["responsible"]) == ("2026-11-01T06:00:00Z", "builder", "КРОВЛЯ", "ivan")
    assert [(e["at"], e["data"]["to"]) for e in local_ws.json("deal", "history", deal["id"])
            if e["kind"] == "deal.stage"] == [("2026-11-03T08:00:00Z", "in_work")]


def test_a_mapping_file_may_give_one_key_and_the_command_line_the_rest(local_ws, tmp_path):
    path = write_csv(tmp_path / "d.csv", [["Код", "Место", "Этап", "Ответственный"],
                                          ["K-1", "Званка", "Работа", "ivan"]])
    mapping = write_text(tmp_path / "map.yaml", "id_column: Код\n")
    run_json(local_ws, "import", "deals", path, "--mapping", mapping, "--map", "Место=site", "--stage-map",
             "Работа=ОП ВЗЯЛ В РАБОТУ", "--value-map", "Место:Званка=Званка, д. 5")
    [deal] = json.loads(local_ws.ok("export", "deals", "--format", "json").stdout)
    assert (deal["external_id"], deal["stage"], deal["fields"]["site"]) == ("K-1", "in_work", "Званка, д. 5")


@pytest.mark.parametrize("option, text, says", [
    ("--map", "=site", "'=site' is not a mapping; write \"Source column=field\""),
    ("--map", "Сумма=", "'Сумма=' is not a mapping; write \"Source column=field\""),
    ("--map", "Сумма", "'Сумма' is not a mapping; write \"Source column=field\""),
    ("--value-map", ":Фирма=builder", "':Фирма=builder' is not a value mapping; write COLUMN:SOURCE=TARGET"),
    ("--value-map", "Тип:=builder", "'Тип:=builder' is not a value mapping; write COLUMN:SOURCE=TARGET"),
    ("--value-map", "Тип:Фирма", "'Тип:Фирма' is not a value mapping; write COLUMN:SOURCE=TARGET"),
])
def test_a_map_or_value_map_without_both_of_its_sides_is_refused_as_typed(local_ws, tmp_path, option, text, says):
    path = write_csv(tmp_path / "d.csv", [["ID", "Сумма"], ["D-1", "100"]])
    result = local_ws.run("import", "deals", path, "--owner", "ivan", option, text, user="olga")
    assert (result.exit_code, result.stderr) == (2, f"flowctl: {says}\n")


def test_a_map_splits_at_its_last_equals_sign_and_a_value_map_at_its_first_colon(local_ws, tmp_path):
    """A column may be named with = in it, a value may hold : and =."""
    path = write_csv(tmp_path / "d.csv", [["ID", "Цена=руб", "Когда"], ["D-1", "100", "10:00=утро"]])
    run_json(local_ws, "import", "deals", path, "--owner", "ivan", "--id-column", "ID", "--map", "Цена=руб=budget",
             "--map", "Когда=nuances", "--value-map", "Когда:10:00=утро=позвонить утром")
    [deal] = json.loads(local_ws.ok("export", "deals", "--format", "json").stdout)
    assert (deal["fields"]["budget"], deal["fields"]["nuances"]) == ("100.00", "позвонить утром")


MAPPING_SHAPE = ("a mapping file holds columns: {source: target, …}, stages: {source: stage, …}, id_column: …, "
                 "date_format: …, created: …, stage_dates: {stage: column, …}, values: {column: {source: value, …}} "
                 "and history_columns: {id: …, stage: …, at: …, who: …}")


def test_a_mapping_file_of_another_shape_is_refused_before_anything_is_read(ws, tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "Сумма"], ["D-1", "100"]])
    ws.ok("deal", "list")
    before = ws.snapshot()
    for text in ("- columns\n", "colums: {Сумма: budget}\n", "columns: [Сумма, budget]\n", "columns: {Сумма: 5}\n",
                 "stages: {Первичный: [new_lead]}\n", "id_column: 5\n", "date_format: [DD, MM]\n",
                 "columns: {Сумма: budget}\nstages: {Первичный: 1}\n", "values: {Тип: [a, b]}\n", "created: [A]\n",
                 "stage_dates: {hot: 5}\n", "values: [Тип]\n"):
        mapping = write_text(tmp_path / "map.yaml", text)
        result = ws.run("import", "deals", "--owner", "olga", path, "--mapping", mapping, user="olga")
        assert (result.exit_code, result.stderr) == (3, f"flowctl: {mapping}: {MAPPING_SHAPE}\n"), text
    assert ws.snapshot() == before


# -- a history file (--history): another CRM's event log --------------------------------------------

def _stage_entries(ws) -> list[tuple]:
    return [(e["at"], e["data"]["from"], e["data"]["to"], e["data"].get("by"))
            for e in ws.json("deal", "history", "1") if e["kind"] == "deal.stage"]


def test_a_history_file_dates_entries_the_files_way_and_names_who_made_them_by_login_where_known(local_ws,
                                                                                                   tmp_path):
    deals = write_csv(tmp_path / "d.csv", [["ID", "Этап", "Ответственный", "Создана"],
                                           ["H-1", "ОП ВЗЯЛ В РАБОТУ", "ivan", "11/01/2026 09:00"]])
    log = write_csv(tmp_path / "log.csv", [["ID", "stage", "entered_at", "who"],
                                           ["H-1", "ОП ВЗЯЛ В РАБОТУ", "11/03/2026 11:00", "Иван"],
                                           ["H-1", "НОВЫЙ ЛИД", "11/04/2026 12:00", "Пётр Сидоров"],
                                           ["H-1", "ОП ВЗЯЛ В РАБОТУ", "11/05/2026 13:00", "ИВАН"]])
    local_ws.ok("import", "deals", deals, "--id-column", "ID", "--created", "Создана", "--date-format", "MM/DD/YYYY",
                "--history", log, user="olga")
    assert _stage_entries(local_ws) == [("2026-11-03T08:00:00Z", "new_lead", "in_work", "ivan"),
                                        ("2026-11-04T09:00:00Z", "in_work", "new_lead", "Пётр Сидоров"),
                                        ("2026-11-05T10:00:00Z", "new_lead", "in_work", "ivan")]


def test_a_history_file_keys_its_entries_by_its_id_column_and_may_leave_out_who(local_ws, tmp_path):
    """Without --id-column the deals file's ids are its external_id column, the history file's its id column."""
    deals = write_csv(tmp_path / "d.csv", [["external_id", "Этап", "Ответственный", "Создана"],
                                           ["H-1", "ОП ВЗЯЛ В РАБОТУ", "ivan", "01.11.2026 09:00"]])
    log = write_csv(tmp_path / "log.csv", [["id", "stage", "entered_at"],
                                           ["H-1", "ОП ВЗЯЛ В РАБОТУ", "03.11.2026 11:00"]])
    local_ws.ok("import", "deals", deals, "--created", "Создана", "--history", log, user="olga")
    assert _stage_entries(local_ws) == [("2026-11-03T08:00:00Z", "new_lead", "in_work", None)]


def test_without_a_creation_column_a_deal_whose_history_starts_at_the_first_stage_was_created_when_it_entered_it(
        local_ws, tmp_path):
    deals = write_csv(tmp_path / "d.csv", [["ID", "Этап", "Ответственный"], ["H-1", "ОП ВЗЯЛ В РАБОТУ", "ivan"],
                                           ["H-2", "ОП ВЗЯЛ В РАБОТУ", "ivan"]])
    log = write_csv(tmp_path / "log.csv", [["ID", "stage", "entered_at", "who"],
                                           ["H-1", "НОВЫЙ ЛИД", "30.11.2026 10:00", "Иван"],  # later today
                                           ["H-1", "ОП ВЗЯЛ В РАБОТУ", "30.11.2026 11:00", "Турал"],
                                           ["H-2", "НОВЫЙ ЛИД", "30.11.2026 10:30", "Иван"]])
    local_ws.ok("import", "deals", deals, "--id-column", "ID", "--history", log, user="olga")
    deal, other = json.loads(local_ws.ok("export", "deals", "--format", "json").stdout)
    # the log stops before the stage the deal is in: that entry is dated as the last one, and said to be estimated
    assert [(e["at"], e["data"]) for e in local_ws.json("deal", "history", other["id"]) if e["kind"] == "deal.stage"] \
        == [("2026-11-30T07:30:00Z", {"from": "new_lead", "to": "in_work", "source": "d.csv", "line": 3,
                                      "imported": True, "estimated": True})]
    assert (deal["created_at"], deal["stage_since"]) == ("2026-11-30T07:00:00Z", "2026-11-30T08:00:00Z")
    assert [(e["at"], e["kind"], e["data"]) for e in local_ws.json("deal", "history", deal["id"])] == [
        ("2026-11-30T07:00:00Z", "deal.imported",
         {"source": "d.csv", "line": 2, "stage": "new_lead", "external_id": "H-1", "by": "ivan",
          "fields": {"lead_date": "2026-11-30", "product": "КРОВЛЯ", "responsible": "ivan"}}),
        ("2026-11-30T08:00:00Z", "deal.stage",
         {"from": "new_lead", "to": "in_work", "source": "d.csv", "line": 2, "imported": True, "by": "tural"}),
    ]  # who made each entry, by login


def test_a_history_file_missing_a_column_or_with_a_bad_row_refuses_the_import_naming_file_and_line(local_ws,
                                                                                                   tmp_path):
    deals = write_csv(tmp_path / "d.csv", [["ID", "Этап", "Ответственный", "Создана"],
                                           ["H-1", "ОП ВЗЯЛ В РАБОТУ", "ivan", "01.11.2026 09:00"]])
    log = tmp_path / "log.csv"
    before = local_ws.snapshot()
    for rows, reason in (
            ([["ID", "stage", "at"]],
             f"{log} has no column 'entered_at' (at); name the history file's columns under history_columns: in the "
             "mapping file"),
            ([["ID", "stage", "entered_at"], ["H-1", "ОП ВЗЯЛ В РАБОТУ", "03.11.2026 11:00"],
              ["H-1", "Нет такого", "04.11.2026 11:00"]],
             f"{log} line 3: unknown stage 'Нет такого'; map it with --stage-map 'Нет такого=<stage>'; nothing was "
             "imported"),
            ([["ID", "stage", "entered_at"], ["H-1", "ОП ВЗЯЛ В РАБОТУ"]],
             f"{log} line 2: the row has 2 cells and the header 3; nothing was imported")):
        write_csv(log, rows)
        result = local_ws.run("import", "deals", deals, "--id-column", "ID", "--created", "Создана", "--history", log,
                              "--skip-invalid", user="olga")
        assert (result.exit_code, result.stderr) == (2, f"flowctl: {reason}\n"), rows
    assert local_ws.snapshot() == before


# -- export as CSV ----------------------------------------------------------------------------------

def _csv(ws, kind: str) -> list[dict]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(ws.ok("export", kind).stdout)))


def test_exported_deals_and_contacts_spread_their_card_fields_into_columns(ws):
    ws.ok("contact", "add", "name=Алмаз", "phone=8 912 345-67-89")
    ws.ok("deal", "create", "--contact", "1", "-F", "site=Званка")
    [deal] = _csv(ws, "deals")
    assert list(deal) == ["id", "pipeline", "stage", "contact_id", "created_at", "stage_since", "updated_at",
                          "external_id", "responsible", "budget", "product", "client_type", "lead_date",
                          "construction_stage", "buys_when", "site", "houses", "roof_plan", "coating", "thickness",
                          "nuances", "lost_reason"]
    assert (deal["site"], deal["responsible"], deal["budget"]) == ("Званка", "ivan", "")
    [contact] = _csv(ws, "contacts")
    assert list(contact) == ["id", "created_at", "external_id", "name", "phone", "client_type"]
    assert (contact["name"], contact["phone"]) == ("Алмаз", "'+79123456789")  # ' keeps a spreadsheet from a formula


def test_exported_tasks_have_a_column_for_each_part_of_a_task(ws):
    ws.ok("deal", "create")
    [task] = _csv(ws, "tasks")
    assert list(task) == ["id", "deal_id", "type", "due", "responsible", "text", "status", "created_at",
                          "created_by", "stage", "result", "contact_kind", "done_at"]
    assert (task["type"], task["status"], task["stage"]) == ("call", "open", "new_lead")


def test_exported_history_keeps_each_events_data_as_readable_json_with_sorted_keys(ws):
    ws.ok("contact", "add", "name=Алмаз", "client_type=Строитель")
    [event] = _csv(ws, "history")
    assert list(event) == ["id", "at", "actor", "kind", "deal_id", "contact_id", "task_id", "data"]
    assert event["data"] == '{"fields": {"client_type": "builder", "name": "Алмаз"}}'


# -- deals from CSV: blanks, contacts, creation moments ---------------------------------------------

def _deal(ws, key: str) -> dict:
    return {d["external_id"]: d for d in json.loads(ws.ok("export", "deals", "--format", "json").stdout)}[key]


def test_f4_a_blank_client_type_keeps_the_one_a_deal_took_from_its_contact_on_reimport(ws, tmp_path):
    ws.ok("contact", "add", "name=Алмаз", "client_type=Строитель")
    with_contact = write_csv(tmp_path / "a.csv", [["ID", "contact", "Строитель/Частник", "site"], ["D-1", "1", "", "Званка"]])
    run_json(ws, "import", "deals", "--owner", "olga", with_contact, "--id-column", "ID")
    assert _deal(ws, "D-1")["fields"]["client_type"] == "builder"  # F4 from the contact's F10
    assert [r["action"] for r in run_json(ws, "import", "deals", "--owner", "olga", with_contact, "--id-column", "ID")["rows"]] == \
        ["unchanged"]
    without_contact = write_csv(tmp_path / "b.csv", [["ID", "Строитель/Частник", "site"], ["D-1", "", "Мурино"]])
    report = run_json(ws, "import", "deals", "--owner", "olga", without_contact, "--id-column", "ID")
    assert [(r["action"], r["changes"]) for r in report["rows"]] == [("update", {"site": "Мурино"})]
    assert _deal(ws, "D-1")["fields"]["client_type"] == "builder"


def test_f4_a_blank_client_type_keeps_a_deals_own_when_the_row_gives_it_a_contact(ws, tmp_path):
    ws.ok("contact", "add", "name=Алмаз", "client_type=Строитель")
    first = write_csv(tmp_path / "a.csv", [["ID", "Строитель/Частник"], ["D-1", "Частник"]])
    run_json(ws, "import", "deals", "--owner", "olga", first, "--id-column", "ID")
    second = write_csv(tmp_path / "b.csv", [["ID", "contact", "Строитель/Частник"], ["D-1", "1", ""]])
    report = run_json(ws, "import", "deals", "--owner", "olga", second, "--id-column", "ID")
    assert [(r["action"], r["changes"]) for r in report["rows"]] == [("update", {})]
    deal = _deal(ws, "D-1")
    assert (deal["contact_id"], deal["fields"]["client_type"]) == (1, "private")


def test_a_deals_creation_moment_is_read_in_the_workspaces_zone_as_flowctl_reads_moments(ws, tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "created_at"], ["D-1", "28.11.2026 09:00"], ["D-2", "today 08:30"]])
    run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID")
    assert (_deal(ws, "D-1")["created_at"], _deal(ws, "D-1")["fields"]["lead_date"]) == \
        ("2026-11-28T06:00:00Z", "2026-11-28")
    assert _deal(ws, "D-2")["created_at"] == "2026-11-30T05:30:00Z"


def test_a_creation_moment_with_a_date_format_takes_the_time_after_the_date(ws, tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "created_at"], ["D-1", "11/28/2026 at 09:00"], ["D-2", "11/27/2026"]])
    run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", "--date-format", "MM/DD/YYYY")
    assert _deal(ws, "D-1")["created_at"] == "2026-11-28T06:00:00Z"
    assert _deal(ws, "D-2")["created_at"] == "2026-11-27T07:00:00Z"  # a date alone: 10:00, as for every moment


def test_a_creation_moment_without_its_year_refuses_the_file_as_the_year_of_history_is_not_guessed(local_ws,
                                                                                                   tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "created_at"], ["D-1", "28.11.2026 09:00"], ["D-2", "27.11 10:00"]])
    before = local_ws.snapshot()
    result = local_ws.run("import", "deals", "--owner", "olga", path, "--id-column", "ID", user="olga")
    assert (result.exit_code, result.stderr) == \
        (2, f"flowctl: {path} line 3, column 'created_at': '27.11 10:00' does not give its year in four digits, and "
            "the year of history is not guessed (write 14.12.2026); nothing was imported: every date of a file is read "
            "day first (if this file writes dates another way, say how with --date-format, e.g. --date-format "
            "MM/DD/YYYY)\n")
    assert local_ws.snapshot() == before


def test_a_stage_date_column_the_file_lacks_is_refused_before_anything_is_read(local_ws, tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "Этап", "Ответственный"], ["D-1", "ГОРЯЧИЕ", "ivan"]])
    before = local_ws.snapshot()
    result = local_ws.run("import", "deals", path, "--id-column", "ID", "--stage-date", "ГОРЯЧИЕ=Горячие с",
                          user="olga")
    assert (result.exit_code, result.stderr) == \
        (2, "flowctl: there is no column 'Горячие с' (named by stage_dates: hot)\n")
    assert local_ws.snapshot() == before


def test_owner_is_ignored_by_a_pipeline_that_declares_no_owner_field(local_ws, tmp_path):
    """No field `meaning: owner` (nor one with the id responsible): no deal has an owner to fill in."""
    path = local_ws.root / "pipelines" / "krovlya.yaml"
    owner = ("    - id: responsible   # F1\n      label: Ответственный\n      type: user\n"
             "      meaning: owner    # whose deal it is: the agenda, the managers report, imports\n")
    text = path.read_text("utf-8")
    assert owner in text
    path.write_text(text.replace(owner, "    - id: manager\n      label: Ответственный\n      type: user\n"), "utf-8")
    local_ws.republish()
    deals = write_csv(tmp_path / "d.csv", [["ID", "Где строит"], ["D-1", "Званка"]])
    run_json(local_ws, "import", "deals", deals, "--id-column", "ID", "--owner", "ivan")
    [deal] = json.loads(local_ws.ok("export", "deals", "--format", "json").stdout)
    assert (deal["external_id"], deal["fields"]) == \
        ("D-1", {"lead_date": "2026-11-30", "product": "КРОВЛЯ", "site": "Званка"})


def test_a_created_column_the_file_lacks_is_refused_before_anything_is_read(local_ws, tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "Этап", "Ответственный"], ["D-1", "НОВЫЙ ЛИД", "ivan"]])
    before = local_ws.snapshot()
    result = local_ws.run("import", "deals", path, "--id-column", "ID", "--created", "Создана", user="olga")
    assert (result.exit_code, result.stderr) == (2, "flowctl: there is no column 'Создана' (named by created)\n")
    assert local_ws.snapshot() == before


def test_stage_dates_are_read_with_the_files_date_format(local_ws, tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "Этап", "Ответственный", "Создана", "В работе с"],
                                          ["D-1", "ОП ВЗЯЛ В РАБОТУ", "ivan", "11/01/2026 09:00", "11/03/2026 11:00"]])
    run_json(local_ws, "import", "deals", path, "--id-column", "ID", "--created", "Создана", "--date-format",
             "MM/DD/YYYY", "--stage-date", "ОП ВЗЯЛ В РАБОТУ=В работе с")
    [deal] = json.loads(local_ws.ok("export", "deals", "--format", "json").stdout)
    assert (deal["created_at"], deal["stage_since"]) == ("2026-11-01T06:00:00Z", "2026-11-03T08:00:00Z")


def test_a_blank_created_cell_creates_that_deal_now_and_leaves_the_files_other_dates_read(local_ws, tmp_path):
    """A blank cell gives None (the command's help): a deal whose creation the file does not know is created now."""
    path = write_csv(tmp_path / "d.csv", [["ID", "Этап", "Ответственный", "Создана"],
                                          ["D-1", "НОВЫЙ ЛИД", "ivan", "01.11.2026 09:00"],
                                          ["D-2", "НОВЫЙ ЛИД", "ivan", " "]])
    run_json(local_ws, "import", "deals", path, "--id-column", "ID", "--created", "Создана")
    deals = json.loads(local_ws.ok("export", "deals", "--format", "json").stdout)
    assert [(d["external_id"], d["created_at"]) for d in deals] == \
        [("D-1", "2026-11-01T06:00:00Z"), ("D-2", "2026-11-30T06:00:00Z")]


def test_a_row_a_dated_import_gives_no_date_at_all_is_created_now(local_ws, tmp_path):
    """--stage-date without a creation column dates a deal from the file's first date for it; a row with none (a
    blank stage date, nothing in the history) has no past to bring: created now, in its stage since now."""
    path = write_csv(tmp_path / "d.csv", [["ID", "Этап", "Ответственный", "В работе с"],
                                          ["D-1", "ОП ВЗЯЛ В РАБОТУ", "ivan", ""]])
    run_json(local_ws, "import", "deals", path, "--id-column", "ID", "--stage-date", "ОП ВЗЯЛ В РАБОТУ=В работе с")
    [deal] = json.loads(local_ws.ok("export", "deals", "--format", "json").stdout)
    assert (deal["stage"], deal["created_at"], deal["stage_since"]) == \
        ("in_work", "2026-11-30T06:00:00Z", "2026-11-30T06:00:00Z")


def test_an_unknown_stage_in_a_file_is_refused_with_a_suggestion_and_how_to_map_it(ws, tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "stage"], ["D-1", "ГОРЯЧИЙ"]])
    report = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", expect=1)
    assert report["rows"][0]["reason"] == \
        "unknown stage 'ГОРЯЧИЙ' (did you mean 'ГОРЯЧИЕ'?); map it with --stage-map 'ГОРЯЧИЙ=<stage>'"


def test_import_all_into_a_store_that_is_not_empty_is_refused_naming_the_store(ws, tmp_path):
    ws.ok("contact", "add", "name=Алмаз")
    export = tmp_path / "all.json"
    export.write_text(ws.ok("export", "all").stdout, "utf-8")
    before = ws.snapshot()
    result = ws.run("import", "all", export, user="olga")
    assert (result.exit_code, result.stderr) == \
        (1, f"flowctl: the store {ws.store_path} is not empty; restore an export into a new store (--store new.db)\n")
    assert ws.snapshot() == before


def test_import_all_into_a_store_holding_published_rules_is_refused_when_the_export_brings_its_own(ws, tmp_path):
    """A store that has published rules and nothing else is not empty for an export with its own published versions:
    the two histories of the rules would be mixed."""
    export = tmp_path / "all.json"
    export.write_text(ws.ok("export", "all").stdout, "utf-8")
    assert json.loads(export.read_text("utf-8"))["publications"]
    before = ws.snapshot()
    result = ws.run("import", "all", export, user="olga")
    assert (result.exit_code, result.stderr) == \
        (1, f"flowctl: the store {ws.store_path} is not empty; restore an export into a new store (--store new.db)\n")
    assert ws.snapshot() == before


def test_import_all_of_an_export_without_published_rules_into_a_new_server_store_says_to_publish_first(
        tmp_path, monkeypatch, pg_server, empty_database):
    from test_postgres import team_workspace_on

    server = team_workspace_on(empty_database, tmp_path, monkeypatch, pg_server)
    pg_server.as_member("olga")
    pg_server.admin.execute(f"ALTER DATABASE {empty_database.rsplit('/', 1)[1]} OWNER TO olga")
    export = write_text(tmp_path / "old.json", json.dumps({"format": "flowctl-export", "version": 1, "contacts": [],
                                                           "deals": [], "tasks": [], "history": [],
                                                           "publications": []}))
    result = server.run("import", "all", export, user="olga")
    assert (result.exit_code, result.stderr) == \
        (3, f"flowctl: the export holds no published rules, and {empty_database} checks every row against the "
            "published ones: publish the rules into it first (flowctl publish), then restore\n")


def test_a_contact_row_lacking_several_required_fields_names_them_all(ws, tmp_path):
    path = ws.root / "pipelines" / "krovlya.yaml"
    text = path.read_text("utf-8")
    anchor = "  contact:              # the contact card, F8–F10\n"
    path.write_text(text.replace(anchor, anchor + BIRTHDAY + "      required: true\n"), "utf-8")
    ws.republish()
    rows = write_csv(tmp_path / "c.csv", [["Имя", "Телефон", "День рождения"], ["", "8 912 345-67-89", ""]])
    report = run_json(ws, "import", "contacts", rows, expect=1)
    assert report["rows"][0]["reason"] == "a contact needs: День рождения, Имя"  # in the card's order


# -- import all: every bad row named exactly ----------------------------------------------------------

def _problems(ws, tmp_path, data: dict) -> list[str]:
    """The refusal of restoring `data` into a new store: each bad row as `section[index]: reason`."""
    from test_restore import restore

    result, store = restore(ws, tmp_path, data)
    assert result.exit_code == 1 and not store.exists(), result.stderr
    *rows, summary = result.stderr.splitlines()
    assert summary.endswith(f"bad rows in {tmp_path / 'edited.json'}; nothing was written") and \
        summary.startswith(f"flowctl: {len(rows)} ")
    prefix = f"{tmp_path / 'edited.json'}:"
    assert all(r.startswith(prefix) for r in rows), rows
    return [r.split(": ", 1)[1] for r in rows]


def _exported(ws, tmp_path) -> dict:
    from test_restore import exported

    return exported(ws, tmp_path)


def test_restore_names_each_bad_deal_exactly(ws, tmp_path):
    data = _exported(ws, tmp_path)
    good = data["deals"][0]
    data["deals"] = [
        {**good, "id": 11, "pipeline": "okna"},
        {**good, "id": 12, "pipeline": ["krovlya"]},
        {**good, "id": 13, "stage": ["new_lead"]},
        {**good, "id": 14, "stage": "hot", "fields": {"responsible": "ivan"}},
        {**good, "id": 15, "contact_id": 99},
        {**good, "id": 16},
        {**good, "id": 16},
    ]
    for task in data["tasks"]:
        task["deal_id"] = 11
    data["history"] = []
    assert _problems(ws, tmp_path, data) == [
        "deals[0]: pipeline 'okna' is not one of this workspace's",
        "deals[1]: pipeline ['krovlya'] is not one of this workspace's",
        "deals[2]: stage ['new_lead'] is not a stage of krovlya",
        "deals[3]: «ГОРЯЧИЕ» needs: Строитель/Частник, Где строит, Этап СТРОЙКИ, Когда ПОКУПАЕТ",
        "deals[4]: contact 99 is not in the file",
        "deals[6]: id 16 appears twice",
    ]


def test_restore_blames_a_bad_contact_once_not_the_deals_that_name_it(ws, tmp_path):
    data = _exported(ws, tmp_path)
    data["contacts"][0]["fields"]["name"] = ""
    assert _problems(ws, tmp_path, data) == \
        ["contacts[0]: Имя: '' is not a value of this field (as flowctl stores it)"]  # and not deals[0]


def test_restore_blames_a_bad_deal_once_not_its_tasks_and_events(local_ws, tmp_path):
    data = _exported(local_ws, tmp_path)
    data["deals"][0]["stage"] = "paid"
    assert data["tasks"] and any(e.get("deal_id") == data["deals"][0]["id"] for e in data["history"])
    assert _problems(local_ws, tmp_path, data) == ["deals[0]: stage 'paid' is not a stage of krovlya"]


def test_restore_names_a_task_without_a_deal_even_beside_a_deal_whose_id_cannot_be_read(local_ws, tmp_path):
    """A row whose id cannot be read is named, and excuses no other row: a task with no deal names none."""
    data = _exported(local_ws, tmp_path)
    data["deals"].append({**data["deals"][0], "id": "seven"})
    data["tasks"][0]["deal_id"] = None
    data["tasks"][1]["deal_id"] = ""
    assert _problems(local_ws, tmp_path, data) == [
        "deals[1]: id 'seven' is not a whole number of 1 or more",
        "tasks[0]: deal None is not in the file",
        "tasks[1]: deal '' is not in the file",
    ]


def test_restore_names_each_row_of_another_shape_exactly(ws, tmp_path):
    data = _exported(ws, tmp_path)
    deal, contact, event = data["deals"][0], data["contacts"][0], data["history"][0]
    data["contacts"] = [5, {**contact, "id": 2, "colour": "red", "age": 3}, {**contact, "id": 3, "external_id": ""},
                        {**contact, "id": 4, "external_id": "A\tB"}, contact]
    no_id = {k: v for k, v in deal.items() if k != "external_id"}  # a key with a default may be left out
    no_stage = {k: v for k, v in deal.items() if k not in ("stage", "stage_since")}
    data["deals"] = [no_stage, {**deal, "id": 2, "created_at": None}, {**deal, "id": 3, "external_id": 7}, no_id]
    data["tasks"] = [{**task, "deal_id": no_id["id"]} for task in data["tasks"]]
    data["tasks"][0]["text"] = None
    data["history"] = [{k: v for k, v in event.items() if k != "data"} | {"deal_id": no_id["id"]},
                       {**event, "id": event["id"] + 1000, "actor": 5, "deal_id": no_id["id"]}]
    assert _problems(ws, tmp_path, data) == [
        "contacts[0]: not a JSON object",
        "contacts[1]: unknown key 'age'",
        "contacts[2]: external_id '' is not a line of printable text",
        "contacts[3]: external_id 'A\\\\tB' is not a line of printable text",  # the repr, its \\ shown escaped
        "deals[0]: missing key 'stage'",
        "deals[1]: created_at None is not a stored UTC time like 2026-11-30T06:00:00Z",
        "deals[2]: external_id 7 is not a line of printable text",
        "tasks[0]: text None is not a line of printable text",
        "history[1]: actor 5 is not a line of printable text",
    ]  # the event without data, the deal without external_id, and the contact as exported are good rows


def test_restore_refuses_a_whole_number_stored_as_a_float_and_accepts_a_field_left_null(ws, tmp_path):
    data = _exported(ws, tmp_path)
    data["deals"][0]["fields"]["houses"] = 4.0
    assert _problems(ws, tmp_path, data) == \
        ["deals[0]: Сколько домов: 4.0 is not a value of this field (as flowctl stores it)"]
    data["deals"][0]["fields"]["houses"] = 4
    data["deals"][0]["fields"]["nuances"] = None  # no value: nothing to check
    from test_restore import restore

    result, store = restore(ws, tmp_path, data)
    assert result.exit_code == 0, result.stderr


def test_restore_names_each_bad_contact_exactly(ws, tmp_path):
    path = ws.root / "pipelines" / "krovlya.yaml"
    anchor = "  contact:              # the contact card, F8–F10\n"
    path.write_text(path.read_text("utf-8").replace(anchor, anchor + BIRTHDAY + "      required: true\n"), "utf-8")
    ws.republish()
    ws.ok("contact", "add", "name=Алмаз", "birthday=01.02.1990")
    data = json.loads(ws.ok("export", "all").stdout)
    good = data["contacts"][0]
    data["contacts"] = [good, {**good, "id": 2, "fields": ["Алмаз"]}, {**good, "id": 3, "fields": {"colour": "red"}},
                        {**good, "id": 4, "fields": {}}, {**good, "id": 5, "created_at": "вчера"}, good]
    data["history"] = []
    assert _problems(ws, tmp_path, data) == [
        "contacts[1]: contacts is not an object of field values",
        "contacts[2]: field 'colour' is not a field of contacts",
        "contacts[3]: a contact needs: День рождения, Имя",
        "contacts[4]: created_at 'вчера' is not a stored UTC time like 2026-11-30T06:00:00Z",
        "contacts[5]: id 1 appears twice",
    ]


def test_restore_names_each_bad_task_exactly(ws, tmp_path):
    data = _exported(ws, tmp_path)
    deal = data["deals"][0]
    closed = {**deal, "id": 2, "stage": "lost", "fields": {**deal["fields"], "lost_reason": "other"}}
    data["deals"].append(closed)
    good = {**data["tasks"][0], "status": "open"}
    bad = [{"type": ["call"]}, {"type": "fax"}, {"status": "paused"}, {"responsible": "mallory"},
           {"text": "\u202eevil"}, {"created_by": ""}, {"due": "tomorrow"}, {"created_at": "2026-11-30"},
           {"stage": "paid"}, {"deal_id": 2}]
    data["tasks"] = [{**good, "id": 100 + n, **change} for n, change in enumerate(bad)] + \
        [{**good, "id": 200, "stage": None}, {**good, "id": 200}]
    data["history"] = []
    assert _problems(ws, tmp_path, data) == [
        "tasks[0]: task type ['call'] is not a task type of krovlya",
        "tasks[1]: task type 'fax' is not a task type of krovlya",
        "tasks[2]: task status 'paused' is not open, done or cancelled",
        "tasks[3]: responsible 'mallory' is not in the team",
        "tasks[4]: text '\\\\u202eevil' is not a line of printable text",
        "tasks[5]: created_by '' is not a line of printable text",
        "tasks[6]: due 'tomorrow' is not a stored UTC time like 2026-11-30T06:00:00Z",
        "tasks[7]: created_at '2026-11-30' is not a stored UTC time like 2026-11-30T06:00:00Z",
        "tasks[8]: stage 'paid' is not a stage of krovlya",
        "tasks[9]: an open task on deal #2, which is closed («ЗАКРЫТО И НЕ РЕАЛИЗОВАНО»)",
        "tasks[11]: id 200 appears twice",
    ]  # a task set by hand has no stage: tasks[10] is good


def test_l3_restore_names_a_done_tasks_result_too_short_or_with_a_control_character_exactly(ws, tmp_path):
    data = _exported(ws, tmp_path)
    done = {**data["tasks"][0], "status": "done", "contact_kind": "call", "done_at": "2026-11-30T06:00:00Z"}
    data["tasks"] = [{**done, "result": " "}, {**done, "id": done["id"] + 100, "result": "Договорились\x1b[2J"}]
    data["history"] = [e for e in data["history"] if e.get("task_id") is None]
    assert _problems(ws, tmp_path, data) == [
        "tasks[0]: a task is completed only with a comment describing the result (L3): add --result \"…\" (at least "
        "3 characters)",
        "tasks[1]: result: control characters (line breaks, tabs, direction marks) are not allowed",
    ]


def test_restore_counts_the_lines_of_a_file_that_begins_with_blank_lines(local_ws, tmp_path):
    from test_restore import restore

    data = _exported(local_ws, tmp_path)
    data["tasks"][-1]["text"] = None
    text = "\n\n" + json.dumps(data, ensure_ascii=False, indent=2)
    lines = text.splitlines()
    line = lines.index('  "history": [') - 1  # the last task's first line: it is the row before the history
    while lines[line - 1] != "    {":
        line -= 1
    assert lines.index('  "deals": [') < lines.index('  "tasks": [') < line  # rows of other sections come first
    result, store = restore(local_ws, tmp_path, text)
    assert result.stderr.splitlines()[0] == (f"{tmp_path / 'edited.json'}:{line}: tasks[{len(data['tasks']) - 1}]: "
                                             "text None is not a line of printable text")


@pytest.mark.parametrize("text", ["[]", "  \n 5"])
def test_restore_of_a_file_whose_json_is_no_object_says_so(local_ws, tmp_path, text):
    from test_restore import restore

    result, store = restore(local_ws, tmp_path, text)
    assert (result.exit_code, result.stderr) == \
        (2, f"flowctl: {tmp_path / 'edited.json'}: not a flowctl export (make one with `flowctl export all --format "
            "json`) (not a JSON object)\n")
    assert not store.exists()


def test_restore_reads_an_export_written_compactly_as_json_tools_write_it(local_ws, tmp_path):
    """`jq -c` or a script's json.dump leaves no space after `:` and `,` and writes `[]` for an empty section."""
    from test_restore import restore

    data = _exported(local_ws, tmp_path)
    data["history"] = []
    result, store = restore(local_ws, tmp_path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    assert result.exit_code == 0, result.stderr
    restored = json.loads(local_ws.ok("--store", store, "export", "all", "--format", "json").stdout)
    assert [restored[k] for k in ("contacts", "deals", "tasks", "history")] == \
        [data[k] for k in ("contacts", "deals", "tasks", "history")]


@pytest.mark.parametrize("edit, reason", [
    (lambda text: text + "x", "text after the end of the object"),
    (lambda text: "{'format': 'flowctl-export'}", "expected a key at character 1"),  # a Python dict, not JSON
    (lambda text: text.replace('"version": 1', '"version": 2', 1), "the format or version is not flowctl-export 1"),
    (lambda text: text.replace('"flowctl-export"', '"flowctl-backup"', 1),
     "the format or version is not flowctl-export 1"),
])
def test_restore_of_a_file_that_is_not_an_export_of_this_format_says_why_and_writes_nothing(local_ws, tmp_path, edit,
                                                                                           reason):
    from test_restore import restore

    text = json.dumps(_exported(local_ws, tmp_path), ensure_ascii=False, indent=2)
    assert '"version": 1' in text and '"flowctl-export"' in text
    result, store = restore(local_ws, tmp_path, edit(text))
    assert (result.exit_code, result.stderr) == \
        (2, f"flowctl: {tmp_path / 'edited.json'}: not a flowctl export (make one with `flowctl export all --format "
            f"json`) ({reason})\n")
    assert not store.exists()


def test_restore_of_a_file_that_cannot_be_read_gives_the_systems_reason_and_creates_no_store(local_ws, tmp_path):
    store = tmp_path / "new.db"
    for path, reason in ((tmp_path / "missing.json", "No such file or directory"), (tmp_path, "Is a directory")):
        result = local_ws.run("--store", store, "import", "all", path, user="olga")
        assert (result.exit_code, result.stderr) == \
            (2, f"flowctl: {path}: not a flowctl export (make one with `flowctl export all --format json`) "
                f"({reason})\n")
    assert not store.exists()


def test_restore_names_each_bad_published_version_exactly(ws, tmp_path):
    data = _exported(ws, tmp_path)
    good = data["publications"][-1]
    data["publications"] = [{**good, "id": good["id"] + 1, "at": "вчера"},
                            {**good, "id": good["id"] + 2, "actor": ""},
                            {**good, "id": good["id"] + 3, "digest": "0" * 64}]
    assert _problems(ws, tmp_path, data) == [
        "publications[0]: at 'вчера' is not a stored UTC time like 2026-11-30T06:00:00Z",
        "publications[1]: actor '' is not a line of printable text",
        f"publications[2]: published version {good['id'] + 3} is not what was published (its digest does not match "
        "its content)",
    ]


def test_without_a_creation_column_a_deal_is_created_at_the_earliest_date_its_history_or_stage_dates_give(local_ws,
                                                                                                          tmp_path):
    """A file from another CRM dates the past: with no creation column a deal was created when the file first
    dates it, not today, so its past entries are not refused as coming before its creation."""
    logged = write_csv(tmp_path / "d.csv", [["ID", "Этап", "Ответственный"], ["H-1", "ОП ВЗЯЛ В РАБОТУ", "ivan"]])
    log = write_csv(tmp_path / "log.csv", [["ID", "stage", "entered_at"],
                                           ["H-1", "НОВЫЙ ЛИД", "02.03.2026 10:00"],
                                           ["H-1", "ОП ВЗЯЛ В РАБОТУ", "03.03.2026 11:00"]])
    dated = write_csv(tmp_path / "e.csv", [["ID", "Этап", "Ответственный", "В работе"],
                                           ["H-2", "ОП ВЗЯЛ В РАБОТУ", "ivan", "05.10.2026 12:00"]])
    local_ws.ok("import", "deals", logged, "--id-column", "ID", "--history", log, user="olga")
    local_ws.ok("import", "deals", dated, "--id-column", "ID", "--stage-date", "in_work=В работе", user="olga")
    first, second = json.loads(local_ws.ok("export", "deals", "--format", "json").stdout)
    assert [(d["external_id"], d["created_at"], d["stage_since"], d["fields"]["lead_date"]) for d in (first, second)] \
        == [("H-1", "2026-03-02T07:00:00Z", "2026-03-03T08:00:00Z", "2026-03-02"),
            ("H-2", "2026-10-05T09:00:00Z", "2026-10-05T09:00:00Z", "2026-10-05")]


def test_a_stage_date_that_does_not_follow_the_files_date_format_refuses_the_file_naming_line_and_column(local_ws,
                                                                                                          tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "Этап", "Ответственный", "В работе"],
                                          ["H-1", "ОП ВЗЯЛ В РАБОТУ", "ivan", "05.10.2026 12:00"],
                                          ["H-2", "ОП ВЗЯЛ В РАБОТУ", "ivan", "13/31/2026"]])
    before = local_ws.snapshot()
    result = local_ws.run("import", "deals", path, "--id-column", "ID", "--stage-date", "in_work=В работе",
                          "--date-format", "DD.MM.YYYY", user="olga")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"flowctl: {path} line 3, column 'В работе': ")
    assert result.stderr.endswith("nothing was imported: every date of a file is read as DD.MM.YYYY (if this file "
                                  "writes dates another way, say how with --date-format, e.g. --date-format "
                                  "MM/DD/YYYY)\n")
    assert local_ws.snapshot() == before


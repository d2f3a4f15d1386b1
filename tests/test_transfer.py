"""Data in and out, against both stores: CSV import of deals and contacts (dialects, mapping, idempotence,
all-or-nothing, dry run, history), export of everything, and a full export restored into a new store."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from test_deals import call_done, new_deal, walk_to

LATER = "2026-12-02T07:00:00Z"  # Wednesday 10:00 in Moscow


# -- helpers ------------------------------------------------------------------------------------

def write_csv(path, rows, delimiter=",", encoding="utf-8", bom=False, newline="\r\n"):
    """Rows (header first) as a spreadsheet would save them; returns the path."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    data = out.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_text(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def touch_store(ws):
    """Open the store once, so that a snapshot taken before the command under test sees a real store."""
    ws.ok("deal", "list")


def run_json(ws, *args, expect: int = 0, user: str = "olga"):
    """An import with --format json whose exit code is `expect`; its parsed report."""
    result = ws.run(*args, "--format", "json", user=user)
    assert result.exit_code == expect, (result.exit_code, result.stdout, result.stderr)
    return json.loads(result.stdout)


def deals_by_key(ws, store=None):
    """{external id: (stage, fields, contact id)} from `export deals --format json`."""
    prefix = ("--store", str(store)) if store else ()
    exported = json.loads(ws.ok(*prefix, "export", "deals", "--format", "json").stdout)
    return {d["external_id"]: (d["stage"], d["fields"], d["contact_id"]) for d in exported}


def store_event_count(path) -> int:
    """Events in the store itself, read around flowctl."""
    if str(path).startswith("postgresql://"):
        import psycopg

        with psycopg.connect(str(path)) as db:
            return db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    if str(path).endswith(".json"):
        return len(json.loads(path.read_text("utf-8"))["events"])
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    finally:
        db.close()


def other_store(ws, name="other"):
    """A path for a second store of the workspace's kind (not created: `import all` creates it)."""
    return ws.root / (name + (".db" if ws.store_name.endswith(".db") else ".json"))


def new_empty_store(ws, name="other"):
    """A second, empty store of the workspace's kind, created as `flowctl init` creates one."""
    from flowctl.store import open_store

    path = other_store(ws, name)
    open_store(str(path), create=True).close()
    return path


# -- the same three deals in every dialect ------------------------------------------------------

EXPECTED = {
    "A-1": ("new_lead", {"budget": "1054.50", "lead_date": "2026-11-02", "responsible": "ivan", "site": "Званка",
                         "product": "КРОВЛЯ"}),
    "A-2": ("hot", {"budget": "250000.00", "lead_date": "2026-11-05", "responsible": "ivan", "site": "Мурино",
                    "client_type": "private", "construction_stage": "коробка", "buys_when": "2026-12-14",
                    "product": "КРОВЛЯ"}),
    "A-3": ("proposal_ready", {"budget": "1200000.00", "lead_date": "2026-10-20", "responsible": "olga",
                               "site": "Кудрово", "client_type": "builder", "houses": 4, "product": "КРОВЛЯ"}),
}

LABEL_HEADER = ["ID", "Этап", "Бюджет", "Дата ЛИДА", "Ответственный", "Где строит", "Строитель/Частник",
                "Этап СТРОЙКИ", "Когда ПОКУПАЕТ", "Сколько домов"]


def _rows(money, dates):
    """The three deals; money(whole, kopecks) and dates(iso) say how the source CRM writes them."""
    return [
        ["A-1", "НОВЫЙ ЛИД", money("1 054", "50"), dates("2026-11-02"), "ivan", "Званка", "", "", "", ""],
        ["A-2", "ГОРЯЧИЕ", money("250 000", "00"), dates("2026-11-05"), "ivan", "Мурино", "Частник", "коробка",
         dates("2026-12-14"), ""],
        ["A-3", "КП ГОТОВО", money("1 200 000", None), dates("2026-10-20"), "olga", "Кудрово", "Строитель", "", "",
         "4"],
    ]


def _iso(day):
    return day


def _russian(day):
    year, month, dd = day.split("-")
    return f"{dd}.{month}.{year}"


def _rub_sign(whole, kopecks):
    return f"{whole},{kopecks} ₽" if kopecks else f"{whole} ₽"


def _rub_sign_nbsp(whole, kopecks):  # Excel groups thousands with a no-break space
    return _rub_sign(whole.replace(" ", "\u00a0"), kopecks)


def _rub_word(whole, kopecks):
    return f"{whole},{kopecks} руб." if kopecks else f"{whole} руб."


def _comma_utf8(tmp_path):
    return write_csv(tmp_path / "comma_utf8.csv", [LABEL_HEADER, *_rows(_rub_sign, _iso)]), []


def _semicolon_utf8_bom(tmp_path):
    return write_csv(tmp_path / "semicolon_bom.csv", [LABEL_HEADER, *_rows(_rub_sign_nbsp, _russian)],
                     delimiter=";", bom=True), []


def _semicolon_cp1251(tmp_path):
    return write_csv(tmp_path / "semicolon_cp1251.csv", [LABEL_HEADER, *_rows(_rub_word, _russian)],
                     delimiter=";", encoding="cp1251"), []


def _tab_utf8(tmp_path):
    return write_csv(tmp_path / "tab_utf8.csv", [LABEL_HEADER, *_rows(_rub_sign, _russian)], delimiter="\t",
                     newline="\n"), []


def _comma_mapped(tmp_path):
    header = ["ID", "Status", "Amount", "Created", "Owner", "Address", "Kind", "Build phase", "Buys", "Houses"]
    maps = ["Status=stage", "Amount=budget", "Created=Дата ЛИДА", "Owner=responsible", "Address=site",
            "Kind=client_type", "Build phase=construction_stage", "Buys=buys_when", "Houses=houses"]
    flags = [arg for m in maps for arg in ("--map", m)]
    return write_csv(tmp_path / "mapped.csv", [header, *_rows(_rub_sign, _iso)]), flags


DIALECTS = {"comma_utf8_iso_dates": _comma_utf8, "semicolon_utf8_bom_russian_dates": _semicolon_utf8_bom,
            "semicolon_cp1251_rub": _semicolon_cp1251, "tab_utf8": _tab_utf8, "comma_columns_by_map": _comma_mapped}


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_deal_import_yields_the_same_deals_in_every_dialect(ws, tmp_path, dialect):
    path, flags = DIALECTS[dialect](tmp_path)
    report = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", *flags)
    assert (report["create"], report["update"], report["unchanged"], report["refused"]) == (3, 0, 0, 0)
    assert report["ignored_columns"] == []
    assert [(r["line"], r["action"], r["key"]) for r in report["rows"]] == \
        [(2, "create", "A-1"), (3, "create", "A-2"), (4, "create", "A-3")]
    assert {k: (stage, fields) for k, (stage, fields, _) in deals_by_key(ws).items()} == EXPECTED


def test_cp1251_file_is_told_from_utf8_by_its_bytes(ws, tmp_path):
    """The same cp1251 bytes are not valid UTF-8; reading them as UTF-8 would garble every Russian label."""
    path, _ = _semicolon_cp1251(tmp_path)
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID")
    assert deals_by_key(ws)["A-3"][1]["site"] == "Кудрово"


# -- re-import converges ------------------------------------------------------------------------

def test_reimporting_the_same_file_changes_nothing(ws, tmp_path):
    path, _ = _semicolon_utf8_bom(tmp_path)
    run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID")
    before = ws.snapshot()
    ws.monkeypatch.setenv("FLOWCTL_NOW", LATER)  # a day later: nothing may be touched "because it is a new day"
    again = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID")
    assert (again["create"], again["update"], again["unchanged"], again["refused"]) == (0, 0, 3, 0)
    assert [r["action"] for r in again["rows"]] == ["unchanged"] * 3
    assert ws.snapshot() == before


def test_reimport_with_a_changed_budget_updates_that_deal_and_records_the_source(ws, tmp_path):
    first, _ = _comma_utf8(tmp_path)
    run_json(ws, "import", "deals", "--owner", "olga", first, "--id-column", "ID")
    ids = {k: d["id"] for k, d in ((d["external_id"], d) for d in
                                    json.loads(ws.ok("export", "deals", "--format", "json").stdout))}
    rows = [LABEL_HEADER, *_rows(_rub_sign, _iso)]
    rows[2][2] = "275 000 ₽"  # A-2, line 3
    second = write_csv(tmp_path / "crm_2026-12-02.csv", rows)
    report = run_json(ws, "import", "deals", "--owner", "olga", second, "--id-column", "ID")
    assert [(r["line"], r["action"], r["key"], r["id"]) for r in report["rows"]] == \
        [(2, "unchanged", "A-1", ids["A-1"]), (3, "update", "A-2", ids["A-2"]), (4, "unchanged", "A-3", ids["A-3"])]
    deals = json.loads(ws.ok("export", "deals", "--format", "json").stdout)
    assert len(deals) == 3  # no duplicate
    assert sorted(d["external_id"] for d in deals) == ["A-1", "A-2", "A-3"]
    assert deals_by_key(ws)["A-2"][1]["budget"] == "275000.00"
    changes = [e for e in ws.json("deal", "history", ids["A-2"]) if e["kind"] == "deal.field"]
    assert len(changes) == 1
    assert changes[0]["data"]["field"] == "budget"
    assert (changes[0]["data"]["old"], changes[0]["data"]["new"]) == ("250000.00", "275000.00")
    assert changes[0]["data"]["source"] == "crm_2026-12-02.csv" and changes[0]["data"]["line"] == 3
    assert not [e for e in ws.json("deal", "history", ids["A-1"]) if e["kind"] == "deal.field"]


# -- refused rows -------------------------------------------------------------------------------

BAD_FILE = (
    "ID,Этап,Бюджет,Ответственный,Где строит,Строитель/Частник,Этап СТРОЙКИ,Когда ПОКУПАЕТ\n"   # 1
    "B-1,НОВЫЙ ЛИД,100,ivan,,,,\n"                                                             # 2 good
    "B-2,В РАЗДУМЬЯХ,100,ivan,,,,\n"                                                           # 3 unknown stage
    "\n"                                                                                       # 4 blank
    "B-3,НОВЫЙ ЛИД,сто рублей,ivan,,,,\n"                                                      # 5 bad money
    "B-4,ГОРЯЧИЕ,100,ivan,Званка,Частник,фундамент,\n"                                         # 6 no buys_when
    "B-5,КП ГОТОВО,,olga,,,,\n"                                                                # 7 no budget
    "B-6,ОП ВЗЯЛ В РАБОТУ,200,olga,,,,\n"                                                      # 8 good
)


def test_refused_rows_name_line_and_reason_and_nothing_is_written(ws, tmp_path):
    path = write_text(tmp_path / "bad.csv", BAD_FILE)
    touch_store(ws)
    before = ws.snapshot()
    report = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", expect=1)
    refused = {r["line"]: r["reason"] for r in report["rows"] if r["action"] == "refused"}
    assert sorted(refused) == [3, 5, 6, 7]
    assert "unknown stage 'В РАЗДУМЬЯХ'" in refused[3]
    assert "Бюджет" in refused[5] and "сто рублей" in refused[5]
    assert refused[6].endswith("needs: Когда ПОКУПАЕТ")
    assert refused[7].endswith("needs: Бюджет")
    assert [(r["line"], r["action"]) for r in report["rows"] if r["action"] != "refused"] == \
        [(2, "create"), (8, "create")]
    assert report["refused"] == 4
    assert ws.snapshot() == before
    assert ws.json("deal", "list") == []


def test_refused_rows_in_table_output_exit_1_and_say_nothing_written(ws, tmp_path):
    path = write_text(tmp_path / "bad.csv", BAD_FILE)
    touch_store(ws)
    before = ws.snapshot()
    result = ws.run("import", "deals", "--owner", "olga", path, "--id-column", "ID", user="olga")
    assert result.exit_code == 1
    assert "nothing written" in result.stderr and "4 refused" in result.stderr
    assert "В РАЗДУМЬЯХ" in result.stdout
    assert ws.snapshot() == before


def test_skip_invalid_writes_the_other_rows(ws, tmp_path):
    path = write_text(tmp_path / "bad.csv", BAD_FILE)
    report = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", "--skip-invalid")
    assert (report["create"], report["refused"]) == (2, 4)
    assert {k: stage for k, (stage, _, _) in deals_by_key(ws).items()} == {"B-1": "new_lead", "B-6": "in_work"}
    fixed = write_text(tmp_path / "bad.csv", BAD_FILE.replace("В РАЗДУМЬЯХ", "ОП ВЗЯЛ В РАБОТУ"))
    again = run_json(ws, "import", "deals", "--owner", "olga", fixed, "--id-column", "ID", "--skip-invalid")
    assert [(r["line"], r["action"]) for r in again["rows"] if r["action"] != "refused"] == \
        [(2, "unchanged"), (3, "create"), (8, "unchanged")]


def test_a_row_spanning_lines_is_named_by_the_line_it_starts_on(ws, tmp_path):
    """A quoted cell may hold a line break (a comment column here); a row is named by the line it begins on."""
    text = ("ID,Этап,Бюджет,Комментарий\n"          # 1
            'M-1,НОВЫЙ ЛИД,100,"звонил,\n'           # 2 (the row goes on to line 3)
            'перезвонить"\n'                         # 3
            'M-2,НОВЫЙ ЛИД,много,"две\n'             # 4 bad money (the row goes on to line 5)
            'строки"\n'                              # 5
            "M-3,НОВЫЙ ЛИД,тоже много,\n")           # 6 bad money
    path = write_text(tmp_path / "multiline.csv", text)
    report = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", "--skip-invalid")
    assert report["ignored_columns"] == ["Комментарий"]
    assert [(r["line"], r["action"]) for r in report["rows"]] == [(2, "create"), (4, "refused"), (6, "refused")]


# -- dry run ------------------------------------------------------------------------------------

def test_dry_run_reports_row_by_row_and_writes_nothing(ws, tmp_path):
    run_json(ws, "import", "deals", "--owner", "olga", write_csv(tmp_path / "seed.csv", [["ID", "Бюджет"], ["D-1", "100"]]),
             "--id-column", "ID")
    path = write_csv(tmp_path / "next.csv", [["ID", "Бюджет", "Этап"],
                                             ["D-1", "150", ""],          # 2 update
                                             ["D-2", "200", "НОВЫЙ ЛИД"],  # 3 create
                                             ["D-3", "300", "КП ГОТОВВО"],  # 4 refused: no such stage
                                             ["D-1", "150", ""]])         # 5 unchanged after line 2
    before = ws.snapshot()
    report = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", "--dry-run", expect=1)
    assert report["dry_run"] is True
    assert [(r["line"], r["action"], r["key"]) for r in report["rows"]] == \
        [(2, "update", "D-1"), (3, "create", "D-2"), (4, "refused", None), (5, "unchanged", "D-1")]
    assert "КП ГОТОВВО" in report["rows"][2]["reason"]
    assert (report["create"], report["update"], report["unchanged"], report["refused"]) == (1, 1, 1, 1)
    assert ws.snapshot() == before
    skipping = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", "--dry-run", "--skip-invalid")
    assert [r["action"] for r in skipping["rows"]] == ["update", "create", "refused", "unchanged"]
    table = ws.run("import", "deals", "--owner", "olga", path, "--id-column", "ID", "--dry-run", "--skip-invalid", user="olga")
    assert table.exit_code == 0
    assert "update" in table.stdout and "create" in table.stdout and "refused" in table.stdout
    assert "nothing written" in table.stderr
    assert ws.snapshot() == before
    assert list(deals_by_key(ws)) == ["D-1"] and deals_by_key(ws)["D-1"][1]["budget"] == "100.00"


# -- history of an import -----------------------------------------------------------------------

def test_every_imported_deal_has_an_imported_event_naming_file_and_line(ws, tmp_path):
    path, _ = _semicolon_cp1251(tmp_path)
    report = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID")
    for row in report["rows"]:
        events = ws.json("deal", "history", row["id"])
        imported = [e for e in events if e["kind"] == "deal.imported"]
        assert len(imported) == 1, events
        assert imported[0]["data"]["source"] == "semicolon_cp1251.csv"
        assert imported[0]["data"]["line"] == row["line"]
        assert imported[0]["data"]["external_id"] == row["key"]
        assert imported[0]["actor"] == "olga"
    # landing in a stage by import is not entering it today: no on-enter tasks (call, close to payment)
    assert json.loads(ws.ok("export", "tasks", "--format", "json").stdout) == []


def test_imported_deal_without_lead_date_gets_today_in_the_workspace_zone(ws, tmp_path):
    """F5: the lead date is today where the team works, as for `deal create`; 22:30 UTC is already tomorrow in Moscow."""
    late = "2026-11-30T22:30:00Z"  # 01:30 on 1 December in Moscow
    created = ws.json("deal", "create", now=late)
    assert created["fields"]["lead_date"] == "2026-12-01"
    run_json(ws, "import", "deals", "--owner", "olga", write_csv(tmp_path / "late.csv", [["ID", "Бюджет"], ["L-1", "10"]]),
             "--id-column", "ID")
    assert deals_by_key(ws)["L-1"][1]["lead_date"] == created["fields"]["lead_date"]


# -- stage map and mapping file -----------------------------------------------------------------

FOREIGN = [["Номер", "Статус", "Сумма", "Менеджер", "Адрес", "Тип"],
           ["F-1", "Первичный контакт", "1 000 ₽", "ivan", "Званка", "Частник"],
           ["F-2", "Коммерческое предложение", "2 500,50 ₽", "olga", "Мурино", "Строитель"],
           ["F-3", "Проиграна", "", "ivan", "", ""]]
FOREIGN_FLAGS = ["--id-column", "Номер", "--map", "Статус=stage", "--map", "Сумма=budget",
                 "--map", "Менеджер=Ответственный", "--map", "Адрес=site", "--map", "Тип=client_type",
                 "--stage-map", "Первичный контакт=new_lead", "--stage-map", "Коммерческое предложение=КП ГОТОВО",
                 "--stage-map", "Проиграна=lost"]
MAPPING_YAML = """\
id_column: Номер
columns:
  Статус: stage
  Сумма: budget
  Менеджер: Ответственный
  Адрес: site
  Тип: client_type
stages:
  Первичный контакт: new_lead
  Коммерческое предложение: КП ГОТОВО
  Проиграна: lost
"""


def test_stage_map_maps_a_differently_named_source_stage(ws, tmp_path):
    rows = [r + [reason] for r, reason in zip(FOREIGN, ["Причина отказа", "", "", "Дорого"])]
    path = write_csv(tmp_path / "foreign.csv", rows)
    unmapped = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "Номер", "--map", "Статус=stage",
                        "--dry-run", expect=1)
    assert all(r["action"] == "refused" and "unknown stage" in r["reason"] for r in unmapped["rows"])
    run_json(ws, "import", "deals", "--owner", "olga", path, *FOREIGN_FLAGS)
    deals = deals_by_key(ws)
    assert {k: stage for k, (stage, _, _) in deals.items()} == \
        {"F-1": "new_lead", "F-2": "proposal_ready", "F-3": "lost"}
    assert deals["F-2"][1]["budget"] == "2500.50" and deals["F-2"][1]["responsible"] == "olga"
    assert deals["F-3"][1]["lost_reason"] == "too_expensive"


def test_mapping_file_works_like_the_flags(ws, tmp_path):
    rows = [r + [reason] for r, reason in zip(FOREIGN, ["Причина отказа", "", "", "Нет связи"])]
    path = write_csv(tmp_path / "foreign.csv", rows)
    mapping = write_text(tmp_path / "mapping.yaml", MAPPING_YAML)
    by_flags = run_json(ws, "import", "deals", "--owner", "olga", path, *FOREIGN_FLAGS)
    other = new_empty_store(ws)
    by_file = run_json(ws, "--store", other, "import", "deals", "--owner", "olga", path, "--mapping", mapping)
    assert by_file["rows"] == by_flags["rows"]
    assert deals_by_key(ws, other) == deals_by_key(ws)
    assert json.loads(ws.ok("export", "deals", "--format", "json").stdout) == \
        json.loads(ws.ok("--store", other, "export", "deals", "--format", "json").stdout)
    # the mapping file names the same id column, so it converges on the deals the flags made
    again = run_json(ws, "import", "deals", "--owner", "olga", path, "--mapping", mapping)
    assert [r["action"] for r in again["rows"]] == ["unchanged"] * 3


def test_usage_errors_exit_2_and_write_nothing(ws, tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "Бюджет", "Этап"], ["U-1", "1", "НОВЫЙ ЛИД"]])
    touch_store(ws)
    before = ws.snapshot()
    for args in (["--map", "Бюджет=бюджетик"], ["--map", "no equals sign"], ["--id-column", "Нет такой"],
                 ["--stage-map", "Квал=нет такой стадии"], ["--format", "xml"]):
        result = ws.run("import", "deals", "--owner", "olga", path, *args, user="olga")
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
    assert ws.run("import", "deals", "--owner", "olga", tmp_path / "missing.csv", user="olga").exit_code == 2
    assert ws.snapshot() == before


# -- contacts -----------------------------------------------------------------------------------

CONTACTS = [["client_id", "Имя", "Телефон", "Строитель/Частник"],
            ["C-1", "Алмаз", "8 (912) 345-67-89", "Строитель"],
            ["C-2", "Ирина", "+7 921 000 11 22", "Частник"],
            ["C-3", "Пётр", "905-111-22-33", ""]]


def contacts_by_key(ws):
    return {c["external_id"]: c for c in json.loads(ws.ok("export", "contacts", "--format", "json").stdout)}


def test_contact_import_normalises_phones_and_is_idempotent_by_id(ws, tmp_path):
    path = write_csv(tmp_path / "contacts.csv", CONTACTS, delimiter=";")
    report = run_json(ws, "import", "contacts", path, "--id-column", "client_id")
    assert [(r["line"], r["action"], r["key"]) for r in report["rows"]] == \
        [(2, "create", "C-1"), (3, "create", "C-2"), (4, "create", "C-3")]
    contacts = contacts_by_key(ws)
    assert {k: c["fields"]["phone"] for k, c in contacts.items()} == \
        {"C-1": "+79123456789", "C-2": "+79210001122", "C-3": "+79051112233"}
    assert contacts["C-1"]["fields"]["client_type"] == "builder"
    before = ws.snapshot()
    again = run_json(ws, "import", "contacts", path, "--id-column", "client_id")
    assert [r["action"] for r in again["rows"]] == ["unchanged"] * 3
    assert ws.snapshot() == before


def test_second_contact_import_updates_instead_of_duplicating(ws, tmp_path):
    run_json(ws, "import", "contacts", write_csv(tmp_path / "contacts.csv", CONTACTS), "--id-column", "client_id")
    first = contacts_by_key(ws)
    changed = [r[:] for r in CONTACTS]
    changed[1][1] = "Алмаз Ринатович"
    changed[2][2] = "8-921-000-11-22"  # the same number, written differently: not a change
    report = run_json(ws, "import", "contacts", write_csv(tmp_path / "contacts2.csv", changed),
                      "--id-column", "client_id")
    assert [(r["action"], r["id"]) for r in report["rows"]] == \
        [("update", first["C-1"]["id"]), ("unchanged", first["C-2"]["id"]), ("unchanged", first["C-3"]["id"])]
    after = contacts_by_key(ws)
    assert len(json.loads(ws.ok("export", "contacts", "--format", "json").stdout)) == 3
    assert after["C-1"]["fields"]["name"] == "Алмаз Ринатович" and after["C-1"]["id"] == first["C-1"]["id"]
    history = json.loads(ws.ok("export", "history", "--format", "json").stdout)
    renamed = [e for e in history if e["kind"] == "contact.field" and e["contact_id"] == first["C-1"]["id"]]
    assert [(e["data"]["field"], e["data"]["new"], e["data"]["source"]) for e in renamed] == \
        [("name", "Алмаз Ринатович", "contacts2.csv")]


def test_deals_link_to_imported_contacts_by_their_source_id(ws, tmp_path):
    run_json(ws, "import", "contacts", write_csv(tmp_path / "contacts.csv", CONTACTS), "--id-column", "client_id")
    contacts = contacts_by_key(ws)
    deals = write_csv(tmp_path / "deals.csv", [["ID", "contact", "Бюджет"], ["K-1", "C-2", "10"],
                                               ["K-2", "C-1", "20"], ["K-3", "", "30"]])
    run_json(ws, "import", "deals", "--owner", "olga", deals, "--id-column", "ID")
    linked = deals_by_key(ws)
    assert {k: contact for k, (_, _, contact) in linked.items()} == \
        {"K-1": contacts["C-2"]["id"], "K-2": contacts["C-1"]["id"], "K-3": None}
    card = ws.json("contact", "show", contacts["C-2"]["id"])
    assert [d["id"] for d in card["deals"]] == \
        [d["id"] for d in json.loads(ws.ok("export", "deals", "--format", "json").stdout) if d["external_id"] == "K-1"]
    # a column under another name, mapped; and an unknown contact is a refused row
    relinked = write_csv(tmp_path / "deals2.csv", [["ID", "Клиент"], ["K-3", "C-3"], ["K-4", "C-404"]])
    report = run_json(ws, "import", "deals", "--owner", "olga", relinked, "--id-column", "ID", "--map", "Клиент=contact",
                      "--skip-invalid")
    assert [r["action"] for r in report["rows"]] == ["update", "refused"]
    assert "C-404" in report["rows"][1]["reason"]
    assert deals_by_key(ws)["K-3"][2] == contacts["C-3"]["id"]
    before = ws.snapshot()
    again = run_json(ws, "import", "deals", "--owner", "olga", deals, "--id-column", "ID")  # K-3's contact is not in this file
    assert [r["action"] for r in again["rows"]] == ["unchanged"] * 3
    assert ws.snapshot() == before


# -- export -------------------------------------------------------------------------------------

def deals_for_one_contact(ws, count: int) -> list[int]:
    """`count` new deals of contact #1 (new_deal adds the contact; its phone may be added only once)."""
    first = new_deal(ws)
    return [first] + [ws.json("deal", "create", "--pipeline", "krovlya", "--contact", "1")["id"]
                      for _ in range(count - 1)]


def _store_with_deals(ws):
    ids = deals_for_one_contact(ws, 3)
    walk_to(ws, ids[1], "горячие")
    return ids


def test_export_deals_csv_has_field_ids_and_one_row_per_deal(ws, krovlya):
    ids = _store_with_deals(ws)
    text = ws.ok("export", "deals", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert {"id", "pipeline", "stage", "contact_id", "external_id"} <= set(header)
    assert [f.id for f in krovlya.deal_fields] == [c for c in header if c in {f.id for f in krovlya.deal_fields}]
    assert len(body) == len(ids)
    as_dicts = [dict(zip(header, r)) for r in body]
    assert [int(d["id"]) for d in as_dicts] == ids
    assert as_dicts[1]["stage"] == "hot" and as_dicts[1]["site"] == "Званка"
    assert as_dicts[0]["responsible"] == "ivan"


def test_export_csv_neutralises_formula_cells(ws, tmp_path):
    ids = _store_with_deals(ws)
    risky = {ids[0]: '=HYPERLINK("x")', ids[1]: "+7 912 SUM", ids[2]: "@cmd"}
    for deal_id, value in risky.items():
        ws.ok("deal", "set", deal_id, f"site={value}")
    ws.ok("deal", "set", ids[0], "nuances=-2+3")
    ws.ok("contact", "set", 1, "name==1+1")
    exported = {int(r["id"]): r for r in csv.DictReader(io.StringIO(ws.ok("export", "deals").stdout))}
    for deal_id, value in risky.items():
        assert exported[deal_id]["site"] == "'" + value
    assert exported[ids[0]]["nuances"] == "'-2+3"
    assert exported[ids[1]]["responsible"] == "ivan"  # an ordinary cell stays as it is
    contacts = list(csv.DictReader(io.StringIO(ws.ok("export", "contacts", "--format", "csv").stdout)))
    assert contacts[0]["name"] == "'=1+1"
    out = tmp_path / "deals.csv"
    ws.ok("export", "deals", "-o", out)
    assert {int(r["id"]): r["site"] for r in csv.DictReader(out.open(encoding="utf-8"))}[ids[0]] == \
        "'" + '=HYPERLINK("x")'
    # JSON is data, not a spreadsheet: the value is exported as stored
    assert json.loads(ws.ok("export", "deals", "--format", "json").stdout)[0]["fields"]["site"] == '=HYPERLINK("x")'


def test_export_history_lists_every_event(ws):
    ids = _store_with_deals(ws)
    call_done(ws, ids[0])
    history = json.loads(ws.ok("export", "history", "--format", "json").stdout)
    assert len(history) == store_event_count(ws.store_path)
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    per_deal = [e for d in ids for e in ws.json("deal", "history", d)]
    assert sorted(e["id"] for e in per_deal) == sorted(e["id"] for e in history if e["deal_id"])
    kinds = {e["kind"] for e in history}
    assert {"deal.created", "deal.stage", "deal.field"} <= kinds
    assert any(k.startswith("task.") for k in kinds) and any(k.startswith("contact.") for k in kinds)
    as_csv = list(csv.DictReader(io.StringIO(ws.ok("export", "history").stdout)))
    assert len(as_csv) == len(history)
    assert json.loads(as_csv[0]["data"]) == history[0]["data"]


def test_export_all_is_json_with_every_kind(ws, tmp_path):
    _store_with_deals(ws)
    data = json.loads(ws.ok("export", "all", "--format", "json").stdout)
    assert data["format"] == "flowctl-export" and data["version"] == 1
    for kind in ("contacts", "deals", "tasks", "history"):
        assert data[kind] == json.loads(ws.ok("export", kind, "--format", "json").stdout)
    assert len(data["deals"]) == 3 and data["tasks"] and data["history"]
    out = tmp_path / "all.json"
    ws.ok("export", "all", "--format", "json", "-o", out)
    assert json.loads(out.read_text("utf-8")) == data
    assert ws.run("export", "all", "--format", "csv").exit_code == 2
    assert ws.run("export", "everything").exit_code == 2


def test_export_all_without_format_option_is_json(ws, tmp_path):
    """`all` has one format only, so asking for it plainly must give it (not refuse the csv default)."""
    _store_with_deals(ws)
    plain = ws.run("export", "all")
    assert plain.exit_code == 0, plain.stderr
    assert json.loads(plain.stdout) == json.loads(ws.ok("export", "all", "--format", "json").stdout)
    out = tmp_path / "all.json"
    assert ws.run("export", "all", "-o", out).exit_code == 0
    assert json.loads(out.read_text("utf-8"))["format"] == "flowctl-export"


# -- a full export restored into a new store ----------------------------------------------------

REPORTS = (("report", "funnel"), ("report", "managers"), ("report", "velocity"), ("report", "forecast"),
           ("report", "forecast", "--weighted"))


def _busy_store(ws):
    """Deals moved through stages over a few days, tasks done, one won, one lost, one imported."""
    ids = deals_for_one_contact(ws, 5)
    walk_to(ws, ids[0], "КП ГОТОВО")
    ws.monkeypatch.setenv("FLOWCTL_NOW", "2026-12-01T07:00:00Z")
    walk_to(ws, ids[1], "КП ГОТОВО")
    call_done(ws, ids[1])
    ws.ok("deal", "advance", ids[1], "успешно реализовано")
    walk_to(ws, ids[2], "горячие")
    ws.ok("deal", "advance", ids[3], "lost", "-F", "lost_reason=Дорого")
    ws.monkeypatch.setenv("FLOWCTL_NOW", "2026-12-03T12:00:00Z")
    walk_to(ws, ids[4], "ОБЪЕМЫ У ТУРАЛА")
    call_done(ws, ids[2])
    ws.ok("deal", "set", ids[0], "budget=410 000", user="tural")
    crm = write_csv(ws.root / "crm.csv", [["ID", "Этап", "Бюджет", "Дата ЛИДА", "Ответственный"],
                                          ["X-1", "СМЕТА ГОТОВА", "90 000 ₽", "20.11.2026", "olga"],
                                          ["X-2", "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО", "", "25.11.2026", "ivan"]])
    imported = run_json(ws, "import", "deals", "--owner", "olga", crm, "--id-column", "ID", "--skip-invalid")
    assert (imported["create"], imported["refused"]) == (1, 1)  # X-2 has no lost reason: refused, X-1 written
    return ids


def test_export_all_restored_into_a_new_store_gives_the_same_reports(ws, tmp_path):
    """Restored into a new SQLite store and a new JSON store: whichever kind the export came from."""
    _busy_store(ws)
    dump = tmp_path / "all.json"
    ws.ok("export", "all", "--format", "json", "-o", dump)
    data = json.loads(dump.read_text("utf-8"))
    here = {report: ws.json(*report) for report in REPORTS}
    agenda = ws.json("agenda")
    for target in ("restored.db", "restored.json"):
        other = ws.root / target
        restored = ws.ok("--store", other, "import", "all", dump, user="olga")
        assert f"restored {len(data['contacts'])} contacts, {len(data['deals'])} deals" in restored.stdout
        for report in REPORTS:
            assert ws.json("--store", other, *report) == here[report], (target, report)
        assert json.loads(ws.ok("--store", other, "export", "all", "--format", "json").stdout) == data
        assert ws.json("--store", other, "agenda") == agenda


def test_restored_store_goes_on_numbering_after_the_restored_ids(ws, tmp_path):
    ids = _store_with_deals(ws)
    dump = tmp_path / "all.json"
    ws.ok("export", "all", "--format", "json", "-o", dump)
    other = other_store(ws)
    ws.ok("--store", other, "import", "all", dump, user="olga")
    here = ws.json("deal", "create", "--contact", 1)
    there = ws.json("--store", other, "deal", "create", "--contact", 1)
    assert there["id"] == here["id"] == ids[-1] + 1
    events_here = json.loads(ws.ok("export", "history", "--format", "json").stdout)
    events_there = json.loads(ws.ok("--store", other, "export", "history", "--format", "json").stdout)
    assert [e["id"] for e in events_there] == [e["id"] for e in events_here]
    tasks_here = json.loads(ws.ok("export", "tasks", "--format", "json").stdout)
    tasks_there = json.loads(ws.ok("--store", other, "export", "tasks", "--format", "json").stdout)
    assert tasks_there == tasks_here


def test_import_all_into_a_non_empty_store_is_refused(ws, tmp_path):
    _store_with_deals(ws)
    dump = tmp_path / "all.json"
    ws.ok("export", "all", "--format", "json", "-o", dump)
    before = ws.snapshot()
    refused = ws.run("import", "all", dump, user="olga")
    assert refused.exit_code == 1 and "not empty" in refused.stderr
    assert ws.snapshot() == before
    other = new_empty_store(ws)
    ws.ok("--store", other, "contact", "add", "name=Кто-то")  # one contact is enough to make a store not empty
    assert ws.run("--store", other, "import", "all", dump, user="olga").exit_code == 1
    assert len(json.loads(ws.ok("--store", other, "export", "deals", "--format", "json").stdout)) == 0


def test_import_all_refuses_a_file_that_is_not_an_export(ws, tmp_path):
    other = other_store(ws)
    not_export = write_text(tmp_path / "x.json", json.dumps({"deals": []}))
    assert ws.run("--store", other, "import", "all", not_export, user="olga").exit_code == 2
    assert ws.run("--store", other, "import", "all", write_text(tmp_path / "y.json", "{broken"), user="olga").exit_code == 2


def test_import_is_reserved_to_the_reopen_role(ws, tmp_path):
    """M1, M2: an import places deals in any stage, so a manager may not use it to skip the move rules."""
    path = write_csv(tmp_path / "kp.csv", [["ID", "Этап", "Бюджет"], ["X-1", "КП ГОТОВО", "100"]])
    before = ws.snapshot()
    for kind in ("deals", "contacts"):
        refused = ws.run("import", kind, path, "--id-column", "ID", user="ivan")
        assert refused.exit_code == 5 and "Руководитель ОП" in refused.stderr
    assert ws.snapshot() == before

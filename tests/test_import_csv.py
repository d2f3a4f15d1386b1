"""Reading another CRM's CSV (issue 10): standard quoting everywhere in the file, flowctl's own neutralised
cells read back, blank cells that clear, one date format per file, terminal-safe output, and limits on what an
import reads, checked before anything is read."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest

from test_transfer import deals_by_key, new_empty_store, run_json, touch_store, write_csv, write_text

WON = "УСПЕШНО РЕАЛИЗОВАНО"


def contacts_of(ws, store=None):
    prefix = ("--store", str(store)) if store else ()
    return json.loads(ws.ok(*prefix, "export", "contacts", "--format", "json").stdout)


# -- item 7: quoting is standard CSV everywhere; only the delimiter and the encoding are detected ---------------

def _filler_rows(count):
    """Plain rows with no quote anywhere: more than the 8 KB a dialect guesser would look at."""
    return "".join(f"P-{n},НОВЫЙ ЛИД,Поселок {n},ничего особенного\n" for n in range(count))


def test_csv_quotes_are_standard_everywhere_in_the_file(ws, tmp_path):
    text = ("ID,Этап,Где строит,Нюансы ТЗ\n" + _filler_rows(300) +
            'Q-1,НОВЫЙ ЛИД,"ООО ""Ромашка""","Acme ""West"", Inc"\n')
    assert len(text.encode()) > 8192
    report = run_json(ws, "import", "deals", "--owner", "olga", write_text(tmp_path / "late_quotes.csv", text), "--id-column", "ID")
    assert report["refused"] == 0 and report["create"] == 301
    fields = deals_by_key(ws)["Q-1"][1]
    assert fields["site"] == 'ООО "Ромашка"'
    assert fields["nuances"] == 'Acme "West", Inc'


def test_an_apostrophe_is_an_ordinary_character_not_a_quote(ws, tmp_path):
    text = ("ID,Этап,Где строит,Нюансы ТЗ\n"
            "A-1,НОВЫЙ ЛИД,'Лесная' 5,ничего\n"
            "A-2,НОВЫЙ ЛИД,'Садовая',угол\n"
            "A-3,НОВЫЙ ЛИД,д'Артаньян,Д'Арк\n")
    report = run_json(ws, "import", "deals", "--owner", "olga", write_text(tmp_path / "apostrophes.csv", text), "--id-column", "ID")
    assert report["refused"] == 0
    deals = deals_by_key(ws)
    assert (deals["A-1"][1]["site"], deals["A-2"][1]["site"]) == ("'Лесная' 5", "'Садовая'")
    assert (deals["A-3"][1]["site"], deals["A-3"][1]["nuances"]) == ("д'Артаньян", "Д'Арк")


def test_a_row_with_the_wrong_number_of_cells_is_refused_by_its_line(ws, tmp_path):
    text = ("ID,Этап,Где строит\n"
            "W-1,НОВЫЙ ЛИД,Званка\n"            # 2
            "W-2,НОВЫЙ ЛИД,Мурино,лишняя\n"     # 3: one cell too many
            "W-3,НОВЫЙ ЛИД\n")                  # 4: one cell short
    path = write_text(tmp_path / "ragged.csv", text)
    touch_store(ws)
    before = ws.snapshot()
    report = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", expect=1)
    assert [(r["line"], r["action"]) for r in report["rows"]] == [(2, "create"), (3, "refused"), (4, "refused")]
    assert "4 cells" in report["rows"][1]["reason"] and "3" in report["rows"][1]["reason"]
    assert "2 cells" in report["rows"][2]["reason"]
    assert ws.snapshot() == before
    skipped = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", "--skip-invalid")
    assert list(deals_by_key(ws)) == ["W-1"] and skipped["refused"] == 2


@pytest.mark.parametrize("text, id_column, site_column", [
    # a comma inside a cell does not make a semicolon file a comma file
    ("ID;Где строит;Нюансы ТЗ\nD-1;Званка, ул. Лесная;а, б\n", "ID", "Где строит"),
    # a quoted delimiter in the header is no separator
    ('"Номер, внешний",Где строит\nD-1,"Званка, ул. Лесная"\n', "Номер, внешний", "Где строит"),
    # a tie (two cells either way): tab before ; before ,
    ("ID\tГде строит, улица\nD-1\tЗванка, ул. Лесная\n", "ID", "Где строит, улица"),
])
def test_the_delimiter_is_told_by_the_header_line(ws, tmp_path, text, id_column, site_column):
    report = run_json(ws, "import", "deals", "--owner", "olga", write_text(tmp_path / "d.csv", text), "--id-column", id_column,
                      "--map", f"{site_column}=site")
    assert report["refused"] == 0
    assert deals_by_key(ws)["D-1"][1]["site"] == "Званка, ул. Лесная"


def test_a_quote_that_breaks_csv_refuses_the_whole_file_naming_its_line(ws, tmp_path):
    """A cell that never closes its quote would swallow every row after it: the file is refused, not half-read."""
    touch_store(ws)
    before = ws.snapshot()
    for text, line in (('ID,Этап\nB-1,НОВЫЙ ЛИД\nB-2,"НОВЫЙ ЛИД\nB-3,НОВЫЙ ЛИД\n', 3),
                       ('ID,Этап\nB-1,"НОВЫЙ" ЛИД\n', 2)):
        result = ws.run("import", "deals", "--owner", "olga", write_text(tmp_path / "broken.csv", text), "--id-column", "ID",
                        "--skip-invalid", user="olga")
        assert result.exit_code == 2, result.stderr
        assert f"line {line}" in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert ws.snapshot() == before


def test_a_file_in_two_encodings_is_refused_naming_the_line(ws, tmp_path):
    utf8 = "ID,Этап,Где строит\nE-1,НОВЫЙ ЛИД,Званка\n".encode()
    cp1251 = "E-2,НОВЫЙ ЛИД,Мурино\n".encode("cp1251")
    path = tmp_path / "mixed.csv"
    path.write_bytes(utf8 + cp1251)
    touch_store(ws)
    before = ws.snapshot()
    result = ws.run("import", "deals", "--owner", "olga", path, "--id-column", "ID", "--skip-invalid", user="olga")
    assert result.exit_code == 2 and "line 3" in result.stderr and "UTF-8" in result.stderr
    assert ws.snapshot() == before


def test_a_cp1251_file_is_read_as_cp1251_even_when_its_first_kilobytes_are_ascii(ws, tmp_path):
    text = "ID,Stage,Site\n" + "".join(f"P-{n},new_lead,Zvanka\n" for n in range(500)) + "R-1,new_lead,Кудрово\n"
    path = tmp_path / "late_russian.csv"
    path.write_bytes(text.encode("cp1251"))
    run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", "--map", "Site=site")
    assert deals_by_key(ws)["R-1"][1]["site"] == "Кудрово"


# -- item 8: flowctl's own neutralised cells read back as the values they were -----------------------------------

def test_csv_cell_neutralisation_round_trips_every_value():
    """A leading ' before = + - @ tab or CR is flowctl's mark; a value that itself starts so gets one more ',
    so reading strips exactly one and gives back every value, apostrophes included."""
    from flowctl.render import plain_csv_cell, safe_csv_cell

    values = ["=X5", "+79123456789", "-2+3", "@cmd", "'=X5", "''+7", "'abc", "'", "''", "abc", "", "\tx"]
    for value in values:
        assert plain_csv_cell(safe_csv_cell(value)) == value, value
    assert safe_csv_cell("=X5") == "'=X5" and safe_csv_cell("'=X5") == "''=X5" and safe_csv_cell("'abc") == "'abc"


def test_an_exported_contacts_file_imports_back_with_its_phones(ws, tmp_path):
    ws.ok("contact", "add", "name=Алмаз", "phone=+7 912 345-67-89", "client_type=Строитель")
    ws.ok("contact", "add", "name==1+1", "phone=8 921 000 11 22")
    exported = tmp_path / "contacts.csv"
    ws.ok("export", "contacts", "-o", exported)
    assert "'+79123456789" in exported.read_text("utf-8")  # neutralised for spreadsheets
    other = new_empty_store(ws)
    report = run_json(ws, "--store", other, "import", "contacts", exported)
    assert (report["create"], report["refused"]) == (2, 0)
    assert [c["fields"] for c in contacts_of(ws, other)] == [c["fields"] for c in contacts_of(ws)]


def test_reimporting_an_exported_deals_file_updates_the_same_deals(ws, tmp_path):
    source = write_csv(tmp_path / "crm.csv", [["ID", "Этап", "Где строит"], ["=X5", "НОВЫЙ ЛИД", "=HYPERLINK(\"x\")"],
                                              ["-7", "НОВЫЙ ЛИД", "Званка"]])
    first = run_json(ws, "import", "deals", "--owner", "olga", source, "--id-column", "ID")["rows"][0]["id"]
    ws.ok("deal", "set", first, "nuances='=уже с апострофом", user="olga")  # a value that itself starts with '
    exported = tmp_path / "deals.csv"
    ws.ok("export", "deals", "-o", exported)
    before = ws.snapshot()
    again = run_json(ws, "import", "deals", "--owner", "olga", exported, "--id-column", "external_id")
    assert [r["action"] for r in again["rows"]] == ["unchanged", "unchanged"]
    assert ws.snapshot() == before
    deals = deals_by_key(ws)
    assert sorted(deals) == ["-7", "=X5"]
    assert deals["=X5"][1]["site"] == '=HYPERLINK("x")' and deals["=X5"][1]["nuances"] == "'=уже с апострофом"


# -- item 9: a blank cell in a mapped column clears the field on re-import ---------------------------------------

CLOSED = [["ID", "Этап", "Бюджет", "Когда ПОКУПАЕТ", "Где строит"], ["X-1", WON, "100 000", "14.12.2026", "Званка"]]
REOPENED = [["ID", "Этап", "Бюджет", "Когда ПОКУПАЕТ", "Где строит"], ["X-1", "ОП ВЗЯЛ В РАБОТУ", "", "", "Званка"]]


def test_a_blank_cell_clears_the_field_on_reimport_and_the_dry_run_says_so(ws, tmp_path):
    run_json(ws, "import", "deals", "--owner", "olga", write_csv(tmp_path / "closed.csv", CLOSED), "--id-column", "ID")
    reopened = write_csv(tmp_path / "reopened.csv", REOPENED)
    before = ws.snapshot()
    dry = run_json(ws, "import", "deals", "--owner", "olga", reopened, "--id-column", "ID", "--dry-run")
    assert dry["rows"][0]["action"] == "update"
    assert dry["rows"][0]["changes"] == {"budget": None, "buys_when": None}
    table = ws.run("import", "deals", "--owner", "olga", reopened, "--id-column", "ID", "--dry-run", user="olga")
    assert table.exit_code == 0 and "clears Бюджет, Когда ПОКУПАЕТ" in table.stdout
    assert ws.snapshot() == before
    run_json(ws, "import", "deals", "--owner", "olga", reopened, "--id-column", "ID")
    stage, fields, _ = deals_by_key(ws)["X-1"]
    assert stage == "in_work" and "budget" not in fields and "buys_when" not in fields and fields["site"] == "Званка"
    history = [e for e in ws.json("deal", "history", dry["rows"][0]["id"]) if e["kind"] == "deal.field"]
    assert {(e["data"]["field"], e["data"]["new"]) for e in history} == {("budget", None), ("buys_when", None)}


def test_a_blank_cell_that_leaves_the_stage_without_a_required_field_is_refused(ws, tmp_path):
    hot = [["ID", "Этап", "Строитель/Частник", "Где строит", "Этап СТРОЙКИ", "Когда ПОКУПАЕТ"],
           ["H-1", "ГОРЯЧИЕ", "Частник", "Званка", "фундамент", "14.12.2026"]]
    run_json(ws, "import", "deals", "--owner", "olga", write_csv(tmp_path / "hot.csv", hot), "--id-column", "ID")
    hot[1][3] = ""
    report = run_json(ws, "import", "deals", "--owner", "olga", write_csv(tmp_path / "hot2.csv", hot), "--id-column", "ID", expect=1)
    assert report["rows"][0]["action"] == "refused" and report["rows"][0]["reason"].endswith("needs: Где строит")
    assert deals_by_key(ws)["H-1"][1]["site"] == "Званка"


def test_a_column_missing_from_the_file_changes_nothing(ws, tmp_path):
    run_json(ws, "import", "deals", "--owner", "olga", write_csv(tmp_path / "closed.csv", CLOSED), "--id-column", "ID")
    before = ws.snapshot()
    narrow = write_csv(tmp_path / "narrow.csv", [["ID", "Этап", "Где строит"], ["X-1", WON, "Званка"]])
    again = run_json(ws, "import", "deals", "--owner", "olga", narrow, "--id-column", "ID")
    assert again["rows"][0]["action"] == "unchanged"
    assert ws.snapshot() == before


def test_a_blank_cell_keeps_what_a_new_deal_is_given_by_default(ws, tmp_path):
    """A blank responsible or lead date gets the default on creation; the same blank again keeps it, so a
    re-import of the same file still converges."""
    path = write_csv(tmp_path / "defaults.csv", [["ID", "Ответственный", "Дата ЛИДА", "Бюджет"], ["N-1", "", "", "5"]])
    run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID")
    assert deals_by_key(ws)["N-1"][1]["responsible"] == "olga"
    before = ws.snapshot()
    assert run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID")["rows"][0]["action"] == "unchanged"
    assert ws.snapshot() == before


def test_a_blank_cell_clears_a_contact_field_and_a_blank_name_is_refused(ws, tmp_path):
    first = [["client_id", "Имя", "Телефон"], ["C-1", "Алмаз", "8 912 345-67-89"]]
    run_json(ws, "import", "contacts", write_csv(tmp_path / "c.csv", first), "--id-column", "client_id")
    first[1][2] = ""
    report = run_json(ws, "import", "contacts", write_csv(tmp_path / "c2.csv", first), "--id-column", "client_id")
    assert report["rows"][0]["changes"] == {"phone": None}
    assert "phone" not in contacts_of(ws)[0]["fields"]
    first[1][1] = ""
    refused = run_json(ws, "import", "contacts", write_csv(tmp_path / "c3.csv", first), "--id-column", "client_id",
                       expect=1)
    assert "Имя" in refused["rows"][0]["reason"]
    assert contacts_of(ws)[0]["fields"]["name"] == "Алмаз"


# -- item 10: one date format for the whole file -----------------------------------------------------------------

US_DATES = [["ID", "Дата ЛИДА"], ["U-1", "10/05/2016"], ["U-2", "10/20/2016"]]


def test_dates_are_read_with_one_format_for_the_whole_file(ws, tmp_path):
    path = write_csv(tmp_path / "us.csv", US_DATES)
    touch_store(ws)
    before = ws.snapshot()
    for extra in ([], ["--skip-invalid"], ["--dry-run", "--skip-invalid"]):
        result = ws.run("import", "deals", "--owner", "olga", path, "--id-column", "ID", *extra, user="olga")
        assert result.exit_code == 2, (extra, result.stdout, result.stderr)
        message = result.stderr.strip()
        assert len(message.splitlines()) == 1
        assert "line 3" in message and "Дата ЛИДА" in message and "10/20/2016" in message
        assert "--date-format" in message
    assert ws.snapshot() == before
    run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", "--date-format", "MM/DD/YYYY")
    assert {k: f["lead_date"] for k, (_, f, _) in deals_by_key(ws).items()} == \
        {"U-1": "2016-10-05", "U-2": "2016-10-20"}


def test_date_format_in_the_mapping_file_and_common_spellings(ws, tmp_path):
    path = write_csv(tmp_path / "us.csv", US_DATES)
    mapping = write_text(tmp_path / "map.yaml", "id_column: ID\ndate_format: mm/dd/yyyy\n")
    run_json(ws, "import", "deals", "--owner", "olga", path, "--mapping", mapping)
    assert deals_by_key(ws)["U-2"][1]["lead_date"] == "2016-10-20"
    for spec, value in (("DD.MM.YYYY", "20.10.2016"), ("YYYY-MM-DD", "2016-10-20"), ("DD/MM/YYYY", "20/10/2016")):
        other = new_empty_store(ws, spec.replace("/", "_"))
        run_json(ws, "--store", other, "import", "deals", "--owner", "olga",
                 write_csv(tmp_path / "one.csv", [["ID", "Дата ЛИДА"], ["V-1", value]]),
                 "--id-column", "ID", "--date-format", spec)
        assert deals_by_key(ws, other)["V-1"][1]["lead_date"] == "2016-10-20", spec
    for bad in ("DD/MM", "YYYY-MM-DD-DD", "%d.%m", "DDMMYYYY", "date"):
        result = ws.run("import", "deals", "--owner", "olga", path, "--id-column", "ID", "--date-format", bad, user="olga")
        assert result.exit_code == 2 and "--date-format" in result.stderr, (bad, result.stderr)


def test_an_explicit_date_format_reads_the_creation_moment_too(ws, tmp_path):
    path = write_csv(tmp_path / "created.csv", [["ID", "created_at"], ["T-1", "10/05/2016 14:30"]])
    run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", "--date-format", "MM/DD/YYYY")
    exported = {d["external_id"]: d for d in json.loads(ws.ok("export", "deals", "--format", "json").stdout)}
    assert exported["T-1"]["created_at"] == "2016-10-05T11:30:00Z"  # 14:30 in Moscow
    assert exported["T-1"]["fields"]["lead_date"] == "2016-10-05"
    dotted = write_csv(tmp_path / "dotted.csv", [["ID", "created_at"], ["T-2", "10.05.2016"]])
    refused = ws.run("import", "deals", "--owner", "olga", dotted, "--id-column", "ID", "--date-format", "MM/DD/YYYY", user="olga")
    assert refused.exit_code == 2 and "line 2" in refused.stderr and "created_at" in refused.stderr


# -- item 15: what reaches a terminal ----------------------------------------------------------------------------

HOSTILE = "X\x1b]0;pwned\x07\x1b[2J\u202eevil"


def test_tables_show_control_characters_escaped_and_csv_and_json_keep_them():
    from flowctl.render import render

    rows = [{"key": HOSTILE, "note": "two\nlines"}]
    table = render(rows, "table")
    assert "\x1b" not in table and "\x07" not in table and "\u202e" not in table
    assert "\\x1b]0;pwned\\x07" in table and "\\u202e" in table
    assert len(table.splitlines()) == 4  # a line break in a cell still draws as two lines of the table
    assert HOSTILE in render(rows, "csv") and json.loads(render(rows, "json"))[0]["key"] == HOSTILE


def test_import_dry_run_table_escapes_what_the_csv_holds(ws, tmp_path):
    path = write_csv(tmp_path / "hostile.csv", [["ID", "Бюджет"], [HOSTILE, "10"], ["Y\u202e", "много"]])
    result = ws.run("import", "deals", "--owner", "olga", path, "--id-column", "ID", "--dry-run", "--skip-invalid", user="olga")
    assert result.exit_code == 0, result.stderr
    for stream in (result.stdout, result.stderr):
        assert "\x1b" not in stream and "\u202e" not in stream and "\x07" not in stream
    assert "\\x1b]0;pwned" in result.stdout


def test_a_million_columns_are_listed_with_a_count(ws, tmp_path):
    header = ["ID"] + [f"c{n}" for n in range(1, 1_000_000)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(header) + "\n" + ",".join(["W-1"] + [""] * (len(header) - 1)) + "\n", "utf-8")
    result = ws.run("import", "deals", "--owner", "olga", path, "--id-column", "ID", "--dry-run", user="olga")
    assert result.exit_code == 0, result.stderr[:500]
    line = next(s for s in result.stderr.splitlines() if "not imported" in s)
    assert len(line) < 300 and "999,989 more" in line, line


# -- items 11 and 12: limits, and errors that name what failed ---------------------------------------------------

def test_a_cell_longer_than_the_csv_limit_is_a_one_line_error_naming_its_line(ws, tmp_path):
    path = write_text(tmp_path / "long.csv", "ID,Нюансы ТЗ\nL-1,коротко\nL-2," + "я" * 200_000 + "\n")
    touch_store(ws)
    before = ws.snapshot()
    result = ws.run("import", "deals", "--owner", "olga", path, "--id-column", "ID", "--skip-invalid", user="olga")
    assert result.exit_code == 2, result.stderr
    assert "line 3" in result.stderr and "131,072" in result.stderr and len(result.stderr.splitlines()) == 1
    assert ws.snapshot() == before


def test_a_cell_longer_than_a_field_allows_is_a_refused_row(ws, tmp_path):
    path = write_text(tmp_path / "long.csv", "ID,Нюансы ТЗ\nL-1," + "я" * 100_000 + "\n")
    report = run_json(ws, "import", "deals", "--owner", "olga", path, "--id-column", "ID", expect=1)
    assert report["rows"][0]["action"] == "refused" and "at most 2000" in report["rows"][0]["reason"]


def test_a_csv_file_stops_at_its_size_limit_while_reading(ws, tmp_path, monkeypatch):
    from flowctl.services import csv_source

    monkeypatch.setattr(csv_source, "MAX_BYTES", 10_000)
    path = write_text(tmp_path / "big.csv", "ID,Этап\n" + "".join(f"B-{n},НОВЫЙ ЛИД\n" for n in range(2000)))
    touch_store(ws)
    before = ws.snapshot()
    result = ws.run("import", "deals", "--owner", "olga", path, "--id-column", "ID", "--skip-invalid", user="olga")
    assert result.exit_code == 2 and "10,000" in result.stderr
    assert ws.snapshot() == before


def _flowctl(ws, *args, user="olga", memory=2 * 2**30):
    """flowctl in a child process with a bounded address space (the JSON store reserves 1 GiB for its read), so
    that reading without a bound fails fast."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    identity, env = ws.child(user)
    return subprocess.run([sys.executable, "-m", "flowctl", *identity, *map(str, args)], cwd=ws.root,
                          env=env, capture_output=True, text=True, timeout=120, preexec_fn=limit)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_who_may_not_import_is_refused_before_any_input_is_read(ws):
    touch_store(ws)
    result = _flowctl(ws, "import", "deals", "--owner", "olga", "/dev/zero", "--mapping", "/dev/zero", user="ivan")
    assert result.returncode == 5, result.stderr
    result = _flowctl(ws, "import", "contacts", "/dev/zero", "--mapping", "/dev/zero", user="ivan")
    assert result.returncode == 5, result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_file_stops_at_a_limit_without_filling_memory(ws):
    touch_store(ws)
    before = ws.snapshot()
    result = _flowctl(ws, "import", "deals", "--owner", "olga", "/dev/zero", "--id-column", "ID")
    assert result.returncode == 2, result.stderr
    assert "line 1" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = _flowctl(ws, "import", "deals", "--owner", "olga", write_csv(ws.root / "ok.csv", [["ID"], ["Z-1"]]), "--mapping",
                      "/dev/zero")
    assert result.returncode == 3, result.stderr
    assert ws.snapshot() == before


def test_export_to_a_folder_or_a_missing_folder_is_a_one_line_error(ws, tmp_path):
    ws.ok("contact", "add", "name=Алмаз")
    for target in (tmp_path, tmp_path / "missing" / "deals.csv"):
        result = ws.run("export", "deals", "-o", target)
        assert result.exit_code == 2, result.stderr
        assert "cannot write" in result.stderr and "read" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_export_to_a_full_disk_is_a_one_line_error(ws):
    ws.ok("contact", "add", "name=Алмаз")
    result = ws.run("export", "all", "-o", "/dev/full")
    assert result.exit_code == 2, result.stderr
    assert "cannot write" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_failed_export_leaves_no_partial_file(ws, tmp_path, monkeypatch):
    ws.ok("contact", "add", "name=Алмаз")
    target = tmp_path / "out" / "contacts.csv"
    target.parent.mkdir()
    target.write_text("the previous export\n", "utf-8")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    result = ws.run("export", "contacts", "-o", target)
    assert result.exit_code == 2 and "No space left" in result.stderr
    assert [p.name for p in target.parent.iterdir()] == ["contacts.csv"]
    assert target.read_text("utf-8") == "the previous export\n"

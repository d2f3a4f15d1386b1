"""flowctl in its users' language: the gettext catalogs, Russian forms of numbers, money, dates and durations, the
choice of language, and Russian runs of the demo and every command's help with no English sentence left."""

from __future__ import annotations

import gettext
import re
import string
import sys
from datetime import date, datetime
from decimal import Decimal

import pytest

from conftest import ROOT
from test_deals import ALMAZ, new_deal

sys.path.insert(0, str(ROOT))

from tools import catalog as catalog_tool  # noqa: E402  (Babel comes with the test extras)

RUSSIAN = {"LANG": "ru_RU.UTF-8"}
NBSP = "\u00a0"


@pytest.fixture
def russian(monkeypatch):
    from flowctl import language

    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    language.use("ru")


def _fields(text: str) -> list[tuple]:
    return sorted((name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)
                  if name is not None)


def _russian_catalog():
    return catalog_tool.read(catalog_tool.po_path("ru"), "ru")


# --- the catalogs -------------------------------------------------------------


def test_the_russian_catalog_holds_every_text_of_flowctl_that_a_user_reads():
    """messages.py's texts, plurals, headers and rule summaries and every command's help are in the .po: a text
    added to the code without `python tools/catalog.py` fails here."""
    po = _russian_catalog()
    wanted = catalog_tool.template(with_libraries=False)
    missing = [(m.context, m.id) for m in wanted if m.id and po.get(m.id, context=m.context) is None]
    assert missing == []


def test_every_text_has_a_russian_translation_that_is_not_fuzzy():
    untranslated = [(m.context, m.id) for m in _russian_catalog() if m.id and (
        m.fuzzy or not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    assert untranslated == []


def test_each_translation_keeps_its_placeholders_and_its_edge_spaces():
    broken = []
    for m in _russian_catalog():
        if not m.id:
            continue
        english = m.id if isinstance(m.id, tuple) else (m.id,)
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        for form in forms:
            source = english[-1] if len(english) > 1 else english[0]
            if _fields(form) != _fields(source) or form[:1].isspace() != source[:1].isspace():
                broken.append((m.context, source, form))
    assert broken == []


def test_the_shipped_mo_is_the_compiled_po():
    """The .mo flowctl loads says exactly what the .po says (python tools/catalog.py compiles it)."""
    with open(catalog_tool.mo_path("ru"), "rb") as f:
        shipped = gettext.GNUTranslations(f)
    po = _russian_catalog()
    differs = []
    for m in po:
        if not m.id:
            continue
        if isinstance(m.id, tuple):
            for n, form in ((1, 0), (2, 1), (5, 2)):
                got = shipped.npgettext(m.context, *m.id, n) if m.context else shipped.ngettext(*m.id, n)
                if got != m.string[form]:
                    differs.append((m.context, m.id, n))
        else:
            got = shipped.pgettext(m.context, m.id) if m.context else shipped.gettext(m.id)
            if got != m.string:
                differs.append((m.context, m.id))
    assert differs == []
    assert len(shipped._catalog) == sum(3 if isinstance(m.id, tuple) else 1 for m in po if m.id) + 1  # + header


# --- plural forms, numbers, money, dates, durations ------------------------


@pytest.mark.parametrize("count, word", [(0, "задач"), (1, "задача"), (2, "задачи"), (5, "задач"), (11, "задач"),
                                         (21, "задача"), (22, "задачи"), (25, "задач"), (111, "задач")])
def test_l4_russian_plural_of_tasks_in_the_estimate(russian, count, word):
    from flowctl.queries.agenda import estimate

    assert estimate([3] * count, 3).startswith(f"{count} {word} × 3 мин = ")


def test_l4_the_regulations_example_reads_in_russian(russian):
    from flowctl.queries.agenda import estimate

    assert estimate([3] * 45, 3) == "45 задач × 3 мин = 2 ч 15 мин"


@pytest.mark.parametrize("count, text", [(1, "1 замечание"), (3, "3 замечания"), (12, "12 замечаний"),
                                         (101, "101 замечание")])
def test_the_hygiene_summary_counts_in_russian(russian, count, text):
    from flowctl import messages as M

    assert M.plural("check_summary", count) == text


def test_russian_money_numbers_dates_times_durations_and_percentages(russian):
    from flowctl import language
    from flowctl import messages as M

    assert language.money(Decimal("1254000.50")) == f"1{NBSP}254{NBSP}000,50{NBSP}₽"
    assert language.number(Decimal("12500")) == f"12{NBSP}500"
    assert language.day(date(2026, 11, 30)) == "30.11.2026"
    assert language.moment(datetime(2026, 11, 30, 9, 5)) == "30.11.2026 09:05"
    assert M.duration(135) == "2 ч 15 мин"
    assert M.duration(3 * 1440 + 120) == "3 дн 2 ч"
    assert language.percent(63.25) == f"63,2{NBSP}%"


def test_english_forms_are_unchanged():
    from flowctl import language
    from flowctl import messages as M

    assert language.money(Decimal("1254000.50")) == "1 254 000.50"
    assert language.day(date(2026, 11, 30)) == "2026-11-30"
    assert language.moment(datetime(2026, 11, 30, 9, 5)) == "2026-11-30 09:05"
    assert M.duration(135) == "2 h 15 min"
    assert language.percent(63.25) == "63.2%"


def test_machine_values_are_the_same_in_every_language(russian):
    from flowctl import language

    with language.machine_values():
        assert language.money(Decimal("1254000.50")) == "1254000.50"
        assert language.day(date(2026, 11, 30)) == "2026-11-30"
        assert language.percent(63.25) == "63.2"


def test_a_russian_amount_as_shown_is_accepted_back_as_typed(russian):
    """What a Russian table shows (no-break spaces, the decimal comma, ₽) can be pasted into a command."""
    from flowctl import fields
    from flowctl.pipeline.model import Field

    budget = Field("budget", "Бюджет", "money")
    shown = fields.display(budget, "1254000.50")
    assert shown == f"1{NBSP}254{NBSP}000,50{NBSP}₽"
    assert fields.parse(budget, shown) == "1254000.50"
    assert fields.is_stored(budget, "1254000.50")


# --- which language ---------------------------------------------------------


@pytest.mark.parametrize("environment, expected", [
    ({"LANG": "ru_RU.UTF-8"}, "ru"),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8"}, "ru"),
    ({"LANG": "ru_RU.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en"),
    ({"LANG": "ru_RU.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8", "LC_ALL": "C"}, "en"),
    ({"LC_ALL": "ru_RU.UTF-8", "LANG": "C"}, "ru"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({"LANG": ""}, "en"),
    ({}, "en"),
])
def test_the_language_comes_from_the_locale_as_the_c_library_reads_it(environment, expected):
    from flowctl.language import from_environment

    assert from_environment(environment) == expected


@pytest.mark.parametrize("environment, configured, refusal, usage", [
    ("en_US.UTF-8", "ru", "добавьте --contact Звонок, Встреча, Переписка", "Использование:"),
    ("ru_RU.UTF-8", "en", "add --contact call, meeting, message", "Usage:"),
])
def test_the_workspaces_language_beats_the_environment(local_ws, monkeypatch, environment, configured, refusal,
                                                        usage):
    monkeypatch.setenv("LANG", environment)
    config = local_ws.root / "flowctl.yaml"
    config.write_text(config.read_text("utf-8") + f"language: {configured}\n", "utf-8")
    new_deal(local_ws)
    result = local_ws.run("task", "done", "1", "--result", "Дозвонился")
    assert result.exit_code == 1
    assert refusal in result.stderr
    assert local_ws.run("deal", "show", "--help").stdout.startswith(usage)


def test_a_language_the_schema_does_not_know_is_refused_with_its_line(local_ws):
    config = local_ws.root / "flowctl.yaml"
    lines = config.read_text("utf-8").count("\n")
    config.write_text(config.read_text("utf-8") + "language: fr\n", "utf-8")
    result = local_ws.run("deal", "list")
    assert result.exit_code == 3
    assert f"flowctl.yaml:{lines + 1}:11" in result.stderr


@pytest.mark.parametrize("lang, written", [("ru_RU.UTF-8", "ru"), ("C.UTF-8", "en")])
def test_init_writes_the_environments_language(cli, tmp_path, monkeypatch, lang, written):
    monkeypatch.setenv("LANG", lang)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    result = cli("init", "--user", "ivan")
    assert result.exit_code == 0, result.stderr
    assert re.search(rf"^language: {written}\b", (tmp_path / "flowctl.yaml").read_text("utf-8"), re.MULTILINE)


# --- a Russian day at work --------------------------------------------------


def test_l2_a_russian_manager_completes_a_task_with_a_contact_typed_as_its_label(local_ws, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    new_deal(local_ws)
    done = local_ws.run("task", "done", "1", "--result", "Дозвонился", "--contact", "звонок")
    assert done.exit_code == 0, done.stderr
    assert local_ws.json("task", "list", "--deal", "1", "--all")[0]["contact_kind"] == "call"
    history = local_ws.ok("deal", "history", "1").stdout
    assert "(Звонок): Дозвонился" in history


def test_russian_tables_show_russian_money_and_dates_while_csv_and_json_stay_machine_readable(local_ws,
                                                                                             monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    local_ws.ok("contact", "add", *ALMAZ)
    local_ws.ok("deal", "create", "--contact", "1", "-F", "budget=1 254 000,5")
    table = local_ws.ok("deal", "list").stdout
    assert f"1{NBSP}254{NBSP}000,50{NBSP}₽" in table
    assert "30.11.2026" in table and "2026-11-30" not in table
    assert table.splitlines()[0].split()[:3] == ["#", "стадия", "контакт"]
    csv_text = local_ws.ok("deal", "list", "--format", "csv").stdout
    assert csv_text.splitlines() == ["#,stage,contact,responsible,budget,lead date",
                                     "1,НОВЫЙ ЛИД,Алмаз Строитель,ivan,1254000.50,2026-11-30"]
    assert local_ws.json("deal", "show", "1")["fields"]["budget"] == "1254000.50"
    tasks_csv = local_ws.ok("task", "list", "--format", "csv").stdout.splitlines()
    assert tasks_csv[1].split(",")[5:8] == ["2026-11-30 09:15", "ivan", "open"]


def test_russian_reports_write_percentages_and_durations_the_russian_way(local_ws, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    new_deal(local_ws)
    local_ws.ok("task", "done", "1", "--result", "Дозвонился", "--contact", "звонок")
    local_ws.ok("deal", "advance", "1", "ОП ВЗЯЛ В РАБОТУ", now="2026-12-02T08:30:00Z")
    funnel = local_ws.ok("report", "funnel").stdout
    assert f"100,0{NBSP}%" in funnel
    assert "доля выигранных" in funnel.lower()
    velocity = local_ws.ok("report", "velocity").stdout
    assert "2 дн" in velocity
    assert ",100.0," in local_ws.ok("report", "funnel", "--format", "csv").stdout.splitlines()[1]  # then sent back


# --- no English left in a Russian run ---------------------------------------

# Words that are not English sentences: names a user types or reads as they are.
_KEPT = {
    "flowctl", "yaml", "json", "csv", "sqlite", "postgresql", "url", "xml", "utf", "iana", "mermaid", "graphviz", "dot",
    "table", "text", "github", "junit", "actions", "lint", "cp", "bom", "id", "ids", "db", "pgpass", "libpq", "schema", "createuser",
    "europe", "moscow", "anna", "tural", "olga", "ivan", "krovlya", "columns",  # a pipeline id; a mapping file key
}


def _ids() -> set[str]:
    """What flowctl's own interface names: commands, parameters, sort keys, export kinds, powers, the keys of the
    workspace and pipeline files, the shipped pipeline's ids and its folders."""
    import json

    import typer.main
    import yaml

    from flowctl.cli.app import app
    from flowctl.services.transfer import MAPPING_TABLE_KEYS, MAPPING_TEXT_KEYS, EXPORT_KINDS, HISTORY_COLUMNS
    from flowctl.store.base import DEAL_SORTS

    words = set(_KEPT) | set(EXPORT_KINDS) | set(DEAL_SORTS) | {"pipelines", "schemas", "scenarios", "won", "lost", "open"}
    words |= {*MAPPING_TEXT_KEYS, *MAPPING_TABLE_KEYS, "values", *HISTORY_COLUMNS.values()}  # a mapping file's keys
    words |= {"source", "value", "column"}  # the placeholders of a mapping file's shape
    for command in _commands(typer.main.get_command(app).every_command()):
        words.add(command.name or "")
        words |= {p.name for p in command.params if p.name}

    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties":
                    words.update(value)
                keys(value)
        elif isinstance(node, list):
            for value in node:
                keys(value)

    for schema in ("pipeline.schema.json", "workspace.schema.json"):
        keys(json.loads((ROOT / "flowctl" / "schemas" / schema).read_text("utf-8")))
    pipeline = yaml.safe_load((ROOT / "pipelines" / "krovlya.yaml").read_text("utf-8"))
    words |= {r["id"] for r in pipeline["roles"]} | {s["id"] for s in pipeline["stages"]}
    words |= {f["id"] for f in pipeline["fields"]["deal"] + pipeline["fields"]["contact"]}
    return {w.lower() for w in words for w in re.findall(r"[A-Za-z]+", w)}


def _commands(command):
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


def _english_words(output: str) -> list[str]:
    """Latin-letter words left once commands, options, metavars, ids in quotes and file names are taken out."""
    kept = []
    output = re.sub(r"`[^`]*`", " ", output)  # quoted commands, also where a help page wrapped them
    for line in output.splitlines():
        if line.startswith(("$ flowctl", "Использование:")):
            continue  # the command line the demo typed; a usage line (the command's path, its metavars)
        line = re.sub(r"^  [a-z][a-z-]*(?=\s{2,})", " ", line)  # a command's name in a group's list
        line = re.sub(r"<[^>]*>", " ", line)  # an option's type
        line = re.sub(r"`[^`]*`|'[^']*'|\"[^\"]*\"", " ", line)  # quoted commands and values
        line = re.sub(r"(?<![\w-])--?[A-Za-z][\w-]*", " ", line)  # --options and -o
        line = re.sub(r"\b[A-Z][A-Z0-9_]*\b", " ", line)  # METAVARS, environment variables, rule ids
        line = re.sub(r"[\w.-]+\.(?:yaml|yml|json|db|sqlite|csv|md|po)\b|\w+://\S*|\S+@\S+", " ", line)
        line = re.sub(r"\b[a-z]+_[a-z_]+\b", " ", line)  # snake_case ids (lead_date, id_column)
        kept += [w for w in re.findall(r"[A-Za-z]{2,}", line) if w.lower() not in _IDS]
    return kept


def test_the_demo_in_russian_has_no_english_sentence(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    result = cli("demo")
    assert result.exit_code == 0, result.stdout
    assert "План на" in result.stdout
    assert "# E1: клиент Алмаз из Званки строит 4 дома" in result.stdout  # the scenario's narration, in Russian
    assert _english_words(result.stdout) == []


_IDS = _ids()


def _command_paths(command, path=()):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _command_paths(sub, (*path, name))


def test_every_commands_help_in_russian_has_no_english_sentence(cli, tmp_path, monkeypatch):
    import typer.main

    from flowctl.cli.app import app

    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    monkeypatch.chdir(tmp_path)
    leftovers = {}
    paths = list(_command_paths(typer.main.get_command(app).every_command()))
    assert len(paths) > 30
    for path in paths:
        result = cli(*path, "--help")
        assert result.exit_code == 0, (path, result.stdout)
        assert result.stdout.startswith("Использование:"), path
        words = _english_words(result.stdout)
        if words:
            leftovers[" ".join(path)] = words
    assert leftovers == {}


def test_a_usage_error_in_russian_is_russian(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    monkeypatch.chdir(tmp_path)
    result = cli("deal", "show", "abc")
    assert result.exit_code == 2
    assert _english_words(result.stderr) == []
    assert "abc" in result.stderr


def test_english_help_is_unchanged_in_an_english_environment(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("deal", "create", "--help")
    assert result.stdout.startswith("Usage: root deal create [OPTIONS]")
    assert "Create a deal in the pipeline's first stage" in result.stdout
    assert "Show this message and exit." in result.stdout


def test_the_managers_guide_is_what_its_script_writes():
    """docs/guide.ru.md shows real Russian output: regenerate it with `python docs/guide.py` after a change."""
    sys.path.insert(0, str(ROOT / "docs"))
    from guide import GUIDE, guide

    assert GUIDE.read_text("utf-8") == guide()


def test_a_command_tree_kept_for_many_runs_switches_language_each_run(cli, tmp_path, monkeypatch):
    """The suite keeps one command tree (conftest); flowctl puts it back into English after a Russian run."""
    monkeypatch.chdir(tmp_path)
    for lang, usage, help_line in (("ru_RU.UTF-8", "Использование:", "Показать эту справку и выйти."),
                                   ("C.UTF-8", "Usage:", "Show this message and exit."),
                                   ("ru_RU.UTF-8", "Использование:", "Показать эту справку и выйти.")):
        monkeypatch.setenv("LANG", lang)
        shown = cli("deal", "show", "--help").stdout
        assert shown.startswith(usage) and help_line in shown, lang
        error = cli("deal", "show", "abc").stderr
        assert error.startswith(usage), lang


def test_a_russian_import_reports_its_rows_in_russian_and_its_json_in_ids(local_ws, monkeypatch, tmp_path):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    source = tmp_path / "deals.csv"
    source.write_text("ID,Ответственный\nR-1,ivan\nR-2,Moses Frase\n", "utf-8")
    table = local_ws.run("import", "deals", source, "--id-column", "ID", "--dry-run", "--skip-invalid", user="olga")
    assert [line.split()[:2] for line in table.stdout.splitlines()[2:]] == [["2", "создать"], ["3", "отклонено"]]
    assert "создать — 1, обновить — 0, без изменений — 0, отклонено — 1; ничего не записано" in table.stderr
    report = local_ws.json("import", "deals", source, "--id-column", "ID", "--dry-run", "--skip-invalid", user="olga")
    assert [r["action"] for r in report["rows"]] == ["create", "refused"]

"""Scenario files and `flowctl test`: the format's lint, each expectation failing when it should, the reports,
--pipeline, and a refused or failed scenario leaving the user's own store alone."""

from __future__ import annotations

import json
import re
from collections import Counter
from xml.etree import ElementTree

import pytest
from conftest import DATA, ROOT

from flowctl import scenario
from flowctl.cli.play import command_names
from flowctl.pipeline.compile import compile_file

FIXTURES = DATA / "scenarios"
EXPECT = re.compile(rb"^# expect: ([a-z-]+) (\d+)\s*$", re.MULTILINE)
PIPELINES = {"krovlya": compile_file(ROOT / "pipelines" / "krovlya.yaml")}


def _problems(path):
    problems, doc = scenario.load(path)
    return problems if doc is None else scenario.lint(doc, PIPELINES, command_names())


@pytest.mark.parametrize("path", sorted((FIXTURES / "invalid").glob("*.yaml")), ids=lambda p: p.stem)
def test_invalid_scenario_fails_with_exactly_its_rules(path):
    expected = Counter((m.group(1).decode(), int(m.group(2))) for m in EXPECT.finditer(path.read_bytes()))
    assert expected, f"{path.name} declares no '# expect: rule line'"
    assert Counter((p.rule, p.line) for p in _problems(path)) == expected


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid").glob("*.yaml")), ids=lambda p: p.stem)
def test_valid_scenario_is_clean_and_plays(path, cli, tmp_path, monkeypatch):
    assert _problems(path) == []
    monkeypatch.chdir(tmp_path)
    result = cli("test", path)
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize("rule_id", scenario.RULES + ("schema",))
def test_every_scenario_rule_has_both_examples_and_docs(rule_id):
    assert (FIXTURES / "valid" / f"{rule_id}.yaml").is_file()
    assert (FIXTURES / "invalid" / f"{rule_id}.yaml").is_file()
    assert f"`{rule_id}`" in (ROOT / "docs" / "lint-rules.md").read_text("utf-8")


# -- playing: every expectation fails when the story does not hold -----------------------------------------------

HEADER = """version: 1
name: {name}
pipeline: krovlya
clock: 2026-11-30 09:00
language: {language}
team: {{anna: [manager], tural: [engineer], olga: [head, manager]}}
"""
VOLUMES = """given:
  deals:
    - stage: ОБЪЕМЫ У ТУРАЛА
      fields: {Проект/план кровли: План кровли, Покрытие: металлочерепица, Толщина: "0,5 мм", Бюджет: 1 254 000}
"""


@pytest.fixture
def play(cli, tmp_path, monkeypatch):
    """Write a scenario (its body after the common header) and run `flowctl test` on it: (exit code, its JSON)."""
    monkeypatch.chdir(tmp_path)

    def run(body: str, *options, name="a scenario", language="en"):
        path = tmp_path / "scenario.yaml"
        path.write_text(HEADER.format(name=name, language=language) + body, "utf-8")
        result = cli("test", path, "--format", "json", *options)
        return result.exit_code, json.loads(result.stdout)

    return run


def _failure(report) -> dict:
    return report["scenarios"][0]["failure"]


def test_a_step_that_goes_as_written_passes(play):
    code, report = play(VOLUMES + """steps:
  - as: anna
    run: deal advance 1 'КП ГОТОВО'
    expect: {exit: 5, says: Инженер, says_not: Traceback, deal: {stage: ОБЪЕМЫ У ТУРАЛА}}
  - as: tural
    run: deal advance 1 'КП ГОТОВО'
    expect: {deal: {stage: КП ГОТОВО, fields: {Бюджет: 1 254 000}},
             tasks: {open: [Закрыть в оплату], cancelled: [Рассчитать объемы]},
             task: {id: 2, type: close_payment, status: open, owner: anna, due: 2026-12-01 09:00},
             agenda: {user: anna, date: 01.12.2026, deals: [1]}}
""")
    assert (code, report["status"], report["passed"]) == (0, "ok", 1)
    assert report["scenarios"][0]["steps"] == 2


@pytest.mark.parametrize("expect, problem", [
    ("{exit: 0}", "exit code 0 expected, got 5"),
    ("{exit: 5, says: Бухгалтер}", "the output does not say «Бухгалтер»"),
    ("{exit: 5, says_not: Инженер}", "the output says «Инженер»"),
    ("{exit: 5, deal: {stage: КП ГОТОВО}}", "deal #1 is in «ОБЪЕМЫ У ТУРАЛА», not «КП ГОТОВО»"),
    ("{exit: 5, deal: {fields: {Бюджет: 1 000}}}", "deal #1: «Бюджет» is 1254000.00, not 1000.00"),
    ("{exit: 5, deal: {fields: {Нюансы ТЗ: коньки}}}", "deal #1: «Нюансы ТЗ» is —, not коньки"),
    ("{exit: 5, task: {id: 1, owner: anna}}", "task #1: owner is tural, not anna"),
    ("{exit: 5, task: {id: 1, due: 2026-12-01 10:00}}", "task #1: due is 2026-12-01 09:00, not 2026-12-01 10:00"),
    ("{exit: 5, task: {id: 9}}", "there is no task #9"),
    ("{exit: 5, tasks: {open: [Закрыть в оплату]}}", "deal #1: its open tasks are calculate, not close_payment"),
    ("{exit: 5, agenda: {user: tural, date: 01.12.2026, deals: []}}", "tural's agenda lists deals #1, not —"),
    ("{exit: 5, json: {stage: volumes}}", "the output is not JSON: run the command with --format json"),
])
def test_each_expectation_fails_when_the_story_does_not_hold(play, expect, problem):
    code, report = play(VOLUMES + f"""steps:
  - as: anna
    run: deal advance 1 'КП ГОТОВО'
    expect: {expect}
""")
    assert code == 1 and report["failed"] == 1
    failure = _failure(report)
    assert failure["problems"] == [problem]
    assert (failure["line"], failure["step"], failure["as"]) == (12, 1, "anna")
    assert "Инженер" in failure["output"]  # what the command said, to see why


def test_json_expectations_match_a_subset_item_by_item(play):
    body = VOLUMES + """steps:
  - run: deal show 1 --format json
    expect: {json: {stage: volumes, budget: 1254000, fields: {coating: металлочерепица}}}
  - run: task list --deal 1 --format json
    expect: {json: [{type: calculate, responsible: tural}]}
"""
    assert play(body)[0] == 0
    code, report = play(body.replace("budget: 1254000", "budget: 1254001").replace("tural}]", "anna}]"))
    assert code == 1 and _failure(report)["problems"] == ["the output's $.budget is 1254000.00, not 1254001"]
    code, report = play(body.replace("[{type: calculate, responsible: tural}]", "[]"))
    assert code == 1 and _failure(report)["step"] == 2


def test_the_first_failing_step_ends_the_scenario(play):
    code, report = play("""steps:
  - run: deal create
    expect: {exit: 1}
  - run: deal show 1
""")
    assert code == 1 and report["scenarios"][0]["steps"] == 1 and _failure(report)["step"] == 1


def test_the_clock_moves_forward_between_steps(play):
    code, report = play("""steps:
  - run: deal create
  - at: +1h
    run: check --strict
    expect: {exit: 1, says: overdue}
  - at: 2026-12-07 09:00
    run: task add 1 --type Позвонить --due 'tomorrow 10:00'
    expect: {task: {id: 2, due: 2026-12-08 10:00}}
""")
    assert code == 0, report


def test_given_rows_are_checked_as_a_restore_checks_them(play):
    """A given deal must hold what its stage requires, as any deal placed there by an import or a restore."""
    code, report = play("""given:
  deals:
    - stage: КП ГОТОВО
steps:
  - run: deal show 1
""")
    failure = _failure(report)
    assert code == 1 and failure["step"] is None and failure["line"] == 9
    assert failure["problems"] == ["scenario.yaml:9: deals[0]: «КП ГОТОВО» needs: Бюджет"]


def test_given_deals_get_their_stages_tasks_and_history(play):
    code, report = play("""given:
  contacts: [{Имя: Алмаз, Строитель/Частник: Строитель}]
  deals: [{stage: ГОРЯЧИЕ, contact: 1, fields: {Где строит: Званка, Сколько домов: 4, Этап СТРОЙКИ: коробка,
           Когда ПОКУПАЕТ: 14.12.2026}}]
steps:
  - run: deal show 1 --format json
    expect: {json: {contact: Алмаз Строитель, responsible: anna, fields: {client_type: builder}},
             tasks: {open: [Получить проект/план кровли]}}
  - run: deal history 1
    expect: {says: scenario.yaml}
""")
    assert code == 0, report


M1_STEPS = VOLUMES + """steps:
  - as: anna
    run: deal advance 1 'КП ГОТОВО'
    expect: {exit: 5, deal: {stage: ОБЪЕМЫ У ТУРАЛА}}
"""


def _mutant(tmp_path, old: str, new: str):
    text = (ROOT / "pipelines" / "krovlya.yaml").read_text("utf-8")
    assert old in text
    path = tmp_path / "pr" / "krovlya.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


def test_pipeline_option_plays_another_version_of_the_pipeline(play, tmp_path):
    assert play(M1_STEPS)[0] == 0
    mutant = _mutant(tmp_path, "    to: proposal_ready\n    roles: [engineer]   # M1", "    to: proposal_ready\n    roles: [engineer, manager]")
    code, report = play(M1_STEPS, "--pipeline", mutant)
    assert code == 1 and _failure(report)["problems"] == ["exit code 5 expected, got 0",
                                                          "deal #1 is in «КП ГОТОВО», not «ОБЪЕМЫ У ТУРАЛА»"]


def test_an_invalid_pipeline_to_play_is_a_config_error(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(HEADER.format(name="x", language="en") + M1_STEPS, "utf-8")
    mutant = _mutant(tmp_path, "  - id: engineer        # M1", "  - id: Engineer")
    result = cli("test", "s.yaml", "--pipeline", mutant)
    assert result.exit_code == 3 and f"{mutant}:" in result.stderr
    assert cli("test", "s.yaml", "--pipeline", tmp_path / "none.yaml").exit_code == 2


def test_reports_for_people_and_ci(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "good.yaml").write_text(HEADER.format(name="M1 holds", language="en") + M1_STEPS, "utf-8")
    (folder / "bad.yaml").write_text(HEADER.format(name="M1 broken", language="en") + M1_STEPS.replace("exit: 5", "exit: 0"), "utf-8")
    (folder / "typo.yaml").write_text(HEADER.format(name="a typo", language="en") + "steps:\n  - run: deal lst\n", "utf-8")

    text = cli("test")  # the workspace's scenarios/ by default
    assert text.exit_code == 1
    lines = text.stdout.splitlines()
    assert lines[0] == "FAIL  scenarios/bad.yaml  M1 broken"
    assert lines[1] == "scenarios/bad.yaml:12: step 1 (as anna): flowctl deal advance 1 'КП ГОТОВО'"
    assert "ok    scenarios/good.yaml  M1 holds" in lines
    assert "FAIL  scenarios/typo.yaml  a typo" in lines
    assert any(line.startswith("scenarios/typo.yaml:8:10: error: 'deal lst' is not a command a scenario can run "
                               "(did you mean 'deal list'?)") for line in lines)
    assert text.stderr.startswith("3 scenario(s): 1 passed, 2 failed")

    github = cli("test", "--format", "github").stdout.splitlines()
    assert github[0].startswith("::error file=scenarios/bad.yaml,line=12,title=M1 broken::step 1 (as anna)")
    assert "%0Aexit code 0 expected, got 5" in github[0]
    assert github[1].startswith("::error file=scenarios/typo.yaml,line=8,col=")

    junit = ElementTree.fromstring(cli("test", "--format", "junit").stdout)
    assert (junit.tag, junit.get("tests"), junit.get("failures")) == ("testsuite", "3", "2")
    cases = {case.get("name"): case for case in junit}
    assert cases["M1 holds"].find("failure") is None
    assert cases["M1 broken"].find("failure").get("message") == "exit code 0 expected, got 5"
    assert cases["M1 broken"].get("line") == "12" and cases["a typo"].find("failure").get("type") == "invalid"

    assert cli("test", folder / "good.yaml").exit_code == 0


def test_rule_option_plays_the_scenarios_of_a_rule(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m1.yaml").write_text(HEADER.format(name="M1", language="en") + "rules: [M1]\n" + M1_STEPS, "utf-8")
    (tmp_path / "l3.yaml").write_text(HEADER.format(name="L3", language="en") + "rules: [L3]\n" + M1_STEPS.replace("exit: 5", "exit: 0"), "utf-8")
    report = json.loads(cli("test", tmp_path, "--rule", "m1", "--format", "json").stdout)
    assert [s["name"] for s in report["scenarios"]] == ["M1"] and report["status"] == "ok"


def test_no_scenarios_is_a_usage_error(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("test")
    assert result.exit_code == 2 and "no scenario files in scenarios" in result.stderr


def test_a_scenario_never_touches_the_users_store(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOWCTL_STORE", str(tmp_path / "mine.db"))
    monkeypatch.setenv("FLOWCTL_USER", "somebody")
    (tmp_path / "s.yaml").write_text(HEADER.format(name="x", language="en") + M1_STEPS, "utf-8")
    assert cli("test", "s.yaml").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]
    import os

    assert os.environ["FLOWCTL_USER"] == "somebody" and os.environ["FLOWCTL_STORE"] == str(tmp_path / "mine.db")


def test_keep_leaves_each_workspace_to_explore(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m1.yaml").write_text(HEADER.format(name="x", language="en") + M1_STEPS, "utf-8")
    assert cli("test", "m1.yaml", "--keep", "kept").exit_code == 0
    monkeypatch.chdir(tmp_path / "kept" / "m1")
    shown = cli("--as", "anna", "deal", "show", "1", "--format", "json")
    assert json.loads(shown.stdout)["stage"] == "volumes"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(HEADER.format(name="y", language="en") + M1_STEPS, "utf-8")
    refused = cli("test", "a.yaml", "m1.yaml", "--keep", "kept")  # never played over a kept workspace
    assert refused.exit_code == 2 and "kept/m1 is not empty" in refused.stderr
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["m1"]  # nor a.yaml played before saying so


def test_the_report_speaks_russian(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    (tmp_path / "s.yaml").write_text(HEADER.format(name="x", language="en") + M1_STEPS.replace("exit: 5", "exit: 0"), "utf-8")
    result = cli("test", "s.yaml")
    assert "ожидался код выхода 0, получен 5" in result.stdout and result.stdout.startswith("СБОЙ")


def test_rule_ids_match_in_any_case_and_a_rule_nobody_proves_is_a_usage_error(cli, tmp_path, monkeypatch):
    """S5b has a lower-case letter: --rule S5b and --rule s5b both find it; a misspelled id plays nothing and says so."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s5b.yaml").write_text(HEADER.format(name="S5b", language="en") + "rules: [S5b]\n" + M1_STEPS, "utf-8")
    for typed in ("S5b", "s5b", "S5B"):
        assert json.loads(cli("test", tmp_path, "--rule", typed, "--format", "json").stdout)["passed"] == 1
    result = cli("test", tmp_path, "--rule", "S8")
    assert result.exit_code == 2 and "proves S8" in result.stderr


def test_an_unquoted_date_is_the_text_a_person_types(play):
    code, report = play(VOLUMES + """steps:
  - as: tural
    at: 2026-12-01
    run: deal advance 1 'КП ГОТОВО'
    expect: {agenda: {user: anna, date: 2026-12-02, deals: [1]}, task: {id: 2, due: 2026-12-02 10:00}}
""")
    assert code == 0, report


def test_says_reads_a_no_break_space_as_the_space_a_person_types(play):
    """Russian money is 1 254 000,00 ₽ with no-break spaces; a scenario's author types ordinary ones."""
    steps = """steps:
  - run: deal show 1
    expect: {says: "1 254 000,00 ₽", says_not: "1 254 000.00"}
"""
    code, report = play(VOLUMES + steps, language="ru")
    assert code == 0, report
    assert play(VOLUMES + steps)[0] == 1  # in English it is 1 254 000.00: the check still bites


def test_a_workspace_the_lint_cannot_judge_fails_the_scenario_not_the_run(play):
    """Working hours that end before they start pass the schema; the scenario fails in one line, the run goes on."""
    code, report = play('working_hours: {from: "18:00", to: "09:00"}\nsteps:\n  - run: agenda\n')
    assert code == 1 and report["failed"] == 1
    assert "18:00" in _failure(report)["problems"][0] and _failure(report)["step"] is None


def test_given_rows_leave_the_history_an_import_and_contact_add_leave(play):
    """The set-up is recorded as what it stands for: each contact created with its fields, each deal imported from
    the scenario's file and line into its stage with its fields, then the tasks its stage creates. A YAML true
    is the text a person would type for it."""
    code, report = play("""given:
  contacts: [{Имя: Алмаз, Строитель/Частник: Строитель}]
  deals: [{contact: 1, fields: {Где строит: Званка, Нюансы ТЗ: true}}]
steps:
  - run: export history --format json
    expect:
      json:
        - {kind: contact.created, contact_id: 1, data: {fields: {name: Алмаз, client_type: builder}}}
        - {kind: deal.imported, deal_id: 1, contact_id: 1,
           data: {source: scenario.yaml, line: 9, stage: new_lead,
                  fields: {site: Званка, nuances: "true", client_type: builder, responsible: anna}}}
        - {kind: task.added, deal_id: 1}
""")
    assert code == 0, report["scenarios"][0]["failure"]["problems"]

"""`flowctl validate` as CI sees it: formats, exit codes, strictness."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import KROVLYA, ROOT

BROKEN = """\
version: 1
id: p
name: P
roles:
  - {id: manager, label: Менеджер}
stages:
  - {id: new, label: Новый, kind: open}
  - {id: done, label: Готово, kind: won}
transitions:
  - {from: new, to: dnoe, roles: [manager]}
fields:
  deal: []
"""

WARNING_ONLY = BROKEN.replace("to: dnoe", "to: done").replace("label: Готово", "label: Гoтово")  # Latin o


def test_clean_file_exits_0(cli):
    result = cli("validate", KROVLYA)
    assert result.exit_code == 0 and result.stdout == ""
    assert "no problems" in result.stderr


def test_problem_is_one_line_with_position_and_rule(cli, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(BROKEN, "utf-8")
    result = cli("validate", path)
    assert result.exit_code == 1
    assert result.stdout.strip() == (
        f"{path}:10:21: error: unknown stage 'dnoe' (did you mean 'done'?) [unknown-stage]")


def test_json_format(cli, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(BROKEN, "utf-8")
    result = cli("validate", path, "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["status"] == "fail" and report["errors"] == 1
    problem = report["problems"][0]
    assert problem["line"] == 10 and problem["column"] == 21 and problem["rule"] == "unknown-stage"
    assert problem["yaml_path"] == "transitions[0].to" and problem["severity"] == "error"


def test_github_format(cli, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(BROKEN, "utf-8")
    result = cli("validate", path, "--format", "github")
    assert result.stdout.startswith(f"::error file={path},line=10,col=21,title=unknown-stage::unknown stage")


def test_warnings_pass_unless_strict(cli, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(WARNING_ONLY, "utf-8")
    relaxed = cli("validate", path)
    assert relaxed.exit_code == 0 and "warning:" in relaxed.stdout and "[mixed-script]" in relaxed.stdout
    assert cli("validate", path, "--strict").exit_code == 1


def test_usage_errors_exit_2(cli, tmp_path):
    assert cli("validate", tmp_path / "missing.yaml").exit_code == 2
    assert cli("validate", KROVLYA, "--format", "xml").exit_code == 2
    assert cli("validate", "--no-such-flag").exit_code == 2


def test_default_is_workspace_pipelines(cli, tmp_path, monkeypatch):
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "p.yaml").write_text(BROKEN, "utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("validate")
    assert result.exit_code == 1 and "pipelines/p.yaml:10:21" in result.stdout


def test_no_files_found_is_usage_error(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("validate").exit_code == 2


def test_help_does_not_import_jsonschema_or_tabulate():
    code = ("import sys, runpy; sys.argv=['flowctl','--help']\n"
            "try:\n    runpy.run_module('flowctl', run_name='__main__')\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('jsonschema','tabulate','yaml','transitions','sqlite3') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_pipeline_show_table_and_json(cli):
    table = cli("pipeline", "show", "krovlya")
    assert table.exit_code == 0 and "ОБЪЕМЫ У ТУРАЛА" in table.stdout and "Инженер" in table.stdout
    data = json.loads(cli("pipeline", "show", "krovlya", "--format", "json").stdout)
    m1 = [t for t in data["transitions"] if t["from"] == "ОБЪЕМЫ У ТУРАЛА" and t["to"] == "КП ГОТОВО"]
    assert m1 == [{"from": "ОБЪЕМЫ У ТУРАЛА", "to": "КП ГОТОВО", "roles": ["Инженер"], "conditions": [],
                   "correction": False, "requires": ["Бюджет"]}]


def test_unknown_pipeline_is_not_found(cli):
    result = cli("pipeline", "show", "krovla")
    assert result.exit_code == 4 and "did you mean 'krovlya'" in result.stderr


def test_invalid_pipeline_is_exit_3_for_other_commands(cli, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(BROKEN, "utf-8")
    result = cli("pipeline", "show", path)
    assert result.exit_code == 3 and "p.yaml:10:21" in result.stderr


def test_table_columns_align_by_what_a_terminal_shows():
    from flowctl.render import render

    table = render([{"a": "ГОРЯЧИЕ", "b": "1"}, {"a": "e\u0301", "b": "две\nстроки"}, {"a": "漢字", "b": None}],
                   "table", [("a", "stage"), ("b", "text")])
    assert table.splitlines() == [
        "stage    text",
        "-------  ------",
        "ГОРЯЧИЕ  1",
        "e\u0301        две",
        "         строки",
        "漢字",
    ]


def test_a_table_header_outside_messages_headers_is_a_bug_found_at_once():
    """Every header is in messages.HEADERS, so that the catalog holds its translation; a new one that is not
    fails the first test that draws its table, in any language."""
    from flowctl.render import render

    with pytest.raises(KeyError, match="'note' is not in messages.HEADERS"):
        render([{"a": 1}], "table", [("a", "note")])

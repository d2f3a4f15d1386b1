"""Workspace-wide powers (import, restore, migrate) come from flowctl.yaml, never from one pipeline file, and a
role id means one role in every pipeline of a workspace (issue 10 item 5; lint rule `role-conflict`)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import DATA, KROVLYA, ROOT

from flowctl.pipeline.compile import check
from flowctl.pipeline.lint import lint_workspace

EXPECT = re.compile(r"^# expect: ([a-z-]+) (\d+)\s*$", re.MULTILINE)
MANAGER_REOPENS = ("    label: Менеджер ОП\n", "    label: Менеджер ОП\n    reopen: true\n")


def _pipeline(ws, name: str, *edits, source=KROVLYA) -> None:
    text = source.read_text("utf-8").replace("id: krovlya", f"id: {name}", 1)
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    (ws.root / "pipelines" / f"{name}.yaml").write_text(text, "utf-8")


def _config(ws, old: str, new: str) -> None:
    config = ws.root / "flowctl.yaml"
    text = config.read_text("utf-8")
    assert old in text
    config.write_text(text.replace(old, new), "utf-8")


def _attempts(ws, tmp_path) -> dict:
    """Every command that uses a workspace power, with its input; `import all` into a new store."""
    deals = tmp_path / "deals.csv"
    deals.write_text("ID,Этап,Бюджет\nX-1,КП ГОТОВО,100\n", "utf-8")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("ID,Имя\nC-1,Пётр\n", "utf-8")
    backup = tmp_path / "backup.json"
    backup.write_text(ws.ok("export", "all", user="olga").stdout, "utf-8")
    return {"migrate": ["migrate"], "import deals": ["import", "deals", "--owner", "olga", deals, "--id-column", "ID"],
            "import contacts": ["import", "contacts", contacts, "--id-column", "ID"],
            "import all": ["--store", tmp_path / "restored.db", "import", "all", backup]}


def test_a_pipeline_file_that_redefines_a_role_stops_every_command(ws, tmp_path):
    """Issue 10 item 5, as reported: okna.yaml gives `manager` reopen: true. The role now means two things, so
    validate reports it at both definitions and every command refuses the workspace (exit 3) before acting."""
    attempts = _attempts(ws, tmp_path)
    _pipeline(ws, "okna", MANAGER_REOPENS)
    report = json.loads(ws.run("validate", "--format", "json").stdout)
    assert report["status"] == "fail"
    found = {(Path(p["path"]).name, p["line"], p["column"]) for p in report["problems"] if p["rule"] == "role-conflict"}
    assert found == {("krovlya.yaml", 14, 9), ("okna.yaml", 14, 9)}
    before = ws.snapshot()
    for argv in attempts.values():
        refused = ws.run(*argv)
        assert refused.exit_code == 3, (argv, refused.stderr)
        assert re.search(r"krovlya\.yaml:14:9: role 'manager' .*okna\.yaml:14 .*\[role-conflict\]", refused.stderr)
    assert ws.snapshot() == before and not (tmp_path / "restored.db").exists()


def test_reopen_in_every_pipeline_still_grants_no_workspace_power(ws, tmp_path):
    """Even a role with reopen: true in every pipeline (validate is clean) may not import, restore or migrate:
    only flowctl.yaml's powers: grant that, and the refusal names who holds the power and where."""
    attempts = _attempts(ws, tmp_path)
    _pipeline(ws, "krovlya", MANAGER_REOPENS)
    _pipeline(ws, "okna", MANAGER_REOPENS)
    assert ws.run("validate").exit_code == 0
    ws.republish()
    before = ws.snapshot()
    for argv in attempts.values():
        refused = ws.run(*argv, user="ivan")
        assert refused.exit_code == 5, (argv, refused.stderr)
        assert "Руководитель ОП" in refused.stderr and "powers: in" in refused.stderr
        assert str(ws.root / "flowctl.yaml") in refused.stderr
    assert ws.snapshot() == before and not (tmp_path / "restored.db").exists()


def test_powers_are_granted_by_flowctl_yaml(ws, tmp_path):
    _config(ws, "powers: {import: [head], restore: [head], migrate: [head], publish: [head]}",
            "powers: {import: [manager], restore: [head], migrate: [engineer], publish: [head]}")
    ws.republish()
    attempts = _attempts(ws, tmp_path)  # the export holds the version just published
    assert ws.run(*attempts["import contacts"], user="ivan").exit_code == 0
    assert ws.run(*attempts["import all"], user="ivan").exit_code == 5  # a manager may import, not restore
    assert ws.run(*attempts["import all"], user="olga").exit_code == 0
    assert ws.run(*attempts["migrate"], user="olga").exit_code == 5  # the head holds no power not given to her
    assert ws.run(*attempts["migrate"], user="tural").exit_code == 0


def test_without_powers_nobody_holds_them(ws, tmp_path):
    """The careful default: a workspace that declares no powers gives them to nobody, not even the head, and the
    refusal says what to declare where."""
    attempts = _attempts(ws, tmp_path)
    _config(ws, "powers: {import: [head], restore: [head], migrate: [head], publish: [head]}\n", "")
    ws.republish()  # by the head, who holds the power in the version published before
    before = ws.snapshot()
    for argv in attempts.values():
        refused = ws.run(*argv, user="olga")
        assert refused.exit_code == 5, (argv, refused.stderr)
        assert "is not given to any role" in refused.stderr and f"powers: in {ws.root / 'flowctl.yaml'}" in refused.stderr
    assert ws.snapshot() == before and not (tmp_path / "restored.db").exists()


def test_a_power_naming_an_unknown_role_is_a_config_error(ws):
    _config(ws, "migrate: [head]", "migrate: [hed]")
    refused = ws.run("deal", "list")
    assert refused.exit_code == 3
    assert "powers: migrate names role 'hed'" in refused.stderr and "did you mean 'head'?" in refused.stderr


def test_a_misspelt_power_is_a_schema_error(ws):
    _config(ws, "migrate: [head]", "migrat: [head]")
    refused = ws.run("deal", "list")
    assert refused.exit_code == 3
    assert "flowctl.yaml:5:" in refused.stderr and "did you mean 'migrate'?" in refused.stderr


def test_import_deals_also_needs_a_role_in_the_pipeline(ws, tmp_path):
    """The import power is workspace-wide; deals still land only in a pipeline where the importer holds a role."""
    _pipeline(ws, "okna", ("- id: engineer ", "- id: measurer "), ("roles: [engineer]", "roles: [measurer]"),
              ("for: engineer", "for: measurer"), ("[manager, engineer]", "[manager, measurer]"),
              ("colleagues: [engineer, head]", "colleagues: [measurer, head]"))
    _config(ws, "import: [head]", "import: [measurer]")
    with open(ws.root / "flowctl.yaml", "a", encoding="utf-8") as config:
        config.write("  - {login: mira, name: Мира, roles: [measurer]}\n")
    ws.republish()
    deals = tmp_path / "deals.csv"
    deals.write_text("ID,Бюджет\nX-1,100\n", "utf-8")
    before = ws.snapshot()
    refused = ws.run("import", "deals", "--owner", "olga", deals, "--id-column", "ID", "--pipeline", "krovlya", user="mira")
    assert refused.exit_code == 5 and "holds no role of pipeline «Кровля»" in refused.stderr
    assert ws.snapshot() == before
    assert ws.run("import", "deals", "--owner", "olga", deals, "--id-column", "ID", "--pipeline", "okna", user="mira").exit_code == 0


def test_init_and_demo_declare_the_heads_powers(tmp_path, monkeypatch, cli):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    monkeypatch.delenv("FLOWCTL_USER", raising=False)
    target = tmp_path / "new"
    assert cli("init", target, "--user", "ivan").exit_code == 0
    monkeypatch.chdir(target)
    assert cli("--as", "ivan", "migrate").exit_code == 0  # ivan is manager and head, as init made him
    assert "  migrate: [head]" in (target / "flowctl.yaml").read_text("utf-8")
    demo = tmp_path / "demo"
    assert cli("demo", "--keep", demo).exit_code == 0
    monkeypatch.chdir(demo)
    assert cli("--as", "olga", "migrate").exit_code == 0
    assert cli("--as", "anna", "migrate").exit_code == 5


# -- role-conflict: the lint across the pipelines of a workspace ---------------------------------------

FIXTURES = DATA / "pipelines"


@pytest.mark.parametrize("kind", ["valid", "invalid"])
def test_role_conflict_fixtures(kind):
    """A folder of pipelines per example, like a workspace; each file names what it must trigger, as the
    one-file fixtures do, and each passes the one-file lint."""
    files = sorted((FIXTURES / kind / "role-conflict").glob("*.yaml"))
    assert len(files) >= 2
    checked = [check(f) for f in files]
    assert all(problems == [] for problems, _ in checked)
    expected = Counter((f.name, m.group(1), int(m.group(2)))
                       for f in files for m in EXPECT.finditer(f.read_text("utf-8")))
    assert (kind == "invalid") == bool(expected)
    found = Counter((Path(p.path).name, p.rule, p.line) for p in lint_workspace([doc for _, doc in checked]))
    assert found == expected
    assert "`role-conflict`" in (ROOT / "docs" / "lint-rules.md").read_text("utf-8")


def test_validate_given_one_changed_file_compares_it_with_the_workspace(ws):
    """A pre-commit hook passes only the changed file: its conflict with an unchanged pipeline is still found."""
    _pipeline(ws, "okna", MANAGER_REOPENS)
    result = ws.run("validate", "pipelines/okna.yaml")
    assert result.exit_code == 1
    assert result.stdout.startswith("pipelines/okna.yaml:14:9: error: role 'manager'")
    assert "[role-conflict]" in result.stdout
    assert "krovlya.yaml:14:9" not in result.stdout  # only the validated file's problems are shown
    assert ws.run("validate", "pipelines/krovlya.yaml").exit_code == 1
    assert ws.run("validate", KROVLYA).exit_code == 0  # a file outside the workspace is checked on its own


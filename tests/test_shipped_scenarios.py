"""The regulation as scenarios: every rule id of RULES.md has a shipped scenario, they all pass on the shipped
pipeline, and each mistake ops could make in krovlya.yaml fails the scenario of the rule it breaks."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

from flowctl import scenario

SHIPPED = ROOT / "flowctl" / "scenarios"
KROVLYA = ROOT / "pipelines" / "krovlya.yaml"
# Every id ../shared/regulation/RULES.md defines (the regulation is not part of this repository).
REGULATION = ("S1", "S2", "S3", "S4", "S5", "S5b", "S6", "S7", "M1", "M2", "M3",
              "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", *(f"F{n}" for n in range(1, 12)), "T1", "T2", "T3",
              *(f"L{n}" for n in range(1, 9)), "W1", "W2", "W3", "W4", "E1", "E2", "E3", "E4", "P1")


def _rules_of(path) -> list[str]:
    _, doc = scenario.load(path)
    return doc.data.get("rules", [])


def test_every_rule_of_the_regulation_has_a_scenario_named_by_it():
    files = sorted(SHIPPED.glob("*.yaml"))
    proven = {rule for path in files for rule in _rules_of(path)}
    assert sorted(set(REGULATION) - proven) == []
    assert sorted(proven - set(REGULATION)) == []  # no scenario cites a rule the regulation lacks
    for path in files:  # named by the rule ids it proves, lower case first
        assert path.stem.split("-")[0] in {r.lower() for r in _rules_of(path)}, path.name


def test_the_shipped_scenarios_pass_on_the_shipped_pipeline(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = json.loads(cli("test", SHIPPED, "--format", "json").stdout)
    failed = [(s["file"], s.get("failure") or s.get("problems")) for s in report["scenarios"] if s["status"] != "ok"]
    assert failed == [] and report["passed"] == len(list(SHIPPED.glob("*.yaml")))


# (the rule, what ops changed in krovlya.yaml, the text it replaced, the text it wrote)
MUTANTS = [
    ("M1", "a manager added to the move S4 → S5",
     "    to: proposal_ready\n    roles: [engineer]   # M1", "    to: proposal_ready\n    roles: [engineer, manager]"),
    ("Q5", "the budget no longer required in «КП ГОТОВО»",
     "    requires:\n      - budget          # Q5: the price in the proposal\n", ""),
    ("T1", "«ГОРЯЧИЕ» no longer creates the task to get the plan",
     "      - task: get_plan\n        due_in: 1d\n", "      - task: call\n        due_in: 1d\n"),
    ("W1", "the agenda's «ГОРЯЧИЕ» before the proposals",
     "  - stages: [proposal_ready, estimate_ready]    # W1, L5: the monthly plan\n"
     "    sort: budget_desc                           # W1: mind the big budgets\n"
     "  - stages: [hot]                               # W2: no potential client lost\n",
     "  - stages: [hot]\n  - stages: [proposal_ready, estimate_ready]\n    sort: budget_desc\n"),
    ("W1", "the proposals no longer sorted by budget", "    sort: budget_desc ", "    sort: due "),
    ("W4", "new leads left out of the agenda",
     "  - stages: [new_lead]                          # W4: a new lead first, the same minute\n", ""),
    ("Q3", "the roof plan no longer required in «ОБЪЕМЫ У ТУРАЛА»", "      - roof_plan       # Q3", "      # Q3"),
    ("Q6", "no reason needed to close as lost", "    requires:\n      - lost_reason     # Q6", "    # Q6"),
    ("L3", "a one-letter result", "  result_min_length: 3", "  result_min_length: 1"),
    ("L2", "S1 → S2 without a contact made", "    conditions: [contact_made]   # S1, L2", "    # S1, L2"),
    ("T3", "S3 → S4 with its task still open", "    conditions: [tasks_done]     # T3, E3", "    # T3, E3"),
    ("M2", "the engineer may take a deal into work",
     "    to: in_work\n    roles: [manager]    # M2", "    to: in_work\n    roles: [manager, engineer]"),
    ("L4", "five minutes a task", "  minutes_each: 3 ", "  minutes_each: 5 "),
    ("S4", "the calculation is the manager's task, not the engineer's", "        for: engineer\n", ""),
    ("F8", "a contact named without his type", 'contact_display: "{name} {client_type}"', 'contact_display: "{name}"'),
]


def _ascii_id(rule: str, change: str) -> str:
    """A test id mutmut can hand back to pytest (it stores ids escaped: «» and → would no longer match)."""
    return "-".join([rule, *re.findall(r"[A-Za-z0-9]+", change)])


@pytest.mark.parametrize("rule, change, old, new", MUTANTS, ids=[_ascii_id(m[0], m[1]) for m in MUTANTS])
def test_a_mistake_in_the_pipeline_fails_the_scenario_of_the_rule_it_breaks(cli, tmp_path, monkeypatch,
                                                                            rule, change, old, new):
    text = KROVLYA.read_text("utf-8")
    assert text.count(old) == 1, change
    mutant = tmp_path / "krovlya.yaml"
    mutant.write_text(text.replace(old, new), "utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli("validate", mutant).exit_code == 0  # well-formed: only the scenarios notice
    result = cli("test", SHIPPED, "--pipeline", mutant, "--rule", rule, "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert any(rule in s["rules"] and s["status"] == "fail" and "failure" in s for s in report["scenarios"])


def test_readme_lists_every_shipped_scenario():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert [p.name for p in sorted(SHIPPED.glob("*.yaml")) if f"`{p.name}`" not in readme] == []

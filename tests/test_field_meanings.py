"""A pipeline says which of its fields is the money, the owner and the lead date (`meaning:`): reports, imports,
the agenda and the store's report columns follow, on every store and in the PostgreSQL store's own checks."""

from __future__ import annotations

import json

from conftest import KROVLYA
from test_deals import ALMAZ

# «Кровля» as another CRM would name its fields: the money close_value, the owner sales_agent, the lead date
# engaged_on.
RENAMES = (("- id: budget ", "- id: close_value "), ("      - budget ", "      - close_value "),
           ("- id: responsible ", "- id: sales_agent "), ("- id: lead_date ", "- id: engaged_on "))


def _renamed(ws) -> None:
    text = KROVLYA.read_text("utf-8")
    for old, new in RENAMES:
        assert old in text, old
        text = text.replace(old, new)
    (ws.root / "pipelines" / "krovlya.yaml").write_text(text, "utf-8")
    ws.republish()


def test_reports_imports_and_the_agenda_use_the_fields_the_pipeline_declares(ws, tmp_path):
    _renamed(ws)
    ws.ok("contact", "add", *ALMAZ)
    created = ws.json("deal", "create", "--contact", "1")
    assert (created["fields"]["sales_agent"], created["fields"]["engaged_on"]) == ("ivan", "2026-11-30")
    assert created["responsible"] == "ivan"
    source = tmp_path / "old.csv"
    source.write_text("ID,Этап,Сумма сделки,Менеджер,Создана\n"
                      "W-1,УСПЕШНО РЕАЛИЗОВАНО,1254000.50,Ольга,05.11.2026 10:00\n"
                      "W-2,КП ГОТОВО,300000,ivan,10.11.2026 10:00\n", "utf-8")
    ws.ok("import", "deals", source, "--id-column", "ID", "--map", "Менеджер=sales_agent", "--map",
          "Сумма сделки=close_value", "--created", "Создана", user="olga")
    managers = {m["user"]: m for m in ws.json("report", "managers")}
    assert (managers["olga"]["won"], managers["olga"]["won_sum"]) == (1, "1254000.50")
    assert ws.json("report", "forecast", "--month", "2026-11")["stages"][0]["budget"] == "300000.00"
    funnel = {s["stage"]: s for s in ws.json("report", "funnel", "--from", "2026-11-01", "--to", "2026-11-07")["stages"]}
    assert (funnel["won"]["deals"], funnel["won"]["budget"]) == (1, "1254000.50")
    assert ws.json("deal", "list", "--responsible", "ivan", "--sort", "budget", "--desc")[0]["budget"] == "300000.00"
    ws.ok("task", "add", "3", "--type", "present_offer", "--due", "today 15:00")  # given to the deal's owner
    agenda = ws.json("agenda", "--user", "ivan")["tasks"]
    assert [t["budget"] for t in agenda if t["stage"] == "proposal_ready"] == ["300000.00"]


def test_an_import_without_the_declared_owner_column_needs_owner(ws, tmp_path):
    _renamed(ws)
    source = tmp_path / "old.csv"
    source.write_text("ID,responsible\nX-1,ivan\n", "utf-8")  # the old owner field's id: no field now
    result = ws.run("import", "deals", source, "--id-column", "ID", user="olga")
    assert result.exit_code == 2
    assert "map one to sales_agent" in result.stderr


def test_the_lint_refuses_a_meaning_on_a_field_that_cannot_hold_it(local_ws):
    text = KROVLYA.read_text("utf-8").replace("      meaning: owner ", "      meaning: money ", 1)
    owner_line = text.splitlines().index("      meaning: money    # whose deal it is: the agenda, the managers report, imports") + 1
    path = local_ws.root / "pipelines" / "krovlya.yaml"
    path.write_text(text, "utf-8")
    result = local_ws.run("validate", str(path), "--format", "json")
    problems = json.loads(result.stdout)["problems"]
    assert result.exit_code == 1
    assert [(p["rule"], p["message"]) for p in problems] == [
        ("field-meaning", "a field of meaning money must be of type money, not user"),
        ("field-meaning", f"meaning money is already given to field 'responsible' (line {owner_line}); one field holds"
                          " each meaning")]

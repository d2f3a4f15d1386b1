"""Config changes that would strand data: `validate --store` finds them; declared renames and `migrate` apply them."""

from __future__ import annotations

import json

from test_deals import new_deal, walk_to


def _edit_pipeline(ws, *replacements, append: str = ""):
    path = ws.root / "pipelines" / "krovlya.yaml"
    text = path.read_text("utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text + append, "utf-8")
    return path


def _plan(ws) -> tuple[int, dict]:
    result = ws.run("validate", "--store", ws.store_path, "--format", "json")
    return result.exit_code, json.loads(result.stdout)


def test_unchanged_pipeline_fits_the_data(ws):
    walk_to(ws, new_deal(ws), "горячие")
    code, report = _plan(ws)
    assert code == 0 and report["data"] == []


def test_stage_removed_while_deals_sit_in_it(ws):
    deal = new_deal(ws)
    ws.ok("deal", "create")
    _edit_pipeline(ws, ("  - id: new_lead ", "  - id: lead "), ("from: new_lead", "from: lead"),
                   ("[new_lead]", "[lead]"))
    code, report = _plan(ws)
    assert code == 1
    [gone] = [f for f in report["data"] if f["rule"] == "stage-gone"]
    assert gone["subject"] == "new_lead" and gone["count"] == 2 and gone["examples"] == [deal, deal + 1]
    text = ws.run("validate", "--store", ws.store_path)
    assert text.exit_code == 1 and "stage 'new_lead' is gone" in text.stdout and "2 deals sit in it" in text.stdout


def test_declared_stage_rename_passes_and_migrate_applies_it(ws):
    deal = new_deal(ws)
    _edit_pipeline(ws, ("  - id: new_lead ", "  - id: lead "), ("from: new_lead", "from: lead"),
                   ("[new_lead]", "[lead]"), append="renames:\n  stages:\n    new_lead: lead\n")
    code, report = _plan(ws)
    assert code == 0 and [f["rule"] for f in report["data"]] == ["stage-rename"]
    ws.republish()  # a declared rename strands nothing: the head publishes it, then migrates the data
    refused = ws.run("migrate")  # ivan is a manager: migrating data is the head's
    assert refused.exit_code == 5
    before = ws.snapshot()
    assert ws.json("migrate", "--dry-run", user="olga")["deals"] == 1
    assert ws.snapshot() == before
    assert ws.json("migrate", user="olga") == {"deals": 1, "events": 1, "dry_run": False}
    assert ws.json("deal", "show", deal)["stage"] == "lead"
    events = [e for e in ws.json("deal", "history", deal) if e["kind"] == "deal.migrated"]
    assert events[0]["actor"] == "olga" and events[0]["data"] == {"stage": {"from": "new_lead", "to": "lead"}}
    assert "created in «НОВЫЙ ЛИД»" in ws.ok("deal", "history", deal).stdout  # old events read through the rename
    assert ws.json("migrate", user="olga")["deals"] == 0  # nothing left to do
    funnel = ws.json("report", "funnel")
    assert funnel["stages"][0]["stage"] == "lead" and funnel["stages"][0]["entered"] == 1


def test_field_removed_or_retyped_while_values_exist(ws):
    deal = new_deal(ws)
    ws.ok("deal", "set", deal, "site=Званка", "budget=100")
    _edit_pipeline(ws, ("    - id: site          # Q1: where he builds, settlement or street\n"
                        "      label: Где строит\n      type: text\n", ""),
                   ("      - site\n", ""), ("      type: money\n      meaning: money ", "      type: date\n      # meaning: money "))
    code, report = _plan(ws)
    rules = {f["rule"]: f for f in report["data"]}
    assert code == 1 and rules["field-gone"]["subject"] == "site" and rules["field-gone"]["count"] == 1
    assert rules["field-type"]["subject"] == "budget"


def test_enum_option_removed_while_in_use(ws):
    deal = new_deal(ws)
    ws.ok("deal", "advance", deal, "lost", "-F", "lost_reason=Дорого")
    _edit_pipeline(ws, ("        - {id: too_expensive, label: Дорого}\n", ""))
    code, report = _plan(ws)
    [gone] = [f for f in report["data"] if f["rule"] == "option-gone"]
    assert code == 1 and gone["subject"] == "lost_reason=too_expensive" and gone["examples"] == [deal]


def test_field_newly_required_by_a_stage_open_deals_lack(ws):
    deal = new_deal(ws)
    walk_to(ws, deal, "горячие")
    _edit_pipeline(ws, ("      - buys_when\n", "      - buys_when\n      - coating\n"))
    code, report = _plan(ws)
    [required] = [f for f in report["data"] if f["rule"] == "newly-required"]
    assert code == 1 and required["count"] == 1 and "Покрытие" in required["message"]


def test_field_rename_moves_values(ws):
    deal = new_deal(ws)
    ws.ok("deal", "set", deal, "site=Званка")
    _edit_pipeline(ws, ("    - id: site ", "    - id: place "), ("      - site\n", "      - place\n"),
                   append="renames:\n  fields:\n    site: place\n")
    assert _plan(ws)[0] == 0
    ws.republish()
    ws.ok("migrate", user="olga")
    assert ws.json("deal", "show", deal)["fields"]["place"] == "Званка"
    assert "Где строит: — → Званка" in ws.ok("deal", "history", deal).stdout


def test_github_format_annotates_stranded_data(ws):
    new_deal(ws)
    _edit_pipeline(ws, ("  - id: new_lead ", "  - id: lead "), ("from: new_lead", "from: lead"),
                   ("[new_lead]", "[lead]"))
    result = ws.run("validate", "--store", ws.store_path, "--format", "github")
    assert result.exit_code == 1 and result.stdout.startswith("::error title=stage-gone::")

"""Deals through the pipeline, against both stores: M1, M2, Q1–Q6, history, refusals that write nothing."""

from __future__ import annotations

import json


ALMAZ = ["name=Алмаз", "phone=8 912 345-67-89", "Строитель/Частник=Строитель"]
QUALIFIED = ["-F", "site=Званка", "-F", "houses=4", "-F", "Этап СТРОЙКИ=фундамент", "-F", "buys_when=14.12.2026"]
TECH = ["-F", "roof_plan=План кровли", "-F", "coating=металлочерепица", "-F", "thickness=0.5"]


def new_deal(ws) -> int:
    ws.ok("contact", "add", *ALMAZ)
    return ws.json("deal", "create", "--pipeline", "krovlya", "--contact", "1")["id"]


def call_done(ws, deal_id: int) -> None:
    """Complete the deal's open tasks with a result and a call (L2, L3)."""
    for task in ws.json("task", "list", "--deal", deal_id):
        ws.ok("task", "done", task["id"], "--result", "Поговорили, всё решили", "--contact", "call")


def walk_to(ws, deal_id: int, stage: str) -> None:
    steps = [("ОП ВЗЯЛ В РАБОТУ", [], "ivan"), ("горячие", QUALIFIED, "ivan"), ("ОБЪЕМЫ У ТУРАЛА", TECH, "ivan"),
             ("КП ГОТОВО", ["-F", "budget=350 000,50"], "tural")]
    for label, fields, user in steps:
        call_done(ws, deal_id)
        ws.ok("deal", "advance", deal_id, label, *fields, user=user)
        if label.lower() == stage.lower():
            return


def test_deal_walks_s1_to_s6_by_the_right_people(ws):
    """M1, M2, and a new deal's defaults: F1 the acting user, F3 and P1 the pipeline's product, F5 today."""
    deal_id = new_deal(ws)
    deal = ws.json("deal", "show", deal_id)
    assert deal["stage"] == "new_lead"
    assert deal["fields"]["lead_date"] == "2026-11-30"  # F5: today in the workspace's zone
    assert deal["fields"]["responsible"] == "ivan"  # F1: the acting user
    assert deal["fields"]["product"] == "КРОВЛЯ"  # F3: the pipeline's product
    assert deal["fields"]["client_type"] == "builder"  # F4 from the contact's F10
    walk_to(ws, deal_id, "КП ГОТОВО")
    call_done(ws, deal_id)
    won = ws.json("deal", "advance", deal_id, "успешно реализовано")
    assert won["stage"] == "won" and won["budget"] == "350000.50"


def test_m1_manager_refused_at_s4_to_s5_engineer_allowed(ws):
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "ОБЪЕМЫ У ТУРАЛА")
    before = ws.snapshot()
    refused = ws.run("deal", "advance", deal_id, "КП ГОТОВО", "-F", "budget=100", user="ivan")
    assert refused.exit_code == 5
    assert "only Инженер may move" in refused.stderr
    assert ws.snapshot() == before
    assert ws.json("deal", "advance", deal_id, "СМЕТА ГОТОВА", "-F", "budget=100", user="tural")["stage"] == \
        "estimate_ready"


def test_m2_engineer_may_not_make_the_managers_moves(ws):
    deal_id = new_deal(ws)
    call_done(ws, deal_id)
    assert ws.run("deal", "advance", deal_id, "ОП ВЗЯЛ В РАБОТУ", user="tural").exit_code == 5


def test_q3_s3_to_s4_refused_until_roof_plan_recorded(ws):
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "горячие")
    call_done(ws, deal_id)
    before = ws.snapshot()
    refused = ws.run("deal", "advance", deal_id, "ОБЪЕМЫ У ТУРАЛА", "-F", "coating=шифер", "-F", "thickness=1")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == ("flowctl: «ОБЪЕМЫ У ТУРАЛА» needs: Проект/план кровли; the --field values were"
                                      " not saved: give them again with the move, or save them first with"
                                      f" `flowctl deal set {deal_id} …`")
    assert ws.snapshot() == before  # the fields given in the refused command were not kept either
    ws.ok("deal", "set", deal_id, "Проект/план кровли=рисунок с размерами")
    moved = ws.json("deal", "advance", deal_id, "volumes", "-F", "coating=шифер", "-F", "thickness=1")
    assert moved["stage"] == "volumes" and moved["fields"]["roof_plan"] == "drawing"


def test_q1_houses_required_for_a_builder_only(ws):
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "ОП ВЗЯЛ В РАБОТУ")
    refused = ws.run("deal", "advance", deal_id, "горячие", "-F", "site=Званка", "-F", "Этап СТРОЙКИ=стены",
                     "-F", "buys_when=01.12.2026")
    assert refused.exit_code == 1 and "needs: Сколько домов;" in refused.stderr
    ok = ws.json("deal", "advance", deal_id, "горячие", "-F", "site=Званка", "-F", "Этап СТРОЙКИ=стены",
                 "-F", "buys_when=01.12.2026", "-F", "client_type=частник")
    assert ok["stage"] == "hot"


def test_q6_closing_as_lost_needs_a_reason(ws):
    deal_id = new_deal(ws)
    before = ws.snapshot()
    refused = ws.run("deal", "advance", deal_id, "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО")
    assert refused.exit_code == 1 and "Причина отказа" in refused.stderr
    assert ws.snapshot() == before
    lost = ws.json("deal", "advance", deal_id, "закрыто и не реализовано", "-F", "lost_reason=купил в другом месте")
    assert lost["stage"] == "lost" and lost["fields"]["lost_reason"] == "bought_elsewhere"


def test_reopen_by_head_only(ws):
    deal_id = new_deal(ws)
    ws.ok("deal", "advance", deal_id, "lost", "-F", "lost_reason=other")
    assert ws.run("deal", "advance", deal_id, "in_work").exit_code == 5
    assert ws.json("deal", "advance", deal_id, "in_work", user="olga")["stage"] == "in_work"


def test_skipping_stages_refused_with_reachable_targets(ws):
    deal_id = new_deal(ws)
    refused = ws.run("deal", "advance", deal_id, "КП ГОТОВО")
    assert refused.exit_code == 1
    assert "you can go to: «ОП ВЗЯЛ В РАБОТУ», «ЗАКРЫТО И НЕ РЕАЛИЗОВАНО»" in refused.stderr


def test_unknown_stage_gets_a_suggestion(ws):
    deal_id = new_deal(ws)
    refused = ws.run("deal", "advance", deal_id, "ГОРЯЧЕЕ")
    assert refused.exit_code == 2 and "did you mean 'ГОРЯЧИЕ'" in refused.stderr


def test_user_outside_team_refused_and_nothing_written(ws):
    deal_id = new_deal(ws)
    before = ws.snapshot()
    for command in (["deal", "create"], ["deal", "set", deal_id, "budget=1"], ["contact", "add", "name=X"],
                    ["deal", "show", deal_id]):
        result = ws.run(*command, user="mallory")
        assert result.exit_code == 5 and "not a member of the team" in result.stderr
    assert ws.snapshot() == before


def test_acting_user_from_env_then_os_login(local_ws, monkeypatch):
    from typer.testing import CliRunner

    from flowctl.cli.app import app

    runner = CliRunner()
    monkeypatch.setattr("flowctl.workspace._os_login", lambda: "olga")

    def created_by(*argv):
        result = runner.invoke(app, [*argv, "deal", "create", "--format", "json"])
        return json.loads(result.stdout)["responsible"] if result.exit_code == 0 else result.exit_code

    assert created_by() == "olga"  # the OS login, a member: F1 names her
    monkeypatch.setenv("FLOWCTL_USER", "mallory")
    assert created_by() == 5  # FLOWCTL_USER wins over the OS login: mallory is no member
    monkeypatch.setenv("FLOWCTL_USER", "ivan")
    assert created_by() == "ivan"
    assert created_by("--as", "olga") == "olga"  # --as wins over both


def test_history_lists_every_change_with_its_actor(ws):
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "КП ГОТОВО")
    events = ws.json("deal", "history", deal_id)
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)  # oldest first
    stages = [(e["data"]["from"], e["data"]["to"], e["actor"]) for e in events if e["kind"] == "deal.stage"]
    assert stages == [("new_lead", "in_work", "ivan"), ("in_work", "hot", "ivan"), ("hot", "volumes", "ivan"),
                      ("volumes", "proposal_ready", "tural")]
    budget = [e for e in events if e["kind"] == "deal.field" and e["data"]["field"] == "budget"]
    assert budget == [{**budget[0], "actor": "tural", "data": {"field": "budget", "old": None, "new": "350000.50"}}]
    table = ws.ok("deal", "history", deal_id).stdout
    assert "stage: «ОБЪЕМЫ У ТУРАЛА» → «КП ГОТОВО»" in table and "Бюджет: — → 350 000.50" in table


def test_set_fields_by_label_with_typed_values(ws):
    deal_id = new_deal(ws)
    deal = ws.json("deal", "set", deal_id, "Бюджет=1 054,50 ₽", "когда покупает=01.12.2026", "houses=4")
    assert deal["fields"]["budget"] == "1054.50"
    assert deal["fields"]["buys_when"] == "2026-12-01"
    assert deal["fields"]["houses"] == 4
    bad = ws.run("deal", "set", deal_id, "budget=много")
    assert bad.exit_code == 2 and bad.stderr.startswith("flowctl: Бюджет: 'много' is not an amount of money")
    unknown = ws.run("deal", "set", deal_id, "budjet=1")
    assert unknown.exit_code == 2 and "did you mean 'budget'" in unknown.stderr


def test_a_field_the_stage_requires_cannot_be_cleared(ws):
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "горячие")
    before = ws.snapshot()
    refused = ws.run("deal", "set", deal_id, "site=")
    assert refused.exit_code == 1 and "Где строит" in refused.stderr
    assert ws.snapshot() == before


def test_deal_list_filters_and_sorts(ws):
    ws.ok("contact", "add", *ALMAZ)
    for budget in ("100", "300", "200"):
        ws.ok("deal", "create", "-F", f"budget={budget}")
    ws.ok("deal", "create", "-F", "budget=50", user="olga")
    rows = ws.json("deal", "list", "--responsible", "ivan", "--sort", "budget", "--desc")
    assert [r["budget"] for r in rows] == ["300.00", "200.00", "100.00"]
    assert len(ws.json("deal", "list", "--stage", "новый лид")) == 4
    assert ws.json("deal", "list", "--stage", "горячие") == []
    assert "НОВЫЙ ЛИД" in ws.ok("deal", "list").stdout
    csv_out = ws.ok("deal", "list", "--format", "csv").stdout.splitlines()
    assert csv_out[0] == "#,stage,contact,responsible,budget,lead date" and len(csv_out) == 5


def test_missing_deal_is_not_found(ws):
    assert ws.run("deal", "show", 99).exit_code == 4


def test_f9_contact_phone_forms_are_one_number(ws):
    first = ws.json("contact", "add", "name=Алмаз", "phone=8 912 345-67-89")
    assert first["fields"]["phone"] == "+79123456789"
    for same in ("+7 (912) 345 67 89", "89123456789"):
        dup = ws.run("contact", "add", "name=Другой", f"phone={same}")
        assert dup.exit_code == 1 and "already belongs to contact #1" in dup.stderr
    bad = ws.run("contact", "add", "name=X", "phone=12345")
    assert bad.exit_code == 2 and "Телефон" in bad.stderr


def test_f8_display_name_from_client_type(ws):
    assert ws.json("contact", "add", *ALMAZ)["display_name"] == "Алмаз Строитель"
    assert ws.json("contact", "add", "name=Пётр", "client_type=private")["display_name"] == "Пётр Частник"
    assert ws.json("contact", "set", "2", "client_type=builder")["display_name"] == "Пётр Строитель"


def test_f11_contact_card_lists_deals_with_stage(ws):
    deal_id = new_deal(ws)
    ws.ok("deal", "create", "--contact", "1")
    walk_to(ws, deal_id, "ОП ВЗЯЛ В РАБОТУ")
    card = ws.json("contact", "show", "1")
    assert [(d["id"], d["stage_label"]) for d in card["deals"]] == [(1, "ОП ВЗЯЛ В РАБОТУ"), (2, "НОВЫЙ ЛИД")]
    assert "Deals: 2" in ws.ok("contact", "show", "1").stdout


def test_init_creates_workspace_and_refuses_to_overwrite(tmp_path, monkeypatch, cli):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    target = tmp_path / "new"
    created = cli("init", target, "--user", "ivan", "--store", "data.json")
    assert created.exit_code == 0, created.stderr
    assert (target / "flowctl.yaml").is_file() and (target / "pipelines" / "krovlya.yaml").is_file()
    assert (target / "data.json").is_file() and (target / "schemas" / "pipeline.schema.json").is_file()
    before = (target / "flowctl.yaml").read_bytes()
    again = cli("init", target, "--user", "someone")
    assert again.exit_code == 1 and "never overwrites" in again.stderr
    assert (target / "flowctl.yaml").read_bytes() == before


def test_no_workspace_is_a_config_error(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    result = cli("deal", "list")
    assert result.exit_code == 3 and "flowctl init" in result.stderr


def test_store_option_overrides_workspace_store(local_ws, tmp_path):
    ws = local_ws
    other = tmp_path / "other.json"
    missing = ws._runner.invoke(ws._app, ["--store", str(other), "--as", "ivan", "deal", "create"])
    assert missing.exit_code == 6 and "no store at" in missing.stderr and not other.exists()  # a typo creates nothing
    from flowctl.store import open_store

    open_store(str(other), create=True).close()
    result = ws._runner.invoke(ws._app, ["--store", str(other), "--as", "ivan", "deal", "create"])
    assert result.exit_code == 0 and "created deal #1" in result.stdout
    assert ws._runner.invoke(ws._app, ["--as", "ivan", "deal", "show", "1"]).exit_code == 4


def test_init_checks_its_input_before_writing(tmp_path, cli):
    target = tmp_path / "bad"
    assert cli("init", target, "--user", "ivan", "--timezone", "Mars/Base").exit_code == 2
    assert cli("init", target, "--user", "ivan", "--roles", "manager]").exit_code == 2
    assert not (target / "flowctl.yaml").exists()
    assert cli("init", target, "--user", "ivan", "--name", "a: b").exit_code == 0  # quoted, so still valid YAML
    from flowctl.workspace import load

    assert load(target / "flowctl.yaml").team["ivan"].name == "a: b"  # the name as typed, not a YAML mapping


def test_team_mistakes_are_config_errors(ws):
    config = ws.root / "flowctl.yaml"
    text = config.read_text("utf-8")
    config.write_text(text + "  - {login: Ivan, name: Двойник, roles: [engineer]}\n", "utf-8")
    duplicate = ws.run("deal", "list")
    assert duplicate.exit_code == 3 and "appears twice" in duplicate.stderr
    config.write_text(text.replace("roles: [engineer]", "roles: [enginer]"), "utf-8")
    typo = ws.run("deal", "list")
    assert typo.exit_code == 3 and "did you mean 'engineer'" in typo.stderr


def test_a_stage_removed_from_the_yaml_is_a_config_error_not_a_crash(unpublished_ws):
    """On a store where nothing is published, the local files rule: a stage they lost is a config error."""
    ws = unpublished_ws
    deal_id = new_deal(ws)
    pipeline = ws.root / "pipelines" / "krovlya.yaml"
    pipeline.write_text(pipeline.read_text("utf-8").replace("new_lead", "lead"), "utf-8")
    result = ws.run("deal", "show", deal_id)
    assert result.exit_code == 3 and "'new_lead'" in result.stderr


def test_sorting_by_budget_puts_deals_without_one_last_on_both_stores(ws):
    for budget in ("300", None, "100"):
        ws.ok("deal", "create", *(["-F", f"budget={budget}"] if budget else []))
    assert [d["budget"] for d in ws.json("deal", "list", "--sort", "budget")] == ["100.00", "300.00", None]
    assert [d["budget"] for d in ws.json("deal", "list", "--sort", "budget", "--desc")] == ["300.00", "100.00", None]


def test_odd_ids_and_pipelines_are_answered_not_crashed(ws):
    assert ws.run("deal", "show", str(2**70)).exit_code in (2, 4)
    assert ws.run("deal", "list", "--pipeline", "nope").exit_code == 4
    assert ws.run("deal", "list", "--limit", "-1").exit_code == 2

"""The shipped pipeline file expresses the regulation (S, M, Q, F, T, L, W rule ids)."""

from __future__ import annotations

import json
import re

from conftest import KROVLYA, ROOT

from flowctl.pipeline.compile import check


def test_krovlya_is_clean(krovlya):
    problems, _ = check(KROVLYA)
    assert problems == []


def test_s1_stages_labels_order_and_kinds(krovlya):
    assert [(s.label, s.kind) for s in krovlya.stages] == [
        ("НОВЫЙ ЛИД", "open"), ("ОП ВЗЯЛ В РАБОТУ", "open"), ("ГОРЯЧИЕ", "open"),
        ("ОБЪЕМЫ У ТУРАЛА", "open"), ("КП ГОТОВО", "open"), ("СМЕТА ГОТОВА", "open"),
        ("УСПЕШНО РЕАЛИЗОВАНО", "won"), ("ЗАКРЫТО И НЕ РЕАЛИЗОВАНО", "lost"),
    ]
    assert [s.order for s in krovlya.stages] == list(range(1, 9))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", s.id) for s in krovlya.stages)


def test_m1_only_engineer_leaves_volumes_forward(krovlya):
    forward = [t for t in krovlya.transitions if t.source == "volumes" and t.dest != "lost" and not t.correction]
    assert {t.dest for t in forward} == {"proposal_ready", "estimate_ready"}
    assert all(t.roles == ("engineer",) for t in forward)


def test_m2_manager_makes_every_other_move(krovlya):
    others = [t for t in krovlya.transitions if not t.correction
              and not (t.source == "volumes" and t.dest != "lost") and krovlya.stage(t.source).is_open]
    assert others and all(t.roles == ("manager",) for t in others)


def test_q6_lost_from_every_open_stage_needs_reason(krovlya):
    sources = {t.source for t in krovlya.transitions if t.dest == "lost"}
    assert sources == {s.id for s in krovlya.stages if s.is_open}
    assert krovlya.stage("lost").missing({}) == ["lost_reason"]


def test_reopen_reserved_to_head(krovlya):
    out_of_closed = [t for t in krovlya.transitions if not krovlya.stage(t.source).is_open]
    assert out_of_closed and all(krovlya.role(r).reopen for t in out_of_closed for r in t.roles)


def test_q1_houses_required_only_for_builder(krovlya):
    hot = krovlya.stage("hot")
    filled = {"client_type": "builder", "site": "Званка", "construction_stage": "фундамент", "buys_when": "2026-12-01"}
    assert hot.missing(filled) == ["houses"]
    assert hot.missing({**filled, "client_type": "private"}) == []


def test_q3_q4_q5_required_by_target_stage(krovlya):
    assert krovlya.stage("volumes").missing({}) == ["roof_plan", "coating", "thickness"]
    assert krovlya.stage("proposal_ready").missing({}) == ["budget"]
    assert krovlya.stage("estimate_ready").missing({}) == ["budget"]


def test_f_fields_have_types_and_labels(krovlya):
    deal = {f.id: (f.label, f.type) for f in krovlya.deal_fields}
    assert deal["responsible"] == ("Ответственный", "user")  # F1
    assert deal["budget"] == ("Бюджет", "money")  # F2
    assert deal["product"][0] == "Продукт" and krovlya.product == "КРОВЛЯ"  # F3
    assert deal["client_type"] == ("Строитель/Частник", "enum")  # F4
    assert deal["lead_date"] == ("Дата ЛИДА", "date")  # F5
    assert deal["construction_stage"][0] == "Этап СТРОЙКИ"  # F6
    assert deal["buys_when"][0] == "Когда ПОКУПАЕТ"  # F7
    contact = {f.id: f.type for f in krovlya.contact_fields}
    assert contact == {"name": "text", "phone": "phone", "client_type": "enum"}  # F8–F10
    assert krovlya.contact_display == "{name} {client_type}"


def test_t_l_w_task_rules(krovlya):
    assert krovlya.tasks.minutes_each == 3  # L4
    assert krovlya.tasks.result_min_length >= 1  # L3
    assert {k.id for k in krovlya.tasks.contact_kinds} >= {"call"}  # L2
    assert krovlya.task_type("close_payment").label == "Закрыть в оплату"  # T2, E4
    assert [t.task_type for t in krovlya.stage("hot").on_enter] == ["get_plan"]  # E2
    assert [t.task_type for t in krovlya.stage("proposal_ready").on_enter] == ["close_payment"]  # E4
    assert [g.stages for g in krovlya.agenda][:4] == [  # W4, W1, W2, W3
        ("new_lead",), ("proposal_ready", "estimate_ready"), ("hot",), ("in_work",)]
    assert krovlya.agenda[1].sort == "budget_desc"  # W1: big budgets first
    assert krovlya.stage("new_lead").max_stay.total_seconds() <= 3600  # W4
    assert krovlya.stage("hot").max_stay.days == 14  # Q2


def test_every_construct_cites_a_rule_id():
    """Each stage, transition, field and agenda group line carries a comment naming rule ids or why."""
    text = KROVLYA.read_text("utf-8")
    for line in text.splitlines():
        if re.match(r"\s*- (id|from|stages):", line):
            assert "#" in line, f"no rule comment on: {line}"


def test_schema_is_valid_draft_2020_12():
    from jsonschema import Draft202012Validator

    schema = json.loads((ROOT / "schemas" / "pipeline.schema.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_describes_every_property():
    schema = json.loads((ROOT / "schemas" / "pipeline.schema.json").read_text("utf-8"))
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if "description" not in sub:
                    missing.append(f"{path}/{name}")
            for key, sub in node.items():
                walk(sub, f"{path}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{path}/{i}")

    walk(schema, "")
    assert missing == []


def test_schema_ships_inside_the_package():
    from importlib import resources

    shipped = resources.files("flowctl.schemas").joinpath("pipeline.schema.json")
    assert json.loads(shipped.read_text("utf-8"))["title"] == "flowctl pipeline"


def test_yaml_language_server_line_points_at_schema():
    first = KROVLYA.read_text("utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/pipeline.schema.json"
    assert (KROVLYA.parent / "../schemas/pipeline.schema.json").resolve().is_file()

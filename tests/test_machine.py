"""The compiled state machine: one per pipeline, role and required-field checks as its conditions."""

from __future__ import annotations

import pytest

from flowctl.errors import NotPermitted, RuleRefused
from flowctl.pipeline.machine import PipelineMachine
from flowctl.pipeline.model import DealFacts


@pytest.fixture(scope="module")
def machine(krovlya):
    return PipelineMachine(krovlya)


def test_m1_manager_refused_s4_to_s5_and_told_who_may(machine):
    with pytest.raises(NotPermitted) as refused:
        machine.move("volumes", "proposal_ready", {"manager"}, {"budget": "350000"})
    assert "only Инженер may move" in refused.value.message
    assert "you are Менеджер ОП" in refused.value.message


def test_m1_engineer_moves_s4_to_s5_and_s5b(machine):
    assert machine.move("volumes", "proposal_ready", {"engineer"}, {"budget": "1"}).dest == "proposal_ready"
    assert machine.move("volumes", "estimate_ready", {"engineer"}, {"budget": "1"}).dest == "estimate_ready"


def test_m2_engineer_may_not_make_manager_moves(machine):
    with pytest.raises(NotPermitted):
        machine.move("new_lead", "in_work", {"engineer"}, {})


def test_skipping_stages_is_refused_with_targets(machine):
    with pytest.raises(RuleRefused) as refused:
        machine.move("new_lead", "volumes", {"manager"}, {})
    assert "from «НОВЫЙ ЛИД» you can go to: «ОП ВЗЯЛ В РАБОТУ», «ЗАКРЫТО И НЕ РЕАЛИЗОВАНО»" in refused.value.message


def test_q5_missing_budget_named_by_label(machine):
    with pytest.raises(RuleRefused) as refused:
        machine.move("volumes", "proposal_ready", {"engineer"}, {})
    assert refused.value.message == "«КП ГОТОВО» needs: Бюджет"


def test_q6_lost_needs_reason(machine):
    with pytest.raises(RuleRefused, match="Причина отказа"):
        machine.move("hot", "lost", {"manager"}, {})
    assert machine.move("hot", "lost", {"manager"}, {"lost_reason": "bought_elsewhere"}).dest == "lost"


def test_reopen_only_by_head(machine):
    with pytest.raises(NotPermitted):
        machine.move("lost", "in_work", {"manager"}, {})
    assert machine.move("lost", "in_work", {"head"}, {}).dest == "in_work"


def test_one_machine_many_deals(machine):
    """The machine holds no deal: the same instance answers for deals in different stages."""
    assert machine.move("new_lead", "in_work", {"manager"}, {}, DealFacts(contact_made=True)).dest == "in_work"
    assert machine.move("in_work", "lost", {"manager"}, {"lost_reason": "other"}).dest == "lost"
    assert machine._machine.models == []


def test_s1_to_s2_needs_a_contact_with_the_client(machine):
    with pytest.raises(RuleRefused, match="needs a contact with the client"):
        machine.move("new_lead", "in_work", {"manager"}, {}, DealFacts(contact_made=False))


def test_t3_s3_to_s4_needs_the_task_completed(machine):
    filled = {"roof_plan": "plan", "coating": "металлочерепица", "thickness": "0.5"}
    with pytest.raises(RuleRefused, match=r"open tasks completed first \(1 open\)"):
        machine.move("hot", "volumes", {"manager"}, filled, DealFacts(open_tasks=1))
    assert machine.move("hot", "volumes", {"manager"}, filled, DealFacts(open_tasks=0)).dest == "volumes"


def test_q1_q2_every_missing_field_is_named_in_the_stages_order(machine):
    with pytest.raises(RuleRefused) as refused:
        machine.move("in_work", "hot", {"manager"}, {"site": "Берёзовский"})
    assert refused.value.message == "«ГОРЯЧИЕ» needs: Строитель/Частник, Этап СТРОЙКИ, Когда ПОКУПАЕТ"  # Q1, Q2


@pytest.mark.parametrize("source, dest, roles, message", [
    ("volumes", "hot", {"head"},  # a correction: the manager's or the engineer's
     "only Менеджер ОП, Инженер may move a deal from «ОБЪЕМЫ У ТУРАЛА» to «ГОРЯЧИЕ»; you are Руководитель ОП"),
    ("new_lead", "in_work", {"head", "engineer"},  # the actor's roles in the pipeline's order
     "only Менеджер ОП may move a deal from «НОВЫЙ ЛИД» to «ОП ВЗЯЛ В РАБОТУ»; you are Инженер, Руководитель ОП"),
    ("new_lead", "in_work", set(),  # a member holding no role of this pipeline
     "only Менеджер ОП may move a deal from «НОВЫЙ ЛИД» to «ОП ВЗЯЛ В РАБОТУ»; you are —"),
])
def test_m1_m2_a_refused_move_names_every_role_that_may_and_every_role_the_actor_holds(machine, source, dest, roles,
                                                                                    message):
    with pytest.raises(NotPermitted) as refused:
        machine.move(source, dest, roles, {})
    assert refused.value.message == message

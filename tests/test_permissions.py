"""Every mutating command as every role of the shipped pipeline and as an outsider (M1, M2, reopen).

Exactly what the YAML allows succeeds; every refusal is exit code 5 and writes nothing; the history
names the real actor.
"""

from __future__ import annotations

import pytest
from conftest import KROVLYA, Workspace

from flowctl.pipeline.compile import compile_file
from flowctl.store import open_store
from flowctl.store.base import Deal, Event, Task

T0 = "2026-11-30T05:00:00Z"  # an hour before the pinned now
USERS = {"ivan": {"manager"}, "tural": {"engineer"}, "hana": {"head"}, "mallory": set()}  # mallory: not in the team
FULL = {"responsible": "ivan", "product": "КРОВЛЯ", "lead_date": "2026-11-30", "client_type": "builder",
        "site": "Званка", "construction_stage": "коробка", "buys_when": "2026-12-14", "houses": 4,
        "roof_plan": "plan", "coating": "металлочерепица", "thickness": "0,5", "budget": "100000.00",
        "lost_reason": "other"}
OPEN_STAGES = ("new_lead", "in_work", "hot", "volumes", "proposal_ready", "estimate_ready")
TRANSITIONS = [  # the regulation's moves, written out here rather than read from the code under test
    ("new_lead", "in_work", ("manager",)), ("in_work", "hot", ("manager",)), ("hot", "volumes", ("manager",)),  # M2
    ("volumes", "proposal_ready", ("engineer",)), ("volumes", "estimate_ready", ("engineer",)),  # M1
    ("proposal_ready", "won", ("manager",)), ("estimate_ready", "won", ("manager",)),  # M2, L6
    *[(stage, "lost", ("manager",)) for stage in OPEN_STAGES],  # Q6: lost from every open stage
    ("won", "in_work", ("head",)), ("lost", "in_work", ("head",)),  # only the head reopens
]
CORRECTIONS = [  # moves back to fix a mistake, made with a comment (our reading: the regulation is silent)
    ("proposal_ready", "volumes", ("engineer", "manager")), ("estimate_ready", "volumes", ("engineer", "manager")),
    ("volumes", "hot", ("engineer", "manager")), ("hot", "in_work", ("manager",)),
]


def test_the_shipped_pipeline_allows_exactly_the_regulations_moves():
    """M1, M2, Q6: the YAML's moves, `from: "*"` expanded, are the regulation's, no more and no fewer."""
    moves = compile_file(KROVLYA).transitions
    compiled = {(t.source, t.dest, tuple(sorted(t.roles))) for t in moves if not t.correction}
    corrections = {(t.source, t.dest, tuple(sorted(t.roles))) for t in moves if t.correction}
    assert compiled == set(TRANSITIONS) and corrections == set(CORRECTIONS)
    assert len(moves) == len(TRANSITIONS) + len(CORRECTIONS)


HANA = "  - {login: hana, name: Хана, roles: [head]}"


@pytest.fixture
def team(ws):
    return ws.join(HANA)


@pytest.fixture
def local_team(local_ws):
    """The move matrix on the local stores: on PostgreSQL, test_database_rules tries every (from, to, role) of the
    pipeline against the database itself, and the machine that judges a move is the same for every store."""
    return local_ws.join(HANA)


def seed_deal(ws, stage: str) -> tuple[int, int]:
    """A deal sitting in `stage` with every field filled and a completed call: only the role can stop a move."""
    store = open_store(str(ws.store_path))
    try:
        with store.transaction():
            deal = Deal(None, "krovlya", stage, dict(FULL), None, T0, T0, T0)
            deal.id = store.add_deal(deal)
            store.add_event(Event(None, T0, "ivan", "deal.created", deal_id=deal.id,
                                  data={"pipeline": "krovlya", "stage": stage, "fields": FULL}))
            task_id = store.add_task(Task(None, deal.id, "call", T0, "ivan", "Позвонить", "done", T0, "ivan",
                                          result="Поговорили", contact_kind="call", done_at=T0))
            store.add_event(Event(None, T0, "ivan", "task.done", deal_id=deal.id, task_id=task_id,
                                  data={"type": "call", "result": "Поговорили", "contact": "call"}))
        return deal.id, task_id
    finally:
        store.close()


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("source, dest, roles", TRANSITIONS, ids=[f"{s}->{d}" for s, d, _ in TRANSITIONS])
def test_every_move_by_every_role(local_team, user, source, dest, roles):
    team = local_team
    deal_id, _ = seed_deal(team, source)
    before = team.snapshot()
    result = team.run("deal", "advance", deal_id, dest, user=user)
    if USERS[user] & set(roles):
        assert result.exit_code == 0, result.stderr
        moves = [e for e in team.json("deal", "history", deal_id, user="ivan") if e["kind"] == "deal.stage"]
        assert moves[-1]["actor"] == user and moves[-1]["data"] == {"from": source, "to": dest}
    else:
        assert result.exit_code == 5, (result.exit_code, result.stderr)
        assert team.snapshot() == before


COMMANDS = {  # command → the roles allowed to run it; "any" is any role of the pipeline
    "contact add": "any", "contact set": "any", "deal create": "any", "deal set": "any", "task add": "any",
    "task done": "any", "task postpone": "any", "import deals": {"head"}, "migrate": {"head"},
    "task cancel": {"manager", "head"}, "task reassign": {"manager", "head"},  # ivan's own task, and the head
}


def _argv(command: str, deal_id: int, task_id: int, tmp_path) -> list[str]:
    csv = tmp_path / "deals.csv"
    csv.write_text("ID,Бюджет\nP-1,100\n", "utf-8")
    return {
        "contact add": ["contact", "add", "name=Пётр"], "contact set": ["contact", "set", "1", "name=Павел"],
        "deal create": ["deal", "create"], "deal set": ["deal", "set", str(deal_id), "site=Мурино"],
        "task add": ["task", "add", str(deal_id), "--type", "call", "--due", "+1h"],
        "task done": ["task", "done", str(task_id), "--result", "Дозвонился", "--contact", "call"],
        "task postpone": ["task", "postpone", str(task_id), "--due", "+1d", "--reason", "перенёс клиент"],
        "task cancel": ["task", "cancel", str(task_id), "--reason", "задвоилась"],
        "task reassign": ["task", "reassign", str(task_id), "--to", "Ольга"],
        "import deals": ["import", "deals", "--owner", "olga", str(csv), "--id-column", "ID"], "migrate": ["migrate"],
    }[command]


@pytest.fixture
def server_team(request, tmp_path, monkeypatch):
    """The team on PostgreSQL alone, for the commands tried there by the members the database tells apart."""
    server = request.getfixturevalue("pg_server")
    workspace = Workspace(tmp_path / "ws", "postgres", monkeypatch, server)
    request.addfinalizer(lambda: server.release(workspace.store_name))
    return workspace.join(HANA)


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_mutating_command_by_every_role(local_team, tmp_path, user, command):
    _command_by(local_team, tmp_path, user, command)


@pytest.mark.parametrize("user", ["ivan", "tural"])  # a manager, whom most commands let through, and the engineer,
@pytest.mark.parametrize("command", COMMANDS)        # whom the powers and the task rules refuse
def test_every_mutating_command_on_postgresql(server_team, tmp_path, user, command):
    _command_by(server_team, tmp_path, user, command)


def _command_by(team, tmp_path, user: str, command: str) -> None:
    team.ok("contact", "add", "name=Алмаз", user="ivan")
    deal_id, _ = seed_deal(team, "in_work")
    task_id = team.json("task", "add", deal_id, "--type", "call", "--due", "+2h", user="ivan")["id"]
    allowed = COMMANDS[command]
    may = bool(USERS[user]) if allowed == "any" else bool(USERS[user] & allowed)
    before = team.snapshot()
    result = team.run(*_argv(command, deal_id, task_id, tmp_path), user=user)
    if may:
        assert result.exit_code == 0, result.stderr
        assert team.snapshot() != before or command == "migrate"  # migrate has nothing to do here
        history = team.json("export", "history", "--format", "json", user="ivan")
        new_events = history[-1:] if command != "migrate" else []
        assert all(e["actor"] == user for e in new_events)
    else:
        assert result.exit_code == 5, (result.exit_code, result.stderr)
        assert team.snapshot() == before

"""The pipeline's rules enforced by PostgreSQL itself (store/postgres_rules.py), for any client: these tests
connect as team members with plain SQL, as a member with psql would, and compare the database's verdicts with
the Python machine's, case by case."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest

from conftest import Workspace
from flowctl.errors import NotPermitted, RuleRefused
from flowctl.pipeline.model import DealFacts
from flowctl.text import unseen_ranges, visible_length

REFUSED = {"42501", "23514"}  # insufficient_privilege (a role or a power), check_violation (a pipeline rule)
HANA = "  - {login: hana, name: Хана, roles: [head]}\n"  # the head alone, so that each role is tried by itself
ROLE_MEMBER = {"manager": "ivan", "engineer": "tural", "head": "hana"}
RAW = {"user": "ivan", "money": "1 254 000", "text": "Кирпичный дом", "date": "2026-12-01", "integer": "2"}
BLANKS = {"absent": None, "empty": "", "spaces": " \t ", "zero-width": "\u200b\u200d", "fillers": "\u3164\u2800",
          "no-break space": "\u00a0"}
BEGIN = "2026-11-30T06:00:00Z"


@pytest.fixture
def team(tmp_path, monkeypatch, pg_server, request):
    """A store with the shipped pipeline published, a member per role, and a connection per member."""
    ws = Workspace(tmp_path / "ws", "postgres", monkeypatch, pg_server)
    request.addfinalizer(lambda: pg_server.release(ws.store_name))
    config = ws.root / "flowctl.yaml"
    config.write_text(config.read_text("utf-8") + HANA, "utf-8")
    ws.republish()
    connections = {}
    for login in (*ROLE_MEMBER.values(), "olga"):
        pg_server.as_member(login)
        connections[login] = pg_server.psycopg.connect(as_login(ws.store_name, login), autocommit=True)
    request.addfinalizer(lambda: [c.close() for c in connections.values()])
    ws.sql = connections
    ws.admin = pg_server.connection(ws.store_name)  # a superuser: stands above the rules, as it could switch them off
    return ws


def as_login(url: str, login: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{login}@{parts.hostname}:{parts.port or 5432}"))


def attempt(db, sql: str, params=()):
    """The database's verdict on one statement, rolled back either way: None (accepted) or its SQLSTATE."""
    try:
        with db.transaction(force_rollback=True):
            db.execute(sql, params)
    except Exception as error:  # a psycopg.Error has its SQLSTATE; anything else is named, and counts as a failure
        return getattr(error, "sqlstate", None) or type(error).__name__
    return None


def full_card(pipeline) -> dict:
    """A value in every field of the deal card: every stage's requirements filled."""
    from flowctl import fields

    card = {}
    for field in pipeline.deal_fields:
        raw = field.options[0].id if field.type == "enum" else RAW[field.type]
        card[field.id] = fields.parse(field, raw, team_logins=frozenset({"ivan"}))
    return card


def row(card: dict) -> tuple:
    """(fields, responsible, budget_minor, lead_date): the card and the columns that repeat it, as flowctl writes."""
    import json

    from flowctl.fields import money_minor
    from flowctl.text import is_blank

    budget = card.get("budget")
    minor = None if is_blank(budget) else money_minor(budget)
    return json.dumps(card), card.get("responsible"), minor, card.get("lead_date")


SET_CARD = "fields = %s, responsible = %s, budget_minor = %s, lead_date = %s"


def put_deal(ws, pipeline, stage: str, card: dict) -> int:
    return ws.admin.execute(
        "INSERT INTO deals (pipeline, stage, fields, responsible, budget_minor, lead_date, created_at, stage_since,"
        " updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (pipeline.id, stage, *row(card), BEGIN, BEGIN, BEGIN)).fetchone()[0]


def put_task(ws, deal: int) -> int:
    """An open call task of ivan's on the deal."""
    return ws.admin.execute(
        "INSERT INTO tasks (deal_id, type, due, responsible, text, status, created_at, created_by)"
        " VALUES (%s, 'call', %s, 'ivan', 'Позвонить', 'open', %s, 'ivan') RETURNING id", (deal, BEGIN, BEGIN)
    ).fetchone()[0]


def machine_verdict(pipeline, source: str, dest: str, role: str, card: dict) -> bool:
    from flowctl.services.deals import machine_for

    try:
        machine_for(pipeline).move(source, dest, {role}, card, DealFacts(contact_made=True, open_tasks=0))
    except (RuleRefused, NotPermitted):
        return False
    return True


def test_every_move_by_every_role_is_judged_by_the_database_as_by_the_machine(team):
    """M1, M2, M3, Q6 and reopening: each (from, to, role) of the shipped pipeline, tried with plain SQL."""
    pipeline = team_pipeline(team)
    card = full_card(pipeline)
    deals = {s.id: put_deal(team, pipeline, s.id, card) for s in pipeline.stages}
    disagreements, allowed, refused = [], 0, 0
    for source in pipeline.stages:
        for dest in pipeline.stages:
            if source.id == dest.id:
                continue
            for role, login in ROLE_MEMBER.items():
                expected = machine_verdict(pipeline, source.id, dest.id, role, card)
                verdict = attempt(team.sql[login], f"UPDATE deals SET stage = %s, {SET_CARD} WHERE id = %s",
                                  (dest.id, *row(card), deals[source.id]))
                if (verdict is None) != expected or (verdict is not None and verdict not in REFUSED):
                    disagreements.append((source.id, dest.id, role, expected, verdict))
                allowed, refused = allowed + expected, refused + (not expected)
    assert disagreements == []
    # the regulation's 15 role-moves and the corrections' 7 (two stages back to volumes by two roles, volumes back
    # to hot by two, hot back to in_work by the manager)
    assert (allowed + refused, allowed) == (len(pipeline.stages) * (len(pipeline.stages) - 1) * 3, 15 + 7)


def team_pipeline(ws):
    from flowctl.workspace import load

    return load(ws.root / "flowctl.yaml").pipeline("krovlya")


def requirement_cases(pipeline):
    """(stage, requirement, condition holds, blank name, card) for every requirement and kind of blank."""
    card = full_card(pipeline)
    for stage in pipeline.stages:
        for requirement in stage.requires:
            conditions = [None]
            if requirement.when:
                field = pipeline.deal_field(requirement.when.field)
                other = next(o.id for o in field.options if o.id not in requirement.when.values)
                conditions = [requirement.when.values[0], other]
            for condition in conditions:
                for name, blank in BLANKS.items():
                    case = dict(card)
                    if condition is not None:
                        case[requirement.when.field] = condition
                    if blank is None:
                        case.pop(requirement.field)
                    else:
                        case[requirement.field] = blank
                    yield stage, requirement, condition, name, case


def test_q1_to_q6_required_fields_are_judged_by_the_database_as_by_the_machine(team):
    """Entering a stage with one required field blank (each kind of blank; conditions holding or not), by the
    first move into it, or creating a deal in the first stage: database and machine agree on each."""
    pipeline = team_pipeline(team)
    disagreements, cases, refused = [], 0, 0
    for stage, requirement, condition, blank, card in requirement_cases(pipeline):
        if stage.id == pipeline.initial.id:
            expected = not stage.missing(card)
            verdict = attempt(team.sql["ivan"], "INSERT INTO deals (pipeline, stage, fields, responsible,"
                              " budget_minor, lead_date, created_at, stage_since, updated_at)"
                              " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                              (pipeline.id, stage.id, *row(card), BEGIN, BEGIN, BEGIN))
        else:
            move = next(t for t in pipeline.transitions if t.dest == stage.id)
            source = put_deal(team, pipeline, move.source, full_card(pipeline))
            expected = machine_verdict(pipeline, move.source, stage.id, move.roles[0], card)
            verdict = attempt(team.sql[ROLE_MEMBER[move.roles[0]]], f"UPDATE deals SET stage = %s, {SET_CARD}"
                              " WHERE id = %s", (stage.id, *row(card), source))
        if (verdict is None) != expected or (verdict is not None and verdict != "23514"):
            disagreements.append((stage.id, requirement.field, condition, blank, expected, verdict))
        cases, refused = cases + 1, refused + (not expected)
    assert disagreements == []
    # the shipped pipeline's 12 requirements (one conditional, tried holding and not) × 6 kinds of blank; all but
    # the 6 where the condition does not hold are refused
    assert (cases, refused) == (13 * len(BLANKS), 12 * len(BLANKS))


def test_l2_l3_task_completion_is_judged_by_the_database_as_by_the_machine(team):
    """A task set done with each result (visible length around the minimum, invisible characters) and each kind
    of contact (declared, by label, unknown, none): the database accepts exactly what `task done` accepts."""
    pipeline = team_pipeline(team)
    task = put_task(team, put_deal(team, pipeline, "in_work", full_card(pipeline)))
    minimum = pipeline.tasks.result_min_length
    results = [None, "", "ок", "ок!", "Перезвонил", "\u200bок\u200b", "о\u0301к", "о к", "\u3164\u3164\u3164",
               " " * 10, "ок\u00a0", "ok\ufeff!"]
    kinds = [None, "call", "meeting", "message", "Звонок", "fax", ""]
    disagreements = []
    for result in results:
        for kind in kinds:
            expected = (visible_length(result or "") >= minimum
                        and kind in {k.id for k in pipeline.tasks.contact_kinds})
            verdict = attempt(team.sql["ivan"], "UPDATE tasks SET status = 'done', result = %s, contact_kind = %s,"
                              " done_at = %s WHERE id = %s", (result, kind, BEGIN, task))
            if (verdict is None) != expected or (verdict is not None and verdict != "23514"):
                disagreements.append((result, kind, expected, verdict))
    assert disagreements == []
    assert sum(1 for r in results if visible_length(r or "") >= minimum) == 3  # the cases reach both sides


def test_blank_is_the_same_for_the_database_as_for_flowctl(team):
    """text.py's definition of what a reader does not see, compiled into a character class: every edge of every
    range of unseen characters, and the characters beside them, counted alike."""
    points = sorted({p for a, b in unseen_ranges() for p in (a - 1, a, b, b + 1)
                     if 0 < p < 0x110000 and not 0xD800 <= p <= 0xDFFF})
    texts = [chr(p) for p in points] + ["Перезвонил", "a\u200bb", "\u3164x\u2800"]
    counted = team.admin.execute(
        "SELECT array_agg(flowctl_seen(t, (SELECT unseen FROM rule_versions ORDER BY version DESC LIMIT 1))"
        " ORDER BY n) FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, n)", (texts,)).fetchone()[0]
    assert len(points) > 1000
    assert counted == [visible_length(t) for t in texts]


# -- a member with psql ---------------------------------------------------------------------------

def refusal(db, sql: str, params=()) -> tuple[str, str]:
    """(SQLSTATE, the server's message) of a statement the database refuses."""
    try:
        with db.transaction(force_rollback=True):
            db.execute(sql, params)
    except Exception as error:
        return error.sqlstate, error.diag.message_primary
    raise AssertionError(f"the database accepted: {sql}")


def test_m1_a_manager_cannot_move_a_deal_out_of_volumes_with_sql(team):
    pipeline = team_pipeline(team)
    deal = put_deal(team, pipeline, "volumes", full_card(pipeline))
    code, message = refusal(team.sql["ivan"], "UPDATE deals SET stage = 'proposal_ready' WHERE id = %s", (deal,))
    assert code == "42501"
    assert message == ("only Инженер may move a deal from «ОБЪЕМЫ У ТУРАЛА» to «КП ГОТОВО»; you are Менеджер ОП")
    assert attempt(team.sql["tural"], "UPDATE deals SET stage = 'proposal_ready' WHERE id = %s", (deal,)) is None


def test_a_manager_cannot_create_a_deal_past_the_first_stage_with_sql(team):
    pipeline = team_pipeline(team)
    code, message = refusal(team.sql["ivan"], "INSERT INTO deals (pipeline, stage, fields, responsible, budget_minor,"
                            " lead_date, created_at, stage_since, updated_at)"
                            " VALUES ('krovlya', 'won', %s, %s, %s, %s, %s, %s, %s)",
                            (*row(full_card(pipeline)), BEGIN, BEGIN, BEGIN))
    assert (code, message) == ("42501", "a new deal starts in «НОВЫЙ ЛИД»; only an import places one elsewhere")


def test_a_closed_deal_is_frozen_for_a_manager_with_sql_but_not_for_the_head(team):
    pipeline = team_pipeline(team)
    deal = put_deal(team, pipeline, "won", full_card(pipeline))
    change = "UPDATE deals SET fields = jsonb_set(fields, '{budget}', '\"1.00\"'), budget_minor = 100 WHERE id = %s"
    code, message = refusal(team.sql["ivan"], change, (deal,))
    assert (code, message) == ("23514", f"deal #{deal} is closed («УСПЕШНО РЕАЛИЗОВАНО»): only Руководитель ОП"
                                        " may change it")
    assert attempt(team.sql["hana"], change, (deal,)) is None


def test_a_required_field_cannot_be_cleared_with_sql(team):
    pipeline = team_pipeline(team)
    deal = put_deal(team, pipeline, "hot", full_card(pipeline))
    code, message = refusal(team.sql["ivan"], "UPDATE deals SET fields = fields - 'site' WHERE id = %s", (deal,))
    assert (code, message) == ("23514", "«ГОРЯЧИЕ» requires Где строит; it cannot be cleared while the deal is there")
    assert attempt(team.sql["ivan"], "UPDATE deals SET fields = fields - 'budget', budget_minor = NULL WHERE id = %s",
                   (deal,)) is None


def test_the_columns_reports_add_up_cannot_disagree_with_the_card_with_sql(team):
    """The cash register sums budget_minor: a manager cannot inflate it, or move a deal to a colleague's
    figures, by writing the column and leaving the card as it was."""
    pipeline = team_pipeline(team)
    deal = put_deal(team, pipeline, "proposal_ready", full_card(pipeline))
    for change in ("budget_minor = budget_minor * 10", "responsible = 'olga'", "lead_date = '2020-01-01'",
                   "budget_minor = NULL"):
        assert refusal(team.sql["ivan"], f"UPDATE deals SET {change} WHERE id = %s", (deal,)) == \
            ("23514", f"deal #{deal}: responsible, budget_minor and lead_date repeat the card's fields and must"
                      " agree with them"), change
    both = ("UPDATE deals SET budget_minor = 99900, fields = jsonb_set(fields, '{budget}', '\"999.00\"')"
            " WHERE id = %s")
    assert attempt(team.sql["ivan"], both, (deal,)) is None


def test_l2_l3_a_task_cannot_be_done_without_result_or_contact_with_sql(team):
    pipeline = team_pipeline(team)
    task = put_task(team, put_deal(team, pipeline, "in_work", full_card(pipeline)))
    db = team.sql["ivan"]
    assert refusal(db, "UPDATE tasks SET status = 'done', contact_kind = 'call' WHERE id = %s", (task,))[1] == \
        ('a task is completed only with a comment describing the result (L3): add --result "…" (at least 3'
         ' characters)')
    assert refusal(db, "UPDATE tasks SET status = 'done', result = 'Договорились' WHERE id = %s", (task,))[1] == \
        "a task is completed only after a contact with the client (L2): add --contact call, meeting, message"
    db.execute("UPDATE tasks SET status = 'done', result = 'Договорились', contact_kind = 'call' WHERE id = %s",
               (task,))
    assert refusal(db, "UPDATE tasks SET status = 'open' WHERE id = %s", (task,)) == \
        ("23514", f"task #{task} is done, not open")


def test_a_member_cannot_write_history_in_someone_elses_name_or_rewrite_it_with_sql(team):
    db = team.sql["ivan"]
    assert refusal(db, "INSERT INTO events (at, actor, kind, data) VALUES (%s, 'olga', 'deal.note', '{}')",
                   (BEGIN,)) == ("42501", "the history says who acted: 'olga' is not you ('ivan')")
    assert attempt(db, "INSERT INTO events (at, actor, kind, data) VALUES (%s, 'ivan', 'deal.note', '{}')",
                   (BEGIN,)) is None
    team.admin.execute("INSERT INTO events (at, actor, kind, data) VALUES (%s, 'ivan', 'deal.note', '{}')", (BEGIN,))
    assert refusal(db, "UPDATE events SET actor = 'olga'")[0] == "42501"
    assert refusal(db, "DELETE FROM events")[0] == "42501"
    assert refusal(db, "TRUNCATE events")[0] == "42501"


def test_a_member_cannot_delete_or_change_the_schema_or_the_clock_with_sql(team):
    db = team.sql["ivan"]
    for statement in ("DELETE FROM deals", "DELETE FROM tasks", "TRUNCATE deals CASCADE", "DROP TABLE deals",
                      "ALTER TABLE deals DISABLE TRIGGER deals_rules", "UPDATE flowctl_store SET clock = NULL",
                      "SET session_replication_role = replica"):
        assert refusal(db, statement)[0] == "42501", statement


def test_a_member_cannot_change_the_rules_with_sql(team):
    """Rules change only by publishing: a manager cannot write them; the head (a publisher) cannot rewrite a
    published version's rules or add rules to an older one."""
    assert refusal(team.sql["ivan"], "INSERT INTO rule_moves VALUES (2, 'krovlya', 'volumes', 'proposal_ready',"
                   " 'manager')")[0] == "42501"
    assert refusal(team.sql["ivan"], "INSERT INTO publications (at, actor, digest, content)"
                   " VALUES (%s, 'ivan', 'x', '{}')", (BEGIN,))[0] == "42501"
    olga = team.sql["olga"]
    assert refusal(olga, "INSERT INTO rule_moves VALUES (1, 'krovlya', 'volumes', 'proposal_ready', 'manager')") == \
        ("42501", "rules are installed for the latest published version only")
    assert refusal(olga, "UPDATE rule_moves SET role = 'manager' WHERE role = 'engineer'")[0] == "42501"
    assert refusal(olga, "DELETE FROM rule_moves")[0] == "42501"


def test_a_temporary_table_named_like_a_rule_table_is_never_read_in_its_place(team):
    """A member may create temporary tables; the triggers' search_path puts pg_temp last, so a permissive copy
    of rule_moves changes nothing."""
    pipeline = team_pipeline(team)
    deal = put_deal(team, pipeline, "volumes", full_card(pipeline))
    db = team.sql["ivan"]
    db.execute("CREATE TEMP TABLE rule_moves AS SELECT version, pipeline, source, dest, 'manager' AS role"
               " FROM public.rule_moves")
    try:
        assert refusal(db, "UPDATE deals SET stage = 'proposal_ready' WHERE id = %s", (deal,))[0] == "42501"
    finally:
        db.execute("DROP TABLE pg_temp.rule_moves")


def test_a_role_that_is_no_member_is_refused_by_the_database(team, pg_server):
    pipeline = team_pipeline(team)
    deal = put_deal(team, pipeline, "in_work", full_card(pipeline))
    pg_server.as_member("stranger")  # has the team's privileges, but is not in the published team
    db = pg_server.psycopg.connect(as_login(team.store_name, "stranger"), autocommit=True)
    try:
        assert refusal(db, "UPDATE deals SET stage = 'lost' WHERE id = %s", (deal,)) == \
            ("42501", "the database role 'stranger' is not a member of the published team")
    finally:
        db.close()


def test_a_refusal_by_the_database_reaches_flowctl_as_a_rule_refusal(team):
    """Should flowctl and the database ever disagree, the database's answer is the one that counts: the
    command fails with the rule's text (exit 1), and nothing is written."""
    from flowctl.errors import RuleRefused
    from flowctl.store import open_store

    pipeline = team_pipeline(team)
    deal_id = put_deal(team, pipeline, "won", full_card(pipeline))
    store = open_store(as_login(team.store_name, "ivan"))
    try:
        deal = store.get_deal(deal_id)
        deal.fields["budget"] = "1.00"
        with pytest.raises(RuleRefused, match=r"refused: deal #\d+ is closed"):
            with store.transaction():
                store.update_deal(deal)
        assert store.get_deal(deal_id).fields["budget"] != "1.00"
    finally:
        store.close()


def test_publishing_installs_the_rules_a_version_lacks(team, pg_server):
    """A version published before the database checked rules (or whose rules were lost) gets them when the head
    publishes again, although nothing changed; until then the database refuses every member's write."""
    db = team.admin
    with db.transaction():
        db.execute("SET LOCAL session_replication_role = replica")
        for table in ("rule_requires", "rule_moves", "rule_stages", "rule_roles", "rule_pipelines", "rule_members",
                      "rule_versions"):
            db.execute(f"DELETE FROM {table} WHERE version = 2")
    code, message = refusal(team.sql["ivan"], "INSERT INTO events (at, actor, kind, data)"
                            " VALUES (%s, 'ivan', 'deal.note', '{}')", (BEGIN,))
    assert (code, message) == ("42501", "the database holds no rules of published version 2: the head of sales"
                                        " runs flowctl publish")
    assert team.ok("publish", user="olga").stdout.strip() == \
        "the files are version 2; the database now checks its rules too"
    assert attempt(team.sql["ivan"], "INSERT INTO events (at, actor, kind, data) VALUES (%s, 'ivan', 'deal.note',"
                   " '{}')", (BEGIN,)) is None


def test_declaring_a_power_lets_only_its_holder_past_the_rules(team):
    """`import all` and `migrate` declare their power for their transaction (flowctl.power). A manager who
    declares one he does not hold gains nothing; the head, who holds them, is checked like everybody until she
    declares one, as those commands do."""
    pipeline = team_pipeline(team)
    deal = put_deal(team, pipeline, "volumes", full_card(pipeline))
    def m1(login: str, power: str):
        db = team.sql[login]
        try:
            with db.transaction(force_rollback=True):
                db.execute("SELECT set_config('flowctl.power', %s, true)", (power,))
                db.execute("UPDATE deals SET stage = 'proposal_ready' WHERE id = %s", (deal,))
        except Exception as error:
            return error.sqlstate
        return None

    for power in ("restore", "migrate", "import"):
        assert m1("ivan", power) == "42501", power
    assert m1("olga", "") == "42501"
    assert m1("olga", "restore") is None

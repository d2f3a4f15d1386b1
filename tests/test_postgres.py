"""What only a PostgreSQL store has (issue 11): a schema created in an empty database, identity and time from the
server, database roles with only the rights flowctl needs, and writers that queue. The store contract, CLI and
report tests run on PostgreSQL as well, through the `ws` fixture."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import Workspace
from flowctl.store.postgres_rules import RULE_TABLES

WON = "УСПЕШНО РЕАЛИЗОВАНО"


@pytest.fixture
def pg(request, tmp_path, monkeypatch, pg_server):
    workspace = Workspace(tmp_path / "ws", "postgres", monkeypatch, pg_server)
    request.addfinalizer(lambda: pg_server.release(workspace.store_name))
    return workspace


def tables(pg_server, url) -> set[str]:
    return {r[0] for r in pg_server.connection(url).execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}


# -- a store in an empty database --------------------------------------------------------------

def test_init_creates_the_schema_in_an_empty_database(cli, tmp_path, pg_server, empty_database, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    result = cli("init", tmp_path / "team", "--user", "root", "--store", empty_database)
    assert result.exit_code == 0, result.stderr
    assert tables(pg_server, empty_database) == {"flowctl_store", "contacts", "deals", "tasks", "events",
                                                 "publications", *RULE_TABLES}
    # the first version's rules are in force from the start
    assert pg_server.connection(empty_database).execute("SELECT version FROM rule_versions").fetchall() == [(1,)]
    assert f"store: \"{empty_database}\"" in (tmp_path / "team" / "flowctl.yaml").read_text("utf-8")


def test_init_refuses_a_database_that_holds_something_else_and_leaves_it(cli, tmp_path, pg_server, empty_database):
    pg_server.connection(empty_database).execute("CREATE TABLE invoices (id int)")
    result = cli("init", tmp_path / "team", "--user", "root", "--store", empty_database)
    assert result.exit_code == 6 and "is not a flowctl store (the database holds tables of something else)" in \
        result.stderr
    assert tables(pg_server, empty_database) == {"invoices"}
    assert not (tmp_path / "team").exists()  # refused before a file was written


def test_an_unreachable_server_is_exit_6_in_one_line(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", "2")
    result = cli("init", tmp_path / "team", "--store", "postgresql://127.0.0.1:1/nowhere")
    assert result.exit_code == 6 and "cannot be reached" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_refused_restore_leaves_an_empty_database_empty(pg, pg_server, empty_database, tmp_path):
    """The schema comes with the first write transaction: a restore refused by a rule leaves no table behind."""
    dump = tmp_path / "all.json"
    pg.ok("deal", "create")
    pg.ok("export", "all", "-o", dump)
    data = json.loads(dump.read_text("utf-8"))
    data["deals"][0]["stage"] = "paid"
    dump.write_text(json.dumps(data), "utf-8")
    refused = pg.run("--store", empty_database, "import", "all", dump, user="olga")
    assert refused.exit_code == 1 and "stage 'paid'" in refused.stderr
    assert tables(pg_server, empty_database) == set()


def team_workspace_on(database: str, tmp_path, monkeypatch, pg_server) -> Workspace:
    """The test team's workspace with its store in `database` (an empty one) instead of a template's copy."""
    server = Workspace(tmp_path / "server", "postgres", monkeypatch, pg_server)
    pg_server.drop(server.store_name)
    config = server.root / "flowctl.yaml"
    config.write_text(config.read_text("utf-8").replace(server.store_name, database), "utf-8")
    server.store_name = database
    return server


def test_an_export_without_published_rules_is_restored_once_the_rules_are_published(tmp_path, monkeypatch,
                                                                                     pg_server, empty_database):
    """A server store checks every restored row against the published rules: an export made before flowctl
    published (none in it) is refused with what to do, writing nothing; after `flowctl publish`, it restores."""
    from test_deals import new_deal

    local = Workspace(tmp_path / "local", "sqlite", monkeypatch)
    new_deal(local)
    data = json.loads(local.ok("export", "all", "--format", "json").stdout)
    data["publications"] = []
    dump = tmp_path / "old.json"
    dump.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    server = team_workspace_on(empty_database, tmp_path, monkeypatch, pg_server)
    pg_server.as_member("olga")
    pg_server.admin.execute(f"ALTER DATABASE {empty_database.rsplit('/', 1)[1]} OWNER TO olga")
    refused = server.run("import", "all", dump, user="olga")
    assert refused.exit_code == 3
    assert "the export holds no published rules" in refused.stderr and "flowctl publish" in refused.stderr
    assert tables(pg_server, empty_database) == set()  # not even the schema
    server.republish()
    assert server.run("import", "all", dump, user="olga").exit_code == 0
    assert [d["id"] for d in server.json("deal", "list", user="olga")] == [d["id"] for d in data["deals"]]


def test_a_team_moves_from_sqlite_to_postgresql_with_identical_reports(tmp_path, monkeypatch, pg_server,
                                                                      empty_database):
    from test_transfer import REPORTS, _busy_store

    local = Workspace(tmp_path / "local", "sqlite", monkeypatch)
    _busy_store(local)
    dump = tmp_path / "all.json"
    local.ok("export", "all", "--format", "json", "-o", dump)
    here = {report: local.json(*report) for report in REPORTS}
    agenda = local.json("agenda")
    moment = os.environ["FLOWCTL_NOW"]  # where the local store's story ended
    server = team_workspace_on(empty_database, tmp_path, monkeypatch, pg_server)  # the team's new database
    monkeypatch.setenv("FLOWCTL_NOW", moment)  # the same "now" for both, so overdue counts compare
    pg_server.as_member("olga")  # the head of sales owns the team's database (createdb -O olga …)
    pg_server.admin.execute(f"ALTER DATABASE {empty_database.rsplit('/', 1)[1]} OWNER TO olga")
    restored = server.run("import", "all", dump, user="olga")
    assert restored.exit_code == 0, restored.stderr
    for member in ("ivan", "tural"):  # and sets the team up
        pg_server.as_member(member)
        assert server.run("db", "grant", member, user="olga").exit_code == 0
    for report in REPORTS:
        assert server.json(*report) == here[report], report
    assert server.json("agenda") == agenda
    assert json.loads(server.ok("export", "all", "--format", "json").stdout) == json.loads(dump.read_text("utf-8"))
    created = server.json("deal", "create")  # ids go on after the restored ones
    assert created["id"] == max(d["id"] for d in json.loads(dump.read_text("utf-8"))["deals"]) + 1


# -- identity and time from the server -----------------------------------------------------------

@pytest.mark.parametrize("claim", [["--as", "tural"], ["--as", "ivan"]])
def test_as_is_refused_on_a_server_store(pg, claim):
    before = pg.snapshot()
    pg.server.as_member("ivan")
    result = pg._runner.invoke(pg._app, [*claim, "deal", "create"], env={"PGUSER": "ivan"})
    assert result.exit_code == 5 and "--as and FLOWCTL_USER are refused there" in result.stderr
    assert pg.snapshot() == before


def test_flowctl_user_is_refused_on_a_server_store(pg):
    before = pg.snapshot()
    pg.server.as_member("ivan")
    result = pg._runner.invoke(pg._app, ["deal", "create"], env={"PGUSER": "ivan", "FLOWCTL_USER": "tural"})
    assert result.exit_code == 5 and pg.snapshot() == before


def test_m1_the_engineer_is_who_the_server_authenticated(pg):
    """On a server store a manager cannot become the engineer by saying so: the role is the connection's."""
    from test_deals import new_deal, walk_to

    deal_id = new_deal(pg)
    walk_to(pg, deal_id, "ОБЪЕМЫ У ТУРАЛА")
    refused = pg.run("deal", "advance", deal_id, "КП ГОТОВО", "-F", "budget=100", user="ivan")
    assert refused.exit_code == 5 and "only Инженер may move" in refused.stderr
    moved = pg.json("deal", "advance", deal_id, "КП ГОТОВО", "-F", "budget=100", user="tural")
    assert moved["stage"] == "proposal_ready"
    assert pg.json("deal", "history", deal_id)[-2]["actor"] == "tural"


def test_a_database_role_outside_the_team_is_refused(pg):
    before = pg.snapshot()
    result = pg.run("deal", "create", user="mallory")
    assert result.exit_code == 5 and "the database role 'mallory' is not a member of the team" in result.stderr
    assert pg.snapshot() == before


def test_a_member_may_connect_as_a_differently_named_database_role(pg):
    config = pg.root / "flowctl.yaml"
    config.write_text(config.read_text("utf-8").replace(
        "{login: tural, name: Турал, roles: [engineer]}",
        "{login: tural, name: Турал, roles: [engineer], database_role: t_aliev}"), "utf-8")
    pg.republish()
    assert pg.run("deal", "create", user="tural").exit_code == 5  # the role "tural" is nobody now
    created = pg.json("deal", "create", user="t_aliev")
    assert created["responsible"] == "tural"


def test_time_on_a_server_store_is_the_servers_not_flowctl_now(pg, pg_server, monkeypatch):
    server_day = pg_server.connection(pg.store_name).execute(
        "SELECT to_char(now() AT TIME ZONE 'Europe/Moscow', 'YYYY-MM-DD')").fetchone()[0]
    pg_server.as_member("ivan")
    pg_server.pin_clock(pg.store_name, None)  # nobody pinned this store's clock
    monkeypatch.setenv("FLOWCTL_NOW", "2020-01-01T09:00:00Z")
    result = pg._runner.invoke(pg._app, ["deal", "create", "--format", "json"], env={"PGUSER": "ivan"})
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["fields"]["lead_date"] == server_day


def test_local_identity_is_the_real_user_not_logname(local_ws, monkeypatch):
    """On a local store the OS login comes from the real user id; LOGNAME and USER are only what a shell says."""
    import pwd

    real = pwd.getpwuid(os.getuid()).pw_name
    monkeypatch.setenv("LOGNAME", "olga")
    monkeypatch.setenv("USER", "olga")
    result = local_ws._runner.invoke(local_ws._app, ["deal", "create"])
    assert result.exit_code == 5 and f"'{real}' is not a member of the team" in result.stderr


# -- database roles: rows, never the schema --------------------------------------------------------

def test_db_grant_gives_a_member_rows_and_nothing_else(pg, pg_server, tmp_path):
    psycopg = pg_server.psycopg
    pg_server.admin.execute("DROP ROLE IF EXISTS dima")
    pg_server.admin.execute("CREATE ROLE dima LOGIN")
    try:
        config = pg.root / "flowctl.yaml"
        config.write_text(config.read_text("utf-8") + "  - {login: dima, name: Дима, roles: [manager]}\n", "utf-8")
        pg.republish()
        pg.ok("deal", "create")
        denied = pg._runner.invoke(pg._app, ["deal", "create"], env={"PGUSER": "dima"})
        assert denied.exit_code == 5 and "permission denied" in denied.stderr  # no rights before the grant
        granted = pg._runner.invoke(pg._app, ["db", "grant", "dima"])  # as the owner
        assert granted.exit_code == 0, granted.stderr
        assert pg._runner.invoke(pg._app, ["deal", "create"], env={"PGUSER": "dima"}).exit_code == 0
        as_dima = pg.store_name.replace("postgresql://", "postgresql://dima@")
        for statement in ("DELETE FROM deals", "TRUNCATE events", "UPDATE events SET actor = 'x'",
                          "DELETE FROM events", "DROP TABLE deals", "CREATE TABLE mine (id int)",
                          "ALTER TABLE deals ADD COLUMN x int", "UPDATE flowctl_store SET clock = NULL"):
            with psycopg.connect(as_dima, autocommit=True) as db:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    db.execute(statement)
        assert len(pg.json("deal", "list")) == 2
    finally:
        pg_server.drop(pg.store_name)  # its grants go with it, and then the role can go
        pg_server.drop_role("dima")


def test_the_history_refuses_update_and_delete_even_for_the_owner(pg, pg_server):
    pg.ok("deal", "create")
    db = pg_server.connection(pg.store_name)
    for statement in ("UPDATE events SET actor = 'x'", "DELETE FROM events", "TRUNCATE events"):
        with pytest.raises(pg_server.psycopg.errors.InsufficientPrivilege, match="append-only"):
            db.execute(statement)


# -- writers queue ------------------------------------------------------------------------------

def test_two_managers_advancing_one_deal_at_once_one_wins(pg):
    from test_deals import new_deal, call_done

    deal_id = new_deal(pg)
    call_done(pg, deal_id)
    commands = []
    for user in ("ivan", "olga"):
        identity, env = pg.child(user)
        commands.append(subprocess.Popen([sys.executable, "-m", "flowctl", *identity, "deal", "advance",
                                          str(deal_id), "ОП ВЗЯЛ В РАБОТУ"], cwd=pg.root, env=env,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outcomes = sorted((c.wait(timeout=60), c.stderr.read()) for c in commands)
    assert [code for code, _ in outcomes] == [0, 1], outcomes
    assert "already in «ОП ВЗЯЛ В РАБОТУ»" in outcomes[1][1]
    moves = [e for e in pg.json("deal", "history", deal_id) if e["kind"] == "deal.stage"]
    assert len(moves) == 1


def test_a_sqlite_command_never_imports_psycopg(local_ws):
    identity, env = local_ws.child("ivan")
    probe = ("import runpy, sys; sys.argv = ['flowctl', *sys.argv[1:]];"
             "import flowctl.cli.app as a\ntry: a.main()\nexcept SystemExit: pass\n"
             "print('psycopg' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe, *identity, "deal", "list"], cwd=local_ws.root, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "False", done.stderr



def test_a_store_from_before_the_database_checked_rules_is_upgraded_and_checks_them_once_republished(
        tmp_path, monkeypatch, pg_server, empty_database):
    """Schema version 2 (published versions, no rules in the database), with members granted: the first write
    upgrades it; members keep their rights on the new rule tables; the database refuses members' writes
    until the head publishes again, which installs the rules of the version in force."""
    from datetime import datetime

    from flowctl.services.publish import publish_first
    from flowctl.store import open_store, postgres
    from flowctl.workspace import load

    server = team_workspace_on(empty_database, tmp_path, monkeypatch, pg_server)
    shipped = postgres.MIGRATIONS
    monkeypatch.setattr(postgres, "MIGRATIONS", shipped[:2])
    monkeypatch.setattr(postgres.PostgresStore, "rules_in_database", False)
    monkeypatch.setattr(postgres, "RULE_TABLES", ())  # what version 2 granted
    monkeypatch.setattr(postgres, "PRIVILEGES", {t: p for t, p in postgres.PRIVILEGES.items() if "rule" not in t})
    store = open_store(empty_database, create=True)
    for member in ("ivan", "olga"):
        pg_server.as_member(member)
        store.grant(member, publisher=member == "olga")
    workspace = load(server.root / "flowctl.yaml")
    publish_first(workspace, store, workspace.member("olga"), datetime.fromisoformat("2026-11-30T06:00:00+00:00"))
    store.close()
    monkeypatch.setattr(postgres, "MIGRATIONS", shipped)
    monkeypatch.setattr(postgres.PostgresStore, "rules_in_database", True)
    store = open_store(empty_database)  # the owner's first write upgrades the schema
    with store.transaction():
        pass
    store.close()
    refused = server.run("deal", "create", user="ivan")
    assert refused.exit_code == 5
    assert "the database holds no rules of published version 1: the head of sales runs flowctl publish" in \
        refused.stderr
    assert server.ok("publish", user="olga").stdout.strip() == \
        "the files are version 1; the database now checks its rules too"
    assert server.json("deal", "create", user="ivan")["id"] >= 1
    ivan = pg_server.psycopg.connect(empty_database.replace("://", "://ivan@", 1), autocommit=True)
    try:
        assert ivan.execute("SELECT count(*) FROM rule_moves WHERE dest = 'proposal_ready'").fetchone() == (1,)
    finally:
        ivan.close()

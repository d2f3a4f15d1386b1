"""Identity on a PostgreSQL store is what the server authenticated (issue 11): a private server of our own
(initdb and pg_ctl from the installed PostgreSQL), where every TCP connection must prove its role with a
password (scram-sha-256), as a team's server would. The machine's shared server trusts every local
connection, so it can show who a role is but not that a role must prove it."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import KROVLYA, TEAM_YAML

PASSWORDS = {"ivan": "ivan-Пароль-1", "tural": "tural-secret-2", "olga": "olga-secret-3"}


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateServer:
    def __init__(self, base: Path, bindir: Path):
        self.base, self.bindir, self.port = base, bindir, _free_port()
        self.data = base / "data"
        # PostgreSQL refuses to run as root: as root, run it as the postgres user that the packages create
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        base.mkdir(parents=True, exist_ok=True)
        (base / "admin.pw").write_text("admin-secret\n")
        if self.prefix:
            shutil.chown(base, "postgres")
            shutil.chown(base / "admin.pw", "postgres")
        self._run("initdb", "-D", self.data, "-U", "admin", "--auth-host=scram-sha-256", "--auth-local=trust",
                  f"--pwfile={base / 'admin.pw'}", "--no-sync")
        self._run("pg_ctl", "-D", self.data, "-l", base / "server.log", "-w", "-o",
                  f"-p {self.port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def _run(self, program: str, *args) -> None:
        subprocess.run([*self.prefix, str(self.bindir / program), *map(str, args)], check=True,
                       capture_output=True, cwd=self.base)

    def admin(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(host=str(self.base), port=self.port, user="admin", dbname=database, autocommit=True)

    def url(self, database: str) -> str:
        return f"postgresql://127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "stop")


@pytest.fixture(scope="module")
def server():
    from importlib.util import find_spec

    bindir = _bindir() if find_spec("psycopg") else None
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs the identity tests: no PostgreSQL binaries (initdb) or no psycopg")
        pytest.skip("no PostgreSQL binaries (initdb) or no psycopg: the password-authenticated server is not run")
    # not under pytest's own temporary folder: that one is closed to other users, and the server runs as postgres
    base = Path(tempfile.mkdtemp(prefix="flowctl-private-server-"))
    try:
        private = PrivateServer(base, bindir)
        yield private
        private.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def team(server, tmp_path, monkeypatch):
    """A team database on the private server: a login role with a password per member, the rules published."""
    from datetime import datetime

    from flowctl.services.publish import publish_first
    from flowctl.store import open_store
    from flowctl.workspace import load

    name = f"team_{tmp_path.name.lower().replace('-', '_')}"[:60]
    admin = server.admin()
    admin.execute(f'CREATE DATABASE "{name}"')
    for login, password in PASSWORDS.items():
        if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone():
            admin.execute(f'CREATE ROLE "{login}" LOGIN PASSWORD \'{password}\'')
    root = tmp_path / "ws"
    (root / "pipelines").mkdir(parents=True)
    shutil.copyfile(KROVLYA, root / "pipelines" / "krovlya.yaml")
    (root / "flowctl.yaml").write_text(TEAM_YAML.format(store=server.url(name)), "utf-8")
    store = open_store(f"postgresql:///{name}?host={server.base}&port={server.port}&user=admin", create=True)
    try:
        with store.transaction():
            pass
        for login in PASSWORDS:
            store.grant(login, publisher=login == "olga")
        workspace = load(root / "flowctl.yaml")
        publish_first(workspace, store, workspace.member("olga"), datetime.fromisoformat("2026-11-30T06:00:00+00:00"))
    finally:
        store.close()
    monkeypatch.chdir(root)
    for variable in ("FLOWCTL_USER", "FLOWCTL_STORE", "FLOWCTL_NOW", "PGUSER", "PGPASSWORD", "PGPASSFILE",
                     "PGDATABASE", "PGHOST", "PGPORT"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))  # never the machine's own ~/.pgpass
    yield name
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


def flowctl(*args, user: str | None = None, password: str | None = None, env: dict | None = None):
    from typer.testing import CliRunner

    from flowctl.cli.app import app

    variables = {**({"PGUSER": user} if user else {}), **({"PGPASSWORD": password} if password else {}), **(env or {})}
    return CliRunner().invoke(app, [str(a) for a in args], env=variables, catch_exceptions=False)


def rows(server, database: str) -> list:
    with server.admin(database) as db:
        return [db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() for table in ("deals", "tasks", "events")]


def test_a_member_who_proves_the_role_acts_as_that_member(server, team):
    created = flowctl("deal", "create", "--format", "json", user="ivan", password=PASSWORDS["ivan"])
    assert created.exit_code == 0, created.stderr
    with server.admin(team) as db:
        assert db.execute("SELECT DISTINCT actor FROM events").fetchall() == [("ivan",)]
        assert db.execute("SELECT responsible FROM deals").fetchall() == [("ivan",)]


def test_a_member_cannot_be_someone_else_without_their_password(server, team):
    """ivan knows his own password, not olga's: as olga with his, the server refuses the connection."""
    before = rows(server, team)
    refused = flowctl("deal", "create", user="olga", password=PASSWORDS["ivan"])
    assert refused.exit_code == 6
    assert 'password authentication failed for user "olga"' in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    refused = flowctl("deal", "create", user="olga")  # and without any password
    assert refused.exit_code == 6 and "no password supplied" in refused.stderr
    assert rows(server, team) == before


def test_claiming_another_login_with_as_or_flowctl_user_is_refused_on_a_server(server, team):
    before = rows(server, team)
    for args, env in ((("--as", "olga", "deal", "create"), {}), (("deal", "create"), {"FLOWCTL_USER": "olga"})):
        refused = flowctl(*args, user="ivan", password=PASSWORDS["ivan"], env=env)
        assert refused.exit_code == 5, refused.stderr
        assert "you act as the role the server authenticated" in refused.stderr
    assert rows(server, team) == before


def test_a_password_file_names_the_member_as_for_psql(server, team, tmp_path):
    """libpq's ~/.pgpass (here PGPASSFILE) works as with psql: the engineer connects without typing a password."""
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{server.port}:{team}:tural:{PASSWORDS['tural']}\n")
    pgpass.chmod(0o600)
    created = flowctl("deal", "create", user="tural", env={"PGPASSFILE": str(pgpass)})
    assert created.exit_code == 0, created.stderr
    with server.admin(team) as db:
        assert db.execute("SELECT DISTINCT actor FROM events").fetchall() == [("tural",)]


def test_m1_a_manager_authenticated_by_password_is_refused_by_the_database_with_plain_sql(server, team):
    import psycopg

    created = flowctl("deal", "create", user="ivan", password=PASSWORDS["ivan"])
    assert created.exit_code == 0, created.stderr
    with server.admin(team) as db:  # the deal reaches «ОБЪЕМЫ У ТУРАЛА» (a superuser stands above the rules)
        db.execute("UPDATE deals SET stage = 'volumes', budget_minor = 125400000, fields = fields || %s WHERE id = 1",
                   ('{"client_type": "private", "site": "Дубки", "construction_stage": "коробка",'
                    ' "buys_when": "2026-12-20", "roof_plan": "есть", "coating": "металлочерепица",'
                    ' "thickness": "0.5", "budget": "1254000.00"}',))
    with psycopg.connect(host="127.0.0.1", port=server.port, dbname=team, user="ivan", password=PASSWORDS["ivan"],
                         autocommit=True) as db:
        assert db.execute("SELECT session_user").fetchone() == ("ivan",)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="only Инженер may move"):
            db.execute("UPDATE deals SET stage = 'proposal_ready' WHERE id = 1")
    with psycopg.connect(host="127.0.0.1", port=server.port, dbname=team, user="tural", password=PASSWORDS["tural"],
                         autocommit=True) as db:
        db.execute("UPDATE deals SET stage = 'proposal_ready' WHERE id = 1")  # the engineer may (M1)
    assert rows(server, team)[0][0][2] == "proposal_ready"

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
KROVLYA = ROOT / "pipelines" / "krovlya.yaml"
DATA = Path(__file__).resolve().parent / "data"


def _one_command_tree():
    """typer builds the whole click command tree on every invocation (10 ms here), and the suite invokes flowctl
    some fifteen thousand times in-process: the tree is built once and kept. flowctl's root command switches it
    between languages (cli/localize.py); a real run builds its own."""
    import functools

    import typer.testing

    if hasattr(typer.testing, "_get_command"):
        typer.testing._get_command = functools.cache(typer.testing._get_command)


_one_command_tree()


def _children_outside_mutmuts_stats():
    """mutmut's stats phase (MUTANT_UNDER_TEST=stats) records, in this process, which tests reach which function.
    A flowctl child a test starts cannot take part: it looks for mutmut's config in its own folder, a test
    workspace, and fails (exit 70). So its children run the code as written, unrecorded."""
    import os
    import subprocess

    if os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return
    start = subprocess.Popen.__init__

    def unrecorded(self, *args, env=None, **kwargs):
        start(self, *args, env={**(os.environ if env is None else env), "MUTANT_UNDER_TEST": "none"}, **kwargs)

    subprocess.Popen.__init__ = unrecorded


_children_outside_mutmuts_stats()


def pytest_collection_modifyitems(items):
    """When mutmut tests a mutant, the quickest of its tests run first. mutmut stops at the first failure (-x)
    but hands the tests over in no order, so a mutant a 5 ms test kills could wait behind seconds of
    subprocess tests. The durations are those its stats phase recorded (mutants/mutmut-stats.json, the
    working folder of a mutant's run); the verdict does not change, only how soon it comes."""
    import json
    import os

    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    try:
        durations = json.loads(Path("mutmut-stats.json").read_text("utf-8"))["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """Every test starts in English whatever the machine's locale; a test of another language sets its own."""
    from flowctl import language

    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    language.use("en")
    language.set_machine_values(False)
    yield
    language.use("en")
    language.set_machine_values(False)


@pytest.fixture(autouse=True)
def unregistered_field_meanings():
    """The fields a pipeline declares as money, owner and lead date are registered per process as workspaces load
    (store/base.py); a test that renamed them must not leave its choice to the next test's stores."""
    from flowctl.store import base

    base._MEANINGS.clear()


@pytest.fixture
def cli():
    """Run flowctl in-process through the real error boundary; returns the click Result."""
    from flowctl.cli.app import app

    runner = CliRunner()

    def run(*args, env=None, input=None):
        return runner.invoke(app, [str(a) for a in args], env=env, input=input, catch_exceptions=False)

    return run


@pytest.fixture(scope="session")
def krovlya():
    from flowctl.pipeline.compile import compile_file

    return compile_file(KROVLYA)


TEAM_YAML = """\
version: 1
store: {store}
pipelines: [pipelines]
timezone: Europe/Moscow
powers: {{import: [head], restore: [head], migrate: [head], publish: [head]}}
team:
  - {{login: ivan, name: Иван, roles: [manager]}}
  - {{login: tural, name: Турал, roles: [engineer]}}
  - {{login: olga, name: Ольга, roles: [head, manager]}}
"""

PINNED_NOW = "2026-11-30T06:00:00Z"  # Monday 09:00 in Moscow
PUBLISHED_DIR = Path(tempfile.mkdtemp(prefix="flowctl-published-"))
atexit.register(shutil.rmtree, PUBLISHED_DIR, True)
PUBLISHED_STORES: dict[str, Path] = {}  # store kind → a new store with TEAM_YAML and krovlya.yaml published
# The compiled-pipeline cache every workspace of the run shares: its entries are keyed by the source's content and
# the code, never the path, so a workspace with the shipped files reads the entry the first one wrote instead of
# parsing YAML and checking JSON Schema again (tests/test_cache.py gives each test its own folder).
SHARED_CACHE = Path(tempfile.mkdtemp(prefix="flowctl-cache-"))
atexit.register(shutil.rmtree, SHARED_CACHE, True)


class Workspace:
    """A workspace on disk with the shipped pipeline and a team; `run` drives the real CLI in-process.

    On PostgreSQL (`postgres`), the store is a fresh database made from a template; a command runs as the
    member's database role (PGUSER), not with --as, and FLOWCTL_NOW is written as the store's pinned clock,
    which is how a server store takes a pinned "now".
    """

    def __init__(self, root: Path, store_kind: str, monkeypatch, server=None, publish: bool = True):
        self.root = root
        self.kind = store_kind
        self.server = server
        self.store_name = {"sqlite": "flowctl.db", "json": "store.json"}.get(store_kind) or server.new_database()
        (root / "pipelines").mkdir(parents=True)
        shutil.copyfile(KROVLYA, root / "pipelines" / "krovlya.yaml")
        (root / "flowctl.yaml").write_text(TEAM_YAML.format(store=self.store_name), "utf-8")
        template = PUBLISHED_STORES.get(store_kind) if publish else None
        if template:  # the same files, published the same way: a copy costs far less than publishing again
            shutil.copyfile(template, root / self.store_name)
        elif not server:  # a server store is made from a template that has published these files already
            from flowctl.store import open_store

            open_store(str(root / self.store_name), create=True).close()
        monkeypatch.chdir(root)
        monkeypatch.setenv("FLOWCTL_NOW", PINNED_NOW)
        monkeypatch.setenv("XDG_CACHE_HOME", str(SHARED_CACHE))
        for name in ("FLOWCTL_USER", "FLOWCTL_STORE", "PGUSER", "PGDATABASE"):
            monkeypatch.delenv(name, raising=False)
        self.monkeypatch = monkeypatch
        from flowctl.cli.app import app

        self._app = app
        self._runner = CliRunner()
        if publish and not server and not template:
            self.republish()  # as `flowctl init` does: the rules the team works under
            PUBLISHED_STORES[store_kind] = PUBLISHED_DIR / f"{store_kind}-{self.store_name}"
            shutil.copyfile(root / self.store_name, PUBLISHED_STORES[store_kind])

    @property
    def store_path(self):
        """The store's file, or its URL on PostgreSQL."""
        return self.store_name if self.server else self.root / self.store_name

    def run(self, *args, user: str = "ivan", now: str | None = None):
        import os

        if now:
            self.monkeypatch.setenv("FLOWCTL_NOW", now)
        argv = [str(a) for a in args]
        local = "--store" in argv and "://" not in argv[argv.index("--store") + 1]  # a local store named here
        if not self.server or local:
            return self._runner.invoke(self._app, ["--as", user, *argv], catch_exceptions=False)
        self.server.as_member(user)
        self.server.pin_clock(self.store_name, os.environ.get("FLOWCTL_NOW"))
        return self._runner.invoke(self._app, argv, env={"PGUSER": user}, catch_exceptions=False)

    def child(self, user: str = "ivan") -> tuple[list[str], dict]:
        """(arguments after `python -m flowctl`, environment) for running flowctl as `user` in a child process."""
        import os

        if not self.server:
            return ["--as", user], dict(os.environ)
        self.server.as_member(user)
        self.server.pin_clock(self.store_name, os.environ.get("FLOWCTL_NOW"))
        return [], {**os.environ, "PGUSER": user}

    def join(self, *members: str) -> "Workspace":
        """Team members added to flowctl.yaml (a YAML line each) and published, as the head of sales would."""
        with open(self.root / "flowctl.yaml", "a", encoding="utf-8") as config:
            config.write("".join(f"{line}\n" for line in members))
        self.republish()
        return self

    def republish(self, user: str = "olga"):
        """Publish the workspace's files as they are now (a test that changed them, as the head would)."""
        return self.ok("publish", user=user)

    def ok(self, *args, user: str = "ivan", now: str | None = None):
        result = self.run(*args, user=user, now=now)
        assert result.exit_code == 0, result.stderr or result.stdout
        return result

    def json(self, *args, user: str = "ivan", now: str | None = None):
        import json

        return json.loads(self.ok(*args, "--format", "json", user=user, now=now).stdout)

    def snapshot(self):
        """The store's whole content: byte-for-byte for JSON, row-for-row for SQLite and PostgreSQL."""
        if self.server:
            return self.server.rows(self.store_name)
        if self.store_name.endswith(".json"):
            return self.store_path.read_bytes()
        import sqlite3

        db = sqlite3.connect(self.store_path)
        try:
            return list(db.iterdump())
        finally:
            db.close()


class PostgresServer:
    """The PostgreSQL server of the development and CI machines (127.0.0.1:5432, trust authentication), or the
    one FLOWCTL_TEST_PG names: test databases made from a template with the schema, and team roles."""

    def __init__(self, admin_url: str):
        import os

        import psycopg

        self.psycopg = psycopg
        self.admin_url = admin_url
        self.admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
        self.prefix = f"flowctl_t{os.getpid()}_"
        self._drop_leftovers()
        self.template = self.prefix + "template"
        self.TEAM_GROUP = self.prefix + "team"  # the template grants flowctl's rights to it; members join it
        self.count = 0
        self.free: list[str] = []  # released databases, reset to the template's state
        self.roles: set[str] = set()
        self._connections: dict = {}
        self.admin.execute(f"DROP DATABASE IF EXISTS {self.template}")
        self.admin.execute(f"CREATE DATABASE {self.template}")
        if not self.admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (self.TEAM_GROUP,)).fetchone():
            self.admin.execute(f"CREATE ROLE {self.TEAM_GROUP} NOLOGIN")
        self.published_by("olga")

    def published_by(self, login: str) -> None:
        """The template's schema, its rights for the team group, and the test workspace's files published."""
        from datetime import datetime

        from flowctl.services.publish import publish_first
        from flowctl.store import open_store
        from flowctl.workspace import load

        store = open_store(self.url(self.template), create=True)
        try:
            with store.transaction():
                pass
            store.grant(self.TEAM_GROUP)
            self.as_member(login)
            store.grant(login, publisher=True)
            with tempfile.TemporaryDirectory() as folder:
                (Path(folder) / "pipelines").mkdir()
                shutil.copyfile(KROVLYA, Path(folder) / "pipelines" / "krovlya.yaml")
                (Path(folder) / "flowctl.yaml").write_text(TEAM_YAML.format(store=self.template), "utf-8")
                workspace = load(Path(folder) / "flowctl.yaml")
                publish_first(workspace, store, workspace.member(login),
                              datetime.fromisoformat(PINNED_NOW.replace("Z", "+00:00")))
        finally:
            store.close()

    def url(self, database: str) -> str:
        from urllib.parse import urlsplit, urlunsplit

        return urlunsplit(urlsplit(self.admin_url)._replace(path="/" + database))

    def new_database(self) -> str:
        """A database as the template made it: a released one reset, else a new copy (a copy costs far more)."""
        if self.free:
            return self.free.pop()
        self.count += 1
        name = f"{self.prefix}{self.count}"
        self.admin.execute(f"CREATE DATABASE {name} TEMPLATE {self.template}")
        return self.url(name)

    def release(self, url: str) -> None:
        """Back to the template's state for the next test: rows gone, ids from 1, only the first publication."""
        if not url.rsplit("/", 1)[1].removeprefix(self.prefix).isdigit():  # not one of the template's copies
            self.drop(url)
            return
        from flowctl.store.postgres_rules import RULE_TABLES

        try:
            db = self.connection(url)
            with db.transaction():
                db.execute("SET LOCAL session_replication_role = replica")  # the append-only triggers stand aside
                for table in ("events", "tasks", "deals", "contacts"):  # a few rows: DELETE beats TRUNCATE's new files
                    db.execute(f"DELETE FROM {table}")
                    db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1, false)")
                for table in reversed(RULE_TABLES):  # children first
                    db.execute(f"DELETE FROM {table} WHERE version > 1")
                db.execute("DELETE FROM publications WHERE id > 1")
                db.execute("SELECT setval(pg_get_serial_sequence('publications', 'id'), 1)")
                db.execute("UPDATE flowctl_store SET clock = NULL")
        except self.psycopg.Error:
            self.drop(url)  # a test changed it beyond a reset (or dropped it): a fresh copy next time
            return
        self.free.append(url)

    def connection(self, url: str):
        if url not in self._connections:
            self._connections[url] = self.psycopg.connect(url, autocommit=True)
        return self._connections[url]

    def as_member(self, login: str) -> None:
        """A login role for a team member (or a stranger), in the group the template granted flowctl's rights to."""
        if login not in self.roles:
            if not self.admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone():
                self.admin.execute(f'CREATE ROLE "{login}" LOGIN')
            self.admin.execute(f'GRANT {self.TEAM_GROUP} TO "{login}"')
            self.roles.add(login)

    def drop_role(self, role: str) -> None:
        """A role a test made for itself (the team's login roles stay: other test runs may be using them)."""
        self.admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        self.roles.discard(role)

    def pin_clock(self, url: str, now: str | None) -> None:
        """The store's pinned clock (an empty database has none to pin yet)."""
        db = self.connection(url)
        if db.execute("SELECT to_regclass('flowctl_store')").fetchone()[0]:
            db.execute("UPDATE flowctl_store SET clock = %s", (now,))

    def rows(self, url: str) -> list:
        db = self.connection(url)
        return [(table, db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall())
                for table in ("contacts", "deals", "tasks", "events")]

    def drop(self, url: str) -> None:
        if url in self.free:
            self.free.remove(url)
        connection = self._connections.pop(url, None)
        if connection is not None:
            connection.close()
        name = url.rsplit("/", 1)[1]
        self.admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        for url in {*self._connections, *self.free}:
            self.drop(url)
        self.admin.execute(f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)")
        self.admin.execute(f"DROP ROLE IF EXISTS {self.TEAM_GROUP}")
        self.admin.close()

    def _drop_leftovers(self) -> None:
        """Databases and group roles of test runs that were killed before they could drop them."""
        import os

        names = [r[0] for r in self.admin.execute("SELECT datname FROM pg_database WHERE datname LIKE 'flowctl\\_t%'")]
        groups = [r[0] for r in self.admin.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'flowctl\\_t%'")]
        for name in names + groups:
            pid = name[len("flowctl_t"):].split("_", 1)[0]
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                os.kill(int(pid), 0)
                continue  # that run is still going
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            what = "DATABASE" if name in names else "ROLE"
            self.admin.execute(f"DROP {what} IF EXISTS {name}" + (" WITH (FORCE)" if what == "DATABASE" else ""))


@pytest.fixture(scope="session")
def pg_server():
    """The PostgreSQL server; without one the PostgreSQL tests skip with one line, except in CI, where they fail."""
    import os

    url = os.environ.get("FLOWCTL_TEST_PG", "postgresql://127.0.0.1:5432/postgres")
    try:
        server = PostgresServer(url)
    except Exception as error:  # psycopg missing, or no server: say which
        reason = f"no PostgreSQL server at {url} ({type(error).__name__}: {str(error).strip().splitlines()[0]})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs the PostgreSQL tests: {reason}")
        pytest.skip(reason)
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "json", "postgres"])
def ws(request, tmp_path, monkeypatch):
    server = request.getfixturevalue("pg_server") if request.param == "postgres" else None
    workspace = Workspace(tmp_path / "ws", request.param, monkeypatch, server)
    if server:
        request.addfinalizer(lambda: server.release(workspace.store_name))
    return workspace


@pytest.fixture(params=["sqlite", "json"])
def local_ws(request, tmp_path, monkeypatch):
    """A workspace on a local store, for what only local stores have: identity claimed with --as, a file."""
    return Workspace(tmp_path / "ws", request.param, monkeypatch)


@pytest.fixture(params=["sqlite", "json"])
def unpublished_ws(request, tmp_path, monkeypatch):
    """A local store where nothing was ever published (one from before flowctl published): it works from the
    local files, so a test can change them under stored data, as a hand edit of such a store may."""
    return Workspace(tmp_path / "ws", request.param, monkeypatch, publish=False)


@pytest.fixture
def empty_database(request, pg_server):
    """A PostgreSQL database with nothing in it (a team's new one), dropped afterwards."""
    pg_server.count += 1
    name = f"{pg_server.prefix}empty{pg_server.count}"
    pg_server.admin.execute(f"CREATE DATABASE {name}")
    url = pg_server.url(name)
    pg_server.connection(url)
    request.addfinalizer(lambda: pg_server.drop(url))
    return url


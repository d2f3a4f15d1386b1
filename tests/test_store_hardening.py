"""The store's part of issue 10: what opening, reading and failing to write do to a store, and to a file that
is not one (items 11, 12, 13, 14, 16). Both stores wherever a store is involved (the `ws` fixture).

Tests run as root here, and root ignores file permissions: where a test needs a user who may only read, it
forks and drops to another uid (skipped when not root), or makes a folder immutable with chattr (which
binds root too; skipped where chattr is not available).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import Workspace
from flowctl.store import open_store
from flowctl.store.base import Contact, Deal
from flowctl.errors import StoreError

T0 = "2026-11-30T06:00:00Z"
SIDECARS = ("-wal", "-shm", "-journal", ".lock")
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create devices or to act as other users")


def is_sqlite(ws) -> bool:
    return ws.store_name.endswith(".db")


def run_process(ws, *args, timeout: float = 60, memory: int | None = None) -> subprocess.CompletedProcess:
    """flowctl in a process of its own: what could hang or fill memory must not take the test run with it."""
    def limit():
        if memory:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    env = {k: v for k, v in os.environ.items() if k not in ("FLOWCTL_USER", "FLOWCTL_STORE", "FLOWCTL_TRACEBACK")}
    try:
        return subprocess.run([sys.executable, "-m", "flowctl", "--as", "ivan", *map(str, args)], cwd=ws.root,
                              env=env, capture_output=True, text=True, timeout=timeout, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        pytest.fail(f"flowctl {' '.join(map(str, args))} still running after {timeout} s")


def foreign_file(ws, tmp_path: Path, content: str) -> Path:
    """A file of the store's kind that flowctl did not make."""
    path = tmp_path / ("other.db" if is_sqlite(ws) else "other.json")
    if content == "empty":
        path.write_bytes(b"")
    elif content == "text":
        path.write_text("these are my notes, not a store\n" * 50, "utf-8")
    elif is_sqlite(ws):  # another application's database
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE t(x)")
        db.execute("INSERT INTO t VALUES (1)")
        db.commit()
        db.close()
    else:
        path.write_text('{"hello": "world"}\n', "utf-8")
    return path


# ------------------------------------------------------------------------------------------------------------
# item 13: a file that is not a flowctl store is refused before anything in it, or beside it, changes
# ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [("deal", "list"), ("deal", "create")])
@pytest.mark.parametrize("content", ["database", "text", "empty"])
def test_13_a_file_that_is_not_a_flowctl_store_is_refused_and_left_as_it_was(ws, tmp_path, content, command):
    """Another application's SQLite database (once switched to WAL by `deal list`), a text file, an empty file
    (once made into a store by `deal create`): exit 6, the same bytes, no -wal/-shm/-journal/.lock beside it."""
    path = foreign_file(ws, tmp_path, content)
    before, folder = path.read_bytes(), sorted(tmp_path.iterdir())
    result = ws.run("--store", path, *command)
    assert result.exit_code == 6, result.stderr or result.stdout
    assert path.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == folder
    if content != "text" or is_sqlite(ws):
        assert "is not a flowctl store" in result.stderr


@root_only
@pytest.mark.parametrize("kind", ["device", "folder", "fifo"])
def test_13_a_store_path_that_is_not_a_regular_file_is_refused_without_a_file_beside_it(ws, tmp_path, kind):
    """/dev/null once got a /dev/null-journal from SQLite; a pipe was read forever. Exit 6, nothing created."""
    folder = tmp_path / "odd"
    folder.mkdir()
    path = folder / ("store.db" if is_sqlite(ws) else "store.json")
    if kind == "device":
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is
    elif kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)
    for command in (("deal", "list"), ("deal", "create")):
        result = run_process(ws, "--store", path, *command)
        assert result.returncode == 6, result.stderr
        assert "is not a regular file" in result.stderr
        assert [p.name for p in folder.iterdir()] == [path.name]


def test_13_a_new_sqlite_store_is_marked_as_flowctls(tmp_path):
    from flowctl.store.sqlite import APPLICATION_ID

    open_store(str(tmp_path / "new.db"), create=True).close()
    db = sqlite3.connect(tmp_path / "new.db")
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.close()


def test_13_a_store_from_before_the_mark_is_accepted_and_marked_only_by_a_write(tmp_path, monkeypatch):
    """A store an older flowctl made (application id 0, schema version 1, our tables) works; reading it or a
    refused command leaves it as it was, and its next successful write marks it."""
    from flowctl.store.sqlite import APPLICATION_ID

    ws = Workspace(tmp_path / "ws", "sqlite", monkeypatch)
    deal = ws.json("deal", "create")["id"]

    def application_id(value=None):
        db = sqlite3.connect(ws.store_path, isolation_level=None)
        try:
            if value is not None:
                db.execute(f"PRAGMA application_id = {value}")
            return db.execute("PRAGMA application_id").fetchone()[0]
        finally:
            db.close()

    application_id(0)
    assert ws.run("deal", "list").exit_code == 0
    assert ws.run("deal", "advance", deal, "УСПЕШНО РЕАЛИЗОВАНО").exit_code not in (0, 70)  # refused
    assert application_id() == 0
    ws.ok("deal", "create")
    assert application_id() == APPLICATION_ID


# ------------------------------------------------------------------------------------------------------------
# item 14: read commands open the store read-only
# ------------------------------------------------------------------------------------------------------------

READ_COMMANDS = [
    ("deal", "show", "1"), ("deal", "list"), ("deal", "history", "1"), ("contact", "show", "1"), ("contact", "list"),
    ("task", "list"), ("agenda",), ("check",), ("report", "funnel"), ("report", "forecast"), ("report", "managers"),
    ("report", "velocity"), ("board",), ("export", "deals"), ("export", "contacts"), ("export", "tasks"),
    ("export", "all"),
]


@contextmanager
def immutable(folder: Path):
    """A folder nobody, root included, may create a file in (chattr +i)."""
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", folder], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", folder], check=True)


def test_14_every_read_command_works_in_a_read_only_folder(local_ws):
    """Each read command gives the same answer on a copy of the store in a folder where no file can be created:
    it writes nothing, locks nothing for writing, and creates no -wal/-shm/-journal/.lock. (On SQLite a read
    that opened the store for writing needs to create its -wal and -shm, and fails there.)"""
    ws = local_ws
    ws.ok("contact", "add", "name=Алмаз", "phone=8 912 345-67-89")
    deal = ws.json("deal", "create", "--contact", "1")["id"]
    ws.ok("deal", "set", deal, "site=Званка")
    data = ws.root / "data"
    data.mkdir()
    shutil.copyfile(ws.store_path, data / ws.store_name)
    expected = {command: ws.run(*command) for command in READ_COMMANDS}
    with immutable(data):
        for command in READ_COMMANDS:
            result = ws.run("--store", data / ws.store_name, *command)
            assert (result.exit_code, result.stdout) == (expected[command].exit_code, expected[command].stdout), \
                (command, result.stderr)
    assert [p.name for p in data.iterdir()] == [ws.store_name]


def test_14_a_store_opened_read_only_cannot_be_written(ws):
    before = ws.snapshot()
    store = open_store(str(ws.store_path), read_only=True)
    try:
        with pytest.raises(StoreError, match="could not write"):
            with store.transaction():
                store.add_contact(Contact(None, {"name": "Алмаз"}, T0))
    finally:
        store.close()
    assert ws.snapshot() == before


def test_14_a_read_command_never_upgrades_an_older_store(tmp_path, monkeypatch):
    """A store whose schema is older than this flowctl: a read says so (exit 6) and changes nothing; the next
    write command upgrades it."""
    import flowctl.store.sqlite as backend

    ws = Workspace(tmp_path / "ws", "sqlite", monkeypatch)
    ws.ok("deal", "create")
    before = ws.snapshot()
    monkeypatch.setattr(backend, "MIGRATIONS", [*backend.MIGRATIONS, "CREATE TABLE notes (id INTEGER PRIMARY KEY);"])
    result = ws.run("deal", "list")
    assert result.exit_code == 6 and "older than this flowctl" in result.stderr
    assert ws.snapshot() == before
    ws.ok("deal", "create")
    db = sqlite3.connect(ws.store_path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(backend.MIGRATIONS)
    db.close()


WRITER, READER = 1001, 1002  # two teammates; READER may read the store but not write it


def as_user(uid: int, action) -> str:
    """`action()` in a forked child running as `uid` (forked: every module it needs is imported already, and
    Python's own files may be unreadable to that user); its result, or the error it raised, as text."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        result = "error: nothing ran"
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.umask(0o022)
            result = f"ok {action()}"
        except BaseException as error:
            result = f"error {type(error).__name__}: {error}"
        finally:
            os.write(write, result.encode())
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    return answer


@root_only
@pytest.mark.parametrize("folder_mode", [0o777, 0o755], ids=["folder-writable-by-reader", "read-only-folder"])
def test_14_a_teammate_who_may_only_read_leaves_nothing_that_blocks_the_writers(folder_mode):
    """SQLite store 0644 of WRITER: READER lists deals (before, his read left -wal/-shm owned by him that made
    every later write fail, and failed itself in a read-only folder), also while a writer is at work; no file of
    his is left, and WRITER writes afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="flowctl-shared-"))
    try:
        os.chown(folder, WRITER, WRITER)
        os.chmod(folder, folder_mode)
        path = str(folder / "shared.db")

        def add_deal():
            store = open_store(path, create=True)
            with store.transaction():
                store.add_deal(Deal(None, "krovlya", "new_lead", {}, None, T0, T0, T0))
            store.close()
            return "written"

        def count_deals():
            store = open_store(path, read_only=True)
            try:
                return len(list(store.iter_deals()))
            finally:
                store.close()

        assert as_user(WRITER, add_deal) == "ok written"
        assert as_user(READER, count_deals) == "ok 1"
        # his write is refused before SQLite opens the file, in the system's words
        assert as_user(READER, add_deal) == \
            f"error StoreError: could not write to the store {path}: Permission denied; nothing was changed"
        busy = open_store(path)  # a writer at work: its -wal holds a deal the file does not have yet
        with busy.transaction():
            busy.add_deal(Deal(None, "krovlya", "new_lead", {}, None, T0, T0, T0))
        assert Path(path + "-wal").exists()
        assert as_user(READER, count_deals) == "ok 2"
        busy.close()
        assert [p.name for p in folder.iterdir() if p.stat().st_uid == READER] == []
        assert as_user(WRITER, add_deal) == "ok written"
        assert as_user(READER, count_deals) == "ok 3"
    finally:
        shutil.rmtree(folder)


# ------------------------------------------------------------------------------------------------------------
# item 12: a documented exit code instead of exit 70
# ------------------------------------------------------------------------------------------------------------

LONG_TEXTS = [f"{field}={letter * 2000}" for field, letter in (("site", "ж"), ("coating", "ш"), ("thickness", "щ"),
                                                                 ("nuances", "ы"))]


def test_12_a_full_disk_is_a_failed_write_and_the_store_is_unchanged(local_ws, monkeypatch):
    """SQLite: SQLITE_FULL ("database or disk is full") rolls the transaction back itself, and the ROLLBACK that
    followed failed with exit 70. JSON: ENOSPC while writing was reported as a store that "cannot be read"."""
    ws = local_ws
    deal = ws.json("deal", "create")["id"]
    before = ws.snapshot()
    with monkeypatch.context() as patch:
        if is_sqlite(ws):
            connect = sqlite3.connect

            def full_disk(*args, **kwargs):  # the file may not grow by a single page
                db = connect(*args, **kwargs)
                db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
                return db

            patch.setattr(sqlite3, "connect", full_disk)
        else:
            def full_disk(fd):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            patch.setattr(os, "fsync", full_disk)
        result = ws.run("deal", "set", deal, *LONG_TEXTS)
    reason = "database or disk is full" if is_sqlite(ws) else os.strerror(errno.ENOSPC)
    assert (result.exit_code, result.stderr) == (  # the store and the system's own reason, in one line
        6, f"flowctl: could not write to the store {ws.store_path}: {reason}; nothing was changed\n")
    assert ws.snapshot() == before
    assert not list(ws.root.glob(".*.tmp"))


def test_12_reading_an_sqlite_store_with_damaged_pages_says_damaged(tmp_path, monkeypatch):
    """A damaged page met while rows were being fetched (outside the statement's start) was exit 70."""
    ws = Workspace(tmp_path / "ws", "sqlite", monkeypatch)
    store = open_store(str(ws.store_path))
    with store.transaction():
        for n in range(400):
            store.add_deal(Deal(None, "krovlya", "new_lead", {"nuances": f"{n} " + "ж" * 300}, None, T0, T0, T0))
    store.close()
    size = ws.store_path.stat().st_size
    with open(ws.store_path, "r+b") as file:  # the second half of the file: leaves of the deals table
        file.seek(size // 2 // 4096 * 4096)
        file.write(bytes(range(256)) * ((size - size // 2) // 256 + 16))
    for command in (("export", "all"), ("deal", "list")):
        result = ws.run(*command)
        assert result.exit_code == 6, (command, result.stderr or result.stdout)
        assert "is damaged" in result.stderr


def test_12_a_json_row_missing_a_key_is_a_damaged_store(tmp_path, monkeypatch):
    """A deal row without "stage" (or an event without "at"), as a bad merge may leave it, was exit 70."""
    ws = Workspace(tmp_path / "ws", "json", monkeypatch)
    deal = ws.json("deal", "create")["id"]
    whole = ws.store_path.read_text("utf-8")
    ws.store_path.write_text(re.sub(r'"stage": "new_lead", (?=.*"stage_since")', "", whole, count=1), "utf-8")
    for command in (("deal", "show", deal), ("deal", "list"), ("export", "all"), ("report", "funnel")):
        result = ws.run(*command)
        assert result.exit_code == 6 and f"deal {deal} lacks 'stage'" in result.stderr, (command, result.stderr)
    ws.store_path.write_text(re.sub(r'(\n  \{"actor": "ivan", )"at": "[^"]*", ', r"\1", whole, count=1), "utf-8")
    for command in (("deal", "history", deal), ("report", "velocity")):
        result = ws.run(*command)
        assert result.exit_code == 6 and "event 1 lacks 'at'" in result.stderr, (command, result.stderr)


def test_12_a_json_row_holding_the_wrong_type_is_a_damaged_store(tmp_path, monkeypatch):
    """A hand edit that left `"fields": "x"` or a number for a time was exit 70 wherever the row was used."""
    ws = Workspace(tmp_path / "ws", "json", monkeypatch)
    deal = ws.json("deal", "create")["id"]
    whole = ws.store_path.read_text("utf-8")
    for edited, says in ((re.sub(r'"fields": \{[^}]*\}', '"fields": "x"', whole, count=1), "holds a str in 'fields'"),
                         (re.sub(r'"stage_since": "[^"]*"', '"stage_since": 5', whole, count=1),
                          "holds a int in 'stage_since'")):
        ws.store_path.write_text(edited, "utf-8")
        for command in (("deal", "show", deal), ("deal", "list"), ("check",)):
            result = ws.run(*command)
            assert result.exit_code == 6 and f"deal {deal} {says}" in result.stderr, (command, result.stderr)


@pytest.mark.parametrize("field, edited, says", [
    ("budget", '"350 000"', "'350 000' in its field 'budget', not an amount such as 350000.00"),
    ("budget", "350000", "350000 in its field 'budget', not an amount such as 350000.00"),
    ("lead_date", '"вчера"', "'вчера' in its field 'lead_date', not a day such as 2026-12-01"),
    ("responsible", "5", "5 in its field 'responsible', not a login"),
])
def test_a_json_deal_whose_report_field_was_edited_into_another_form_is_a_damaged_store(tmp_path, monkeypatch, field,
                                                                                        edited, says):
    """The owner, budget and lead date every report adds up and sorts by, edited by hand in a merge: `report
    managers`, `deal list` and the HTML report stopped with an internal error (exit 70)."""
    ws = Workspace(tmp_path / "ws", "json", monkeypatch)
    ws.ok("contact", "add", "name=Алмаз")
    deal = ws.json("deal", "create", "--contact", "1", "-F", "budget=350000")["id"]
    whole = ws.store_path.read_text("utf-8")
    edit = re.compile(rf'("{field}": )("[^"]*")(?=[,}}].*"pipeline": "krovlya")')
    assert edit.search(whole)
    ws.store_path.write_text(edit.sub(rf"\g<1>{edited}", whole, count=1), "utf-8")
    for command in (("report", "managers"), ("report", "funnel"), ("deal", "list"), ("deal", "show", deal),
                    ("report", "html", "-o", tmp_path / "report.html")):
        result = ws.run(*command)
        assert (result.exit_code, result.stderr) == \
            (6, f"flowctl: the store {ws.store_path} is damaged: deal {deal} holds {says}\n"), command
    assert not (tmp_path / "report.html").exists()


@pytest.mark.parametrize("update, says", [("fields = '{broken'", "'fields' is not a JSON object"),
                                          ("fields = '[1]'", "holds a list in 'fields'"),
                                          ("stage_since = 5", "holds '5' in 'stage_since', not a UTC time"),
                                          ("fields = json_set(fields, '$.budget', '350 000')",  # a report field
                                           "holds '350 000' in its field 'budget', not an amount such as 350000.00")])
def test_12_an_sqlite_row_edited_by_hand_is_a_damaged_store(tmp_path, monkeypatch, update, says):
    ws = Workspace(tmp_path / "ws", "sqlite", monkeypatch)
    deal = ws.json("deal", "create")["id"]
    db = sqlite3.connect(ws.store_path)
    db.execute(f"UPDATE deals SET {update}")
    db.commit()
    db.close()
    for command in (("deal", "show", deal), ("deal", "list"), ("agenda",)):
        result = ws.run(*command)
        assert result.exit_code == 6 and f"deal {deal}" in result.stderr and says in result.stderr, result.stderr


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "1e300", "soon"])
def test_12_a_busy_timeout_that_is_not_a_sane_number_of_seconds_is_a_usage_error(ws, monkeypatch, value):
    """FLOWCTL_BUSY_TIMEOUT=inf overflowed into exit 70; nan, negative, huge and garbage were taken silently."""
    before = ws.snapshot()
    monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", value)
    for command in (("deal", "list"), ("deal", "create")):
        result = ws.run(*command)
        assert result.exit_code == 2, result.stderr or result.stdout
        assert "FLOWCTL_BUSY_TIMEOUT" in result.stderr
    assert ws.snapshot() == before
    monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", "0.5")
    ws.ok("deal", "list")


# ------------------------------------------------------------------------------------------------------------
# item 11: a JSON store is read with a bound
# ------------------------------------------------------------------------------------------------------------

def test_11_a_json_store_that_never_ends_is_refused_at_once(ws):
    """`--store json:///dev/zero` was read until memory ran out."""
    result = run_process(ws, "--store", "json:///dev/zero", "deal", "list", timeout=60, memory=2 << 30)
    assert result.returncode == 6 and "is not a regular file" in result.stderr, result.stderr


def test_11_a_json_store_past_the_size_limit_is_refused_before_it_is_read(tmp_path):
    """A 64 GB (sparse) file past the limit (here lowered to 1 MiB) is refused unread: read whole, it would not
    fit in the 2 GB this process may use."""
    path = tmp_path / "huge.json"
    with open(path, "wb") as file:
        file.truncate(64 << 30)
    script = ("import flowctl.store.jsonfile as j; j.MAX_BYTES = 1 << 20\n"
              "from flowctl.store import open_store\n"
              "from flowctl.errors import StoreError\n"
              "try:\n    open_store(sys.argv[1])\nexcept StoreError as e:\n    print(e.message)\n")

    def limit():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    done = subprocess.run([sys.executable, "-c", "import sys\n" + script, str(path)], capture_output=True, text=True,
                          timeout=60, preexec_fn=limit)
    assert f"is larger than {1 << 20} bytes" in done.stdout, done.stderr


# ------------------------------------------------------------------------------------------------------------
# item 16: a stay is never negative
# ------------------------------------------------------------------------------------------------------------

def test_16_a_stay_is_never_negative_when_the_clock_is_moved_back(ws):
    """Created on the 30th, closed by a machine whose clock said the 29th: the stay in «НОВЫЙ ЛИД» is 0, in the
    JSON (was -86400) as in the table."""
    deal = ws.json("deal", "create", now="2026-11-30T06:00:00Z")["id"]
    ws.ok("deal", "advance", deal, "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО", "-F", "lost_reason=no_contact",
          now="2026-11-29T06:00:00Z")
    rows = {r["stage"]: r for r in ws.json("report", "velocity")}
    assert (rows["new_lead"]["stays"], rows["new_lead"]["median_seconds"], rows["new_lead"]["p90_seconds"]) == (1, 0, 0)
    table = ws.ok("report", "velocity").stdout
    assert re.search(r"НОВЫЙ ЛИД.*\b0 min", table)

"""The stores' transactions: what a failure leaves, what it says, and how writers take turns.

Written from the mutation run (tests/mutation/), which mutates the transaction machinery of both stores
(tests/mutation/decorated.py covers the @contextmanager transactions mutmut itself skips). The older tests
prove that rules are checked before anything is written; these prove what a transaction that fails after
writing leaves behind, and that each failure names the store and the reason.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3

import pytest

from conftest import Workspace

LONG_TEXTS = [f"{field}={letter * 2000}" for field, letter in (("site", "ж"), ("coating", "ш"), ("thickness", "щ"),
                                                                 ("nuances", "ы"))]


def _sqlite(tmp_path, monkeypatch) -> Workspace:
    return Workspace(tmp_path / "ws", "sqlite", monkeypatch)


# -- what a failure says --------------------------------------------------------------------------------

def test_a_full_disk_under_the_json_store_says_the_write_failed_with_the_systems_reason(tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "ws", "json", monkeypatch)
    deal = ws.json("deal", "create")["id"]

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    result = ws.run("deal", "set", deal, "site=Званка")
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: could not write to the store {ws.store_path}: No space left on device; nothing was changed\n")


@pytest.mark.parametrize("kind", ["sqlite", "json"])
def test_a_store_the_system_will_not_open_for_reading_says_the_systems_reason(tmp_path, monkeypatch, kind):
    ws = Workspace(tmp_path / "ws", kind, monkeypatch)
    store, system_open = os.path.abspath(ws.store_path), os.open

    def out_of_files(path, *args, **kwargs):  # the process has used up its open files
        if os.path.abspath(path) == store:
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))
        return system_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", out_of_files)
    result = ws.run("deal", "list")
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: the store {ws.store_path} cannot be read: Too many open files\n")


def test_an_id_past_64_bit_integers_names_no_deal_and_sqlite_says_it_is_too_large(ws):
    """SQLite keeps ids as 64-bit integers and its driver cannot even pass a larger one: it is refused as too large,
    not failed inside the driver. The other stores look it up and find no such deal."""
    ws.ok("deal", "create")
    result = ws.run("deal", "show", str(2 ** 63))
    expected = (2, "flowctl: a number is too large to be an id\n") if ws.kind == "sqlite" else \
        (4, f"flowctl: no deal #{2 ** 63}\n")
    assert (result.exit_code, result.stderr) == expected


def test_a_held_sqlite_store_is_named_busy(tmp_path, monkeypatch):
    ws = _sqlite(tmp_path, monkeypatch)
    monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", "0.1")
    holder = sqlite3.connect(ws.store_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = ws.run("deal", "create")
    finally:
        holder.close()
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: the store {ws.store_path} is busy (another command holds it); try again\n")


def test_a_read_of_an_sqlite_store_with_a_log_but_no_index_waits_for_the_writer_then_says_so(tmp_path, monkeypatch):
    """A -wal without its -shm is a writer between creating the two (or a -shm deleted by hand): a read command
    waits for it up to the busy timeout, and does not create the -shm itself."""
    ws = _sqlite(tmp_path, monkeypatch)
    ws.ok("deal", "create")
    wal = ws.store_path.with_name(ws.store_path.name + "-wal")
    shm = ws.store_path.with_name(ws.store_path.name + "-shm")
    assert not wal.exists() and not shm.exists()
    wal.write_bytes(b"")
    monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", "0.2")
    result = ws.run("deal", "list")
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: the store {ws.store_path} has a write-ahead log (-wal) without its index (-shm); a read "
            "command does not create one: the next command that writes to the store will\n")
    assert not shm.exists()


def test_a_read_of_an_sqlite_store_waits_while_a_writer_finishes_its_log(tmp_path, monkeypatch):
    import threading

    ws = _sqlite(tmp_path, monkeypatch)
    deal = ws.json("deal", "create")["id"]
    wal = ws.store_path.with_name(ws.store_path.name + "-wal")
    wal.write_bytes(b"")
    monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", "5")
    finished = threading.Timer(0.3, wal.unlink)  # the writer checkpoints and closes: its log is gone
    finished.start()
    try:
        result = ws.run("deal", "list")
    finally:
        finished.join()
    assert result.exit_code == 0, result.stderr
    assert [d["id"] for d in ws.json("deal", "list")] == [deal]


def test_a_read_of_an_sqlite_store_sees_what_a_killed_writer_committed_to_its_log_and_leaves_the_log(tmp_path,
                                                                                                   monkeypatch):
    """A writer killed after its commit leaves the change in its -wal (and the -shm): a read command reads it
    there, and neither checkpoints nor deletes them (a read writes nothing)."""
    import subprocess
    import sys

    ws = _sqlite(tmp_path, monkeypatch)
    deal = ws.json("deal", "create")["id"]
    script = ("import os, sqlite3\n"
              f"db = sqlite3.connect({str(ws.store_path)!r}, isolation_level=None)\n"
              "db.execute('PRAGMA wal_autocheckpoint = 0')\n"
              f"db.execute(\"UPDATE deals SET fields = json_set(fields, '$.site', 'Званка') WHERE id = {deal}\")\n"
              "os._exit(0)\n")  # killed: no checkpoint, no close
    subprocess.run([sys.executable, "-c", script], check=True)
    wal, shm = (ws.store_path.with_name(ws.store_name + suffix) for suffix in ("-wal", "-shm"))
    log, store = wal.read_bytes(), ws.store_path.read_bytes()
    assert log and shm.exists()
    assert ws.json("deal", "show", deal)["fields"]["site"] == "Званка"
    assert (wal.read_bytes(), ws.store_path.read_bytes(), shm.exists()) == (log, store, True)  # (-shm: read marks)


def test_a_read_of_an_sqlite_store_never_shows_what_a_writer_killed_mid_transaction_left_behind(tmp_path,
                                                                                              monkeypatch):
    """A store in rollback-journal mode whose writer was killed mid-transaction: the file holds pages of a change
    never committed, and the hot -journal the old ones. A read command does not read the file as if the journal
    were not there; the next write rolls the change back."""
    import subprocess
    import sys

    ws = _sqlite(tmp_path, monkeypatch)
    deal = ws.json("deal", "create")["id"]
    script = ("import os, sqlite3\n"
              f"db = sqlite3.connect({str(ws.store_path)!r}, isolation_level=None)\n"
              "db.execute('PRAGMA journal_mode = DELETE')\n"
              "db.execute('PRAGMA cache_size = 1')\n"  # the change spills into the file before any commit
              "db.execute('BEGIN')\n"
              f"db.execute(\"UPDATE deals SET fields = json_set(fields, '$.site', 'Половина') WHERE id = {deal}\")\n"
              "db.execute('CREATE TABLE filler(x)')\n"
              "db.executemany('INSERT INTO filler VALUES (?)', [('x' * 1000,)] * 2000)\n"
              "os._exit(0)\n")  # killed
    subprocess.run([sys.executable, "-c", script], check=True)
    assert ws.store_path.with_name(ws.store_name + "-journal").exists()
    result = ws.run("deal", "show", deal, "--format", "json")
    assert result.exit_code == 6 and "Половина" not in result.stdout, (result.stdout, result.stderr)
    ws.ok("deal", "set", deal, "nuances=после сбоя")
    assert "site" not in ws.json("deal", "show", deal)["fields"]


def _checkpointing(path, seconds: float):
    """Another process holding the lock a checkpoint takes (SQLite's shared-lock bytes, exclusively) for `seconds`."""
    import subprocess
    import sys

    from flowctl.store.sqlite import SHARED_LOCK_LENGTH, SHARED_LOCK_START

    script = ("import fcntl, os, sys, time\n"
              f"fd = os.open({str(path)!r}, os.O_RDWR)\n"
              f"fcntl.lockf(fd, fcntl.LOCK_EX, {SHARED_LOCK_LENGTH}, {SHARED_LOCK_START})\n"
              "print('locked', flush=True)\n"
              f"time.sleep({seconds})\n")
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "locked\n"
    return holder


def test_a_read_of_an_sqlite_store_a_checkpoint_holds_past_the_busy_timeout_is_named_busy(tmp_path, monkeypatch):
    ws = _sqlite(tmp_path, monkeypatch)
    ws.ok("deal", "create")
    monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", "0.2")
    holder = _checkpointing(ws.store_path, 30)
    try:
        result = ws.run("deal", "list")
    finally:
        holder.kill()
        holder.wait()
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: the store {ws.store_path} is busy (another command holds it); try again\n")


def test_a_read_of_an_sqlite_store_waits_for_a_checkpoint_to_end(tmp_path, monkeypatch):
    ws = _sqlite(tmp_path, monkeypatch)
    deal = ws.json("deal", "create")["id"]
    monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", "5")
    holder = _checkpointing(ws.store_path, 0.3)
    try:
        result = ws.run("deal", "list", "--format", "json")
    finally:
        holder.wait()
    assert result.exit_code == 0, result.stderr
    assert [d["id"] for d in json.loads(result.stdout)] == [deal]


def _drop_column(ws, table: str, column: str) -> None:
    """A schema edited by hand: the column is gone (and the index that used it)."""
    db = sqlite3.connect(ws.store_path, isolation_level=None)
    try:
        index = {("deals", "external_id"): "deals_external", ("contacts", "phone"): "contacts_phone"}[(table, column)]
        db.execute(f"DROP INDEX {index}")
        db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    finally:
        db.close()


def test_a_store_whose_schema_was_edited_by_hand_cannot_be_read_and_says_why(tmp_path, monkeypatch):
    ws = _sqlite(tmp_path, monkeypatch)
    ws.ok("deal", "create")
    _drop_column(ws, "deals", "external_id")
    result = ws.run("deal", "list")
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: the store {ws.store_path} cannot be read: no such column: external_id\n")


def test_a_write_to_a_store_whose_schema_was_edited_by_hand_fails_and_changes_nothing(tmp_path, monkeypatch):
    ws = _sqlite(tmp_path, monkeypatch)
    ws.ok("contact", "add", "name=Алмаз")
    _drop_column(ws, "contacts", "phone")
    before = ws.snapshot()
    result = ws.run("contact", "add", "name=Борис")
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: could not write to the store {ws.store_path}: table contacts has no column named phone; "
            "nothing was changed\n")
    assert ws.snapshot() == before


def test_an_sqlite_store_with_damaged_pages_says_it_is_damaged_and_sqlites_reason(tmp_path, monkeypatch):
    from flowctl.store import open_store
    from flowctl.store.base import Deal

    ws = _sqlite(tmp_path, monkeypatch)
    store = open_store(str(ws.store_path))
    with store.transaction():
        for n in range(400):
            store.add_deal(Deal(None, "krovlya", "new_lead", {"nuances": f"{n} " + "ж" * 300}, None,
                                "2026-11-30T06:00:00Z", "2026-11-30T06:00:00Z", "2026-11-30T06:00:00Z"))
    store.close()
    size = ws.store_path.stat().st_size
    with open(ws.store_path, "r+b") as file:  # the second half of the file: leaves of the deals table
        file.seek(size // 2 // 4096 * 4096)
        file.write(bytes(range(256)) * ((size - size // 2) // 256 + 16))
    result = ws.run("deal", "list")
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: the store {ws.store_path} is damaged: database disk image is malformed\n")


@pytest.mark.parametrize("content", ["", " \n\t\n"])
def test_an_empty_json_store_file_is_not_a_flowctl_store_and_says_how_to_make_one(tmp_path, monkeypatch, content):
    ws = Workspace(tmp_path / "ws", "json", monkeypatch)
    ws.store_path.write_text(content, "utf-8")
    result = ws.run("deal", "list")
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: {ws.store_path} is not a flowctl store (it is empty; `flowctl init` creates a store, "
            "`flowctl import all` restores one); it was left as it was\n")
    assert ws.store_path.read_text("utf-8") == content


def test_a_json_store_of_the_size_limit_is_read_and_one_byte_more_is_refused_unread(tmp_path, monkeypatch):
    import flowctl.store.jsonfile as backend

    ws = Workspace(tmp_path / "ws", "json", monkeypatch)
    deal = ws.json("deal", "create")["id"]
    size = ws.store_path.stat().st_size
    monkeypatch.setattr(backend, "MAX_BYTES", size)
    assert [d["id"] for d in ws.json("deal", "list")] == [deal]
    monkeypatch.setattr(backend, "MAX_BYTES", size - 1)
    result = ws.run("deal", "list")
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: the store {ws.store_path} is larger than {size - 1} bytes, the most a JSON store may hold; "
            "keep data this size in an SQLite store\n")


def test_a_json_store_swapped_for_a_pipe_after_it_was_opened_is_refused_without_waiting_for_a_writer(tmp_path):
    """open_store refuses what is not a regular file, but the file can change before a transaction reads it again: a
    pipe put in its place must neither hang the read (no writer will ever come) nor be read as a store."""
    import threading

    from flowctl.errors import StoreError
    from flowctl.store import open_store

    path = tmp_path / "store.json"
    store = open_store(str(path), create=True)
    with store.transaction():
        _add(store, "Алмаз")
    os.mkfifo(tmp_path / "pipe")
    os.replace(tmp_path / "pipe", path)
    outcome = []

    def read():
        try:
            with store.transaction():
                _add(store, "Борис")
            outcome.append(_names(store))
        except StoreError as error:
            outcome.append(error.message)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    waited = reader.is_alive()
    if waited:  # blocked opening the pipe: a writer's open lets it go on, so the test can end
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(5)
    assert (waited, outcome) == \
        (False, [f"{path} is not a regular file (a folder, a device or a pipe); a store is a file"])


def test_a_json_store_the_system_reads_a_few_bytes_at_a_time_is_read_whole(tmp_path, monkeypatch):
    """A read may return less than asked (a network file system, a signal): the rest is read on, not lost."""
    import flowctl.store.jsonfile as backend
    from flowctl.store import open_store

    path = str(tmp_path / "store.json")
    store = open_store(path, create=True)
    with store.transaction():
        for name in ("Алмаз", "Борис", "Вера"):
            _add(store, name)
    store.close()
    readv = os.readv
    sizes = []

    def few_bytes(fd, buffers):
        [view] = buffers
        got = readv(fd, [view[:7]])
        sizes.append(got)
        return got

    monkeypatch.setattr(backend.os, "readv", few_bytes)
    assert _names(open_store(path)) == ["Алмаз", "Борис", "Вера"]
    assert max(sizes) == 7 and sum(sizes) == os.path.getsize(path)


def _sqlite_file(path, *statements) -> None:
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        db.execute(statement)
    db.close()


@pytest.mark.parametrize("make, says", [
    (lambda path: path.write_bytes(b""), "{store} is not a flowctl store (it is empty; `flowctl init` creates a store, "
                                         "`flowctl import all` restores one); it was left as it was"),
    (lambda path: _sqlite_file(path, "CREATE TABLE t(x)", "DROP TABLE t", "VACUUM"),  # a database with nothing in it
     "{store} is not a flowctl store (it is empty; `flowctl init` creates a store, `flowctl import all` restores "
     "one); it was left as it was"),
    (lambda path: path.write_text("my notes\n" * 20, "utf-8"),
     "{store} is not a flowctl store (not an SQLite database); it was left as it was"),
    (lambda path: _sqlite_file(path, "CREATE TABLE t(x)"),
     "{store} is not a flowctl store (an SQLite database of another application); it was left as it was"),
    # SQLite's header, then no database: SQLite's own reason, as the store is opened
    (lambda path: path.write_bytes(b"SQLite format 3\x00" + b"\x01" * 4080),
     "the store {store} is damaged: file is not a database"),
    (lambda path: _sqlite_file(path, "PRAGMA application_id = 12345", "CREATE TABLE contacts(x)"),
     "{store} is not a flowctl store (an SQLite database of another application); it was left as it was"),
    # tables named as flowctl's: without flowctl's mark, another application's unless an older flowctl's (id 0 and
    # a schema version)
    (lambda path: _sqlite_file(path, *(f"CREATE TABLE {t}(x)" for t in ("contacts", "deals", "tasks", "events"))),
     "{store} is not a flowctl store (an SQLite database of another application); it was left as it was"),
    (lambda path: _sqlite_file(path, "PRAGMA application_id = 12345", "PRAGMA user_version = 1",
                               *(f"CREATE TABLE {t}(x)" for t in ("contacts", "deals", "tasks", "events"))),
     "{store} is not a flowctl store (an SQLite database of another application); it was left as it was"),
])
@pytest.mark.parametrize("command", [("deal", "list"), ("deal", "create")])
def test_a_file_that_is_no_sqlite_store_of_flowctls_is_refused_saying_what_it_is(tmp_path, monkeypatch, make, says,
                                                                                  command):
    ws = _sqlite(tmp_path, monkeypatch)
    make(ws.store_path)
    before = ws.store_path.read_bytes()
    result = ws.run(*command)
    assert (result.exit_code, result.stderr) == (6, f"flowctl: {says.format(store=ws.store_path)}\n")
    assert ws.store_path.read_bytes() == before


def _schema_version(ws, version: int | None = None) -> int:
    db = sqlite3.connect(ws.store_path, isolation_level=None)
    try:
        if version is not None:
            db.execute(f"PRAGMA user_version = {version}")
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def test_an_sqlite_store_of_a_newer_flowctl_is_refused_by_every_command(tmp_path, monkeypatch):
    ws = _sqlite(tmp_path, monkeypatch)
    current = _schema_version(ws)
    _schema_version(ws, current + 1)
    for command in (("deal", "list"), ("deal", "create")):
        result = ws.run(*command)
        assert (result.exit_code, result.stderr) == \
            (6, f"flowctl: the store {ws.store_path} has schema version {current + 1}, newer than this flowctl; "
                "upgrade flowctl\n")


def test_an_sqlite_store_of_an_older_flowctl_is_not_upgraded_by_a_read_command_which_says_so(tmp_path, monkeypatch):
    ws = _sqlite(tmp_path, monkeypatch)
    deal = ws.json("deal", "create")["id"]
    current = _schema_version(ws)
    _schema_version(ws, current - 1)
    result = ws.run("deal", "show", deal)
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: the store {ws.store_path} has schema version {current - 1}, older than this flowctl's "
            f"{current}; read commands do not upgrade a store: the next command that writes to it will\n")
    assert _schema_version(ws) == current - 1


def test_an_sqlite_store_an_older_flowctl_made_before_the_mark_is_upgraded_and_marked_by_the_next_write(tmp_path,
                                                                                                      monkeypatch):
    """Schema version 1, application id 0: a read command says it does not upgrade, the next write does."""
    from flowctl.store.sqlite import APPLICATION_ID, MIGRATIONS

    ws = _sqlite(tmp_path, monkeypatch)
    ws.store_path.unlink()
    db = sqlite3.connect(ws.store_path, isolation_level=None)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.close()
    result = ws.run("contact", "list")
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: the store {ws.store_path} has schema version 1, older than this flowctl's {len(MIGRATIONS)}; "
            "read commands do not upgrade a store: the next command that writes to it will\n")
    ws.ok("contact", "add", "name=Алмаз")
    db = sqlite3.connect(ws.store_path)
    try:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    finally:
        db.close()
    assert _schema_version(ws) == len(MIGRATIONS)
    assert [c["fields"]["name"] for c in ws.json("contact", "list")] == ["Алмаз"]


@pytest.mark.parametrize("text, says", [
    ('{"hello": "world"}', "{store} is not a flowctl store (not a flowctl JSON store); it was left as it was"),
    ("[1]", "{store} is not a flowctl store (not a flowctl JSON store); it was left as it was"),
    ('{"format": "flowctl-store"}', "the store {store} cannot be read: no format version"),
    ('{"format": "flowctl-store", "version": "2"}', "the store {store} cannot be read: no format version"),
    ('{"format": "flowctl-store", "version": 3}',
     "the store {store} has schema version 3, newer than this flowctl; upgrade flowctl"),
    ('{"format": "flowctl-store", "version": 2}',
     "the store {store} cannot be read: bad or missing contacts, deals, tasks, events, next_id, publications"),
    ('{"format": "flowctl-store", "version": 1}',  # a version 1 file lacks publications: it gains them
     "the store {store} cannot be read: bad or missing contacts, deals, tasks, events, next_id"),
    ('{"format": ', "the store {store} cannot be read: Expecting value: line 1 column 12 (char 11)"),
    ("{", "the store {store} cannot be read: Expecting property name enclosed in double quotes: line 1 column 2 "
          "(char 1)"),  # one byte is read as one byte, not as an empty file
])
def test_a_json_store_file_flowctl_cannot_read_is_refused_saying_why_and_left_as_it_was(tmp_path, monkeypatch, text,
                                                                                        says):
    ws = Workspace(tmp_path / "ws", "json", monkeypatch)
    ws.store_path.write_text(text, "utf-8")
    result = ws.run("deal", "list")
    assert (result.exit_code, result.stderr) == (6, f"flowctl: {says.format(store=ws.store_path)}\n")
    assert ws.store_path.read_text("utf-8") == text


@pytest.mark.parametrize("layout", ["the store's own", "pretty-printed by hand"])
def test_a_json_store_whose_next_ids_lag_its_rows_as_a_merge_leaves_them_never_reuses_an_id(tmp_path, layout):
    """A merge or a hand edit may leave next_id behind the rows, or without a table's entry: a new row takes the id
    after the table's last one (the first one, 1, in an empty table), never one a row has."""
    import json

    from flowctl.store import open_store
    from flowctl.store.base import Contact, Deal, Event
    from flowctl.store.jsonfile import serialize

    moment = "2026-11-30T06:00:00Z"
    path = tmp_path / "s.json"
    store = open_store(str(path), create=True)
    with store.transaction():
        for deal_id in (3, 7):
            store.add_deal(Deal(deal_id, "krovlya", "new_lead", {}, None, moment, moment, moment))
        for event_id in (4, 6, 9):
            store.add_event(Event(event_id, moment, "ivan", "deal.created", deal_id=3))
    store.close()
    data = json.loads(path.read_text("utf-8"))
    data["next_id"] = {"deals": 2, "events": 1}  # behind the rows; no entry for contacts and tasks
    path.write_text(serialize(data) if layout == "the store's own" else json.dumps(data, indent=4), "utf-8")
    store = open_store(str(path))
    with store.transaction():
        ids = (store.add_contact(Contact(None, {"name": "Алмаз"}, moment)),
               store.add_deal(Deal(None, "krovlya", "new_lead", {}, None, moment, moment, moment)),
               store.add_event(Event(None, moment, "ivan", "deal.created", deal_id=8)))
    store.close()
    assert ids == (1, 8, 10)


@pytest.mark.parametrize("layout", ["the store's own", "pretty-printed by hand"])
def test_a_json_store_without_events_or_their_next_id_numbers_the_first_event_1(tmp_path, layout):
    import json

    from flowctl.store import open_store
    from flowctl.store.base import Event
    from flowctl.store.jsonfile import serialize

    path = tmp_path / "s.json"
    open_store(str(path), create=True).close()
    data = json.loads(path.read_text("utf-8"))
    assert data["events"] == []
    data["next_id"] = {}
    path.write_text(serialize(data) if layout == "the store's own" else json.dumps(data, indent=4), "utf-8")
    store = open_store(str(path))
    with store.transaction():
        assert store.add_event(Event(None, "2026-11-30T06:00:00Z", "ivan", "deal.created")) == 1
    store.close()


@pytest.mark.parametrize("layout", ["the store's own", "pretty-printed by hand"])
def test_a_json_store_whose_next_ids_are_ahead_of_its_rows_gives_no_id_again(tmp_path, layout):
    """An id once given stays given: a merge that dropped a row (its events may still name it) must not lead the
    next row, with no past of its own, to take that id and so the other's history."""
    import json

    from flowctl.store import open_store
    from flowctl.store.base import Contact, Event
    from flowctl.store.jsonfile import serialize

    moment = "2026-11-30T06:00:00Z"
    path = tmp_path / "s.json"
    store = open_store(str(path), create=True)
    with store.transaction():
        store.add_contact(Contact(None, {"name": "Алмаз"}, moment))
        store.add_event(Event(None, moment, "ivan", "contact.created", contact_id=1))
    store.close()
    data = json.loads(path.read_text("utf-8"))
    data["next_id"] = {"contacts": 5, "events": 9}  # rows 2-4 and events 2-8 were given, then lost in a merge
    path.write_text(serialize(data) if layout == "the store's own" else json.dumps(data, indent=4), "utf-8")
    store = open_store(str(path))
    with store.transaction():
        ids = (store.add_contact(Contact(None, {"name": "Борис"}, moment)),
               store.add_event(Event(None, moment, "ivan", "contact.created", contact_id=5)))
    store.close()
    assert ids == (5, 9)


def test_a_json_store_opened_to_be_created_where_one_exists_is_left_unwritten(tmp_path):
    """init, demo and import all open their store so that a missing one is created; an existing one is only read,
    even one an older flowctl wrote (a read upgrades nothing: the next write does)."""
    import json

    from flowctl.store import open_store
    from flowctl.store.jsonfile import serialize

    path = tmp_path / "s.json"
    open_store(str(path), create=True).close()
    data = json.loads(path.read_text("utf-8"))
    data["version"] = 1
    del data["publications"]
    path.write_text(serialize(data), "utf-8")
    before = (path.read_bytes(), path.stat().st_ino, path.stat().st_mtime_ns)
    open_store(str(path), create=True).close()
    assert (path.read_bytes(), path.stat().st_ino, path.stat().st_mtime_ns) == before


def test_a_json_transaction_sees_what_another_writer_wrote_after_the_store_was_opened(tmp_path):
    """Two commands open the same store; the second to write starts from the first one's result, not from what it
    read when it opened (a lost update otherwise)."""
    from flowctl.store import open_store

    path = str(tmp_path / "s.json")
    first, second = open_store(path, create=True), open_store(path, create=True)
    with first.transaction():
        _add(first, "Алмаз")
    with second.transaction():
        _add(second, "Борис")
    first.close(), second.close()
    again = open_store(path)
    assert [(c.id, c.fields["name"]) for c in again.list_contacts()] == [(1, "Алмаз"), (2, "Борис")]


def test_a_json_store_is_read_once_for_opening_then_writing_when_nobody_wrote_in_between(tmp_path, monkeypatch):
    """A store may be a gigabyte: a command that opens it and then writes reads it once, not again under the lock."""
    import flowctl.store.jsonfile as backend
    from flowctl.store import open_store

    path = str(tmp_path / "s.json")
    open_store(path, create=True).close()
    reads = []
    read = backend.JsonFileStore._read
    monkeypatch.setattr(backend.JsonFileStore, "_read", lambda store: reads.append(1) or read(store))
    store = open_store(path)
    with store.transaction():
        _add(store, "Алмаз")
    with store.transaction():  # it wrote the file itself: still nothing to read again
        _add(store, "Борис")
    store.close()
    assert len(reads) == 1
    assert _names(open_store(path)) == ["Алмаз", "Борис"]


@pytest.mark.parametrize("edit, reason", [
    (lambda data: data["next_id"].update(deals="many"), "invalid literal for int() with base 10: 'many'"),
    (lambda data: data["deals"].update(x1={}), "invalid literal for int() with base 10: 'x1'"),
])
def test_a_json_store_whose_ids_are_no_numbers_cannot_be_read_and_says_which(tmp_path, monkeypatch, edit, reason):
    import json

    ws = Workspace(tmp_path / "ws", "json", monkeypatch)
    data = json.loads(ws.store_path.read_text("utf-8"))
    edit(data)
    text = json.dumps(data, indent=4)
    ws.store_path.write_text(text, "utf-8")
    result = ws.run("deal", "list")
    assert (result.exit_code, result.stderr) == (6, f"flowctl: the store {ws.store_path} cannot be read: {reason}\n")
    assert ws.store_path.read_text("utf-8") == text


# -- transactions: all or nothing, nested, one writer at a time -------------------------------------

T0 = "2026-11-30T06:00:00Z"


@pytest.fixture(params=["flowctl.db", "store.json"])
def store_path(request, tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", "0.2")  # a writer waiting on itself would fail fast
    return str(tmp_path / request.param)


def _names(store) -> list[str]:
    return [c.fields["name"] for c in store.list_contacts()]


def _add(store, name: str) -> None:
    from flowctl.store.base import Contact

    store.add_contact(Contact(None, {"name": name}, T0))


def test_a_transaction_failing_after_it_wrote_leaves_nothing_and_the_next_one_commits(store_path):
    from flowctl.store import open_store

    store = open_store(store_path, create=True)
    with store.transaction():
        _add(store, "Алмаз")
    with pytest.raises(RuntimeError):
        with store.transaction():
            _add(store, "Борис")
            raise RuntimeError("refused after writing")
    assert _names(store) == ["Алмаз"]  # the same store object sees nothing of it either
    with store.transaction():
        _add(store, "Вера")
    store.close()
    again = open_store(store_path)
    assert _names(again) == ["Алмаз", "Вера"]
    again.close()


def test_nested_transactions_join_the_outer_one_and_are_undone_with_it(store_path):
    from flowctl.store import open_store

    store = open_store(store_path, create=True)
    with pytest.raises(RuntimeError):
        with store.transaction():
            _add(store, "Алмаз")
            with store.transaction():  # a service calling another inside its transaction
                _add(store, "Борис")
                with store.transaction():
                    _add(store, "Вера")
            with store.transaction():
                _add(store, "Галина")
            raise RuntimeError("the outer command is refused")
    store.close()
    again = open_store(store_path)
    assert _names(again) == []
    with again.transaction():
        with again.transaction():
            _add(again, "Алмаз")
        with again.transaction():
            _add(again, "Борис")
        _add(again, "Вера")
    again.close()
    third = open_store(store_path)
    assert _names(third) == ["Алмаз", "Борис", "Вера"]
    third.close()


@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only"])
def test_closing_a_store_twice_closes_nothing_the_second_time(store_path, read_only):
    """close() is idempotent, as Python's own files are: the second call must not close a descriptor number the
    system may since have given to another file."""
    from flowctl.store import open_store

    open_store(store_path, create=True).close()
    store = open_store(store_path, read_only=read_only)
    store.close()
    other = os.open(os.devnull, os.O_RDONLY)  # likely the number the store's lock had
    try:
        store.close()
        os.fstat(other)  # still open
    finally:
        os.close(other)


def test_a_json_store_opened_read_only_refuses_a_transaction_naming_itself(tmp_path):
    from flowctl.errors import StoreError
    from flowctl.store import open_store

    path = str(tmp_path / "store.json")
    open_store(path, create=True).close()
    store = open_store(path, read_only=True)
    with pytest.raises(StoreError) as refused:
        with store.transaction():
            _add(store, "Алмаз")
    assert refused.value.message == f"could not write to the store {path}: it was opened read-only; nothing was changed"


def test_a_json_writer_waits_on_the_lock_file_beside_the_store_and_names_the_store_when_busy(tmp_path, monkeypatch):
    import fcntl
    import threading

    from flowctl.errors import StoreError
    from flowctl.store import open_store

    path = str(tmp_path / "store.json")
    open_store(path, create=True).close()
    monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", "0.2")
    with open(path + ".lock", "a") as lock:  # what any other writer (or a script) holds while it writes
        fcntl.flock(lock, fcntl.LOCK_EX)
        store = open_store(path)
        with pytest.raises(StoreError) as busy:
            with store.transaction():
                _add(store, "Алмаз")
        assert busy.value.message == f"the store {path} is busy (another command holds it); try again"
        monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", "5")
        patient = open_store(path)
        threading.Timer(0.3, lambda: fcntl.flock(lock, fcntl.LOCK_UN)).start()  # the other writer finishes
        with patient.transaction():  # waits for it, then writes
            _add(patient, "Борис")
    assert _names(open_store(path)) == ["Борис"]


def test_a_json_lock_file_that_cannot_be_opened_is_a_failed_write(tmp_path):
    from flowctl.errors import StoreError
    from flowctl.store import open_store

    path = str(tmp_path / "store.json")
    open_store(path, create=True).close()
    os.remove(path + ".lock")
    os.mkdir(path + ".lock")  # e.g. a sync tool's conflict copy; flowctl cannot open it to lock
    store = open_store(path)
    with pytest.raises(StoreError) as failed:
        with store.transaction():
            _add(store, "Алмаз")
    assert failed.value.message == f"could not write to the store {path}: Is a directory; nothing was changed"


def test_a_migration_that_fails_halfway_leaves_the_store_at_its_old_version_and_says_why(tmp_path, monkeypatch):
    """Migrations run in one transaction: the statements before the failing one are undone too."""
    import flowctl.store.sqlite as backend

    ws = _sqlite(tmp_path, monkeypatch)
    ws.ok("deal", "create")
    before = ws.snapshot()
    monkeypatch.setattr(backend, "MIGRATIONS", [*backend.MIGRATIONS, "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n"
                                                                     "CREATE TABLE contacts (id INTEGER);\n"])
    result = ws.run("deal", "create")
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: could not write to the store {ws.store_path}: table contacts already exists; nothing was "
            "changed\n")
    assert ws.snapshot() == before  # no table notes
    db = sqlite3.connect(ws.store_path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(backend.MIGRATIONS) - 1
    finally:
        db.close()

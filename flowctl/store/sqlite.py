"""The default store: one SQLite file, WAL, foreign keys, a busy timeout, migrations on open.

A file is recognised as a flowctl store (application id, schema version, tables) before anything in it
changes; read commands open it read-only and create no file beside it (see `_connect_read_only`).
"""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from flowctl import messages as M
from flowctl.errors import StoreError, UsageError
from flowctl.store.sql import SqlStore


# Each entry takes the schema from version i to i + 1; never edit a shipped one, append.
MIGRATIONS = [
    """
    CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        fields TEXT NOT NULL,
        phone TEXT,
        created_at TEXT NOT NULL,
        external_id TEXT UNIQUE
    );
    CREATE INDEX contacts_phone ON contacts(phone);
    CREATE TABLE deals (
        id INTEGER PRIMARY KEY,
        pipeline TEXT NOT NULL,
        stage TEXT NOT NULL,
        contact_id INTEGER REFERENCES contacts(id),
        responsible TEXT,
        budget_minor INTEGER,
        lead_date TEXT,
        fields TEXT NOT NULL,
        created_at TEXT NOT NULL,
        stage_since TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        external_id TEXT
    );
    CREATE UNIQUE INDEX deals_external ON deals(pipeline, external_id) WHERE external_id IS NOT NULL;
    CREATE INDEX deals_lead ON deals(pipeline, lead_date);
    CREATE INDEX deals_stage ON deals(pipeline, stage);
    CREATE INDEX deals_responsible ON deals(responsible, stage);
    CREATE INDEX deals_contact ON deals(contact_id);
    CREATE TABLE tasks (
        id INTEGER PRIMARY KEY,
        deal_id INTEGER NOT NULL REFERENCES deals(id),
        type TEXT NOT NULL,
        due TEXT NOT NULL,
        responsible TEXT NOT NULL,
        text TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        stage TEXT,
        result TEXT,
        contact_kind TEXT,
        done_at TEXT
    );
    CREATE INDEX tasks_agenda ON tasks(responsible, status, due);
    CREATE INDEX tasks_deal ON tasks(deal_id, status);
    CREATE INDEX tasks_due ON tasks(status, due);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        deal_id INTEGER REFERENCES deals(id),
        contact_id INTEGER REFERENCES contacts(id),
        task_id INTEGER REFERENCES tasks(id),
        stage_to TEXT,  -- the stage a creation, import or move put the deal in: reports read this
        data TEXT NOT NULL
    );
    CREATE INDEX events_moves ON events(deal_id, id, stage_to, at) WHERE stage_to IS NOT NULL;
    CREATE INDEX events_stage ON events(stage_to, at, deal_id) WHERE stage_to IS NOT NULL;
    CREATE INDEX events_deal ON events(deal_id, id);
    CREATE INDEX events_contact ON events(contact_id, id);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END;
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END;
    """,
    """
    CREATE TABLE publications (
        id INTEGER PRIMARY KEY,  -- the version number
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        digest TEXT NOT NULL,
        content TEXT NOT NULL  -- pipeline files, team, powers and time zone, as published
    );
    CREATE TRIGGER publications_append_only_update BEFORE UPDATE ON publications
        BEGIN SELECT RAISE(ABORT, 'published versions are history'); END;
    CREATE TRIGGER publications_append_only_delete BEFORE DELETE ON publications
        BEGIN SELECT RAISE(ABORT, 'published versions are history'); END;
    """,
]

APPLICATION_ID = 0x464C4F57  # "FLOW" in PRAGMA application_id: this SQLite file is a flowctl store
TABLES = frozenset({"contacts", "deals", "tasks", "events"})
SQLITE_MAGIC = b"SQLite format 3\x00"
# SQLite's SHARED lock on unix is a read lock on these bytes of the database file (os_unix.c: SHARED_FIRST,
# SHARED_SIZE); while any process holds one, no connection can take the EXCLUSIVE lock a checkpoint on close needs
SHARED_LOCK_START, SHARED_LOCK_LENGTH = 0x40000002, 510
# primary result codes (https://sqlite.org/rescode.html)
SQLITE_READONLY, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_NOTADB = 8, 5, 6, 11, 13, 26

def _statements(script: str):
    """Split a migration into statements (executescript would commit the open transaction)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""


class SqliteStore(SqlStore):
    def __init__(self, path: str, busy_seconds: float, *, create: bool, read_only: bool):
        """`create`: a missing (or, for SQLite, empty) file may become a new store; open_store says when."""
        self.location = path
        self._depth = 0
        self._db: sqlite3.Connection | None = None
        self._lock_fd: int | None = None  # the shared lock a read-only connection holds (_connect_read_only)
        self._marked = False  # whether the file carries APPLICATION_ID (see _recognise)
        try:
            self._open(path, busy_seconds, create, read_only)
        except BaseException as error:
            self.close()
            if isinstance(error, sqlite3.Error):
                raise self._error(error) from error
            if isinstance(error, OSError):  # the file or its lock could not be opened
                reason = error.strerror or str(error)
                raise StoreError(M.text("store_damaged", store=self.location, reason=reason)) from error
            raise

    def _open(self, path: str, busy_seconds: float, create: bool, read_only: bool) -> None:
        self._check_header(path)
        if read_only:
            self._db = self._connect_read_only(path, busy_seconds)
        elif os.path.exists(path) and not os.access(path, os.W_OK):
            # SQLite would open it read-only without a word, create -wal and -shm files this user owns (that
            # writers may not be able to use), and only then fail to write
            raise StoreError(M.text("store_write_failed", store=self.location, reason=os.strerror(errno.EACCES)))
        else:
            self._db = sqlite3.connect(path, timeout=busy_seconds, isolation_level=None)
        self._db.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
        self._db.execute("PRAGMA foreign_keys = ON")
        version = self._recognise(create)
        if read_only:
            if version < len(MIGRATIONS):  # upgrading is a write: leave it to the next write command
                raise StoreError(M.text("store_too_old", store=self.location, version=version,
                                        current=len(MIGRATIONS)))
            return
        # The file is ours from here on (or a new one): switching it to WAL changes its format, not its data.
        if self._db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")  # a deal acknowledged is a deal kept
        # Checkpoint only when the last connection closes (a command is one transaction, so the log grows no
        # longer than it did): a read-only reader holding the shared lock then keeps the file still while it reads.
        self._db.execute("PRAGMA wal_autocheckpoint = 0")
        self._migrate(version)

    def _check_header(self, path: str) -> None:
        """Refuse a file that is not an SQLite database before SQLite opens it (an empty file may become one)."""
        try:
            with open(path, "rb") as file:
                magic = file.read(len(SQLITE_MAGIC))
        except FileNotFoundError:
            return  # a new store: open_store has checked that it may be created
        if magic and magic != SQLITE_MAGIC:
            raise StoreError(M.text("store_not_flowctl", store=self.location, reason=M.text("store_not_sqlite")))

    def _recognise(self, create: bool) -> int:
        """The schema version of a flowctl store, read before anything in the file changes; else refuse.

        A store made before flowctl set its application id (id 0, a schema version and our tables) is
        accepted, and gets the id with its next write transaction, not here: marking it on open would be a
        write by a command that may then be refused, or that only reads. An empty database is a new store
        only where one may be created (init, demo, restore).
        """
        application_id = self._db.execute("PRAGMA application_id").fetchone()[0]
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        names = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
        self._marked = application_id == APPLICATION_ID
        if application_id == 0 and version == 0 and not names:
            if not create:
                raise StoreError(M.text("store_not_flowctl", store=self.location, reason=M.text("store_empty")))
        elif not (self._marked or (application_id == 0 and version >= 1 and TABLES <= names)):
            raise StoreError(M.text("store_not_flowctl", store=self.location, reason=M.text("store_foreign_sqlite")))
        if version > len(MIGRATIONS):
            raise StoreError(M.text("store_too_new", store=self.location, version=version))
        return version

    def _connect_read_only(self, path: str, busy_seconds: float) -> sqlite3.Connection:
        """A connection that can neither write the store nor create a file beside it.

        `mode=ro` alone is not enough in WAL mode: SQLite creates the -wal and -shm files when they are
        missing, owned by whoever reads, and leaves them behind; writers who cannot write them are then
        refused until someone deletes them (and in a read-only folder the read itself fails). So:
        - we hold SQLite's shared lock on the file ourselves: no checkpoint can rewrite the file, or delete
          the -wal and -shm, while we read (flowctl writers checkpoint only on close; see _open);
        - with no -wal and no -journal, every committed write is in the file: read it as `immutable`,
          which opens nothing else;
        - with a -wal and its -shm (a writer is at work, or was killed), `mode=ro` reads them, and opens
          the -shm read-only when it may not write it (SQLite ≥ 3.22); with a -journal, `mode=ro` reads
          through it or reports a hot one;
        - a -wal without its -shm is a writer between creating the two, or a -shm deleted by hand: wait
          for the writer, up to the busy timeout, rather than create the -shm ourselves.
        """
        absolute = os.path.abspath(path)
        deadline = time.monotonic() + busy_seconds
        self._lock_fd = os.open(absolute, os.O_RDONLY)
        self._wait(self._shared_lock, deadline, "store_busy")
        wal = absolute + "-wal"
        self._wait(lambda: not os.path.exists(wal) or os.path.exists(absolute + "-shm"), deadline,
                   "store_wal_without_index")
        logged = os.path.exists(wal) or os.path.exists(absolute + "-journal")
        query = "mode=ro" if logged else "mode=ro&immutable=1"
        return sqlite3.connect(f"{Path(absolute).as_uri()}?{query}", uri=True, timeout=busy_seconds,
                               isolation_level=None)

    def _shared_lock(self) -> bool:
        try:
            fcntl.lockf(self._lock_fd, fcntl.LOCK_SH | fcntl.LOCK_NB, SHARED_LOCK_LENGTH, SHARED_LOCK_START)
            return True
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EAGAIN):  # a checkpoint holds the file for a moment
                return False
            raise

    def _wait(self, ready, deadline: float, message_id: str) -> None:
        while not ready():
            if time.monotonic() > deadline:
                raise StoreError(M.text(message_id, store=self.location))
            time.sleep(0.01)

    def _error(self, error: sqlite3.Error) -> StoreError:
        """Busy, damaged, a failed write, or a store that cannot be read: each says which it is."""
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        reason = str(error)
        if code in (SQLITE_BUSY, SQLITE_LOCKED):
            return StoreError(M.text("store_busy", store=self.location))
        if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
            return StoreError(M.text("store_corrupt", store=self.location, reason=reason))
        if self._depth or code in (SQLITE_FULL, SQLITE_READONLY):
            return StoreError(M.text("store_write_failed", store=self.location, reason=reason))
        return StoreError(M.text("store_damaged", store=self.location, reason=reason))

    def _migrate(self, version: int) -> None:
        if version == len(MIGRATIONS):
            return
        with self.transaction():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self):
        if self._depth:  # already inside one: a nested call joins it
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")  # take the write lock now, not halfway through
        except sqlite3.Error as error:
            raise self._error(error) from error
        self._depth = 1
        try:
            if not self._marked:  # a new store, or one from before the mark: marked with its first write
                self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            yield
            self._db.execute("COMMIT")
            self._marked = True
        except BaseException as error:
            if self._db.in_transaction:  # after a full disk or an I/O error SQLite has rolled back already
                with suppress(sqlite3.Error):  # and if ROLLBACK fails too, the first error is the one to tell
                    self._db.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise self._error(error) from error
            raise
        finally:
            self._depth = 0

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _run(self, sql: str, params=()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as error:
            raise self._error(error) from error
        except OverflowError:  # an id past SQLite's 64-bit integers: no such row can exist
            raise UsageError(M.text("number_too_large")) from None

    def _rows(self, sql: str, params=()):
        """A query's rows, one at a time: SQLite reads pages as rows are fetched, so a damaged one can
        surface at any row, and is reported like any other store error."""
        cursor = self._run(sql, params)
        try:
            for row in cursor:  # not `yield from`: closing an abandoned generator must not close a closed cursor
                yield row
        except sqlite3.Error as error:
            raise self._error(error) from error

    # the dialect (see SqlStore) ------------------------------------------------------------
    _MOVES_INDEX = " INDEXED BY events_moves"
    _PATH_AGGREGATE = "group_concat(stage, ' ')"  # in the order of the rows grouped: the CTE orders them

    def _insert(self, table: str, row_id: int | None, columns, values) -> int:
        sql = (f"INSERT INTO {table} (id, {', '.join(columns)}) VALUES ({', '.join('?' * (len(columns) + 1))})")
        return self._run(sql, (row_id, *values)).lastrowid

    def _field_text(self, column: str) -> str:
        return f"json_extract({column}, ?)"

    @staticmethod
    def _field_key(field_id: str) -> str:
        return f"$.{field_id}"

    def _moment(self, column: str) -> str:
        return f"julianday({column})"

    def _seconds(self, later: str, earlier: str) -> str:
        return f"({later} - {earlier}) * 86400.0"

    def integrity_check(self) -> str:
        return self._one("PRAGMA integrity_check")[0]

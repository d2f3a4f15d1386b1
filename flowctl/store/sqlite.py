"""The default store: one SQLite file, WAL, foreign keys, a busy timeout, migrations on open.

A file is recognised as a flowctl store (application id, schema version, tables) before anything in it
changes; read commands open it read-only and create no file beside it (see `_connect_read_only`).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import sqlite3
import time
from contextlib import contextmanager, suppress
from dataclasses import fields as dataclass_fields
from pathlib import Path

from flowctl import messages as M
from flowctl.errors import StoreError, UsageError
from flowctl.fields import money_minor
from flowctl.store.base import (ROW_KINDS, Contact, Deal, DealQuery, Event, Store, Task, TaskQuery, entered_stage,
                                row_fault)


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
]

APPLICATION_ID = 0x464C4F57  # "FLOW" in PRAGMA application_id: this SQLite file is a flowctl store
TABLES = frozenset({"contacts", "deals", "tasks", "events"})
SQLITE_MAGIC = b"SQLite format 3\x00"
# SQLite's SHARED lock on unix is a read lock on these bytes of the database file (os_unix.c: SHARED_FIRST,
# SHARED_SIZE); while any process holds one, no connection can take the EXCLUSIVE lock a checkpoint on close needs
SHARED_LOCK_START, SHARED_LOCK_LENGTH = 0x40000002, 510
# primary result codes (https://sqlite.org/rescode.html)
SQLITE_READONLY, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_NOTADB = 8, 5, 6, 11, 13, 26

_DEAL_SORT = {  # deals without a budget come last either way; ties go by id in the same direction
    "id": "id {dir}", "budget": "budget_minor IS NULL, budget_minor {dir}, id {dir}",
    "lead_date": "lead_date {dir}, id {dir}", "stage_since": "stage_since {dir}, id {dir}",
    "updated": "updated_at {dir}, id {dir}",
}


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _statements(script: str):
    """Split a migration into statements (executescript would commit the open transaction)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""


def _minor(money: str | None) -> int | None:
    return None if money in (None, "") else money_minor(money)


class SqliteStore(Store):
    def __init__(self, path: str, busy_seconds: float = 5.0, create: bool = True, read_only: bool = False):
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

    def _one(self, sql: str, params=()):
        return next(self._rows(sql, params), None)

    # contacts ---------------------------------------------------------------------------
    _CONTACT_COLUMNS = "id, fields, created_at, external_id"

    def _checked(self, cls, values: tuple, json_column: int | None = None):
        """A row built from its columns (its JSON column parsed): a hand-edited row is a damaged store, not a crash."""
        values = tuple(values)
        if json_column is not None:
            try:
                values = (*values[:json_column], json.loads(values[json_column]), *values[json_column + 1:])
            except (TypeError, ValueError) as error:
                column = [f.name for f in dataclass_fields(cls)][json_column]
                fault = M.text("store_row_json", kind=ROW_KINDS[cls], id=values[0], column=column, reason=error)
                raise StoreError(M.text("store_corrupt", store=self.location, reason=fault)) from None
        row = cls(*values)
        fault = row_fault(row)
        if fault:
            raise StoreError(M.text("store_corrupt", store=self.location, reason=fault))
        return row

    def _contact(self, row) -> Contact:
        return self._checked(Contact, row, 1)

    def add_contact(self, contact: Contact) -> int:
        cur = self._run("INSERT INTO contacts (id, fields, phone, created_at, external_id) VALUES (?, ?, ?, ?, ?)",
                        (contact.id, _dumps(contact.fields), contact.fields.get("phone"), contact.created_at,
                         contact.external_id))
        return cur.lastrowid

    def _one_contact(self, where: str, value) -> Contact | None:
        row = self._one(f"SELECT {self._CONTACT_COLUMNS} FROM contacts WHERE {where} = ? ORDER BY id LIMIT 1",
                        (value,))
        return self._contact(row) if row else None

    def get_contact(self, contact_id: int) -> Contact | None:
        return self._one_contact("id", contact_id)

    def contact_by_phone(self, phone: str) -> Contact | None:
        return self._one_contact("phone", phone)

    def contact_by_external_id(self, external_id: str) -> Contact | None:
        return self._one_contact("external_id", external_id)

    def update_contact(self, contact: Contact) -> None:
        self._run("UPDATE contacts SET fields = ?, phone = ?, external_id = ? WHERE id = ?",
                  (_dumps(contact.fields), contact.fields.get("phone"), contact.external_id, contact.id))

    def list_contacts(self) -> list[Contact]:
        return [self._contact(r) for r in self._rows(f"SELECT {self._CONTACT_COLUMNS} FROM contacts ORDER BY id")]

    # deals ------------------------------------------------------------------------------
    _DEAL_COLUMNS = "id, pipeline, stage, fields, contact_id, created_at, stage_since, updated_at, external_id"

    def _deal(self, row) -> Deal:
        return self._checked(Deal, row, 3)

    @staticmethod
    def _deal_values(deal: Deal) -> tuple:
        return (deal.pipeline, deal.stage, deal.contact_id, deal.responsible, _minor(deal.budget),
                deal.fields.get("lead_date"), _dumps(deal.fields), deal.created_at, deal.stage_since, deal.updated_at,
                deal.external_id)

    def add_deal(self, deal: Deal) -> int:
        cur = self._run("INSERT INTO deals (id, pipeline, stage, contact_id, responsible, budget_minor, lead_date,"
                        " fields, created_at, stage_since, updated_at, external_id)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (deal.id, *self._deal_values(deal)))
        return cur.lastrowid

    def external_ids(self, pipeline: str) -> dict[str, int]:
        return dict(self._rows("SELECT external_id, id FROM deals WHERE pipeline = ? AND external_id IS NOT NULL",
                               (pipeline,)))

    def get_deal(self, deal_id: int) -> Deal | None:
        row = self._one(f"SELECT {self._DEAL_COLUMNS} FROM deals WHERE id = ?", (deal_id,))
        return self._deal(row) if row else None

    def update_deal(self, deal: Deal) -> None:
        self._run("UPDATE deals SET pipeline = ?, stage = ?, contact_id = ?, responsible = ?, budget_minor = ?,"
                  " lead_date = ?, fields = ?, created_at = ?, stage_since = ?, updated_at = ?, external_id = ?"
                  " WHERE id = ?",
                  self._deal_values(deal) + (deal.id,))

    def _deal_filter(self, query: DealQuery) -> tuple[str, list]:
        where, params = [], []
        for column, value in (("pipeline", query.pipeline), ("responsible", query.responsible),
                              ("contact_id", query.contact_id)):
            if value is not None and value != "":
                where.append(f"{column} = ?")
                params.append(value)
        if query.stages:
            where.append(f"stage IN ({', '.join('?' * len(query.stages))})")
            params += list(query.stages)
        for condition, value in (("stage_since < ?", query.entered_before), ("lead_date >= ?", query.lead_from),
                                 ("lead_date <= ?", query.lead_to)):
            if value is not None:
                where.append(condition)
                params.append(value)
        if query.missing_any:
            where.append("(" + " OR ".join("COALESCE(json_extract(fields, ?), '') = ''" for _ in query.missing_any) + ")")
            params += [f"$.{f}" for f in query.missing_any]
        return (f" WHERE {' AND '.join(where)}" if where else ""), params

    def list_deals(self, query: DealQuery) -> list[Deal]:
        where, params = self._deal_filter(query)
        order = _DEAL_SORT[query.sort].format(dir="DESC" if query.descending else "ASC")
        sql = f"SELECT {self._DEAL_COLUMNS} FROM deals{where} ORDER BY {order}"
        if query.limit is not None:
            sql += " LIMIT ?"
            params.append(query.limit)
        return [self._deal(r) for r in self._rows(sql, params)]

    def iter_deals(self):
        for row in self._rows(f"SELECT {self._DEAL_COLUMNS} FROM deals ORDER BY id"):
            yield self._deal(row)

    def pipelines_in_use(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT pipeline FROM deals ORDER BY pipeline")]

    def count_deals(self, query: DealQuery) -> int:
        where, params = self._deal_filter(query)
        return self._one(f"SELECT COUNT(*) FROM deals{where}", params)[0]

    # tasks ------------------------------------------------------------------------------
    _TASK_FIELDS = ("deal_id", "type", "due", "responsible", "text", "status", "created_at", "created_by", "stage",
                    "result", "contact_kind", "done_at")

    def _task(self, row) -> Task:
        return self._checked(Task, row)

    def add_task(self, task: Task) -> int:
        values = [task.id] + [getattr(task, f) for f in self._TASK_FIELDS]
        cur = self._run(f"INSERT INTO tasks (id, {', '.join(self._TASK_FIELDS)}) VALUES ({', '.join('?' * len(values))})",
                        values)
        return cur.lastrowid

    def get_task(self, task_id: int) -> Task | None:
        row = self._one(f"SELECT id, {', '.join(self._TASK_FIELDS)} FROM tasks WHERE id = ?", (task_id,))
        return self._task(row) if row else None

    def update_task(self, task: Task) -> None:
        sets = ", ".join(f"{f} = ?" for f in self._TASK_FIELDS)
        self._run(f"UPDATE tasks SET {sets} WHERE id = ?", [getattr(task, f) for f in self._TASK_FIELDS] + [task.id])

    def list_tasks(self, query: TaskQuery) -> list[Task]:
        where, params = [], []
        if query.deal_ids:
            where.append(f"deal_id IN ({', '.join('?' * len(query.deal_ids))})")
            params += list(query.deal_ids)
        for column, value, op in (("responsible", query.responsible, "="), ("status", query.status, "="),
                                  ("due", query.due_before, "<"), ("due", query.due_from, ">=")):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        sql = f"SELECT id, {', '.join(self._TASK_FIELDS)} FROM tasks"
        sql += f" WHERE {' AND '.join(where)}" if where else ""
        sql += " ORDER BY due, id"
        if query.limit is not None:
            sql += " LIMIT ?"
            params.append(query.limit)
        return [self._task(r) for r in self._rows(sql, params)]

    def open_tasks_with_deals(self, responsible: str | None, due_before: str) -> list[tuple[Task, Deal]]:
        task_cols = ", ".join(f"t.{f}" for f in ("id",) + self._TASK_FIELDS)
        deal_cols = ", ".join(f"d.{c.strip()}" for c in self._DEAL_COLUMNS.split(","))
        sql = (f"SELECT {task_cols}, {deal_cols} FROM tasks t JOIN deals d ON d.id = t.deal_id"
               " WHERE t.status = 'open' AND t.due < ?")
        params: list = [due_before]
        if responsible is not None:
            sql += " AND t.responsible = ?"
            params.append(responsible)
        width = 1 + len(self._TASK_FIELDS)
        return [(self._task(r[:width]), self._deal(r[width:])) for r in self._rows(sql + " ORDER BY t.due, t.id", params)]

    def deals_without_open_task(self, stages, responsible):
        found = []
        for pipeline, stage_ids in stages.items():
            sql = (f"SELECT {self._DEAL_COLUMNS}, (SELECT MAX(done_at) FROM tasks t WHERE t.deal_id = deals.id)"
                   f" FROM deals WHERE pipeline = ? AND stage IN ({', '.join('?' * len(stage_ids))})"
                   " AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.deal_id = deals.id AND t.status = 'open')")
            params = [pipeline, *stage_ids]
            if responsible is not None:
                sql += " AND responsible = ?"
                params.append(responsible)
            for row in self._rows(sql, params):
                deal = self._deal(row[:9])
                found.append((deal, max(deal.stage_since, row[9] or "")))
        return sorted(found, key=lambda pair: pair[0].id)

    # history ----------------------------------------------------------------------------
    def add_event(self, event: Event) -> int:
        cur = self._run("INSERT INTO events (id, at, actor, kind, deal_id, contact_id, task_id, stage_to, data)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (event.id, event.at, event.actor, event.kind, event.deal_id, event.contact_id, event.task_id,
                         entered_stage(event), _dumps(event.data)))
        return cur.lastrowid

    def events(self, deal_id: int | None = None, contact_id: int | None = None) -> list[Event]:
        where, params = [], []
        if deal_id is not None:
            where.append("deal_id = ?")
            params.append(deal_id)
        if contact_id is not None:
            where.append("contact_id = ?")
            params.append(contact_id)
        sql = "SELECT id, at, actor, kind, deal_id, contact_id, task_id, data FROM events"
        sql += f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._rows(sql + " ORDER BY id", params)
        return [self._checked(Event, r, 7) for r in rows]

    # report aggregates ----------------------------------------------------------------------
    @staticmethod
    def _lead_period(lead_from, lead_to, column: str = "lead_date") -> tuple[str, list]:
        sql, params = "", []
        if lead_from:
            sql += f" AND {column} >= ?"
            params.append(lead_from)
        if lead_to:
            sql += f" AND {column} <= ?"
            params.append(lead_to)
        return sql, params

    def deal_counts(self, pipeline, lead_from, lead_to):
        period, params = self._lead_period(lead_from, lead_to)
        sql = ("SELECT stage, COALESCE(responsible, ''), COUNT(*), COALESCE(SUM(budget_minor), 0) FROM deals"
               f" WHERE pipeline = ?{period} GROUP BY stage, responsible")
        return [tuple(r) for r in self._rows(sql, [pipeline, *params])]

    def _entries_sql(self, pipeline, lead_from, lead_to) -> tuple[str, list]:
        """A CTE `entries(deal_id, id, stage, at)`: every stage entry of the period's deals, in deal then time order."""
        period, params = self._lead_period(lead_from, lead_to, "d.lead_date")
        return ("entries AS (SELECT e.deal_id, e.id, e.stage_to AS stage, e.at FROM events e INDEXED BY events_moves"
                f" JOIN deals d ON d.id = e.deal_id WHERE e.stage_to IS NOT NULL AND d.pipeline = ?{period}"
                " ORDER BY e.deal_id, e.id)", [pipeline, *params])

    def stage_paths(self, pipeline, lead_from, lead_to):
        entries, params = self._entries_sql(pipeline, lead_from, lead_to)
        # a few dozen distinct paths, whatever the number of deals: the counting happens here
        sql = (f"WITH {entries} SELECT path, COUNT(*) FROM"
               " (SELECT group_concat(stage, ' ') AS path FROM entries GROUP BY deal_id) GROUP BY path")
        return [(tuple(path.split(" ")), count) for path, count in self._rows(sql, params)]

    def stage_stays(self, pipeline, lead_from, lead_to):
        entries, params = self._entries_sql(pipeline, lead_from, lead_to)
        sql = (f"WITH {entries},"
               # a stay is never negative, even where a clock was set back between two moves (NULL stays NULL)
               " stays AS (SELECT stage, MAX(0, (julianday(LEAD(at) OVER (PARTITION BY deal_id ORDER BY id))"
               " - julianday(at)) * 86400.0) AS seconds FROM entries),"
               " ranked AS (SELECT stage, seconds, ROW_NUMBER() OVER (PARTITION BY stage ORDER BY seconds) AS rank,"
               " COUNT(*) OVER (PARTITION BY stage) AS n FROM stays WHERE seconds IS NOT NULL)"
               # nearest rank: the first value whose rank reaches share·n
               " SELECT stage, MAX(n), MIN(CASE WHEN rank >= n * 0.5 THEN seconds END),"
               " MIN(CASE WHEN rank >= n * 0.9 THEN seconds END) FROM ranked GROUP BY stage")
        return {stage: (n, round(median), round(p90)) for stage, n, median, p90 in self._rows(sql, params)}

    def entries_between(self, pipeline, stages, at_from, at_to):
        sql = ("SELECT DISTINCT d.id, COALESCE(d.responsible, ''), COALESCE(d.budget_minor, 0)"
               " FROM events e JOIN deals d ON d.id = e.deal_id"
               f" WHERE e.stage_to IN ({', '.join('?' * len(stages))}) AND e.at >= ? AND e.at < ? AND d.pipeline = ?")
        return [tuple(r) for r in self._rows(sql, [*stages, at_from, at_to, pipeline])]

    def task_counts(self, done_from, done_to, now):
        done, params = "", []
        if done_from:
            done += " AND done_at >= ?"
            params.append(done_from)
        if done_to:
            done += " AND done_at < ?"
            params.append(done_to)
        sql = (f"SELECT responsible, SUM(status = 'done'{done}), SUM(status = 'open' AND due < ?)"
               " FROM tasks GROUP BY responsible")
        return [(r[0], r[1] or 0, r[2] or 0) for r in self._rows(sql, [*params, now])]

    def integrity_check(self) -> str:
        return self._one("PRAGMA integrity_check")[0]

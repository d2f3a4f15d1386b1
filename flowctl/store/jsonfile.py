"""A JSON file store, for teams that want their data in git.

One human-readable file with sorted keys and one row per line (so it diffs well). Every mutating
command holds an exclusive lock on `<file>.lock`, re-reads the file, and writes the whole new
state to a temporary file that is fsynced and renamed over the old one: a reader sees the old
file or the new one, never half of one, and two commands at once never lose either's write.

The file is read as bytes and never decoded whole: a row stays the bytes of its line until
something reads it (it is then decoded, parsed and checked like any row, however long it stayed
bytes), and the new file is the old one's bytes with the changed lines put in, written from views
of the bytes read, so a command that touches one deal of thousands decodes, parses and encodes that
deal, not the file (a store of 2,000 deals and 20,000 history events is ~8 MB of JSON). Only the
small keys (format, version, next_id, publications) are parsed on every read; a file in any other
layout (a hand edit that pretty-printed it, CRLF line ends) is decoded and parsed whole, and
written back in this one.
"""

from __future__ import annotations

import fcntl
import json
import mmap
import os
import re
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flowctl import messages as M
from flowctl.errors import StoreError
from flowctl.fields import money_minor
from flowctl.store.base import (ROW_KINDS, Contact, Deal, DealQuery, Event, Publication, Store, Task, TaskQuery,
                                deal_matches, deal_sort_key, entered_stage, row_fault, row_kind, stays_of)

FORMAT = "flowctl-store"
VERSION = 2  # 2: published versions of the rules ("publications"); a version 1 file gains an empty list
TABLES = ("contacts", "deals", "tasks")
MAX_BYTES = 1 << 30  # 1 GiB, read at most: far past where SQLite serves better (README), and a bound on any read


def _empty() -> dict:
    return {"format": FORMAT, "version": VERSION, "next_id": {t: 1 for t in TABLES + ("events",)},
            "contacts": {}, "deals": {}, "tasks": {}, "events": [], "publications": []}


ADDED_IN = {"publications": 2}  # keys a file of an older version lacks
KEYS = tuple(sorted(_empty()))  # the file's keys in the order it holds them
HEAD = KEYS[:KEYS.index("events") + 1]  # found from the start of the file; the rest from its end (split_sections)


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # the C encoder; indent= would not use it
SPLICED_AT_MOST = 64  # changed rows put into a section's text one by one; more rewrite the section in one pass
_TABLE_ROW = re.compile(rb'^  "(\d+)": (.*?),?$', re.MULTILINE)
_EVENT_ROW = re.compile(rb"^  (.*?),?$", re.MULTILINE)


def _encoded(value) -> bytes:
    """A row or value as the file holds it: a row not parsed since it was read is its line's bytes as they were."""
    return value if isinstance(value, bytes) else _ENCODER.encode(value).encode("utf-8")


def _table_line(key: str, row) -> bytes:
    return b'  %s: %s' % (_ENCODER.encode(key).encode("utf-8"), _encoded(row))


@dataclass
class Section:
    """A table or the event list still as the bytes the file holds (`data[start:end]`, "{...}" or "[...]", its rows
    one a line): split and parsed only when a command reads it.

    `added` holds events appended meanwhile (the history is append-only, so its old lines never change);
    `changed` table rows written meanwhile, new or replaced, by id.
    """

    data: bytes  # the whole file as read (or the mmap buffer _read_all filled: the same find, rfind and slices)
    start: int
    end: int
    added: list = field(default_factory=list)  # events appended
    changed: dict = field(default_factory=dict)  # table rows written (new or replaced), by id

    @property
    def empty(self) -> bool:
        return self.end - self.start == 2  # "{}" or "[]"

    def rows(self) -> dict:
        return {**{key.decode(): row for key, row in _TABLE_ROW.findall(self.data, self.start, self.end)},
                **self.changed}

    def events(self) -> list:
        return [row for row in _EVENT_ROW.findall(self.data, self.start, self.end) if row] + self.added

    def _line_of(self, key: str) -> int:
        """Where the line of row `key` starts (after its newline), or -1."""
        found = self.data.find(b'\n  "%s": ' % key.encode(), self.start, self.end)
        return found + 1 if found >= 0 else -1

    def row(self, key: str):
        """One row (its line's bytes, or the row written meanwhile), found without splitting the section."""
        if key in self.changed:
            return self.changed[key]
        line = self._line_of(key)
        if line < 0:
            return None
        end = self.data.find(b"\n", line, self.end)
        return self.data[line + len(key) + 6: end].removesuffix(b",")

    def last_key(self) -> int:
        found = self.data.rfind(b'\n  "', self.start, self.end)
        if found < 0:
            return 0
        closing = self.data.find(b'"', found + 4, self.end)
        return int(self.data[found + 4: closing if closing >= 0 else found + 4])  # no closing quote: int(b"") fails

    def last_line(self) -> bytes:
        """The last row's bytes (b"" for an empty section)."""
        found = self.data.rfind(b"\n  ", self.start, self.end)
        return self.data[found + 3: self.end - 3] if found >= 0 else b""

    def parts(self) -> list:
        """The section's bytes with its changes put in, in pieces: the file's own bytes between them are views, not
        copies. A replaced row takes its old line's place; new rows go last (ids only grow)."""
        view = memoryview(self.data)
        if self.added:  # events: the old lines stay as they are, the history only grows
            added = b",\n".join(b"  " + _encoded(e) for e in self.added)
            if self.empty:
                return [b"[\n", added, b"\n ]"]
            return [view[self.start:self.end - 3], b",\n", added, b"\n ]"]
        if not self.changed:
            return [view[self.start:self.end]]
        if len(self.changed) > SPLICED_AT_MOST:  # each changed row is looked for in the section: past a few, one pass
            return self._rewritten()
        in_place, new = [], []
        for key in self.changed:
            line = self._line_of(key)
            (in_place.append((line, key)) if line >= 0 else new.append(key))
        new.sort(key=int)
        if new and not self.empty and int(new[0]) <= self.last_key():  # not from flowctl, whose ids only grow
            return self._rewritten()
        parts, at = [], self.start
        for line, key in sorted(in_place):
            end = self.data.find(b"\n", line, self.end)  # a non-empty section ends "\n }": always found
            if self.data[end - 1] == ord(","):
                end -= 1
            parts += [view[at:line], _table_line(key, self.changed[key])]
            at = end
        if not new:
            return parts + [view[at:self.end]]
        lines = b",\n".join(_table_line(key, self.changed[key]) for key in new)
        if self.empty:
            return [b"{\n", lines, b"\n }"]
        return parts + [view[at:self.end - 3], b",\n", lines, b"\n }"]

    def _rewritten(self) -> list:
        """The section as a whole new text, its rows sorted by id: those nobody read still copied as they were."""
        rows = sorted(self.rows().items(), key=lambda item: int(item[0]))
        return [b"{\n", b",\n".join(_table_line(key, row) for key, row in rows), b"\n }"]


def serialize(data: dict) -> str:
    """Sorted keys and one row per line: a change to one deal is a one-line diff in git."""
    return b"".join(serialized_parts(data)).decode("utf-8")


def serialized_parts(data: dict):
    """serialize() in pieces (bytes, or views of the file read), to be written without joining megabytes first.

    Sections nobody read are written back as they were; rows still held as bytes likewise; parsed rows are encoded.
    """

    def block(opening: bytes, closing: bytes, lines: list[bytes]) -> list:
        if not lines:
            return [opening + closing]
        return [opening + b"\n", b",\n".join(lines), b"\n " + closing]

    keys = sorted(data)
    yield b"{\n"
    for position, key in enumerate(keys):
        value = data[key]
        yield b" %s: " % _ENCODER.encode(key).encode("utf-8")
        if isinstance(value, Section):
            yield from value.parts()
        elif key in TABLES:
            rows = sorted(value.items(), key=lambda item: int(item[0]))
            yield from block(b"{", b"}", [_table_line(k, v) for k, v in rows])
        elif key == "events":
            yield from block(b"[", b"]", [b"  " + _encoded(e) for e in value])
        else:
            yield _encoded(value)
        yield b",\n" if position < len(keys) - 1 else b"\n"
    yield b"}\n"


def _section(data: bytes, key: str, start: int, end: int) -> Section | None:
    """The table or event list at data[start:end] if it is laid out as serialize() writes it, one row a line."""
    opening, closing = (b"[", b"]") if key == "events" else (b"{", b"}")
    if end - start == 2 and data[start:end] == opening + closing:
        return Section(data, start, end)
    if not (data[start:start + 4] == opening + b"\n  " and data[end - 3:end] == b"\n " + closing):
        return None
    first_row_end = data.find(b"\n", start + 2, end)
    first_row = data[start + 2:first_row_end].removesuffix(b",")
    if not (first_row.startswith(b"  {" if key == "events" else b'  "') and first_row.endswith(b"}")):
        return None  # rows spread over lines: not this layout
    return Section(data, start, end)


def split_sections(data: bytes) -> dict | None:
    """The file as serialize() writes it, its tables and events kept as bytes. None for any other layout (a hand
    edit may pretty-print the file: it is then read whole, and written back in this layout).

    The keys are few and known, in sorted order: the first are found from the start and the rest from the end, so
    the history between them, the bulk of the file, is never scanned (a row is one line: no row holds a key's line).
    """
    if data[:2] != b"{\n" or data[-3:] != b"\n}\n":
        return None
    marks: list[tuple[int, str]] = []
    at = 0
    for key in HEAD:
        found = data.find(b'\n "%s": ' % key.encode(), at)
        if found < 0:
            return None
        marks.append((found, key))
        at = found + 1
    tail, before = [], len(data) - 2
    for key in reversed(KEYS[len(HEAD):]):
        found = data.rfind(b'\n "%s": ' % key.encode(), at, before)
        if found < 0 and key in ADDED_IN:
            continue  # an older file: _load adds it
        if found < 0:
            return None
        tail.append((found, key))
        before = found
    marks += reversed(tail)
    if marks[0][0] != 1:
        return None  # something before the first key
    out: dict = {}
    for (start, key), (following, _) in zip(marks, marks[1:] + [(len(data) - 2, None)]):
        value_start, value_end = start + len(key) + 6, following
        while value_end > value_start and data[value_end - 1] in b" \t\r\n":
            value_end -= 1
        if data[value_end - 1] == ord(","):
            value_end -= 1
        if key in TABLES + ("events",):
            section = _section(data, key, value_start, value_end)
            if section is None:
                return None
            out[key] = section
        else:
            out[key] = json.loads(data[value_start:value_end].decode("utf-8"))
    return out


_NAMES = {cls: frozenset(cls.field_names) for cls in ROW_KINDS}


def _read_all(fd: int, size: int) -> mmap.mmap | bytes:
    """`size` bytes from `fd`, read into memory the system may back with huge pages: faulting in a new buffer 4 KiB at
    a time was most of a big store's read (128 MB: 110 ms, in 2 MiB pages 30 ms). Only find, rfind, slices, indexing
    and the buffer protocol are used on it, which bytes and mmap share."""
    if size == 0:
        return b""
    buffer = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)  # anonymous: nothing of the file is mapped
    if hasattr(mmap, "MADV_HUGEPAGE"):  # Linux; elsewhere (or THP off) the same buffer in small pages
        try:
            buffer.madvise(mmap.MADV_HUGEPAGE)
        except OSError:
            pass
    got = 0
    with memoryview(buffer) as view:
        while got < size:
            read = os.readv(fd, [view[got:]])
            if read == 0:
                break  # shorter than it was a moment ago: what there is (a hand edit in place) is checked as any file
            got += read
    return buffer if got == size else buffer[:got]


class JsonFileStore(Store):
    def __init__(self, path: str, busy_seconds: float, *, create: bool, read_only: bool):
        """`create`: a missing (or, for SQLite, empty) file may become a new store; open_store says when."""
        self.location = path
        self._busy_seconds = busy_seconds
        self._read_only = read_only  # reads never lock nor write: a writer renames a whole new file into place
        self._path = Path(path).resolve()  # write through a symlink, not over it
        self._data: dict | None = None
        self._stamp: tuple | None = None  # which version of the file _data was read from
        self._in_transaction = False
        if create and not self._path.exists():
            with self.transaction():
                pass  # creates the file, so that an empty store is a real, valid file
        else:
            self._load()

    # file handling -----------------------------------------------------------------------
    def _file_stamp(self) -> tuple | None:
        """Every write renames a new file into place, so inode, size and mtime name one version of the store."""
        try:
            info = self._path.stat()
        except FileNotFoundError:
            return None
        return info.st_ino, info.st_size, info.st_mtime_ns

    def _load(self) -> dict:
        stamp = self._file_stamp()
        if self._data is not None and stamp is not None and stamp == self._stamp:
            return self._data  # already read this very version (open, then a transaction)
        try:
            raw = self._read() if stamp else None
            data = (split_sections(raw) or self._parse_whole(raw[:])) if raw is not None else _empty()
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:  # the system's words, as SQLite's store
            reason = (error.strerror if isinstance(error, OSError) else None) or str(error)
            raise StoreError(M.text("store_damaged", store=self.location, reason=reason)) from error
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise StoreError(M.text("store_not_flowctl", store=self.location, reason=M.text("store_not_json_store")))
        version = data.get("version")
        if not isinstance(version, int):
            raise StoreError(M.text("store_damaged", store=self.location, reason="no format version"))
        if version > VERSION:
            raise StoreError(M.text("store_too_new", store=self.location, version=version))
        for key, since in ADDED_IN.items():  # upgraded in memory; written so by the next write, never by a read
            if version < since:
                data[key] = _empty()[key]
        data["version"] = VERSION
        shapes = {"contacts": (dict, Section), "deals": (dict, Section), "tasks": (dict, Section),
                  "events": (list, Section), "next_id": dict, "publications": list}
        broken = [key for key, kind in shapes.items() if not isinstance(data.get(key), kind)]
        if broken:
            raise StoreError(M.text("store_damaged", store=self.location, reason=f"bad or missing {', '.join(broken)}"))
        try:
            for table in TABLES:  # a merge or a hand edit may leave next_id behind the rows: never reuse an id
                rows = data[table]
                taken = rows.last_key() if isinstance(rows, Section) else max((int(k) for k in rows), default=0)
                data["next_id"][table] = max(int(data["next_id"].get(table, 1)), taken + 1)
            events = data["events"]
            tail = events.last_line() if isinstance(events, Section) else (events[-1] if events else None)
            last_event = self._decode(tail) if tail else {}  # events are in id order
            data["next_id"]["events"] = max(int(data["next_id"].get("events", 1)), last_event.get("id", 0) + 1)
        except (ValueError, TypeError, AttributeError) as error:
            raise StoreError(M.text("store_damaged", store=self.location, reason=str(error))) from error
        self._data, self._stamp = data, stamp
        return data

    def _parse_whole(self, raw: bytes):
        """A file not in serialize()'s layout (a hand edit, or not a store at all), decoded and parsed whole."""
        if not raw or raw.isspace():
            raise StoreError(M.text("store_not_flowctl", store=self.location, reason=M.text("store_empty")))
        return json.loads(raw.decode("utf-8"))

    def _read(self) -> mmap.mmap | bytes:
        """The file's bytes; refused unread if it is not a regular file or is larger than MAX_BYTES."""
        fd = os.open(self._path, os.O_RDONLY | os.O_NONBLOCK)  # a pipe must not block the open
        with open(fd, "rb"):  # closes fd, however this ends
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):  # swapped for a device or pipe since open_store looked
                raise StoreError(M.text("store_not_file", store=self.location))
            if info.st_size > MAX_BYTES:
                raise StoreError(M.text("store_too_large", store=self.location, limit=MAX_BYTES))
            return _read_all(fd, info.st_size)  # writers replace the file, never grow it

    def _io_error(self, error: OSError) -> StoreError:
        """Locking and writing are the file operations that can fail here: either is a failed write."""
        return StoreError(M.text("store_write_failed", store=self.location, reason=error.strerror or str(error)))

    def _write(self, data: dict) -> None:
        try:
            self._replace_file(data)
        except OSError as error:
            raise self._io_error(error) from error

    def _replace_file(self, data: dict) -> None:
        import tempfile  # only a write needs it: a read command does not pay for its import

        folder = self._path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self._path.name}.", suffix=".tmp", dir=folder)
        try:
            os.fchmod(fd, self._mode())  # mkstemp makes 0600; keep the file readable as it was
            with os.fdopen(fd, "wb") as out:
                out.writelines(serialized_parts(data))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self._path)
            self._stamp = self._file_stamp()
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a crash
        finally:
            os.close(dir_fd)

    def _remove_stale_temp_files(self) -> None:
        """A writer killed between writing its temp file and renaming it leaves the file behind; under the
        lock no other writer is mid-write, so any such file is debris."""
        for stale in self._path.parent.glob(f".{self._path.name}.*.tmp"):
            stale.unlink(missing_ok=True)

    def _mode(self) -> int:
        try:
            return stat.S_IMODE(self._path.stat().st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            return 0o666 & ~umask

    @contextmanager
    def _lock(self):
        lock_path = self._path.with_name(self._path.name + ".lock")
        try:
            lock = open(lock_path, "a")
        except OSError as error:
            raise self._io_error(error) from error
        with lock:
            deadline = time.monotonic() + self._busy_seconds
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreError(M.text("store_busy", store=self.location))
                    time.sleep(0.01)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def transaction(self):
        if self._read_only:  # a read command asked to write: refuse as SQLite's read-only connection does
            raise StoreError(M.text("store_write_failed", store=self.location, reason=M.text("store_opened_read_only")))
        if self._in_transaction:
            yield
            return
        with self._lock():
            self._remove_stale_temp_files()
            self._load()  # under the lock: whatever another command wrote before us is in
            self._in_transaction = True
            try:
                yield
                self._write(self._data)
            except BaseException:
                self._data = self._stamp = None  # changed in memory only: forget it, the file is as it was
                raise
            finally:
                self._in_transaction = False

    def close(self) -> None:
        self._data = None

    @property
    def _state(self) -> dict:
        return self._data if self._data is not None else self._load()

    def _row(self, cls, data: dict):
        if not isinstance(data, dict):  # a file read whole (not in serialize()'s layout) may hold anything as a row
            raise StoreError(M.text("store_damaged", store=self.location, reason="a row is not an object"))
        try:
            row = cls(**{k: v for k, v in data.items() if k in _NAMES[cls]})
        except TypeError:  # only a missing key fails here: the names are filtered
            missing = ", ".join(f"'{name}'" for name in cls.required_names() if name not in data)
            reason = M.text("store_row_lacks", kind=row_kind(cls), id=data.get("id", "?"), keys=missing)
            raise StoreError(M.text("store_corrupt", store=self.location, reason=reason)) from None
        fault = row_fault(row)
        if fault:
            raise StoreError(M.text("store_corrupt", store=self.location, reason=fault))
        return row

    def _decode(self, value):
        """A row as read: the bytes of its line are decoded and parsed here, so a row is checked whenever it is read,
        however long it stayed unread."""
        if not isinstance(value, bytes):
            return value
        try:
            row = json.loads(value.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise StoreError(M.text("store_damaged", store=self.location, reason=f"a row: {error}")) from error
        if not isinstance(row, dict):
            raise StoreError(M.text("store_damaged", store=self.location, reason="a row is not an object"))
        return row

    def _rows(self, table: str) -> dict:
        """The table as {id: row bytes or parsed row}, its section split into rows on first use."""
        rows = self._state[table]
        if isinstance(rows, Section):
            rows = self._state[table] = rows.rows()
        return rows

    def _table(self, table: str, needle: bytes | None = None) -> list[dict]:
        """Every row of a table, parsed (and kept parsed); with `needle`, only rows whose bytes hold it."""
        rows = self._rows(table)
        out = []
        for key, value in rows.items():
            if isinstance(value, bytes):
                if needle is not None and needle not in value:
                    continue
                rows[key] = value = self._decode(value)
            out.append(value)
        return out

    def _events(self, needles: tuple[bytes, ...] = ()) -> list[dict]:
        events = self._state["events"]
        if isinstance(events, Section):
            events = self._state["events"] = events.events()
        out = []
        for index, value in enumerate(events):
            if isinstance(value, bytes):
                if needles and not any(n in value for n in needles):
                    continue
                events[index] = value = self._decode(value)
            out.append(value)
        return out

    def _insert(self, table: str, row) -> int:
        state = self._state
        if row.id is None:
            row.id = state["next_id"][table]
        state["next_id"][table] = max(state["next_id"][table], row.id + 1)
        if table == "events":
            events = state["events"]
            (events.added if isinstance(events, Section) else events).append(row.as_dict())  # no need to read the old
        else:
            self._replace(table, row)
        return row.id

    def _get(self, table: str, cls, row_id: int):
        rows = self._state[table]
        if isinstance(rows, Section):  # one row wanted: read its line, leave the rest of the section as bytes
            found = rows.row(str(row_id))
            return self._row(cls, self._decode(found)) if found is not None else None
        data = rows.get(str(row_id))
        if isinstance(data, bytes):
            rows[str(row_id)] = data = self._decode(data)
        return self._row(cls, data) if data else None

    def _replace(self, table: str, row) -> None:
        rows = self._state[table]
        (rows.changed if isinstance(rows, Section) else rows)[str(row.id)] = row.as_dict()

    # contacts ---------------------------------------------------------------------------
    def add_contact(self, contact: Contact) -> int:
        return self._insert("contacts", contact)

    def get_contact(self, contact_id: int) -> Contact | None:
        return self._get("contacts", Contact, contact_id)

    def update_contact(self, contact: Contact) -> None:
        self._replace("contacts", contact)

    def list_contacts(self) -> list[Contact]:
        return sorted((self._row(Contact, c) for c in self._table("contacts")), key=lambda c: c.id)

    def contact_by_phone(self, phone: str) -> Contact | None:
        return next((c for c in self.list_contacts() if c.fields.get("phone") == phone), None)

    def contact_by_external_id(self, external_id: str) -> Contact | None:
        return next((c for c in self.list_contacts() if c.external_id == external_id), None)

    # deals ------------------------------------------------------------------------------
    def add_deal(self, deal: Deal) -> int:
        return self._insert("deals", deal)

    def get_deal(self, deal_id: int) -> Deal | None:
        return self._get("deals", Deal, deal_id)

    def update_deal(self, deal: Deal) -> None:
        self._replace("deals", deal)

    def list_deals(self, query: DealQuery) -> list[Deal]:
        deals = [d for d in (self._row(Deal, raw) for raw in self._table("deals")) if deal_matches(d, query)]
        deals.sort(key=deal_sort_key(query.sort), reverse=query.descending)
        if query.sort == "budget":  # as in SQL: deals without a budget last, whichever the direction
            deals = [d for d in deals if d.budget] + [d for d in deals if not d.budget]
        return deals[: query.limit] if query.limit is not None else deals

    def iter_deals(self):
        return iter(sorted(self._deals(), key=lambda d: d.id))

    def pipelines_in_use(self) -> list[str]:
        return sorted({d.pipeline for d in self._deals()})

    def count_deals(self, query: DealQuery) -> int:
        return len(self.list_deals(query))

    # tasks ------------------------------------------------------------------------------
    def add_task(self, task: Task) -> int:
        return self._insert("tasks", task)

    def get_task(self, task_id: int) -> Task | None:
        return self._get("tasks", Task, task_id)

    def update_task(self, task: Task) -> None:
        self._replace("tasks", task)

    def list_tasks(self, query: TaskQuery) -> list[Task]:
        # a task line holds `"deal_id": 12,` as written: a cheap test before parsing it (one deal's tasks of thousands)
        needle = b'"deal_id": %d,' % query.deal_ids[0] if len(query.deal_ids) == 1 else None
        tasks = [
            t for t in (self._row(Task, raw) for raw in self._table("tasks", needle))
            if (not query.deal_ids or t.deal_id in query.deal_ids)
            and (query.responsible is None or t.responsible == query.responsible)
            and (query.status is None or t.status == query.status)
            and (query.due_before is None or t.due < query.due_before)
            and (query.due_from is None or t.due >= query.due_from)
        ]
        tasks.sort(key=lambda t: (t.due, t.id))
        return tasks[: query.limit] if query.limit is not None else tasks

    def open_tasks_with_deals(self, responsible: str | None, due_before: str) -> list[tuple[Task, Deal]]:
        tasks = self.list_tasks(TaskQuery(responsible=responsible, status="open", due_before=due_before))
        return [(t, self.get_deal(t.deal_id)) for t in tasks]

    def deals_without_open_task(self, stages, responsible):
        tasks = [self._row(Task, raw) for raw in self._table("tasks")]
        busy = {t.deal_id for t in tasks if t.status == "open"}
        last: dict[int, str] = {}
        for t in tasks:
            if t.done_at:
                last[t.deal_id] = max(last.get(t.deal_id, ""), t.done_at)
        found = []
        for pipeline, stage_ids in stages.items():
            for deal in self.list_deals(DealQuery(pipeline=pipeline, stages=stage_ids, responsible=responsible)):
                if deal.id not in busy:
                    found.append((deal, max(deal.stage_since, last.get(deal.id, ""))))
        return sorted(found, key=lambda pair: pair[0].id)

    def external_ids(self, pipeline: str) -> dict[str, int]:
        return {d.external_id: d.id for d in self._deals() if d.pipeline == pipeline and d.external_id}

    # report aggregates ----------------------------------------------------------------------
    def _deals(self) -> list[Deal]:
        return [self._row(Deal, raw) for raw in self._table("deals")]

    def _cohort(self, pipeline, lead_from, lead_to) -> dict[int, Deal]:
        return {d.id: d for d in self._deals() if d.pipeline == pipeline
                and (not lead_from or (d.lead_date or "") >= lead_from)
                and (not lead_to or bool(d.lead_date) and d.lead_date <= lead_to)}  # undated: in no period

    def deal_counts(self, pipeline, lead_from, lead_to):
        totals: dict[tuple[str, str], list[int]] = {}
        for deal in self._cohort(pipeline, lead_from, lead_to).values():
            bucket = totals.setdefault((deal.stage, deal.responsible or ""), [0, 0])
            bucket[0] += 1
            bucket[1] += money_minor(deal.budget) if deal.budget else 0
        return [(stage, who, n, minor) for (stage, who), (n, minor) in totals.items()]

    def _entries(self, imported: bool = False):
        for event in (self._row(Event, raw) for raw in self._events()):
            stage = entered_stage(event)
            if stage and (not imported or event.kind == "deal.imported"):
                yield event.deal_id, stage, event.at

    def _journeys(self, pipeline, lead_from, lead_to) -> list[list[tuple[str, str]]]:
        cohort = self._cohort(pipeline, lead_from, lead_to)
        journeys: dict[int, list[tuple[str, str]]] = {}
        for deal_id, stage, at in self._entries():
            if deal_id in cohort:
                journeys.setdefault(deal_id, []).append((stage, at))
        return list(journeys.values())

    def stage_paths(self, pipeline, lead_from, lead_to):
        from collections import Counter

        return list(Counter(tuple(stage for stage, _ in path)
                            for path in self._journeys(pipeline, lead_from, lead_to)).items())

    def stage_stays(self, pipeline, lead_from, lead_to):
        return stays_of(self._journeys(pipeline, lead_from, lead_to))

    def entries_between(self, pipeline, stages, at_from, at_to, imported=False):
        ids = {d for d, s, at in self._entries(imported) if s in stages and at_from <= at < at_to}
        return [(d.id, d.responsible or "", money_minor(d.budget) if d.budget else 0)
                for d in self._deals() if d.id in ids and d.pipeline == pipeline]

    def stage_entries(self, pipeline, stages, at_from, at_to):
        entries = [(deal_id, at) for deal_id, stage, at in self._entries()
                   if stage in stages and at_from <= at < at_to]
        wanted = {deal_id for deal_id, _ in entries}
        budgets = {d.id: money_minor(d.budget) if d.budget else 0 for d in self._deals()
                   if d.id in wanted and d.pipeline == pipeline}
        return sorted(((deal_id, budgets[deal_id], at) for deal_id, at in entries if deal_id in budgets),
                      key=lambda entry: entry[2])  # the events' order, which is the ids', within one moment

    def task_counts(self, done_from, done_to, now):
        counts: dict[str, list[int]] = {}
        for t in (self._row(Task, raw) for raw in self._table("tasks")):
            bucket = counts.setdefault(t.responsible, [0, 0])
            if t.status == "done" and (not done_from or t.done_at >= done_from) and (not done_to or t.done_at < done_to):
                bucket[0] += 1
            if t.status == "open" and t.due < now:
                bucket[1] += 1
        return [(who, done, overdue) for who, (done, overdue) in counts.items()]

    # the published rules ----------------------------------------------------------------
    def add_publication(self, publication: Publication) -> int:
        published = self._state["publications"]
        publication.id = publication.id or len(published) + 1
        published.append(publication.as_dict())
        return publication.id

    def publications(self, latest_only: bool = False) -> list[Publication]:
        published = self._state["publications"]
        chosen = published[-1:] if latest_only else published
        if not all(isinstance(p, dict) for p in chosen):
            raise StoreError(M.text("store_corrupt", store=self.location, reason=M.text("store_row_not_object")))
        return [self._row(Publication, p) for p in chosen]

    # history ----------------------------------------------------------------------------
    def add_event(self, event: Event) -> int:
        return self._insert("events", event)

    def events(self, deal_id: int | None = None, contact_id: int | None = None) -> list[Event]:
        needles = tuple(n for n in (deal_id is not None and b'"deal_id": %d,' % deal_id,
                                    contact_id is not None and b'"contact_id": %d,' % contact_id) if n)
        return [
            e for e in (self._row(Event, raw) for raw in self._events(needles[:1]))
            if (deal_id is None or e.deal_id == deal_id) and (contact_id is None or e.contact_id == contact_id)
        ]

"""The stores' transactions: what a failure leaves, what it says, and how writers take turns.

Written from the mutation run (tests/mutation/), which mutates the transaction machinery of both stores
(tests/mutation/decorated.py covers the @contextmanager transactions mutmut itself skips). The older tests
prove that rules are checked before anything is written; these prove what a transaction that fails after
writing leaves behind, and that each failure names the store and the reason.
"""

from __future__ import annotations

import errno
import os
import sqlite3

import pytest

from conftest import Workspace

LONG_TEXTS = [f"{field}={letter * 2000}" for field, letter in (("site", "ж"), ("coating", "ш"), ("thickness", "щ"),
                                                                 ("nuances", "ы"))]


def _sqlite(tmp_path, monkeypatch) -> Workspace:
    return Workspace(tmp_path / "ws", "sqlite", monkeypatch)


# -- what a failure says --------------------------------------------------------------------------------

def test_a_full_disk_under_sqlite_says_the_write_failed_with_sqlites_reason(tmp_path, monkeypatch):
    ws = _sqlite(tmp_path, monkeypatch)
    deal = ws.json("deal", "create")["id"]
    connect = sqlite3.connect

    def full_disk(*args, **kwargs):  # the file may not grow by a single page
        db = connect(*args, **kwargs)
        db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
        return db

    monkeypatch.setattr(sqlite3, "connect", full_disk)
    result = ws.run("deal", "set", deal, *LONG_TEXTS)
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: could not write to the store {ws.store_path}: database or disk is full; nothing was changed\n")


def test_a_full_disk_under_the_json_store_says_the_write_failed_with_the_systems_reason(tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "ws", "json", monkeypatch)
    deal = ws.json("deal", "create")["id"]

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    result = ws.run("deal", "set", deal, "site=Званка")
    assert (result.exit_code, result.stderr) == \
        (6, f"flowctl: could not write to the store {ws.store_path}: No space left on device; nothing was changed\n")


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

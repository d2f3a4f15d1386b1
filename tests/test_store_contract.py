"""One contract, run against every backend: what services may rely on."""

from __future__ import annotations

import json
import sqlite3

import pytest

from flowctl.errors import StoreError, UsageError
from flowctl.store import open_store
from flowctl.store.base import Contact, Deal, DealQuery, Event, Task, TaskQuery

T0 = "2026-11-30T06:00:00Z"


@pytest.fixture(params=["flowctl.db", "store.json"])
def store(request, tmp_path):
    s = open_store(str(tmp_path / request.param), create=True)
    yield s
    s.close()


def _deal(stage="new_lead", responsible="ivan", budget=None, contact_id=None) -> Deal:
    fields = {"responsible": responsible, **({"budget": budget} if budget else {})}
    return Deal(None, "krovlya", stage, fields, contact_id, T0, T0, T0)


def test_rows_round_trip(store):
    with store.transaction():
        cid = store.add_contact(Contact(None, {"name": "Алмаз", "phone": "+79123456789"}, T0))
        did = store.add_deal(_deal(contact_id=cid, budget="350000.50"))
        tid = store.add_task(Task(None, did, "call", T0, "ivan", "Позвонить", "open", T0, "ivan", stage="new_lead"))
        store.add_event(Event(None, T0, "ivan", "deal.created", deal_id=did, data={"x": "ё"}))
    assert store.get_contact(cid).fields["name"] == "Алмаз"
    assert store.contact_by_phone("+79123456789").id == cid
    assert store.get_deal(did).budget == "350000.50"
    assert store.get_task(tid).stage == "new_lead"
    assert store.events(deal_id=did)[0].data == {"x": "ё"}
    assert store.get_deal(999) is None and store.get_contact(999) is None and store.get_task(999) is None


def test_updates_persist_across_reopen(store):
    with store.transaction():
        did = store.add_deal(_deal())
    deal = store.get_deal(did)
    deal.stage = "in_work"
    with store.transaction():
        store.update_deal(deal)
    store.close()
    again = open_store(store.location)
    assert again.get_deal(did).stage == "in_work"
    again.close()


def test_transaction_is_all_or_nothing(store):
    with store.transaction():
        store.add_deal(_deal())
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.add_deal(_deal(stage="hot"))
            store.add_event(Event(None, T0, "ivan", "deal.created", deal_id=1))
            raise RuntimeError("refused halfway")
    assert [d.stage for d in store.list_deals(DealQuery())] == ["new_lead"]
    assert store.events() == []


def test_list_deals_filters_and_sorts(store):
    with store.transaction():
        for stage, who, budget in [("hot", "ivan", "300.00"), ("hot", "olga", "100.00"), ("new_lead", "ivan", None),
                                   ("hot", "ivan", "50.50")]:
            store.add_deal(_deal(stage, who, budget))
    hot_ivan = store.list_deals(DealQuery(stages=("hot",), responsible="ivan", sort="budget", descending=True))
    assert [d.budget for d in hot_ivan] == ["300.00", "50.50"]
    assert [d.id for d in store.list_deals(DealQuery(sort="id", descending=True, limit=2))] == [4, 3]
    assert len(store.list_deals(DealQuery(pipeline="other"))) == 0


def test_list_tasks_by_due_window(store):
    with store.transaction():
        did = store.add_deal(_deal())
        for due, status in [("2026-11-29T10:00:00Z", "open"), ("2026-11-30T10:00:00Z", "open"),
                            ("2026-11-30T11:00:00Z", "done"), ("2026-12-01T10:00:00Z", "open")]:
            store.add_task(Task(None, did, "call", due, "ivan", "x", status, T0, "ivan"))
    due_before = store.list_tasks(TaskQuery(responsible="ivan", due_before="2026-12-01T00:00:00Z"))
    assert [t.due for t in due_before] == ["2026-11-29T10:00:00Z", "2026-11-30T10:00:00Z"]
    window = store.list_tasks(TaskQuery(status=None, due_from="2026-11-30T00:00:00Z", due_before="2026-12-01T00:00:00Z"))
    assert [t.status for t in window] == ["open", "done"]


def test_sqlite_pragmas_and_schema_version(tmp_path):
    s = open_store(str(tmp_path / "x.db"), create=True)
    s.close()
    db = sqlite3.connect(tmp_path / "x.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] >= 1
    db.close()
    s = open_store(f"sqlite://{tmp_path / 'x.db'}")
    assert s._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert s._db.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    assert s.integrity_check() == "ok"
    s.close()


def test_sqlite_history_is_append_only(tmp_path):
    s = open_store(str(tmp_path / "x.db"), create=True)
    with s.transaction():
        s.add_event(Event(None, T0, "ivan", "deal.created"))
    with pytest.raises(sqlite3.IntegrityError):
        s._db.execute("UPDATE events SET actor = 'mallory'")
    with pytest.raises(sqlite3.IntegrityError):
        s._db.execute("DELETE FROM events")
    s.close()


def test_sqlite_foreign_keys_refuse_orphans(tmp_path):
    s = open_store(str(tmp_path / "x.db"), create=True)
    with pytest.raises(StoreError):
        with s.transaction():
            s.add_deal(_deal(contact_id=42))
    s.close()


def test_json_file_is_sorted_and_readable(tmp_path):
    path = tmp_path / "s.json"
    s = open_store(str(path), create=True)
    with s.transaction():
        s.add_deal(_deal(budget="1.00"))
    text = path.read_text("utf-8")
    data = json.loads(text)
    assert data["format"] == "flowctl-store" and data["deals"]["1"]["fields"]["budget"] == "1.00"
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}" and any(line.startswith('  "1": {') for line in lines)  # a row a line
    from flowctl.store.jsonfile import serialize

    assert serialize(json.loads(text)) == text  # stable order: the same data is always the same text
    assert not list(tmp_path.glob("*.tmp"))  # the temp file was renamed into place


def test_damaged_stores_are_reported_not_crashed(tmp_path):
    (tmp_path / "bad.json").write_text("{not json", "utf-8")
    with pytest.raises(StoreError):
        open_store(str(tmp_path / "bad.json"))
    (tmp_path / "bad.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        open_store(str(tmp_path / "bad.db"))


def test_store_kind_from_path_or_url(tmp_path):
    with pytest.raises(UsageError):
        open_store(str(tmp_path / "x.txt"))
    assert type(open_store(f"json://{tmp_path / 'y'}", create=True)).__name__ == "JsonFileStore"
    with pytest.raises(StoreError):
        open_store(str(tmp_path / "typo.db"))  # not created by a read
    assert not (tmp_path / "typo.db").exists()


def test_a_held_store_is_busy_after_a_bounded_wait(ws, monkeypatch):
    """Exit 6 with a clear message once FLOWCTL_BUSY_TIMEOUT has passed; nothing written."""
    import fcntl
    import time

    monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", "0.3")
    before = ws.snapshot()
    if ws.server:  # another client inside a writing transaction holds flowctl's advisory lock
        from flowctl.store.postgres import WRITE_LOCK

        holder = ws.server.psycopg.connect(ws.store_path)
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        release = holder.close
    elif ws.store_name.endswith(".db"):
        holder = sqlite3.connect(ws.store_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        release = holder.close
    else:
        lock = open(ws.store_path.with_name(ws.store_path.name + ".lock"), "a")
        fcntl.flock(lock, fcntl.LOCK_EX)
        release = lock.close
    try:
        started = time.monotonic()
        result = ws.run("deal", "create")
        waited = time.monotonic() - started
    finally:
        release()
    assert result.exit_code == 6 and "busy" in result.stderr
    assert 0.3 <= waited < 3
    assert ws.snapshot() == before
    assert ws.run("deal", "create").exit_code == 0  # released: the next command goes through

"""The JSON store's file: read as bytes, its rows decoded one by one when a command reads them, and written back as
the old file's bytes with the changed lines put in (issue 16: a mutation at 2,000 deals under 200 ms).

What this must not cost: a row is checked whenever it is read, however long it stayed bytes; the file stays one row
a line with sorted keys (a change is a one-line diff); a file in any other layout is read whole, never misread, and
written back in the store's own layout.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import Workspace
from flowctl.errors import StoreError
from flowctl.store import open_store
from flowctl.store.base import Deal, Event
from flowctl.store.jsonfile import SPLICED_AT_MOST, serialize

T0 = "2026-11-30T06:00:00Z"


@pytest.fixture
def ws(tmp_path, monkeypatch) -> Workspace:
    return Workspace(tmp_path / "ws", "json", monkeypatch)


def _canonical(path) -> str:
    """The file's text, asserted to be exactly what serialize() writes for its data: sorted keys, a row a line."""
    text = path.read_text("utf-8")
    assert serialize(json.loads(text)) == text
    return text


def _deal_line(text: str, deal: int) -> str:
    return next(line for line in text.splitlines() if line.startswith(f'  "{deal}": {{"contact_id"'))


def _deal(deal_id=None) -> Deal:
    return Deal(deal_id, "krovlya", "new_lead", {"responsible": "ivan"}, None, T0, T0, T0)


def test_a_mutation_changes_the_lines_of_what_it_changed_and_no_other(ws):
    deals = [ws.json("deal", "create", "-F", "site=Дом")["id"] for _ in range(3)]
    before = _canonical(ws.store_path)
    ws.ok("deal", "set", deals[1], "site=Дача")
    after = _canonical(ws.store_path)
    gone = set(before.splitlines()) - set(after.splitlines())
    last_event = [line for line in before.splitlines() if line.startswith('  {"actor"')][-1]
    assert gone == {_deal_line(before, deals[1]), last_event, next(line for line in before.splitlines()
                                                                   if line.startswith(' "next_id"'))}
    assert _deal_line(after, deals[1]).count("Дача") == 1 and last_event + "," in after  # the history only grows
    assert json.loads(after)["events"][-1]["data"] == {"field": "site", "old": "Дом", "new": "Дача"}


def test_a_row_is_checked_when_it_is_read_and_kept_as_it_was_until_then(ws):
    """A row is bytes until a command reads it: bytes that are not UTF-8 in one deal's line (a bad merge) make
    that deal, and whatever reads every deal, a damaged store; the other deals work, and a write leaves the bad
    line exactly as it found it (it never guesses)."""
    first, second = (ws.json("deal", "create", "-F", "site=Дом")["id"] for _ in range(2))
    raw = ws.store_path.read_bytes()
    line = _deal_line(raw.decode(), first).encode()
    broken = line.replace("Дом".encode(), b"\xd0\x94\xff\xbc")
    ws.store_path.write_bytes(raw.replace(line, broken))
    for command in (("deal", "show", first), ("deal", "list"), ("export", "all")):
        result = ws.run(*command)
        assert result.exit_code == 6, (command, result.stdout)
        assert result.stderr.startswith(f"flowctl: the store {ws.store_path} cannot be read: a row: ") and \
            result.stderr.count("\n") == 1, result.stderr
    assert ws.json("deal", "show", second)["fields"]["site"] == "Дом"
    ws.ok("deal", "set", second, "site=Дача")
    assert broken in ws.store_path.read_bytes()
    assert ws.json("deal", "show", second)["fields"]["site"] == "Дача"


def test_bytes_that_are_not_utf_8_among_the_files_own_keys_are_refused_when_it_is_opened(ws):
    ws.ok("deal", "create")
    raw = ws.store_path.read_bytes()
    ws.store_path.write_bytes(raw.replace(b'"format": "flowctl-store"', b'"format": "flowctl-\xffstore"'))
    before = ws.snapshot()
    for command in (("deal", "show", 1), ("deal", "create")):
        result = ws.run(*command)
        assert result.exit_code == 6 and "cannot be read: " in result.stderr, result.stderr
    assert ws.snapshot() == before


def _pretty(text: str) -> str:
    return json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"


def _closing_brace_at_the_margin(text: str) -> str:
    """The deals table closed at column 0, as an editor's formatter may leave it: still JSON, not the store's
    layout (a new row put in before the closing "\\n }" it expects would cut the last row's own brace)."""
    edited = re.sub(r'(\n  "\d+": \{"contact_id"[^\n]*)\n \},\n "events"', r'\1\n},\n "events"', text)
    assert edited != text
    return edited


@pytest.mark.parametrize("edit", [_pretty, _closing_brace_at_the_margin, lambda text: text.replace("\n", "\r\n"),
                                  lambda text: text.replace('{\n "contacts"', '{\n "a_note": "kept",\n "contacts"')],
                         ids=["pretty-printed", "closing-brace-at-the-margin", "crlf", "a-key-flowctl-does-not-know"])
def test_a_file_in_another_layout_is_read_whole_and_written_back_in_the_stores(ws, edit):
    first = ws.json("deal", "create", "-F", "site=Дом")["id"]
    edited = edit(ws.store_path.read_text("utf-8"))
    ws.store_path.write_text(edited, "utf-8", newline="")
    second = ws.json("deal", "create", "-F", "site=Дача")["id"]
    ws.ok("deal", "set", first, "site=Изба")
    assert [d["fields"]["site"] for d in ws.json("deal", "list")] == ["Изба", "Дача"]
    assert second == first + 1
    assert json.loads(_canonical(ws.store_path)).get("a_note") == ("kept" if "a_note" in edited else None)


def test_a_row_given_an_id_below_the_last_is_still_written_in_id_order(tmp_path):
    """flowctl's ids only grow, so a new row goes last; a row given a lower id (not from flowctl) rewrites the
    table in order rather than breaking it."""
    path = tmp_path / "s.json"
    store = open_store(str(path), create=True)
    with store.transaction():
        store.add_deal(_deal(10))
    store.close()
    store = open_store(str(path))
    with store.transaction():
        store.add_deal(_deal(5))
        store.add_deal(_deal())  # the next id: 11
    store.close()
    assert list(json.loads(_canonical(path))["deals"]) == ["5", "10", "11"]


def test_many_rows_changed_at_once_are_written_in_one_pass_and_each_read_back(tmp_path):
    path = tmp_path / "s.json"
    store = open_store(str(path), create=True)
    count = SPLICED_AT_MOST * 2
    with store.transaction():
        for _ in range(count):
            store.add_deal(_deal())
    store.close()
    for changed in (3, count - 1):  # spliced line by line, then rewritten in one pass
        store = open_store(str(path))
        with store.transaction():
            for deal_id in range(1, changed + 1):
                deal = store.get_deal(deal_id)  # one row at a time: the table stays bytes
                deal.stage = f"stage_{changed}"
                store.update_deal(deal)
        store.close()
        stages = [d["stage"] for d in json.loads(_canonical(path))["deals"].values()]
        assert stages == [f"stage_{changed}"] * changed + [stages[-1]] * (count - changed)


def test_a_version_1_file_without_publications_is_read_and_upgraded_by_the_next_write(tmp_path):
    path = tmp_path / "s.json"
    store = open_store(str(path), create=True)
    with store.transaction():
        store.add_deal(_deal())
        store.add_event(Event(None, T0, "ivan", "deal.created", deal_id=1))
    store.close()
    text = path.read_text("utf-8")
    path.write_text(text.replace(' "publications": [],\n', "").replace('"version": 2', '"version": 1'), "utf-8")
    store = open_store(str(path))
    assert store.get_deal(1).stage == "new_lead" and store.publications() == []
    with store.transaction():
        store.add_deal(_deal())
    store.close()
    data = json.loads(_canonical(path))
    assert (data["version"], data["publications"], list(data["deals"]), len(data["events"])) == (2, [], ["1", "2"], 1)


def test_a_last_history_line_that_is_not_json_is_a_damaged_store_not_a_reused_id(tmp_path):
    """The next event id comes from the last history line (events are in id order): if it cannot be read, the
    store says so rather than guess."""
    path = tmp_path / "s.json"
    store = open_store(str(path), create=True)
    with store.transaction():
        store.add_event(Event(None, T0, "ivan", "deal.created"))
    store.close()
    text = path.read_text("utf-8")
    path.write_text(text.replace('"kind": "deal.created"', '"kind": deal.created'), "utf-8")
    with pytest.raises(StoreError, match="cannot be read: a row: "):
        open_store(str(path))


def test_a_file_shorter_than_it_was_a_moment_ago_is_read_as_it_is_now(tmp_path):
    """The size comes from fstat; a file cut in place meanwhile (an editor saving over it) yields the bytes it has,
    checked as any file is, never a buffer's zeros past them."""
    import os

    from flowctl.store.jsonfile import _read_all

    path = tmp_path / "s.json"
    path.write_bytes(b'{"format": "x"}\n')
    fd = os.open(path, os.O_RDONLY)
    try:
        assert _read_all(fd, 4096) == b'{"format": "x"}\n'
    finally:
        os.close(fd)

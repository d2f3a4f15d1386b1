"""README promises that no other test proves."""

from __future__ import annotations

import pytest


def test_a_bug_is_exit_70_in_one_line_and_traceback_shows_it(ws, monkeypatch):
    """README, exit codes: 70 is an internal error, told in one line; --traceback shows the whole trace."""
    from flowctl.services import deals

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(deals, "list_deals", broken)
    result = ws.run("deal", "list")
    assert result.exit_code == 70
    assert result.stderr == ("flowctl: internal error: RuntimeError: a bug "
                             "(run again with --traceback and report it)\n")
    with pytest.raises(RuntimeError, match="a bug"):  # not swallowed: the trace reaches the user
        ws.run("--traceback", "deal", "list")
    monkeypatch.setenv("FLOWCTL_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="a bug"):
        ws.run("deal", "list")


def test_a_command_failing_after_its_first_write_leaves_nothing(ws, monkeypatch):
    """README, stores: a failure inside a transaction rolls back what was already written (not only rules checked
    before writing): the move's history event and its task cancellations are undone with it."""
    from test_deals import new_deal

    from flowctl.errors import RuleRefused
    from flowctl.services import tasks

    deal_id = new_deal(ws)
    ws.ok("task", "done", ws.json("task", "list", "--deal", deal_id)[0]["id"], "--result", "Дозвонился",
          "--contact", "call")
    before = ws.snapshot()

    def fail_after_writing(*args, **kwargs):
        raise RuleRefused("refused halfway")

    monkeypatch.setattr(tasks, "create_on_enter", fail_after_writing)
    result = ws.run("deal", "advance", deal_id, "lost", "-F", "lost_reason=Дорого")
    assert result.exit_code == 1 and "refused halfway" in result.stderr
    assert ws.snapshot() == before


def test_closing_a_deal_cancels_every_open_task_hand_set_ones_too(ws):
    """README, the manager's day: a closed deal never sits in anyone's agenda."""
    from test_deals import new_deal

    deal_id = new_deal(ws)
    hand_set = ws.json("task", "add", deal_id, "--type", "present_offer", "--due", "+2d")["id"]
    ws.ok("deal", "advance", deal_id, "lost", "-F", "lost_reason=Дорого")
    statuses = {t["id"]: t["status"] for t in ws.json("task", "list", "--deal", deal_id, "--all")}
    assert statuses[hand_set] == "cancelled" and set(statuses.values()) == {"cancelled"}
    assert ws.json("task", "list", "--deal", deal_id) == []

"""`flowctl board`: the pipeline as a board of columns, one per open stage (issue 15).

The figures under each heading are `report funnel`'s; the cards are the biggest deals of the stage, marked when
over the stage's max_stay (*) or with an overdue task (!); the drawing fits the terminal's width in any
language, plain when piped, bold and ruled with box-drawing lines on a terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from test_deals import ALMAZ, walk_to
from test_language import _english_words

MARINA = ["name=Марина", "phone=8 912 000-00-02", "Строитель/Частник=Частник"]
TWO_DAYS_LATER = "2026-12-02T12:00:00Z"  # the deals were created at conftest's PINNED_NOW, 2026-11-30 06:00 UTC
ESCAPE = "\x1b"


def _five_deals(ws) -> None:
    """ivan's #1 (100, walked to ГОРЯЧИЕ), #2 (300), #3 (200, its call postponed), #4 (no budget); olga's #5 (50)."""
    ws.ok("contact", "add", *ALMAZ)
    ws.ok("contact", "add", *MARINA)
    for budget in ("100", "300", "200", ""):
        ws.ok("deal", "create", "--contact", "1", *(["-F", f"budget={budget}"] if budget else []))
    ws.ok("deal", "create", "--contact", "2", "-F", "budget=50", user="olga")
    walk_to(ws, 1, "горячие")
    call = ws.json("task", "list", "--deal", 3)[0]["id"]
    ws.ok("task", "postpone", call, "--due", "2026-12-20 10:00", "--reason", "Клиент в отпуске до 20-го")


def _columns(board: dict) -> dict:
    return {c["stage"]: c for c in board["columns"]}


def _board(ws, *args, width: int = 80, now: str | None = None) -> str:
    ws.monkeypatch.setenv("COLUMNS", str(width))
    return ws.ok("board", *args, now=now).stdout


def test_headings_hold_the_funnels_deals_and_budget_now_and_the_biggest_deals_come_first(ws):
    _five_deals(ws)
    funnel = {r["stage"]: r for r in ws.json("report", "funnel")["stages"]}
    board = ws.json("board", "--limit", "2")
    columns = _columns(board)
    assert list(columns) == ["new_lead", "in_work", "hot", "volumes", "proposal_ready", "estimate_ready"]  # open
    assert {s: (c["deals"], c["budget"]) for s, c in columns.items()} == {
        s: (funnel[s]["deals"], funnel[s]["budget"]) for s in columns}
    assert (columns["new_lead"]["deals"], columns["new_lead"]["budget"]) == (4, "550.00")
    assert (columns["hot"]["deals"], columns["hot"]["budget"]) == (1, "100.00")
    assert (board["deals"], board["budget"]) == (5, "650.00")
    assert [c["id"] for c in columns["new_lead"]["cards"]] == [2, 3]  # 300, 200 of 300, 200, 50 and none
    assert columns["new_lead"]["more"] == 2
    assert [c["id"] for c in _columns(ws.json("board"))["new_lead"]["cards"]] == [2, 3, 5, 4]  # no budget last
    table = _board(ws, "--limit", "2", width=200)
    assert "4 deals, 550.00" in table and "1 deal, 100.00" in table and "0 deals, 0.00" in table
    assert "+2 more" in table
    assert table.index("#2 ") < table.index("#3 ") and "#5 " not in table and "#4 " not in table


def test_a_card_is_marked_over_the_stages_max_stay_and_for_an_overdue_task(ws):
    _five_deals(ws)
    cards = {c["id"]: c for column in ws.json("board", now=TWO_DAYS_LATER)["columns"] for c in column["cards"]}
    assert (cards[2]["over_limit"], cards[2]["overdue_task"]) == (True, True)  # S1 over 15 min; its call overdue
    assert (cards[3]["over_limit"], cards[3]["overdue_task"]) == (True, False)  # its call postponed to 20.12
    assert (cards[1]["over_limit"], cards[1]["overdue_task"]) == (False, True)  # ГОРЯЧИЕ for 14 d; get_plan 1 d
    assert (cards[1]["days"], cards[2]["days"]) == (2, 2)
    assert cards[1]["contact"] == "Алмаз Строитель" and cards[5]["contact"] == "Марина Частник"
    lines = {line.split()[0]: line for line in _board(ws, width=40, now=TWO_DAYS_LATER).splitlines()
             if line.startswith("#")}  # one stage under another: a card a line
    assert lines["#2"].endswith("2 d *!") and lines["#3"].endswith("2 d *") and lines["#1"].endswith("2 d  !")
    table = _board(ws, width=200, now=TWO_DAYS_LATER)
    assert "* longer in the stage than its limit (max_stay)" in table and "! an overdue task (L1)" in table
    fresh = ws.json("board", now="2026-11-30T06:05:00Z")  # five minutes after: nothing late yet
    assert not any(c["over_limit"] or c["overdue_task"] for column in fresh["columns"] for c in column["cards"])
    assert "longer in the stage" not in _board(ws, now="2026-11-30T06:05:00Z")  # no legend without a mark
    later = {c["id"]: c for column in ws.json("board", now="2026-12-15T12:00:00Z")["columns"] for c in column["cards"]}
    assert later[1]["over_limit"] and later[1]["days"] == 15  # over ГОРЯЧИЕ's 14 days (Q2)


def test_user_shows_one_members_deals_by_login_or_name(ws):
    _five_deals(ws)
    for who in ("olga", "Ольга"):
        board = ws.json("board", "--user", who)
        columns = _columns(board)
        assert board["user"] == "olga" and (board["deals"], board["budget"]) == (1, "50.00")
        assert [c["id"] for c in columns["new_lead"]["cards"]] == [5]
        assert (columns["new_lead"]["deals"], columns["hot"]["deals"]) == (1, 0)
    assert _board(ws, "--user", "ivan").splitlines()[0] == "«Кровля», Иван: 4 deals, 600.00"
    unknown = ws.run("board", "--user", "nobody")
    assert unknown.exit_code == 4 and "no team member 'nobody'" in unknown.stderr
    assert ws.run("board", "--user", "").exit_code == 4  # an empty name is nobody, not everybody


def test_an_absurd_terminal_size_is_a_typo_not_a_crash(local_ws, monkeypatch):
    _five_deals(local_ws)
    monkeypatch.setenv("COLUMNS", "99999999999999999999")
    monkeypatch.setenv("LINES", "99999999999999999999")
    shown = local_ws.ok("board").stdout.splitlines()
    assert shown[0] == "«Кровля»: 5 deals, 650.00" and max(map(len, shown)) <= 1000


def test_pipeline_is_named_by_id_or_name_and_an_unknown_one_is_not_found(local_ws):
    local_ws.ok("deal", "create", "-F", "budget=10")
    assert local_ws.json("board", "--pipeline", "кровля")["pipeline"] == "krovlya"
    assert local_ws.run("board", "--pipeline", "roofs").exit_code == 4


def _long_names(ws) -> None:
    """Cards whose every field is long: East Asian wide characters, then a Cyrillic name of 50 letters."""
    ws.ok("contact", "add", "name=株式会社 Константин Константинопольский-Длинноимённый Кровельщик",
          "phone=8 912 000-00-07", "Строитель/Частник=Строитель")
    for budget in ("12 345 678,90", "1", "987 654,32"):
        ws.ok("deal", "create", "--contact", "1", "-F", f"budget={budget}")


@pytest.mark.parametrize("language", ["C.UTF-8", "ru_RU.UTF-8"])
def test_no_line_is_longer_than_the_terminal_at_40_80_and_200_columns(local_ws, monkeypatch, language):
    from flowctl.render import display_width

    _long_names(local_ws)
    monkeypatch.setenv("LANG", language)
    for width in (40, 80, 200):
        table = _board(local_ws, width=width, now=TWO_DAYS_LATER)
        assert "株式" in table and "12 345 678" in table.replace("\u00a0", " ")
        too_long = [line for line in table.splitlines() if display_width(line) > width]
        assert too_long == [], width
    assert "…" in _board(local_ws, width=40)  # the name was cut, with an ellipsis


def test_stages_stand_side_by_side_on_a_wide_terminal_and_one_under_another_on_a_narrow_one(local_ws):
    _long_names(local_ws)
    labels = ["НОВЫЙ ЛИД", "ОП ВЗЯЛ В РАБОТУ", "ГОРЯЧИЕ", "ОБЪЕМЫ У ТУРАЛА", "КП ГОТОВО", "СМЕТА ГОТОВА"]
    wide = _board(local_ws, width=200).splitlines()
    assert [line for line in wide if all(label in line for label in labels)] != []  # one row of headings
    narrow = _board(local_ws, width=40).splitlines()
    assert [line for line in narrow if line in labels] == labels  # each heading alone on its line, in order
    first = narrow.index("НОВЫЙ ЛИД")
    assert narrow[first + 1:first + 3] == ["3 deals, 13 333 334.22", "-" * 40]
    assert narrow[first + 3].startswith("#1 株式会社 Конст") and "…" in narrow[first + 3]
    middle = _board(local_ws, width=80).splitlines()  # two bands of three
    assert [line.split("  ")[0] for line in middle if line.startswith(("НОВЫЙ", "ОБЪЕМЫ"))] == ["НОВЫЙ ЛИД",
                                                                                             "ОБЪЕМЫ У ТУРАЛА"]


def _child_board(ws, env: dict, tty: bool) -> str:
    """`flowctl board` in a child process whose output is a pipe, or a terminal (a pseudo-terminal)."""
    identity, child_env = ws.child("ivan")
    child_env = {**child_env, "PYTHONPATH": str(ROOT), "COLUMNS": "80", "LINES": "40", **env}
    argv = [sys.executable, "-m", "flowctl", *identity, "board"]
    if not tty:
        return subprocess.run(argv, cwd=ws.root, env=child_env, capture_output=True, text=True, timeout=60,
                              check=True).stdout
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(argv, cwd=ws.root, env=child_env, stdout=follower, stderr=subprocess.PIPE,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        os.close(follower)
        follower = -1
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: all is read
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    return out.decode("utf-8").replace("\r\n", "\n")


def test_piped_output_is_plain_text_and_a_terminal_gets_bold_headings_and_box_drawing(local_ws):
    from flowctl.render import display_width

    _long_names(local_ws)
    piped = _child_board(local_ws, {}, tty=False)
    assert ESCAPE not in piped and "│" not in piped and "─" not in piped and "НОВЫЙ ЛИД" in piped
    shown = _child_board(local_ws, {}, tty=True)
    assert "\x1b[1mНОВЫЙ ЛИД\x1b[0m" in shown and "─┼─" in shown and " │ " in shown
    assert max(display_width(re.sub(r"\x1b\[[0-9;]*m", "", line)) for line in shown.splitlines()) <= 80
    assert ESCAPE not in _child_board(local_ws, {"NO_COLOR": "1"}, tty=True)


def test_json_gives_each_open_stage_with_its_figures_and_its_cards(local_ws):
    _long_names(local_ws)
    board = local_ws.json("board", "--limit", "2")
    assert set(board) == {"pipeline", "pipeline_name", "user", "at", "limit", "deals", "budget", "columns"}
    assert (board["pipeline"], board["user"], board["limit"], board["at"]) == ("krovlya", None, 2,
                                                                             "2026-11-30T06:00:00Z")
    first = board["columns"][0]
    assert set(first) == {"stage", "stage_label", "max_stay_seconds", "deals", "budget", "more", "cards"}
    assert (first["stage"], first["stage_label"], first["max_stay_seconds"]) == ("new_lead", "НОВЫЙ ЛИД", 900)
    assert (first["deals"], first["budget"], first["more"]) == (3, "13333334.22", 1)
    assert first["cards"][0] == {
        "id": 1, "contact_id": 1, "contact": "株式会社 Константин Константинопольский-Длинноимённый Кровельщик Строитель",
        "responsible": "ivan", "budget": "12345678.90", "stage_since": "2026-11-30T06:00:00Z", "seconds": 0,
        "days": 0, "over_limit": False, "overdue_task": False}
    csv_lines = local_ws.ok("board", "--limit", "1", "--format", "csv").stdout.splitlines()
    assert csv_lines[0] == "stage,stage deals,stage budget,deal,contact,budget,days in stage,over limit,overdue task"
    assert csv_lines[1].startswith("НОВЫЙ ЛИД,3,13333334.22,1,") and csv_lines[1].endswith(",12345678.90,0,false,false")
    assert csv_lines[2] == "ОП ВЗЯЛ В РАБОТУ,0,0.00,,,,,,"  # a stage with no deal keeps its row


def test_the_board_in_russian_has_no_english_word(local_ws, monkeypatch):
    _five_deals(local_ws)
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    for width in (40, 200):
        table = _board(local_ws, "--limit", "2", width=width, now=TWO_DAYS_LATER)
        assert "4 сделки, 550,00\u00a0₽" in table and "+ ещё 2" in table and "2 дн *!" in table
        assert "на стадии дольше её срока" in table and "просрочена задача" in table
        assert _english_words(table) == [], width


def test_clip_and_wrap_count_what_a_terminal_shows():
    from flowctl.cli.board_view import clip, wrap
    from flowctl.render import display_width

    assert clip("Константин", 6) == "Конст…" and clip("Константин", 10) == "Константин"
    assert clip("株式会社", 5) == "株式…" and display_width(clip("株式会社", 4)) <= 4
    assert clip("е\u0301ж", 2) == "е\u0301ж"  # a combining accent takes no column
    assert wrap("«Кровля»: 15060 deals, 9 760 176 000.00", 22) == ["«Кровля»: 15060 deals,", "9 760 176 000.00"]


def test_every_width_from_1_to_220_columns_keeps_every_line_within_it_plain_and_on_a_terminal():
    from flowctl.cli.board_view import Card, Column, Style, draw
    from flowctl.render import display_width

    cards = [Card("#100234", "株式会社 Константин Константинопольский", "12 345 678,90\u00a0₽", "365 дн", "*!"),
             Card("#7", "Марина Частник", "—", "9 ч", "  ")]
    columns = [Column(label, "2 сделки", "12 345 678,90\u00a0₽", cards if n % 2 else [], "+ ещё 12" if n else "")
               for n, label in enumerate(["НОВЫЙ ЛИД", "ОП ВЗЯЛ В РАБОТУ", "ГОРЯЧИЕ", "ОБЪЕМЫ У ТУРАЛА", "КП ГОТОВО"])]
    for tty in (False, True):
        for width in range(1, 221):
            board = draw("«Кровля»: 4 сделки, 24 691 357,80\u00a0₽", columns,
                         ["* на стадии дольше её срока (max_stay)"], width, Style(tty))
            lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in board.splitlines()]
            assert max(display_width(line) for line in lines) <= width, (tty, width)


def test_columns_stand_as_many_side_by_side_as_fit_and_fill_the_terminals_height():
    from flowctl.cli.board_view import Style, fitting_limit, geometry

    plain = Style(tty=False)
    # 120 columns hold four of 24, and six stages go in two bands of three rather than four and two
    assert [geometry(6, width, plain) for width in (40, 80, 120, 200)] == [(1, 40), (3, 25), (3, 38), (6, 31)]
    assert geometry(6, 40, Style(tty=True)) == (1, 40) and geometry(6, 80, Style(tty=True)) == (3, 24)
    assert fitting_limit(6, 200, 50, plain) == 20  # one band: 50 lines less title, heading, legend and prompt
    assert fitting_limit(6, 80, 24, plain) == 3  # two bands of two-line cards: the least a column shows

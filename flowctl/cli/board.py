"""`flowctl board`: the pipeline as amoCRM shows it, a column per open stage, in the terminal."""

import typer

from flowctl import messages as M
from flowctl.cli import complete
from flowctl.cli.common import FormatOption, check_format, echo
from flowctl.cli.session import open_session

DEFAULT_LIMIT = 10  # cards per column when the output is not a terminal whose height could decide
MAX_SIZE = 1000  # the widest and tallest terminal believed: beyond it COLUMNS or LINES is a typo
CSV_COLUMNS = [("stage_label", "stage"), ("stage_deals", "stage deals"), ("stage_budget", "stage budget"),
               ("id", "deal"), ("contact", "contact"), ("budget_shown", "budget"), ("days", "days in stage"),
               ("over_limit", "over limit"), ("overdue_task", "overdue task")]


def board(ctx: typer.Context,
          user: str = typer.Option(None, "--user", "-u", autocompletion=complete.logins, help="Only this member's deals (login or name)."),
          pipeline: str = typer.Option(None, "--pipeline", "-p", autocompletion=complete.pipelines,
                                       help="Pipeline id or name (default: the workspace's default pipeline)."),
          limit: int = typer.Option(None, "--limit", "-n", min=0,
                                    help="Deals shown under each stage (default: as many as the terminal's height "
                                         "holds; 10 when the output is not a terminal)."),
          fmt: str = FormatOption):
    """The pipeline as a board: a column per open stage with its deals and budget, the biggest deals first, marked
    when longer in the stage than it allows (*) or with an overdue task (!)."""
    import os
    import shutil
    import sys

    from flowctl.cli.board_view import Style, fitting_limit
    from flowctl.queries.board import board as build
    from flowctl.render import render, to_json

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    the_pipeline = session.workspace.pipeline(pipeline) if pipeline else session.workspace.default_pipeline(guess=True)
    login = session.workspace.teammate(user).login if user is not None else None
    style = Style(tty=fmt == "table" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    width, height = shutil.get_terminal_size()  # COLUMNS and LINES first, then the terminal, else 80×24
    width, height = min(width, MAX_SIZE), min(height, MAX_SIZE)  # COLUMNS=10**20 is a typo, not a screen
    if limit is None:
        stages = sum(1 for s in the_pipeline.stages if s.is_open)
        limit = fitting_limit(stages, width, height, style) if style.tty else DEFAULT_LIMIT
    result = build(session, the_pipeline, login, limit)
    if fmt == "json":
        echo(to_json(result))
    elif fmt == "csv":
        echo(render(_csv_rows(the_pipeline, result), "csv", CSV_COLUMNS))
    else:
        echo(_table(session, the_pipeline, result, width, style))


def _csv_rows(pipeline, result: dict) -> list[dict]:
    """A row per card shown, with its stage's figures; a stage without a card shown still has its row."""
    from flowctl.cli.views import money_text

    rows = []
    for column in result["columns"]:
        stage = {"stage_label": column["stage_label"], "stage_deals": column["deals"],
                 "stage_budget": money_text(pipeline, column["budget"])}
        rows += [{**stage, **card, "budget_shown": money_text(pipeline, card["budget"]),
                  "over_limit": str(card["over_limit"]).lower(), "overdue_task": str(card["overdue_task"]).lower()}
                 for card in column["cards"]] or [stage]
    return rows


def _age(seconds: int) -> str:
    """How long a deal has been in its stage, in its largest unit: 12 d, 5 h, 7 min."""
    for unit, size in (("unit_days", 86400), ("unit_hours", 3600)):
        if seconds >= size:
            return M.text(unit, count=seconds // size)
    return M.text("unit_minutes", count=seconds // 60)


def _table(session, pipeline, result: dict, width: int, style) -> str:
    from flowctl.cli.board_view import OVER_LIMIT, OVERDUE, Card, Column, draw
    from flowctl.cli.views import money_text

    columns, marks = [], set()
    for column in result["columns"]:
        cards = []
        for card in column["cards"]:
            mark = (OVER_LIMIT if card["over_limit"] else " ") + (OVERDUE if card["overdue_task"] else " ")
            marks |= set(mark.strip())
            cards.append(Card(f"#{card['id']}", M.visible(card["contact"]) or "—",
                              money_text(pipeline, card["budget"]) or "—", _age(card["seconds"]), mark))
        more = M.text("board_more", count=column["more"]) if column["more"] else ""
        columns.append(Column(column["stage_label"], M.plural("board_deals", column["deals"]),
                              money_text(pipeline, column["budget"]), cards, more))
    total = M.text("board_figures", deals=M.plural("board_deals", result["deals"]),
                   budget=money_text(pipeline, result["budget"]))
    title = (M.text("board_title_user", pipeline=pipeline.name, name=session.shown_name(result["user"]),
                    figures=total) if result["user"] else M.text("board_title", pipeline=pipeline.name, figures=total))
    legend = [M.text(key, mark=mark) for mark, key in ((OVER_LIMIT, "board_mark_over_limit"),
                                                       (OVERDUE, "board_mark_overdue")) if mark in marks]
    return draw(title, columns, legend, width, style)

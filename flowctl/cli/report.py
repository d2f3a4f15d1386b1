"""`flowctl report funnel|forecast|managers|velocity|html`."""

import os
import sys
from pathlib import Path

import typer

from flowctl.cli import complete
from flowctl.cli.common import FormatOption, check_format, echo, new_app
from flowctl.cli.session import open_session

app = new_app("Reports for the head of sales. --from/--to select deals by their lead date (F5).")

PipelineOption = typer.Option(None, "--pipeline", "-p", autocompletion=complete.pipelines, help="Pipeline id or name (default: every pipeline).")
FromOption = typer.Option(None, "--from", help="Deals whose lead date is on or after this day (2026-01-01, 01.01.2026).")
ToOption = typer.Option(None, "--to", help="…and on or before this day.")
MonthOption = typer.Option(None, "--month", help="2026-12, 12.2026 or December 2026 (default: this month).")


def _day(session, text: str | None) -> str | None:
    from flowctl.when import parse_when

    if not text:
        return None
    return parse_when(text, session.now, session.workspace.tz).astimezone(session.workspace.tz).date().isoformat()


def _period(session, from_: str | None, to: str | None) -> tuple[str | None, str | None]:
    """--from/--to as days; a --from after the --to is a usage error, not a report of nothing."""
    from datetime import date

    from flowctl import language
    from flowctl import messages as M
    from flowctl.errors import UsageError

    start, end = _day(session, from_), _day(session, to)
    if start and end and start > end:
        raise UsageError(M.text("report_period_reversed", start=language.day(date.fromisoformat(start)),
                                end=language.day(date.fromisoformat(end))))
    return start, end


def _pipelines(session, name: str | None) -> list:
    """The pipeline named (by id or name), else every pipeline of the workspace, the default one first."""
    if name:
        return [session.workspace.pipeline(name)]
    first = session.workspace.default_pipeline(guess=True)
    return [first, *(p for p in session.workspace.pipelines().values() if p is not first)]


def _emit(pipelines: list, results: list, fmt: str, shape, extra: dict | None = None, footer: str = "",
          labelled=lambda pipeline, result: result) -> None:
    """One pipeline: its report as it always was. Several: json {"pipelines": [...]} (each result as
    `labelled(pipeline, result)` gives it), a table under each pipeline's name, csv with the pipeline in a first
    column. `shape(pipeline, result)` gives (rows, columns, table footer) of one pipeline's report."""
    from flowctl.render import render, to_json

    if fmt == "json":
        several = {"pipelines": [labelled(p, r) for p, r in zip(pipelines, results)], **(extra or {})}
        echo(to_json(results[0] if len(results) == 1 else several))
        return
    shaped = [shape(p, r) for p, r in zip(pipelines, results)]
    if len(shaped) == 1:
        rows, columns, own_footer = shaped[0]
        echo(render(rows, fmt, columns, footer=own_footer if fmt == "table" else None))
        return
    if fmt == "csv":
        columns = [("pipeline", "pipeline"), *shaped[0][1]]
        echo(render([{**row, "pipeline": p.id} for p, (rows, _, _) in zip(pipelines, shaped) for row in rows], fmt,
                    columns))
        return
    sections = [f"«{p.name}»\n" + render(rows, fmt, columns, footer=own_footer)
                for p, (rows, columns, own_footer) in zip(pipelines, shaped)]
    echo("\n\n".join(sections) + footer)


def _bars_wanted() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _pct(value) -> str:
    from flowctl import language

    return language.percent(value)


@app.command("funnel")
def funnel(ctx: typer.Context, pipeline: str = PipelineOption, from_: str = FromOption, to: str = ToOption,
           fmt: str = FormatOption):
    """Deals and budget per stage now; conversion to the next stage from the history of moves; win rate."""
    from flowctl import messages as M
    from flowctl.queries.reports import funnel as build
    from flowctl.cli.views import money_text

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    pipelines = _pipelines(session, pipeline)
    period = _period(session, from_, to)

    def shape(p, result):
        rows = [{**r, "budget_shown": money_text(p, r["budget"]), "conversion_shown": _pct(r["conversion"])}
                for r in result["stages"]]
        columns = [("order", "#"), ("stage_label", "stage"), ("deals", "deals now"), ("budget_shown", "budget now"),
                   ("entered", "entered"), ("went_on", "went on"), ("conversion_shown", "conversion"),
                   ("sent_back", "sent back")]
        if fmt == "table" and _bars_wanted():
            widest = max((r["entered"] for r in rows), default=0) or 1
            for r in rows:
                r["bar"] = "█" * max(1 if r["entered"] else 0, round(30 * r["entered"] / widest))
            columns.append(("bar", ""))
        footer = "\n" + M.text("funnel_win_rate", rate=_pct(result["win_rate"]) or "—", won=result["won"],
                              lost=result["lost"])
        if result["corrections"]:
            footer += "\n" + M.text("funnel_corrections", count=result["corrections"])
        if result["undated_deals"]:
            footer += "\n" + M.text("report_undated", count=result["undated_deals"])
        return rows, columns, footer

    _emit(pipelines, [build(session, p, *period) for p in pipelines], fmt, shape)


@app.command("forecast")
def forecast(ctx: typer.Context, pipeline: str = PipelineOption,
             month: str = MonthOption,
             weighted: bool = typer.Option(False, "--weighted", help="Weight open budgets by the stage's probability."),
             fmt: str = FormatOption):
    """The monthly plan (W1): open budget in the plan stages beside the money already in the cash register (L6)."""
    from flowctl import messages as M
    from flowctl.queries.reports import forecast as build
    from decimal import Decimal

    from flowctl.cli.views import money_text
    from flowctl.when import parse_month

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    pipelines = _pipelines(session, pipeline)
    the_month = parse_month(month, session.today) if month else session.today
    results = [build(session, p, the_month, weighted) for p in pipelines]

    def shape(p, result):
        rows = [{**r, "budget_shown": money_text(p, r["budget"]), "expected_shown": money_text(p, r["expected"])}
                for r in result["stages"]]
        rows.append({"stage_label": M.text("forecast_won", month=result["month"]), "deals": result["won_deals"],
                     "budget_shown": money_text(p, result["won"]), "expected_shown": money_text(p, result["won"])})
        columns = [("stage_label", "stage"), ("deals", "deals"), ("budget_shown", "budget"),
                   ("probability", "probability"), ("expected_shown", "in the plan")]
        footer = f"\n{M.text('forecast_total', month=result['month'], total=money_text(p, result['total']))}"
        if result["won_imported_undated"]:
            footer += "\n" + M.text("report_won_undated", count=result["won_imported_undated"], month=result["month"])
        return rows, columns, footer

    total = str(sum((Decimal(r["total"]) for r in results), Decimal("0.00")))
    _emit(pipelines, results, fmt, shape, extra={"total": total},
          footer="\n\n" + M.text("forecast_total_all", month=results[0]["month"],
                                  total=money_text(pipelines[0], total)))


@app.command("managers")
def managers(ctx: typer.Context, pipeline: str = PipelineOption, from_: str = FromOption, to: str = ToOption,
             fmt: str = FormatOption):
    """Per responsible user: open deals, won (count and sum), lost, win rate, overdue tasks, tasks done in the period."""
    from flowctl.queries.reports import managers as build
    from flowctl.cli.views import money_text
    from flowctl.render import render

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    pipelines = _pipelines(session, pipeline)
    p = pipelines[0]  # how money is written
    rows = build(session, pipelines, *_period(session, from_, to))
    shown = [{**r, "won_sum_shown": money_text(p, r["won_sum"]), "win_rate_shown": _pct(r["win_rate"])}
             for r in rows]
    echo(render(rows if fmt == "json" else shown, fmt,
                [("name", "manager"), ("open_deals", "open"), ("won", "won"), ("won_sum_shown", "won sum"),
                 ("lost", "lost"), ("win_rate_shown", "win rate"), ("overdue_tasks", "overdue tasks"),
                 ("tasks_done", "tasks done")]))


@app.command("velocity")
def velocity(ctx: typer.Context, pipeline: str = PipelineOption, from_: str = FromOption, to: str = ToOption,
             fmt: str = FormatOption):
    """Time deals spend in each open stage (median, 90th percentile, from history), and deals over its limit now."""
    from flowctl.queries.reports import velocity as build

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    pipelines = _pipelines(session, pipeline)
    period = _period(session, from_, to)
    columns = [("stage_label", "stage"), ("stays", "stays"), ("median", "median"), ("p90", "90%"), ("limit", "limit"),
               ("over_limit_now", "over limit now")]
    _emit(pipelines, [build(session, p, *period) for p in pipelines], fmt, lambda p, rows: (rows, columns, None),
          labelled=lambda p, rows: {"pipeline": p.id, "stages": rows})


@app.command("html")
def html(ctx: typer.Context, pipeline: str = PipelineOption, from_: str = FromOption, to: str = ToOption,
         month: str = MonthOption,
         output: Path = typer.Option(None, "--output", "-o", help="Write the page here instead of standard output.")):
    """One HTML page for the head of sales: the funnel, the month's plan beside the money won and the last twelve
    months, managers, time in stage, hygiene. Self-contained: it opens from a disk or a mail attachment with no
    network. Its figures are those of the other reports with the same options (and of flowctl check)."""
    from flowctl.cli.common import check_writable, write_whole
    from flowctl.queries.overview import overview
    from flowctl.render_html import page
    from flowctl.when import parse_month

    session = open_session(ctx, read_only=True)
    pipelines = _pipelines(session, pipeline)
    period = _period(session, from_, to)
    the_month = parse_month(month, session.today) if month else session.today
    if output:
        check_writable(output)  # before the figures are gathered: a refused path is said at once
    text = page(session, pipelines, overview(session, pipelines, *period, the_month))
    if output:
        write_whole(output, text)
    else:
        echo(text.rstrip("\n"))

"""`flowctl agenda` and `flowctl check`: the manager's morning."""

import typer

from flowctl.cli import complete
from flowctl.cli.common import FormatOption, check_format, echo
from flowctl.cli.session import open_session

AGENDA_COLUMNS = [("n", "#"), ("mark", "overdue"), ("due_local", "due"), ("stage_label", "stage"),
                  ("deal_id", "deal"), ("contact", "contact"), ("budget_shown", "budget"), ("type_label", "task"),
                  ("task_id", "task #")]
CHECK_COLUMNS = [("rule", "rule"), ("deal_id", "deal"), ("responsible_shown", "responsible"),
                 ("stage_label", "stage"), ("for", "for"), ("what", "what")]


def agenda(ctx: typer.Context,
           user: str = typer.Option(None, "--user", "-u", autocompletion=complete.logins, help="Whose agenda (default: yours)."),
           day: str = typer.Option(None, "--date", "-d", help="Which day (default: today): 2026-12-01, tomorrow, …"),
           fmt: str = FormatOption):
    """Today's and overdue tasks in the work order (W4 new leads, W1 КП/смета by budget, W2, W3), with the time it takes (L4)."""
    from flowctl import language
    from flowctl import messages as M
    from flowctl.cli.views import local, money_text, overdue_mark
    from flowctl.queries.agenda import agenda as build
    from flowctl.render import render, to_json

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    login = session.workspace.teammate(user).login if user else session.actor.login
    the_day = session.today
    if day:
        from flowctl.when import parse_when

        the_day = parse_when(day, session.now, session.workspace.tz).astimezone(session.workspace.tz).date()
    result = build(session, login, the_day)
    if fmt == "json":
        echo(to_json(result))
        return
    rows = []
    for n, row in enumerate(result["tasks"], start=1):
        rows.append({**row, "n": n, "mark": overdue_mark(row["overdue"]),
                     "due_local": local(session, row["due"]),
                     "budget_shown": money_text(session.workspace.stored_pipeline(row["pipeline"]), row["budget"])})
    if fmt == "csv":
        echo(render(rows, "csv", AGENDA_COLUMNS))
        return
    name = session.workspace.team[login].name
    if not rows:
        echo(M.text("agenda_empty", name=name, day=language.day(the_day)))
        return
    echo(M.text("agenda_title", name=name, login=login, day=language.day(the_day)) + "\n")
    echo(render(rows, "table", AGENDA_COLUMNS))
    echo(f"\n{result['estimate']}")


def check(ctx: typer.Context,
          user: str = typer.Option(None, "--user", "-u", autocompletion=complete.logins, help="Only this user's deals and tasks."),
          strict: bool = typer.Option(False, "--strict", help="Exit 1 when anything is found (for a morning job)."),
          fmt: str = FormatOption):
    """Information hygiene (L8): deals without tasks, overdue tasks (L1), deals over a stage's limit (W4, Q2), missing fields."""
    from flowctl import messages as M
    from flowctl.cli.views import person
    from flowctl.queries.hygiene import check as run_check
    from flowctl.render import render

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    login = session.workspace.teammate(user).login if user else None
    findings = run_check(session, login)
    rows = [{**f, "responsible_shown": person(session, f["responsible"])} for f in findings]
    if fmt == "table":
        echo(render(rows, "table", CHECK_COLUMNS) if findings else M.text("check_clean"))
        if findings:
            typer.echo(M.plural("check_summary", len(findings)), err=True)
    else:
        echo(render(findings if fmt == "json" else rows, fmt, CHECK_COLUMNS))
    raise typer.Exit(1 if strict and findings else 0)

"""`flowctl task add|done|postpone|cancel|reassign|list`."""

import typer

from flowctl import messages as M
from flowctl.cli import complete
from flowctl.cli.common import FormatOption, check_format, echo, new_app
from flowctl.cli.session import open_session

app = new_app("Tasks: what to close the client on next (T1–T3), completed by the laws (L2, L3).")

WhenHelp = "ISO date/time, or: today 15:00, tomorrow 10:00, +2d, +3h, friday / пятница (workspace time zone)."


def _print_task(session, task: dict, fmt: str, summary: str) -> None:
    from flowctl.render import to_json

    echo(to_json(task) if fmt == "json" else summary)


@app.command("add")
def add(ctx: typer.Context, deal_id: int = typer.Argument(..., metavar="DEAL"),
        task_type: str = typer.Option(..., "--type", "-t", help="Task type id or label from the pipeline."),
        due: str = typer.Option(..., "--due", "-d", help=WhenHelp),
        text: str = typer.Option(None, "--text", help="What exactly to do (default: the type's label)."),
        to: str = typer.Option(None, "--to", autocompletion=complete.logins, help="Login or name of who does it (default: the deal's responsible)."),
        past: bool = typer.Option(False, "--past", help="Allow a due time in the past."),
        fmt: str = FormatOption):
    """Set a task on a deal."""
    from flowctl.services import tasks

    check_format(fmt)
    session = open_session(ctx)
    task = tasks.add(session, deal_id, task_type, due, text, to, past)
    _print_task(session, task, fmt, M.text("task_added", id=task["id"], deal=deal_id, text=task["text"],
                                           due=task["due_local"]))


@app.command("done")
def done(ctx: typer.Context, task_id: int = typer.Argument(..., metavar="TASK"),
         result: str = typer.Option(None, "--result", "-r", help="The result, as a comment (L3)."),
         contact: str = typer.Option(None, "--contact", help="How you reached the client: call, meeting, … (L2)."),
         fmt: str = FormatOption):
    """Complete a task: only with a result comment (L3) and a contact with the client (L2)."""
    from flowctl.services import tasks

    check_format(fmt)
    session = open_session(ctx)
    task = tasks.done(session, task_id, result, contact)
    _print_task(session, task, fmt, M.text("task_done", id=task["id"]))


@app.command("postpone")
def postpone(ctx: typer.Context, task_id: int = typer.Argument(..., metavar="TASK"),
             due: str = typer.Option(..., "--due", "-d", help=WhenHelp),
             reason: str = typer.Option(None, "--reason", help="Why (kept in the deal's history)."),
             past: bool = typer.Option(False, "--past", help="Allow a due time in the past."),
             fmt: str = FormatOption):
    """Move a task's due time, with a reason."""
    from flowctl.services import tasks

    check_format(fmt)
    session = open_session(ctx)
    task = tasks.postpone(session, task_id, due, reason, past)
    _print_task(session, task, fmt, M.text("task_postponed", id=task["id"], due=task["due_local"]))


@app.command("cancel")
def cancel(ctx: typer.Context, task_id: int = typer.Argument(..., metavar="TASK"),
           reason: str = typer.Option(None, "--reason", help="Why it is cancelled (kept in the deal's history)."),
           fmt: str = FormatOption):
    """Cancel a wrong or duplicate task, with a reason (who may is set in the pipeline)."""
    from flowctl.services import tasks

    check_format(fmt)
    session = open_session(ctx)
    task = tasks.cancel(session, task_id, reason)
    _print_task(session, task, fmt, M.text("task_cancelled", id=task["id"]))


@app.command("reassign")
def reassign(ctx: typer.Context, task_id: int = typer.Argument(..., metavar="TASK"),
             to: str = typer.Option(..., "--to", autocompletion=complete.logins, help="Login or name of the teammate who does it now."),
             reason: str = typer.Option(None, "--reason", help="Why (kept in the deal's history)."),
             fmt: str = FormatOption):
    """Hand a task to a teammate (who may is set in the pipeline)."""
    from flowctl.services import tasks

    check_format(fmt)
    session = open_session(ctx)
    task = tasks.reassign(session, task_id, to, reason)
    _print_task(session, task, fmt, M.text("task_reassigned", id=task["id"],
                                           name=session.shown_name(task["responsible"])))


@app.command("list")
def list_(ctx: typer.Context,
          user: str = typer.Option(None, "--user", "-u", autocompletion=complete.logins, help="Login (default: everyone)."),
          deal: int = typer.Option(None, "--deal"),
          overdue: bool = typer.Option(False, "--overdue", help="Only open tasks past their due time (L1)."),
          due: str = typer.Option(None, "--due", help="Only tasks due that day (today, tomorrow, 2026-12-01, …)."),
          all_: bool = typer.Option(False, "--all", help="Done and cancelled tasks too."),
          fmt: str = FormatOption):
    """Tasks, open ones by default."""
    from flowctl.cli.views import TASK_COLUMNS, task_rows
    from flowctl.render import render
    from flowctl.services import tasks

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    rows = tasks.list_tasks(session, user, deal, overdue, due, None if all_ else "open")
    if fmt == "table" and not rows:
        echo(M.text("task_list_empty" if all_ else "task_list_empty_open"))
        return
    echo(render(task_rows(session, rows) if fmt != "json" else rows, fmt, TASK_COLUMNS))

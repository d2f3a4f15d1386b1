"""`flowctl`: the root command. Sub-commands import their heavy modules lazily, inside the command."""

from __future__ import annotations

import typer

from flowctl import __version__
from flowctl.cli import board, contact, data, day, db, deal, demo, init, pipeline, publish, report, task, validate
from flowctl.cli.common import new_app, options

app = new_app("flowctl: a sales pipeline declared in YAML and enforced.")


def _version(value: bool):
    if value:
        typer.echo(f"flowctl {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    store: str = typer.Option(None, "--store", envvar="FLOWCTL_STORE",
                              help="The store: a path ending .db/.sqlite (SQLite) or .json, or a URL."),
    acting_user: str = typer.Option(None, "--as", envvar="FLOWCTL_USER",
                                    help="Act as this team member (default: the OS login)."),
    traceback: bool = typer.Option(False, "--traceback", help="Show the full traceback of an internal error."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
):
    opts = options(ctx)
    opts.store, opts.acting_user, opts.traceback = store, acting_user, traceback


app.command("demo")(demo.demo)
app.command("init")(init.init)
app.command("validate")(validate.validate)
app.add_typer(pipeline.app, name="pipeline")
app.command("graph")(pipeline.graph)
app.add_typer(contact.app, name="contact")
app.add_typer(deal.app, name="deal")
app.add_typer(task.app, name="task")
app.command("agenda")(day.agenda)
app.command("check")(day.check)
app.command("board")(board.board)
app.add_typer(report.app, name="report")
app.add_typer(data.import_app, name="import")
app.command("export")(data.export)
app.command("migrate")(data.migrate)
app.add_typer(db.app, name="db")
app.command("publish")(publish.publish)


def main() -> None:
    app(prog_name="flowctl")

"""`flowctl`: the root command. Only the command that runs is imported and built: the root knows each command's
module and the line its listing shows, so `flowctl --help` and completing a command's name import none of them
(building every command's typer objects, when one is run, cost a third of a run's start-up)."""

import importlib

import typer
import typer.main

from flowctl import __version__
from flowctl.cli.common import FlowGroup, new_app, options
from flowctl.cli.complete import logins as complete_logins

# name: (module under flowctl.cli, its typer app or command function, the line `flowctl --help` lists it with).
# A group without help of its own shows this line as its help too.
COMMANDS = {
    "demo": ("demo", "demo", "Play the worked example (E1–E4) on a throwaway store."),
    "init": ("init", "init", "Create a workspace: flowctl.yaml, the pipeline and a store."),
    "validate": ("validate", "validate", "Check pipeline files: YAML, schema and lint (CI's exit code)."),
    "test": ("scenarios", "test", "Play scenarios: prove the pipeline keeps the regulation."),
    "graph": ("pipeline", "graph", "A pipeline as a Mermaid or Graphviz diagram."),
    "agenda": ("day", "agenda", "Today's and overdue tasks in the work order (W1–W4)."),
    "check": ("day", "check", "Information hygiene (L8): what is missing or late."),
    "board": ("board", "board", "The pipeline as a board: a column per open stage."),
    "export": ("data", "export", "Everything the store holds, so a team can leave with its data."),
    "migrate": ("data", "migrate", "Apply the renames the pipelines declare to the stored deals."),
    "publish": ("publish", "publish", "Publish the rules (pipelines, team) everybody works under."),
    "pipeline": ("pipeline", "app", "Look at a pipeline."),
    "contact": ("contact", "app", "Contacts: the clients (F8–F11)."),
    "deal": ("deal", "app", "Deals and their moves through the pipeline."),
    "task": ("task", "app", "Tasks: what to close the client on next (T1–T3)."),
    "report": ("report", "app", "Reports for the head of sales."),
    "import": ("data", "import_app", "Bring in another CRM's deals and contacts, or a whole export."),
    "db": ("db", "app", "The PostgreSQL server a team shares: roles for its members."),
}


class RootGroup(FlowGroup):
    """The root: its commands are listed from COMMANDS and built the first time they are asked for."""

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, name: str):
        if name not in self.commands and name in COMMANDS:
            self.commands[name] = command = _build(name)
            if getattr(self, "_flowctl_language", "en") != "en":  # the root is in another language already
                from flowctl.cli.localize import localize

                localize(command)
        return self.commands.get(name)

    def get_params(self, ctx):
        """The completion options typer adds, answering in the user's language (cli/complete.py)."""
        from flowctl.cli.complete import install_option, show_option

        params = super().get_params(ctx)
        for param in params:
            param.callback = {"install_completion": install_option, "show_completion": show_option}.get(
                param.name, param.callback)
        return params

    def every_command(self):
        """The whole tree, built: for the tools and tests that walk every command's help."""
        for name in COMMANDS:
            self.get_command(None, name)
        return self

    def format_commands(self, ctx, formatter) -> None:
        from typer._click.utils import make_default_short_help

        from gettext import gettext

        from flowctl import language

        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [(name, make_default_short_help(language.translate(summary), limit))
                for name, (_, _, summary) in COMMANDS.items()]
        with formatter.section(gettext("Commands")):  # typer's own heading, as its listing says it
            formatter.write_dl(rows)

    def shell_complete(self, ctx, incomplete: str):
        """Command names with their lines, and the root's options, without building a command."""
        from typer._click.core import Command
        from typer._click.shell_completion import CompletionItem

        from flowctl import language

        items = [CompletionItem(name, help=language.translate(summary))
                 for name, (_, _, summary) in COMMANDS.items() if name.startswith(incomplete)]
        return items + Command.shell_complete(self, ctx, incomplete)  # the options' names: a command's own way

    def _main_shell_completion(self, ctx_args, prog_name, complete_var=None):
        from flowctl.cli.complete import use_shell_classes

        use_shell_classes()
        super()._main_shell_completion(ctx_args, prog_name, complete_var)


def _build(name: str):
    module, attribute, summary = COMMANDS[name]
    target = getattr(importlib.import_module(f"flowctl.cli.{module}"), attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = new_app()
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    command.help = command.help or summary
    command.short_help = summary
    return command


app = new_app("flowctl: a sales pipeline declared in YAML and enforced.", cls=RootGroup, completion=True)


def _version(value: bool):
    if value:
        typer.echo(f"flowctl {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    store: str = typer.Option(None, "--store", envvar="FLOWCTL_STORE",
                              help="The store: a path ending .db/.sqlite (SQLite) or .json, or a URL."),
    acting_user: str = typer.Option(None, "--as", envvar="FLOWCTL_USER", autocompletion=complete_logins,
                                    help="Act as this team member (default: the OS login)."),
    traceback: bool = typer.Option(False, "--traceback", help="Show the full traceback of an internal error."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
):
    opts = options(ctx)
    opts.store, opts.acting_user, opts.traceback = store, acting_user, traceback


def main() -> None:
    app(prog_name="flowctl")

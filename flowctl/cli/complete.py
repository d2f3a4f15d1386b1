"""Shell completion: what a command's values may be, read from the workspace (stage and field labels, logins,
pipeline names), and the shells' side of it.

typer keeps only the values that begin with what was typed, as typed; flowctl takes labels and names in any case,
so a value that matches in another case (or with ё for е) is offered as what was typed followed by the rest of it:
`гор` → `горЯЧИЕ`. Nothing here may fail a shell: a folder without a workspace, or a broken one, offers nothing.
"""

import re
from pathlib import Path


def _workspace():
    from flowctl.errors import FlowError
    from flowctl.workspace import find_config, load

    config = find_config(Path.cwd())
    if config is None:
        return None
    try:
        workspace = load(config)
        workspace.pipelines()
    except FlowError:
        return None
    return workspace


def _pipelines(workspace, ctx) -> list:
    """The pipelines the command is about: the one its --pipeline names, else all of them."""
    from flowctl.errors import FlowError

    if workspace is None:
        return []
    named = (ctx.params or {}).get("pipeline") if ctx is not None else None
    if named:
        try:
            return [workspace.pipeline(named)]
        except FlowError:
            pass
    return list(workspace.pipelines().values())


def _team(workspace) -> list[tuple[str, str]]:
    return [(m.login, m.name) for m in workspace.team.values()] if workspace else []


def _offer(candidates, incomplete: str) -> list[tuple[str, str]]:
    """(value, help) of the candidates that begin with what was typed, in any case; each once."""
    from flowctl.pipeline.model import fold

    typed, offered, seen = fold(incomplete), [], set()
    for value, help_text in candidates:
        if value not in seen and fold(value).startswith(typed):
            seen.add(value)
            offered.append((incomplete + value[len(incomplete):], help_text))
    return offered


def stages(ctx, incomplete: str):
    return _offer(((s.label, s.id) for p in _pipelines(_workspace(), ctx) for s in p.stages), incomplete)


def pipelines(ctx, incomplete: str):
    return _offer(((p.id, p.name) for p in _pipelines(_workspace(), None)), incomplete)


def logins(ctx, incomplete: str):
    return _offer(_team(_workspace()), incomplete)


def deal_fields(ctx, incomplete: str):
    workspace = _workspace()
    return _assignments(workspace, [f for p in _pipelines(workspace, ctx) for f in p.deal_fields], incomplete)


def contact_fields(ctx, incomplete: str):
    workspace = _workspace()
    return _assignments(workspace, list(workspace.contact_fields) if workspace else [], incomplete)


def _assignments(workspace, fields: list, incomplete: str):
    """KEY=VALUE: a field's label and `=`; after the `=`, the field's options (an enum), or the team's logins."""
    key, equals, typed = incomplete.partition("=")
    if not equals:
        return _offer(((f"{f.label}=", f.id) for f in fields), incomplete)
    from flowctl.pipeline.model import fields_by_name, fold

    field = fields_by_name(fields).get(fold(key))
    if field is None:
        return []
    values = _team(workspace) if field.type == "user" else [(o.label, str(o.id)) for o in field.options]
    return [(f"{key}={value}", help_text) for value, help_text in _offer(values, typed)]


SHELLS = ("bash", "zsh", "fish")

# typer's bash script hands over bash's words, which bash splits at `=` and `:` too (COMP_WORDBREAKS), so that
# `-F Покрытие=мет` arrives in pieces; this one hands over the line up to the cursor, and leaves no space after a
# `KEY=` it completes, for its value comes next.
BASH_SCRIPT = r"""
%(complete_func)s() {
    local IFS=$'\n'
    COMPREPLY=( $(env COMP_LINE="${COMP_LINE:0:COMP_POINT}" %(autocomplete_var)s=complete_bash $1) )
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then compopt -o nospace; fi
    return 0
}

complete -o default -F %(complete_func)s %(prog_name)s
"""


def use_shell_classes() -> None:
    """The shells' sides as typer has them, but bash's as above, with its values quoted (a label has spaces), and
    zsh's and fish's help left as it is: typer renders it with rich, whose import takes longer than the answer."""
    import os

    from typer import _completion_shared
    from typer._click.shell_completion import add_completion_class, split_arg_string
    from typer._completion_classes import BashComplete, FishComplete, ZshComplete

    class Bash(BashComplete):
        source_template = BASH_SCRIPT

        def get_completion_args(self) -> tuple[list[str], str]:
            line = os.environ.get("COMP_LINE", "")
            words = split_arg_string(line)
            incomplete = words.pop() if words and not line[-1:].isspace() else ""
            return words[1:], incomplete

        def complete(self) -> str:
            args, incomplete = self.get_completion_args()
            start = max(incomplete.rfind("="), incomplete.rfind(":")) + 1  # where bash's word begins
            return "\n".join(re.sub(r"([^\w@%+=:,./-])", r"\\\1", item.value[start:])
                             for item in self.get_completions(args, incomplete))

    class Zsh(ZshComplete):
        def format_completion(self, item) -> str:
            def escape(s: str) -> str:
                return s.replace('"', '""').replace("'", "''").replace("$", "\\$").replace("`", "\\`").replace(
                    ":", r"\\:")

            return f'"{escape(item.value)}":"{escape(item.help)}"' if item.help else f'"{escape(item.value)}"'

    class Fish(FishComplete):
        def format_completion(self, item) -> str:
            return f"{item.value}\t{' '.join(item.help.split())}" if item.help else item.value

    _completion_shared._completion_scripts["bash"] = BASH_SCRIPT  # what --install-completion writes for bash
    for shell in (Bash, Zsh, Fish):
        add_completion_class(shell, shell.name)


def _shell(value) -> str:
    """The shell named (typer's test mode) or the one flowctl runs in; refused unless flowctl completes it."""
    import typer
    from typer._completion_shared import _get_shell_name

    from flowctl import messages as M
    from flowctl.errors import ExitCode

    shell = value if isinstance(value, str) else _get_shell_name()
    if shell not in SHELLS:
        typer.echo(f"flowctl: {M.text('completion_shell', shell=shell or '?', shells=', '.join(SHELLS))}", err=True)
        raise typer.Exit(int(ExitCode.USAGE))
    return shell


def install_option(ctx, param, value):
    """`--install-completion`: the shell's script written where the shell reads it, said in the user's language."""
    import typer
    from typer._completion_shared import install

    from flowctl import messages as M
    from flowctl.errors import ExitCode

    if not value or ctx.resilient_parsing:
        return value
    shell = _shell(value)
    use_shell_classes()
    try:
        _, path = install(shell=shell, prog_name=ctx.find_root().info_name)
    except OSError as error:
        typer.echo(f"flowctl: {M.text('completion_unwritable', reason=error.strerror or error)}", err=True)
        raise typer.Exit(int(ExitCode.USAGE))
    typer.echo(M.text("completion_installed", shell=shell, path=path))
    raise typer.Exit()


def show_option(ctx, param, value):
    """`--show-completion`: the shell's script, to put where one likes."""
    import typer
    from typer._completion_shared import get_completion_script

    if not value or ctx.resilient_parsing:
        return value
    shell = _shell(value)
    use_shell_classes()
    prog_name = ctx.find_root().info_name
    complete_var = f"_{prog_name.replace('-', '_').upper()}_COMPLETE"
    typer.echo(get_completion_script(prog_name=prog_name, complete_var=complete_var, shell=shell))
    raise typer.Exit()

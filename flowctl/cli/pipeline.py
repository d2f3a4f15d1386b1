"""`flowctl pipeline show` and `flowctl graph`: the pipeline as a table and as a diagram."""

import typer

from flowctl import messages as M
from flowctl.cli import complete
from flowctl.cli.common import FormatOption, check_format, echo, new_app
from flowctl.errors import UsageError

app = new_app()


def load(name: str):
    from flowctl.pipeline.compile import compile_file
    from flowctl.workspace import pipeline_file

    return compile_file(pipeline_file(name))


@app.command("show")
def show(name: str = typer.Argument(..., autocompletion=complete.pipelines, help="Pipeline id (e.g. krovlya) or file."), fmt: str = FormatOption):
    """Stages in order, then every move with who may make it, its conditions and what the target stage requires."""
    from flowctl.queries.pipeline_view import conditions_shown, stage_rows, transition_rows
    from flowctl.render import render, to_json

    check_format(fmt)
    pipeline = load(name)
    stages, transitions = stage_rows(pipeline), transition_rows(pipeline)
    if fmt == "json":
        echo(to_json({"id": pipeline.id, "name": pipeline.name, "stages": stages, "transitions": transitions}))
        return
    stage_cols = [("order", "#"), ("id", "id"), ("label", "stage"), ("kind", "kind"), ("max_stay", "max stay"),
                  ("requires", "requires"), ("on_enter", "tasks on enter")]
    move_cols = [("from", "from"), ("to", "to"), ("roles", "who may"), ("conditions_shown", "conditions"),
                 ("requires", "target requires")]
    moves = [{**t, "conditions_shown": conditions_shown(t)} for t in transitions]
    if fmt == "csv":
        echo(render(moves, "csv", move_cols))
        return
    echo(f"{pipeline.name} ({pipeline.id})\n")
    echo(render(stages, "table", stage_cols))
    echo("")
    echo(render(moves, "table", move_cols))


def graph(
    name: str = typer.Argument(..., autocompletion=complete.pipelines, help="Pipeline id (e.g. krovlya) or file."),
    fmt: str = typer.Option("mermaid", "--format", "-f", help="mermaid or dot."),
):
    """The pipeline as a Mermaid or Graphviz diagram, with Russian labels and won/lost marked."""
    from flowctl.pipeline.machine import diagram

    if fmt not in ("mermaid", "dot"):
        raise UsageError(M.text("graph_format", fmt=fmt))
    echo(diagram(load(name), fmt))

"""`flowctl deal create|show|list|set|advance|history`."""

from typing import List

import typer

from flowctl import messages as M
from flowctl.cli.common import NEW_DEALS_PIPELINE_HELP, FormatOption, check_format, echo, new_app
from flowctl.cli import complete
from flowctl.cli.session import open_session

app = new_app()

FieldOption = typer.Option(None, "--field", "-F", autocompletion=complete.deal_fields, help="key=value; key is a field id or its label. Repeatable.")


def _print_deal(session, deal: dict, fmt: str, summary: str | None = None) -> None:
    from flowctl.cli.views import deal_card
    from flowctl.render import to_json

    if fmt == "json":
        echo(to_json(deal))
    else:
        echo(summary or deal_card(session, deal))


@app.command("create")
def create(ctx: typer.Context,
           pipeline: str = typer.Option(None, "--pipeline", "-p", autocompletion=complete.pipelines,
                                         help=NEW_DEALS_PIPELINE_HELP),
           contact: int = typer.Option(None, "--contact", "-c", help="Contact id."),
           field: List[str] = FieldOption, fmt: str = FormatOption):
    """Create a deal in the pipeline's first stage (lead date today, responsible you, product the pipeline's)."""
    from flowctl.services import deals

    check_format(fmt)
    session = open_session(ctx)
    deal = deals.create(session, pipeline, contact, field or [])
    _print_deal(session, deal, fmt, M.text("deal_created", id=deal["id"], stage=deal["stage_label"]))


@app.command("show")
def show(ctx: typer.Context, deal_id: int = typer.Argument(..., metavar="ID"), fmt: str = FormatOption):
    """The deal card: stage, contact and every field."""
    from flowctl.services import deals

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    deal = deals.deal_row(session, deals.get(session, deal_id))
    if fmt == "csv":
        from flowctl.cli.views import DEAL_COLUMNS, deal_rows
        from flowctl.render import render

        echo(render(deal_rows(session, [deal]), "csv", DEAL_COLUMNS))
        return
    _print_deal(session, deal, fmt)


@app.command("list")
def list_(ctx: typer.Context,
          stage: str = typer.Option(None, "--stage", "-s", autocompletion=complete.stages, help="Stage id or label."),
          responsible: str = typer.Option(None, "--responsible", "-r", autocompletion=complete.logins, help="Login of the responsible user."),
          pipeline: str = typer.Option(None, "--pipeline", "-p", autocompletion=complete.pipelines,
                                    help="Pipeline id or name (default: every pipeline)."),
          contact: int = typer.Option(None, "--contact", "-c"),
          sort: str = typer.Option("id", "--sort", help="id, budget, lead_date, stage_since or updated."),
          desc: bool = typer.Option(False, "--desc", help="Biggest / latest first."),
          limit: int = typer.Option(None, "--limit", "-n", min=0),
          fmt: str = FormatOption):
    """Deals, filtered and sorted."""
    from flowctl.cli.views import DEAL_COLUMNS, deal_rows
    from flowctl.render import render
    from flowctl.services import deals

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    rows = deals.list_deals(session, pipeline, stage, responsible, contact, sort, desc, limit)
    if fmt == "table" and not rows:
        echo(M.text("deal_list_empty"))
        return
    echo(render(deal_rows(session, rows) if fmt != "json" else rows, fmt, DEAL_COLUMNS))


@app.command("set")
def set_(ctx: typer.Context, deal_id: int = typer.Argument(..., metavar="ID"),
         assignments: List[str] = typer.Argument(..., metavar="KEY=VALUE...", autocompletion=complete.deal_fields, help="Field id or label = value."),
         fmt: str = FormatOption):
    """Set fields: `flowctl deal set 7 budget="350 000,50" "Когда ПОКУПАЕТ=01.12.2026"`."""
    from flowctl.services import deals

    check_format(fmt)
    session = open_session(ctx)
    deal = deals.set_fields(session, deal_id, assignments)
    _print_deal(session, deal, fmt, M.text("deal_updated", id=deal["id"]))


@app.command("advance")
def advance(ctx: typer.Context, deal_id: int = typer.Argument(..., metavar="ID"),
            stage: str = typer.Argument(..., metavar="STAGE", autocompletion=complete.stages, help="Target stage id or label, any case."),
            field: List[str] = FieldOption,
            comment: str = typer.Option(None, "--comment", "-m",
                                        help="Why: required for a correction (a move back the pipeline allows)."),
            fmt: str = FormatOption):
    """Move a deal to STAGE, if your role may and the stage's required fields are filled (--field counts)."""
    from flowctl.errors import NotPermitted, RuleRefused
    from flowctl.services import deals

    check_format(fmt)
    session = open_session(ctx)
    try:
        deal = deals.advance(session, deal_id, stage, field or [], comment)
    except (RuleRefused, NotPermitted) as refusal:
        if field:  # a refused command writes nothing: the values typed with the move are lost unless we say so
            refusal.message = f"{refusal.message}; {M.text('advance_fields_not_saved', id=deal_id)}"
        raise
    _print_deal(session, deal, fmt, M.text("deal_moved", id=deal["id"], stage=deal["stage_label"]))


@app.command("history")
def history(ctx: typer.Context, deal_id: int = typer.Argument(..., metavar="ID"), fmt: str = FormatOption):
    """Every change to the deal, oldest first: who, when, what."""
    from flowctl.cli.views import history_rows
    from flowctl.render import render
    from flowctl.services import deals

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    events = deals.history(session, deal_id)
    if fmt == "json":
        echo(render(events, "json"))
        return
    pipeline = session.workspace.stored_pipeline(session.store.get_deal(deal_id).pipeline)
    echo(render(history_rows(session, events, pipeline), fmt, [("at", "when"), ("actor", "who"), ("what", "what")]))

"""`flowctl publish`: the pipelines, the team, the powers and the time zone, published into the store."""

import typer

from flowctl.cli.common import check_format, echo


def publish(ctx: typer.Context,
            history: bool = typer.Option(False, "--history", help="List every published version instead."),
            fmt: str = typer.Option("table", "--format", "-f", help="table or json.")):
    """Publish the local pipeline files and flowctl.yaml's team, powers and time zone as the rules everybody
    works under: afterwards every command refuses to run from files that differ. Needs the publish power in
    the version already published; refused when the change would strand data (see validate --store)."""
    from flowctl import messages as M
    from flowctl.cli.session import attach_store, open_session
    from flowctl.cli.views import person
    from flowctl.render import render, to_json
    from flowctl.services import publish as service

    check_format(fmt, ("table", "json"))
    if history:
        session = open_session(ctx, read_only=True, published=False)
        rows = service.history(session)
        shown = [{**r, "by": person(session, r["actor"])} for r in rows]
        echo(to_json(rows) if fmt == "json" else render(shown, "table", [
            ("version", "version"), ("at", "published at"), ("by", "by"), ("pipelines", "pipelines"),
            ("team", "team")]))
        return
    # an empty PostgreSQL database may be published into (its schema comes with the first version); a local
    # store must exist: a mistyped --store leaves no new file
    session = open_session(ctx, with_store=False, published=False)
    attach_store(ctx, session, create=False)
    result = service.publish(session)
    if fmt == "json":
        echo(to_json(result))
    elif result["published"]:
        workspace = session.workspace
        echo(M.text("publish_done", version=result["version"], team=len(workspace.team),
                    pipelines=", ".join(path.name for path in workspace.pipeline_paths)))
    elif result["rules_installed"]:
        echo(M.text("publish_rules_installed", version=result["version"]))
    else:
        echo(M.text("publish_unchanged", version=result["version"]))

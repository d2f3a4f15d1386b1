"""`flowctl db grant LOGIN`: set a team member up on a PostgreSQL store."""

import typer

from flowctl.cli.common import echo, new_app

app = new_app()


@app.command("grant")
def grant(ctx: typer.Context, login: str = typer.Argument(..., help="A team member's login.")):
    """Give the member's database role what flowctl needs and nothing more: read and write rows, append to the
    history; no DELETE, TRUNCATE or schema changes. The role must exist (createuser). Run it as the store's
    owner, who need not be on the team: the server, not flowctl, decides who may grant."""
    from flowctl import messages as M
    from flowctl.cli.common import options
    from flowctl.errors import UsageError
    from flowctl.store import is_server, open_store
    from flowctl.workspace import open_workspace

    workspace = open_workspace(store_override=options(ctx).store)
    if not is_server(workspace.store):
        raise UsageError(M.text("db_local_store", store=workspace.store))
    member = workspace.teammate(login)
    role = member.database_role or member.login
    store = open_store(workspace.store)  # the server decides: only the tables' owner may grant on them
    ctx.call_on_close(store.close)
    store.grant(role, publisher=bool(member.roles & workspace.powers.get("publish", frozenset())))
    echo(M.text("db_granted", role=role, login=member.login))

"""Opening a session for a command: the workspace, the acting user (checked first), the store, the clock."""

import typer

from flowctl import messages as M
from flowctl.cli.common import options


def open_session(ctx: typer.Context, create_store: bool = False, with_store: bool = True,
                 read_only: bool = False, published: bool = True):
    """A session; with_store=False leaves a local store unopened (see attach_store) for a command that checks its
    input before it may create a store. `read_only` for commands that only read: the store cannot be written,
    is never migrated, and no file is created beside it (a teammate who may only read leaves nothing behind).

    On a PostgreSQL store the acting user is the role the server authenticated and "now" is the server's: the
    store is opened first (a new database gets its schema only with the first write, so nothing is written
    before the user is known).

    `published`: the local files must be what the store published last (see services/publish.py); only
    publishing and restoring an export into an empty store do without.
    """
    from flowctl import clock, language
    from flowctl.services.session import Session
    from flowctl.store import is_server
    from flowctl.workspace import open_workspace

    opts = options(ctx)
    workspace = open_workspace(store_override=opts.store)
    language.use(workspace.language or language.from_environment())  # the schema-checked value decides
    workspace.pipelines()  # compiled (or read from the cache) and checked against the team's roles
    ctx.call_on_close(lambda: _warn_gone(workspace))
    if is_server(workspace.store):
        from flowctl.errors import NotPermitted
        from flowctl.when import from_iso_utc

        if opts.acting_user:
            raise NotPermitted(M.text("server_identity_claimed"))
        session = Session(workspace, None, None, None)
        attach_store(ctx, session, create_store or not with_store, read_only)
        role, now = session.store.server_identity()
        session.actor, session.now = workspace.member_by_database_role(role), from_iso_utc(now)
    else:
        actor = workspace.member(opts.acting_user)  # before the store is opened: a stranger writes nothing
        session = Session(workspace, None, actor, clock.now())
        if with_store:
            attach_store(ctx, session, create_store, read_only)
    if published and session.store is not None:
        from flowctl.services.publish import require_published

        require_published(session, is_server(workspace.store))
    return session


def _warn_gone(workspace) -> None:
    """Deals of a pipeline the workspace lost were shown read-only: say so once per pipeline, on stderr."""
    for pipeline_id in sorted(workspace.gone_pipelines):
        typer.echo(M.text("pipeline_gone_warning", pipeline=pipeline_id), err=True)


def attach_store(ctx: typer.Context, session, create: bool = False, read_only: bool = False) -> None:
    """Open the session's store, unless it is open already (a server store is opened with the session)."""
    from flowctl.store import open_store

    if session.store is not None:
        return
    session.store = open_store(session.workspace.store, create=create, read_only=read_only)
    ctx.call_on_close(session.store.close)

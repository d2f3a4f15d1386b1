"""Opening a session for a command: the workspace, the acting user (checked first), the store, the clock."""

from __future__ import annotations

import typer

from flowctl.cli.common import options


def open_session(ctx: typer.Context, create_store: bool = False):
    from flowctl import clock
    from flowctl.services.session import Session
    from flowctl.store import open_store
    from flowctl.workspace import open_workspace

    opts = options(ctx)
    workspace = open_workspace(store_override=opts.store)
    workspace.pipelines()  # compiled (or read from the cache) and checked against the team's roles
    actor = workspace.member(opts.acting_user)  # before the store is opened: a stranger writes nothing
    session = Session(workspace, open_store(workspace.store, create=create_store), actor, clock.now())
    ctx.call_on_close(session.store.close)
    return session

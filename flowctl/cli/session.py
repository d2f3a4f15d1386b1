"""Opening a session for a command: the workspace, the acting user (checked first), the store, the clock."""

from __future__ import annotations

import typer

from flowctl.cli.common import options


def open_session(ctx: typer.Context, create_store: bool = False, with_store: bool = True,
                 read_only: bool = False):
    """A session; with_store=False leaves the store unopened (see attach_store) for a command that checks its
    input before it may create a store. `read_only` for commands that only read: the store cannot be written,
    is never migrated, and no file is created beside it (a teammate who may only read leaves nothing behind)."""
    from flowctl import clock
    from flowctl.services.session import Session
    from flowctl.workspace import open_workspace

    opts = options(ctx)
    workspace = open_workspace(store_override=opts.store)
    workspace.pipelines()  # compiled (or read from the cache) and checked against the team's roles
    actor = workspace.member(opts.acting_user)  # before the store is opened: a stranger writes nothing
    session = Session(workspace, None, actor, clock.now())
    if with_store:
        attach_store(ctx, session, create_store, read_only)
    return session


def attach_store(ctx: typer.Context, session, create: bool = False, read_only: bool = False) -> None:
    from flowctl.store import open_store

    session.store = open_store(session.workspace.store, create=create, read_only=read_only)
    ctx.call_on_close(session.store.close)

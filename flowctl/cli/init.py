"""`flowctl init`: a new workspace with the shipped pipeline and an empty store."""

from pathlib import Path

import typer

from flowctl.cli.common import echo

WORKSPACE_TEMPLATE = """\
# yaml-language-server: $schema=schemas/workspace.schema.json
# The flowctl workspace: the store, the pipelines, the time zone, the powers and the team.
version: 1
store: {store}            # .db/.sqlite = SQLite (default), .json = one JSON file for git
pipelines: [pipelines]    # every *.yaml in this folder
default_pipeline: {default_pipeline}   # where a new deal lands without --pipeline (reports cover every pipeline)
timezone: {timezone}      # "today" and due times are read in this zone
working_hours:            # when the team works: tasks a stage creates fall due inside these hours
  days: [mon, tue, wed, thu, fri]
  from: "09:00"           # in quotes: YAML reads an unquoted 18:00 as a number
  to: "18:00"
language: {language}             # en or ru: what flowctl says and how it writes money and dates
powers:                   # workspace-wide, past every pipeline's move rules: the roles that may
  import: [head]          #   flowctl import deals / contacts
  restore: [head]         #   flowctl import all (an export into an empty store)
  migrate: [head]         #   flowctl migrate (apply the pipelines' renames to the data)
  publish: [head]         #   flowctl publish (the rules everybody works under, kept in the store)
team:                     # only these logins may use the store (--as, FLOWCTL_USER or the OS login)
  - login: {login}
    name: {name}
    roles: {roles}
"""


def init(
    directory: Path = typer.Argument(Path("."), help="Where to create the workspace."),
    store: str = typer.Option("flowctl.db", "--store",
                              help="Store file: .db/.sqlite (SQLite) or .json, or a postgresql:// URL (an empty database)."),
    timezone: str = typer.Option("Europe/Moscow", "--timezone", help="IANA time zone of the team."),
    login: str = typer.Option(None, "--user", help="First team member's login (default: the OS login)."),
    name: str = typer.Option(None, "--name", help="Their display name (default: the login)."),
    roles: str = typer.Option("manager,head", "--roles", help="Their roles, comma-separated."),
):
    """Create flowctl.yaml, pipelines/ (the shipped «Кровля»), its scenarios/, schemas/ and an empty store. Never
    overwrites."""
    import json
    import re
    import shutil
    from importlib import resources
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from flowctl import clock, language
    from flowctl import messages as M
    from flowctl.errors import RuleRefused, UsageError
    from flowctl.scenario import SHIPPED_DIR
    from flowctl.services.publish import publish_first
    from flowctl.store import is_server, open_store
    from flowctl.when import from_iso_utc
    from flowctl.workspace import CONFIG_NAME, _os_login, load, shipped_pipelines_dir

    config = directory / CONFIG_NAME
    if config.exists():
        raise RuleRefused(M.text("init_exists", path=config))
    login = login or _os_login() or "manager"
    role_list = [r.strip() for r in roles.split(",") if r.strip()]
    try:  # everything is checked before anything is written
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(M.text("bad_timezone", tz=timezone))
    if not re.fullmatch(r"[A-Za-z0-9_.@-]+", login):
        raise UsageError(M.text("init_bad_login", login=login))
    if not role_list or not all(re.fullmatch(r"[a-z][a-z0-9_]*", r) for r in role_list):
        raise UsageError(M.text("init_bad_roles", roles=roles))
    if is_server(store):  # a server database that is unreachable, or holds something else, is refused first
        open_store(store, create=True).close()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pipelines").mkdir(exist_ok=True)
    (directory / "schemas").mkdir(exist_ok=True)
    (directory / "scenarios").mkdir(exist_ok=True)
    for shipped, folder in ((shipped_pipelines_dir(), "pipelines"), (SHIPPED_DIR, "scenarios")):
        for source in shipped.glob("*.yaml"):  # the regulation as a pipeline, and as scenarios that prove it
            target = directory / folder / source.name
            if not target.exists():
                shutil.copyfile(source, target)
    for schema in ("pipeline.schema.json", "workspace.schema.json", "scenario.schema.json"):
        (directory / "schemas" / schema).write_text(
            resources.files("flowctl.schemas").joinpath(schema).read_text("utf-8"), "utf-8")
    quoted = {k: json.dumps(v, ensure_ascii=False) for k, v in  # JSON strings are YAML scalars: no quoting slips
              dict(store=store, timezone=timezone, login=login, name=name or login).items()}
    shipped = sorted(p.stem for p in shipped_pipelines_dir().glob("*.yaml"))
    config.write_text(WORKSPACE_TEMPLATE.format(**quoted, roles=json.dumps(role_list), default_pipeline=shipped[0],
                                                language=language.from_environment()), "utf-8")
    workspace = load(config)  # proves what was written is valid, and compiles the pipelines
    workspace.pipelines()
    created = open_store(workspace.store, create=True)
    try:
        with created.transaction():  # a new database gets its schema with its first transaction
            pass
        first = workspace.team[login]
        if first.roles & workspace.powers.get("publish", frozenset()):  # the rules, published as written
            now = from_iso_utc(created.server_identity()[1]) if is_server(store) else clock.now()
            publish_first(workspace, created, first, now)
    finally:
        created.close()
    echo(M.text("init_done", path=config, pipelines=", ".join(workspace.pipelines()), store=workspace.store,
                login=login, roles=", ".join(role_list)))

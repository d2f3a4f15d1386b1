"""The workspace: flowctl.yaml (found from the current directory upward), its pipelines, team, time zone and hours.

Without a workspace, read-only pipeline commands fall back to the pipelines flowctl ships.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from flowctl import messages as M
from flowctl.errors import ConfigError, NotFound, NotPermitted, UsageError
from flowctl.records import FrozenRecord

CONFIG_NAME = "flowctl.yaml"
PIPELINES_DIR = "pipelines"
DEFAULT_STORE = "flowctl.db"


def shipped_pipelines_dir() -> Path:
    from importlib import resources  # 1 ms: only for the pipelines flowctl ships

    return Path(str(resources.files("flowctl").joinpath("pipelines")))


def workspace_pipeline_files(cwd: Path | None = None) -> list[Path]:
    """The pipeline files of the workspace around `cwd` (or of `cwd/pipelines` when there is none)."""
    config = find_config(cwd or Path.cwd())
    if config:
        return load(config).pipeline_paths
    return yaml_files((cwd or Path.cwd()) / PIPELINES_DIR)


def yaml_files(folder: Path) -> list[Path]:
    """The folder's YAML files, found by name: a glob compiles its pattern into a regular expression every run."""
    try:
        names = os.listdir(folder)
    except OSError:  # missing, not a folder, or unreadable: no files, as a glob finds none
        return []
    return sorted(folder / name for name in names if name.endswith((".yaml", ".yml")))


def pipeline_file(name: str, cwd: Path | None = None) -> Path:
    """A pipeline by id (its file's stem) or by path: the workspace's first, then the shipped ones."""
    as_path = Path(name)
    if as_path.suffix in (".yaml", ".yml") and as_path.is_file():
        return as_path
    from flowctl.pipeline.compile import compile_cached
    from flowctl.pipeline.model import fold

    candidates = workspace_pipeline_files(cwd) + yaml_files(shipped_pipelines_dir())
    for path in candidates:
        if fold(path.stem) == fold(name):
            return path
    named = {}
    for path in candidates:  # by the id or name inside the file (Кровля, KROVLYA); a broken file names nothing
        try:
            pipeline = compile_cached(path)
        except ConfigError:
            continue
        named.setdefault(fold(pipeline.id), path)
        named.setdefault(fold(pipeline.name), path)
    if fold(name) in named:
        return named[fold(name)]
    stems = sorted({p.stem for p in candidates})
    raise NotFound(M.text("pipeline_unknown", name=name, hint=M.did_you_mean(name, stems), known=", ".join(stems)))


def contact_fields_of(pipelines) -> tuple:
    """Contact fields are shared by the pipelines of a workspace; the first definition of an id wins."""
    seen: dict = {}
    for pipeline in pipelines:
        for f in pipeline.contact_fields:
            seen.setdefault(f.id, f)
    return tuple(seen.values())


def named_yaml_files(paths: list[str]) -> list[Path]:
    """The files a command line names, and the YAML files of the folders it names; a name that is neither is a
    usage error."""
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += yaml_files(path)
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"{raw}: {M.text('file_missing')}")
    return files


def find_config(start: Path) -> Path | None:
    for folder in (start, *start.resolve().parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


class Member(FrozenRecord):
    __slots__ = ("login", "name", "roles", "database_role", "aliases")

    def __init__(self, login: str, name: str, roles: frozenset[str], database_role: str = "",
                 aliases: tuple[str, ...] = ()):
        # database_role: the PostgreSQL role this member connects as (default: the login); aliases: other names the
        # member goes by in files from elsewhere (an old CRM's owner)
        self._set(login, name, roles, database_role, aliases)


class Workspace:
    """A plain class, not a dataclass (records.py says why); nothing compares two workspaces."""

    def __init__(self, root: Path, config_path: Path | None, store: str, pipeline_paths: list[Path], timezone: str,
                 team: dict[str, Member], powers: dict[str, frozenset[str]], language: str | None = None,
                 hours: dict | None = None, default_pipeline_name: str | None = None):
        self.root = root
        self.config_path = config_path
        self.store = store
        self.pipeline_paths = pipeline_paths
        self.timezone = timezone
        self.team = team
        self.powers = powers  # workspace-wide power → the role ids that hold it (none unless declared)
        self.language = language  # en or ru; None: the environment's
        self.hours = hours  # `working_hours:` as written (checked by load); None: Monday to Friday, 09:00–18:00
        self.default_pipeline_name = default_pipeline_name  # `default_pipeline:` as written: a new deal's pipeline
        self._pipelines: dict = {}
        self.gone_pipelines: set = set()  # ids of pipelines read as stand-ins this run

    @cached_property
    def tz(self):
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    @cached_property
    def working_hours(self):
        """When the team works (working_hours.py): where the due times flowctl sets itself fall; published with the
        rules when it is not the default."""
        from flowctl.working_hours import from_config

        return from_config(self.hours)

    def pipelines(self) -> dict:
        """Every pipeline of the workspace by id, compiled once per process. A role id means one role in all of
        them, and every role the team and the powers name is defined."""
        if not self._pipelines:
            from flowctl.pipeline.compile import check_together, compile_cached, config_error

            from flowctl.store.base import register_meanings

            pipelines = {}
            for path in self.pipeline_paths:
                pipeline = compile_cached(path)
                pipelines[pipeline.id] = pipeline
                register_meanings(pipeline.id, pipeline.meanings)
            roles: dict = {}
            for role in (r for p in pipelines.values() for r in p.roles):
                if roles.setdefault(role.id, role) != role:  # the lint, with positions, says where
                    raise config_error(check_together(self.pipeline_paths)[0])
            for member in self.team.values():
                if role := _first_unknown(member.roles, roles):
                    raise ConfigError(M.text("team_unknown_role", config=self.config_path, login=member.login,
                                             role=role, hint=M.did_you_mean(role, roles)))
            for power, holders in self.powers.items():
                if role := _first_unknown(holders, roles):
                    raise ConfigError(M.text("power_unknown_role", config=self.config_path, power=power,
                                             role=role, hint=M.did_you_mean(role, roles)))
            self._pipelines = pipelines
        return self._pipelines

    @cached_property
    def contact_fields(self) -> tuple:
        return contact_fields_of(self.pipelines().values())

    @cached_property
    def contact_template(self) -> str:
        """F8: how a contact is named, from the first pipeline that says."""
        return next((p.contact_display for p in self.pipelines().values() if p.contact_display), "{name}")

    def pipeline(self, name: str):
        """A pipeline as a person names it (--pipeline): by id or by name, in any case."""
        from flowctl.pipeline.model import fold

        pipelines = self.pipelines()
        found = pipelines.get(name) or next((p for p in pipelines.values() if fold(name) in (fold(p.id), fold(p.name))),
                                            None)
        if found is None:
            names = [*pipelines, *(p.name for p in pipelines.values())]
            raise NotFound(M.text("pipeline_unknown", name=name, hint=M.did_you_mean(name, names),
                                  known=", ".join(f"{p.id} («{p.name}»)" for p in pipelines.values())))
        return found

    def stored_pipeline(self, pipeline_id: str):
        """The pipeline a stored deal names. When its file has left the workspace, a read-only stand-in, so that
        listing, the agenda and the reports go on for everybody (the command then warns; writes are refused)."""
        from flowctl.pipeline.model import gone_pipeline

        found = self.pipelines().get(pipeline_id)
        if found is None:
            self.gone_pipelines.add(pipeline_id)
            return gone_pipeline(pipeline_id)
        return found

    def default_pipeline(self, guess: bool = False):
        """Where a new deal or an import goes without --pipeline: flowctl.yaml's `default_pipeline`, or the only
        pipeline there is. With several and none declared, nobody guesses (file names sort by accident), except
        for what only shapes a display (`guess`: the first)."""
        if self.default_pipeline_name:
            try:
                return self.pipeline(self.default_pipeline_name)
            except NotFound as unknown:
                raise ConfigError(f"{self.config_path}: default_pipeline: {unknown.message}") from None
        pipelines = list(self.pipelines().values())
        if len(pipelines) == 1 or guess:
            return pipelines[0]
        raise UsageError(M.text("pipeline_choose", config=self.config_path or CONFIG_NAME,
                                known=", ".join(f"{p.id} («{p.name}»)" for p in pipelines)))

    def _find(self, login: str) -> Member | None:
        return self.team.get(login) or next((m for m in self.team.values() if m.login.lower() == login.lower()), None)

    def member(self, login: str | None) -> Member:
        """The acting user: --as, else FLOWCTL_USER (both arrive here as `login`), else the OS login."""
        login = login or _os_login()
        found = self._find(login)
        if not found:
            raise NotPermitted(M.text("not_in_team", login=login, config=self.config_path or CONFIG_NAME))
        return found

    def member_by_database_role(self, role: str) -> Member:
        """The acting user on a PostgreSQL store: the member whose database role the server authenticated."""
        found = next((m for m in self.team.values() if (m.database_role or m.login) == role), None)
        if not found:
            raise NotPermitted(M.text("not_in_team_database", role=role, config=self.config_path or CONFIG_NAME))
        return found

    @cached_property
    def team_names(self) -> dict[str, str]:
        """A member's display name or alias, case-folded → their login; a name two members share names nobody."""
        from flowctl.pipeline.model import fold

        names: dict[str, set[str]] = {}
        for member in self.team.values():
            for name in (member.name, *member.aliases):
                names.setdefault(fold(name), set()).add(member.login)
        return {name: logins.pop() for name, logins in names.items() if len(logins) == 1}

    def teammate(self, login: str) -> Member:
        """A team member named in a command (--to, --user) by login, name or alias, in any case: an unknown one is
        not found, not a refusal. A name two members share names neither."""
        from flowctl.pipeline.model import fold

        found = self._find(login) or self.team.get(self.team_names.get(fold(login), ""))
        if not found:
            raise NotFound(M.text("user_unknown", login=login, hint=M.did_you_mean(login, self.team)))
        return found


def _first_unknown(role_ids, roles: dict) -> str | None:
    return min(role_ids - roles.keys(), default=None)


def _os_login() -> str:
    """The login of the real user id: LOGNAME and USER are whatever the shell says, so they are not asked."""
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a user id with no passwd entry (a container): no login to claim
        return ""


def load(config_path: Path, store_override: str | None = None) -> Workspace:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from flowctl.pipeline.compile import check_config_cached

    doc = check_config_cached(config_path, "workspace.schema.json")
    data = doc.data
    root = config_path.parent
    paths: list[Path] = []
    for index, entry in enumerate(data.get("pipelines", [PIPELINES_DIR])):
        target = root / entry
        found = yaml_files(target) if target.is_dir() else [target] if target.is_file() else []
        if not found:
            line, col = doc.position(("pipelines", index))
            raise ConfigError(f"{config_path}:{line}:{col}: {M.text('pipelines_missing', entry=entry)}")
        paths += found
    if not paths:
        raise ConfigError(f"{config_path}: {M.text('pipelines_missing', entry='pipelines')}")
    try:
        ZoneInfo(data.get("timezone", "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        line, col = doc.position(("timezone",))
        raise ConfigError(f"{config_path}:{line}:{col}: {M.text('bad_timezone', tz=data.get('timezone'))}")
    if "working_hours" in data:
        _check_hours(doc, config_path, data["working_hours"])
    configured = data.get("store", DEFAULT_STORE)
    store = store_override or (configured if "://" in configured else str(root / configured))
    team: dict[str, Member] = {}
    for index, m in enumerate(data["team"]):
        if any(login.lower() == m["login"].lower() for login in team):
            line, col = doc.position(("team", index, "login"))
            raise ConfigError(f"{config_path}:{line}:{col}: {M.text('team_duplicate', login=m['login'])}")
        team[m["login"]] = Member(m["login"], m["name"], frozenset(m["roles"]), m.get("database_role", ""),
                                  tuple(m.get("aliases", ())))
    powers = {power: frozenset(roles) for power, roles in data.get("powers", {}).items()}
    return Workspace(root, config_path, store, paths, data.get("timezone", "UTC"), team, powers,
                     language=data.get("language"), hours=data.get("working_hours"),
                     default_pipeline_name=data.get("default_pipeline"))


def _check_hours(doc, config_path: Path, raw: dict) -> None:
    """What the schema cannot say: the working day ends after it starts."""
    from flowctl.working_hours import from_config

    hours = from_config(raw)
    if hours.closes <= hours.opens:
        line, col = doc.position(("working_hours", "to" if "to" in raw else "from"))
        raise ConfigError(f"{config_path}:{line}:{col}: "
                          f"{M.text('working_hours_order', opens=f'{hours.opens:%H:%M}', closes=f'{hours.closes:%H:%M}')}")


def open_workspace(cwd: Path | None = None, store_override: str | None = None) -> Workspace:
    config = find_config(cwd or Path.cwd())
    if not config:
        raise ConfigError(M.text("no_workspace", name=CONFIG_NAME))
    return load(config, store_override)

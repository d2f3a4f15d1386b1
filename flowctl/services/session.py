"""Who is acting, where, and when: what every service needs."""

from __future__ import annotations

from functools import cached_property
from datetime import date, datetime

from flowctl import messages as M
from flowctl.errors import ConfigError, NotPermitted, UsageError
from flowctl.pipeline.model import Field, Pipeline, fields_by_name, fold
from flowctl.store.base import Event, Store
from flowctl.workspace import Member, Workspace


class Session:
    """A plain class, not a dataclass (records.py says why)."""

    def __init__(self, workspace: Workspace, store: Store, actor: Member, now: datetime):
        self.workspace = workspace
        self.store = store
        self.actor = actor
        self.now = now  # aware, UTC

    def with_store(self, store: Store) -> Session:
        """The same session reading and writing through another store (a wrapper of this one)."""
        return Session(self.workspace, store, self.actor, self.now)

    @cached_property  # a session's moment is fixed: these are read once per value typed, thousands per import
    def now_iso(self) -> str:
        from flowctl.when import to_iso_utc

        return to_iso_utc(self.now)

    @cached_property
    def today(self) -> date:
        """Today in the workspace's time zone, not the machine's."""
        return self.now.astimezone(self.workspace.tz).date()

    def shown_moment(self, iso_utc: str) -> str:
        """A stored moment as the user reads it: in the workspace's time zone, in their language's form."""
        from flowctl.when import format_local, from_iso_utc

        return format_local(from_iso_utc(iso_utc), self.workspace.tz)

    @cached_property
    def team_logins(self) -> frozenset[str]:
        return frozenset(self.workspace.team)

    @property
    def team_names(self) -> dict[str, str]:
        return self.workspace.team_names

    def require_role_in(self, pipeline: Pipeline) -> None:
        """Anyone holding one of the pipeline's roles may work its deals; moves are checked by the machine."""
        if pipeline.gone:
            raise ConfigError(M.text("pipeline_gone_readonly", pipeline=pipeline.id))
        if not self.actor.roles & {r.id for r in pipeline.roles}:
            raise NotPermitted(M.text("no_role_in_pipeline", login=self.actor.login, pipeline=pipeline.name))

    def shown_name(self, login: str | None) -> str:
        """A member as people read them: the team's name for a login, the login when it is nobody's."""
        member = self.workspace.team.get(login) if login else None
        return member.name if member else (login or "—")

    def holds(self, allowed: tuple[str, ...] | None) -> bool:
        """Whether the actor holds one of the roles a pipeline's rule lists; an undeclared rule (None) is everyone's."""
        return allowed is None or bool(self.actor.roles & set(allowed))

    def may_work(self, pipeline: Pipeline, deal) -> bool:
        """F1: a deal is its responsible's; another member works it only through a role the pipeline's
        `ownership.colleagues` lists (undeclared: every role). A deal with no responsible is anybody's."""
        owner = deal.responsible
        return not owner or owner == self.actor.login or self.holds(pipeline.ownership.colleagues)

    def require_deal_access(self, pipeline: Pipeline, deal) -> None:
        self.require_role_in(pipeline)
        if not self.may_work(pipeline, deal):
            raise NotPermitted(M.text("deal_not_yours", id=deal.id, owner=self.shown_name(deal.responsible),
                                      roles=", ".join(pipeline.role_labels(pipeline.ownership.colleagues)) or "—"))

    def require_power(self, power: str) -> None:
        """A workspace-wide power (import, restore, migrate) acts on the whole store past every pipeline's move
        rules, so only flowctl.yaml's `powers:` grants it, never a pipeline file; undeclared, nobody holds it."""
        holders = self.workspace.powers.get(power, frozenset())
        if self.actor.roles & holders:
            return
        config = self.workspace.config_path
        action = M.text(f"power_{power}")
        if not holders:
            raise NotPermitted(M.text("power_undeclared", action=action, power=power, config=config))
        labels = {r.id: r.label for p in self.workspace.pipelines().values() for r in p.roles}
        raise NotPermitted(M.text("power_refused", login=self.actor.login, action=action, power=power, config=config,
                                  roles=", ".join(labels[r] for r in sorted(holders))))

    def record(self, kind: str, **kwargs) -> None:
        self.store.add_event(Event(None, self.now_iso, self.actor.login, kind, **kwargs))

    def parse_assignments(self, fields: tuple[Field, ...], assignments: list[str]) -> dict:
        """`key=value` pairs, key by field id or label, value parsed by the field's type → {id: stored}."""
        from flowctl import fields as values

        by_name = fields_by_name(fields)
        parsed: dict = {}
        for assignment in assignments:
            key, sep, raw = assignment.partition("=")
            if not sep:
                raise UsageError(M.text("assignment_syntax", text=assignment))
            target = by_name.get(fold(key))
            if target is None:
                raise UsageError(M.text("field_unknown", name=key.strip(),
                                        hint=M.did_you_mean(key.strip(), [f.id for f in fields] + [f.label for f in fields])))
            parsed[target.id] = values.parse(target, raw, team_logins=self.team_logins, today=self.today,
                                             team_names=self.team_names)
            values.refuse_past(target, parsed[target.id], self.now.astimezone(self.workspace.tz))  # typed, not history
        return parsed

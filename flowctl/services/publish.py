"""The rules a team works under, published into its store: pipeline files, team, powers, time zone and hours.

Once a version is published, every command runs only where the local files are what was published last,
and refuses (exit 3, naming what differs) elsewhere: a private copy of flowctl.yaml or of a pipeline gives
nobody a role and changes no rule. Publishing is a power (`powers: publish`), judged by the version already
published, not by the files being published; it first runs the stranded-data checks of `validate --store`.
Every version stays in the store with who published it and when.

A local store where nothing was ever published (one made before flowctl published, or by hand) works from
the local files, as a single user's store always did; `init` and `demo` publish the first version. A
PostgreSQL store refuses to work until something is published: there the published version is what makes
identity worth having.
"""

from __future__ import annotations

import json

from flowctl import messages as M
from flowctl.digest import sha256
from flowctl.errors import ConfigError, NotPermitted, RuleRefused
from flowctl.store.base import Publication

PUBLISHED_PARTS = ("pipelines", "team", "powers", "timezone")
# Published only when declared other than the default, so that a version published before flowctl knew of them
# is still the same files: the working hours (Monday to Friday, 09:00–18:00 unless flowctl.yaml says otherwise).
OPTIONAL_PARTS = ("working_hours",)
NOT_STRANDING = frozenset({"newly-required"})


def content_of(workspace) -> dict:
    """What publishing a workspace puts in the store (the store's location and the files' places are local)."""
    return {
        "pipelines": {path.name: path.read_text("utf-8") for path in workspace.pipeline_paths},
        "team": [{"login": m.login, "name": m.name, "roles": sorted(m.roles),
                  **({"database_role": m.database_role} if m.database_role else {})}
                 for m in sorted(workspace.team.values(), key=lambda m: m.login)],
        "powers": {power: sorted(roles) for power, roles in sorted(workspace.powers.items())},
        "timezone": workspace.timezone,
        **_working_hours(workspace),
    }


def _working_hours(workspace) -> dict:
    from flowctl.working_hours import DEFAULT

    hours = workspace.working_hours
    return {} if hours == DEFAULT else {"working_hours": hours.as_config()}


def digest_of(content: dict) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return sha256(canonical.encode("utf-8")).hexdigest()


def differences(local: dict, published: dict) -> list[str]:
    """What differs, as a person would name it: a pipeline file, the team, the powers, the time zone."""
    found = []
    names = sorted(set(local["pipelines"]) | set(published.get("pipelines", {})))
    for name in names:
        if local["pipelines"].get(name) != published.get("pipelines", {}).get(name):
            key = ("published_pipeline_missing" if name not in local["pipelines"] else
                   "published_pipeline_new" if name not in published.get("pipelines", {}) else
                   "published_pipeline_changed")
            found.append(M.text(key, name=name))
    for part in PUBLISHED_PARTS[1:] + OPTIONAL_PARTS:
        if local.get(part) != published.get(part):
            found.append(M.text(f"published_{part}_changed"))
    return found


def latest(store) -> Publication | None:
    found = store.publications(latest_only=True)
    return found[0] if found else None


def require_published(session, server: bool) -> None:
    """Refuse (exit 3) unless the local files are the store's latest published version."""
    published = latest(session.store)
    if published is None:
        if server:
            raise ConfigError(M.text("published_nothing", store=session.store.location))
        return
    require_files_are(session.workspace, published, "published_differs")


def require_files_are(workspace, published: Publication, message_id: str) -> None:
    """Refuse (exit 3, naming what differs) unless the workspace's files are the published version."""
    local = content_of(workspace)
    if digest_of(local) != published.digest:
        raise ConfigError(M.text(message_id, what="; ".join(differences(local, published.content)),
                                 version=published.id, actor=published.actor, at=published.at))


def publish(session) -> dict:
    """Publish the local files as the store's next version, or say that nothing changed."""
    from flowctl.queries.plan import plan

    store = session.store
    local = content_of(session.workspace)
    digest = digest_of(local)
    with store.transaction():
        published = latest(store)
        _require_publish_power(session, published)
        if published and published.digest == digest:
            # a version published before the store checked rules itself gets them now
            installed = install_rules(session, published.id)
            return {"version": published.id, "changed": False, "published": False, "rules_installed": installed}
        # what would strand data blocks; a field newly required where open deals lack it does not (no value is
        # lost: those deals are the hygiene check's missing-field findings until someone fills them in)
        blocking = [f for f in plan(store, session.workspace.pipelines(), session.team_logins)
                    if f["severity"] == "error" and f["rule"] not in NOT_STRANDING]
        if blocking:
            raise RuleRefused(M.text("publish_blocked", first=blocking[0]["message"], count=len(blocking)))
        version = store.add_publication(Publication(None, session.now_iso, session.actor.login, digest, local))
        installed = install_rules(session, version)
    return {"version": version, "changed": differences(local, published.content) if published else [],
            "published": True, "rules_installed": installed}


def install_rules(session, version: int) -> bool:
    """The version's rules compiled into a store that checks them itself (a server's triggers); the session's
    files are that version's."""
    if not session.store.rules_in_database:
        return False
    from flowctl.services.rules import compile_rules

    return session.store.install_rules(version, compile_rules(session.workspace))


def _require_publish_power(session, published: Publication | None) -> None:
    """The power is judged by what is already published: the files being published cannot grant it."""
    if published is None:
        session.require_power("publish")
        return
    team = {m["login"]: set(m["roles"]) for m in published.content.get("team", [])}
    holders = set(published.content.get("powers", {}).get("publish", []))
    if not team.get(session.actor.login, set()) & holders:
        raise NotPermitted(M.text("publish_refused", login=session.actor.login, version=published.id,
                                  roles=", ".join(sorted(holders)) or "—"))


def publish_first(workspace, store, actor, now) -> dict:
    """The first version, published by whoever makes the store (init, demo)."""
    from flowctl.services.session import Session

    return publish(Session(workspace, store, actor, now))


def history(session) -> list[dict]:
    return [{"version": p.id, "at": p.at, "actor": p.actor, "pipelines": sorted(p.content.get("pipelines", {})),
             "team": len(p.content.get("team", []))} for p in session.store.publications()]

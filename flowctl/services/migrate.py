"""`flowctl migrate`: apply the renames a pipeline declares to the data, in one transaction.

Each affected deal gets a `deal.migrated` history event naming what moved. The history itself is
never rewritten: earlier events keep the old ids, and reports and the history view read them
through the pipeline's `renames`.
"""

from __future__ import annotations

from flowctl import messages as M
from flowctl.errors import RuleRefused
from flowctl.services.session import Session


class _DryRun(Exception):
    pass


def migrate(session: Session, dry_run: bool = False) -> dict:
    from flowctl.queries.plan import plan

    pipelines = session.workspace.pipelines()
    session.require_power("migrate")
    store = session.store
    moved = events = 0
    try:
        with store.transaction():
            store.use_power("migrate")
            blocking = [f for f in plan(store, pipelines, session.team_logins) if f["severity"] == "error"]
            if blocking:
                raise RuleRefused(M.text("migrate_blocked", first=blocking[0]["message"]))
            for deal in list(store.iter_deals()):  # listed first: the loop updates the rows it reads
                p = pipelines[deal.pipeline]
                stage = p.current_stage_id(deal.stage)
                fields = {p.current_field_id(k): v for k, v in deal.fields.items()}
                renamed = {k: p.current_field_id(k) for k in deal.fields if p.current_field_id(k) != k}
                if stage == deal.stage and not renamed:
                    continue
                data = {"fields": renamed} if renamed else {}
                if stage != deal.stage:
                    data["stage"] = {"from": deal.stage, "to": stage}
                session.record("deal.migrated", deal_id=deal.id, data=data)
                deal.stage, deal.fields, deal.updated_at = stage, fields, session.now_iso
                store.update_deal(deal)
                moved, events = moved + 1, events + 1
            if dry_run:
                raise _DryRun()
    except _DryRun:
        pass
    return {"deals": moved, "events": events, "dry_run": dry_run}

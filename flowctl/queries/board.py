"""`flowctl board`: the pipeline as amoCRM draws it, a column per open stage.

Each column carries the figures of `report funnel` (deals now, budget now: one `deal_counts` for the whole
pipeline) and its biggest deals, read with one `list_deals` per stage sorted by budget and cut to `limit`
rows by the store, never by loading the stage's deals. The marks are asked for the shown deals only: one
`list_tasks` for their overdue open tasks, one `get_contact` per contact shown.
"""

from __future__ import annotations

from collections import defaultdict

from flowctl.pipeline.model import Pipeline
from flowctl.store.base import DealQuery, TaskQuery


def board(session, pipeline: Pipeline, user: str | None, limit: int) -> dict:
    """{pipeline, user, limit, deals, budget, columns: [{stage, stage_label, max_stay_seconds, deals, budget,
    more, cards: [{id, contact_id, contact, responsible, budget, stage_since, seconds, days, over_limit,
    overdue_task}]}]}:
    `deals`/`budget` of a column count every deal there (of `user`, when given), `cards` the `limit` biggest."""
    from flowctl.queries.reports import money
    from flowctl.when import from_iso_utc, to_iso_utc

    count: dict[str, int] = defaultdict(int)
    minor: dict[str, int] = defaultdict(int)
    stored_as: dict[str, list[str]] = defaultdict(list)  # a stage renamed in the YAML, not yet migrated: both ids
    for stored, who, deals, budget_minor in session.store.deal_counts(pipeline.id, None, None):
        if user is not None and who != user:
            continue
        stage_id = pipeline.current_stage_id(stored)
        count[stage_id] += deals
        minor[stage_id] += budget_minor
        if stored not in stored_as[stage_id]:
            stored_as[stage_id].append(stored)
    columns, shown = [], []
    for stage in pipeline.stages:
        if not stage.is_open:
            continue
        deals = []
        if count[stage.id] and limit > 0:
            deals = session.store.list_deals(DealQuery(pipeline=pipeline.id, stages=tuple(stored_as[stage.id]),
                                                       responsible=user, sort="budget", descending=True, limit=limit))
        limit_start = to_iso_utc(session.now - stage.max_stay) if stage.max_stay else None
        columns.append({"stage": stage.id, "stage_label": stage.label,
                        "max_stay_seconds": int(stage.max_stay.total_seconds()) if stage.max_stay else None,
                        "deals": count[stage.id], "budget": money(minor[stage.id]),
                        "more": count[stage.id] - len(deals), "cards": deals, "_limit_start": limit_start})
        shown += deals
    late = _deals_with_overdue_tasks(session, [d.id for d in shown])
    names = _contact_names(session, {d.contact_id for d in shown if d.contact_id})
    for column in columns:
        limit_start = column.pop("_limit_start")
        column["cards"] = [{
            "id": d.id, "contact_id": d.contact_id, "contact": names.get(d.contact_id, ""),
            "responsible": d.responsible, "budget": d.budget, "stage_since": d.stage_since,
            "seconds": max(0, int((session.now - from_iso_utc(d.stage_since)).total_seconds())),  # a clock set back: 0
            "days": max(0, (session.now - from_iso_utc(d.stage_since)).days),
            "over_limit": limit_start is not None and d.stage_since < limit_start,
            "overdue_task": d.id in late,
        } for d in column["cards"]]
    return {"pipeline": pipeline.id, "pipeline_name": pipeline.name, "user": user, "at": session.now_iso,
            "limit": limit, "deals": sum(c["deals"] for c in columns),
            "budget": money(sum(minor[c["stage"]] for c in columns)), "columns": columns}


def _deals_with_overdue_tasks(session, deal_ids: list[int]) -> set[int]:
    """Which of these deals have an open task past its due time (L1), whoever it is for."""
    if not deal_ids:
        return set()
    tasks = session.store.list_tasks(TaskQuery(deal_ids=tuple(deal_ids), status="open",
                                                due_before=session.now_iso))
    return {t.deal_id for t in tasks}


def _contact_names(session, contact_ids: set[int]) -> dict[int, str]:
    """F8: each contact as people name it («Алмаз Строитель»)."""
    from flowctl.services.contacts import display_name

    names = {}
    for contact_id in sorted(contact_ids):
        contact = session.store.get_contact(contact_id)
        names[contact_id] = display_name(session, contact.fields) if contact else ""
    return names

"""`flowctl check`: what breaks the laws right now (L8, «information hygiene»).

Each finding names the deal, its responsible user, the rule it breaks and how long it has been so.
"""

from __future__ import annotations

from datetime import timedelta

from flowctl import messages as M
from flowctl.store.base import DealQuery


RULES = ("no-task", "overdue", "stage-limit", "missing-field")  # the findings' rules, in the order they are looked for


def human_duration(delta: timedelta) -> str:
    return M.duration(int(delta.total_seconds() // 60))


def _finding(session, rule: str, deal, since: str, what: str, task_id: int | None = None) -> dict:
    from flowctl.when import from_iso_utc

    return {"rule": rule, "pipeline": deal.pipeline, "deal_id": deal.id, "responsible": deal.responsible,
            "task_id": task_id, "stage": deal.stage,
            "stage_label": session.workspace.stored_pipeline(deal.pipeline).stage(deal.stage).label, "since": since,
            "for": human_duration(session.now - from_iso_utc(since)), "what": what}


def check(session, user: str | None) -> list[dict]:
    from flowctl.when import to_iso_utc

    findings: list[dict] = []
    pipelines = session.workspace.pipelines()
    open_stages = {pid: tuple(s.id for s in p.stages if s.is_open) for pid, p in pipelines.items()}

    for deal, since in session.store.deals_without_open_task(open_stages, user):
        findings.append(_finding(session, "no-task", deal, since, M.text("check_no_task")))

    for task, deal in session.store.open_tasks_with_deals(user, session.now_iso):  # L1
        label = session.workspace.stored_pipeline(deal.pipeline).task_type(task.type)
        findings.append(_finding(session, "overdue", deal, task.due, M.text(
            "check_overdue", task=task.id, type=label.label if label else task.type), task.id))

    for pid, pipeline in pipelines.items():
        for stage in pipeline.stages:
            if not stage.is_open:
                continue
            if stage.max_stay:  # W4 for S1, Q2 for S3
                limit_start = to_iso_utc(session.now - stage.max_stay)
                for deal in session.store.list_deals(DealQuery(pipeline=pid, stages=(stage.id,), responsible=user,
                                                               entered_before=limit_start)):
                    findings.append(_finding(session, "stage-limit", deal, deal.stage_since, M.text(
                        "check_stage_limit", stage=stage.label, limit=human_duration(stage.max_stay))))
            if stage.requires:
                query = DealQuery(pipeline=pid, stages=(stage.id,), responsible=user,
                                  missing_any=tuple(dict.fromkeys(r.field for r in stage.requires)))
                for deal in session.store.list_deals(query):
                    missing = stage.missing(deal.fields)
                    if missing:
                        findings.append(_finding(session, "missing-field", deal, deal.stage_since, M.text(
                            "check_missing", stage=stage.label, fields=", ".join(pipeline.field_labels(missing)))))
    return sorted(findings, key=lambda f: (f["since"], f["deal_id"]))

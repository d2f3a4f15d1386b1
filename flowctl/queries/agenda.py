"""The morning agenda: the day's and the overdue tasks in the regulation's work order (W1–W4), with L4's estimate."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flowctl import messages as M
from flowctl.pipeline.model import Pipeline


def estimate(minutes: list[int], default_each: int) -> str:
    """L4: «N tasks × 3 min = H h M min» (45 tasks × 3 min = 2 h 15 min; the original's «2 h 25 min» is a slip).

    When some task types take their own time, the product no longer holds and only the total is shown.
    """
    total = sum(minutes)
    uniform = all(m == default_each for m in minutes)
    return M.plural("agenda_estimate" if uniform else "agenda_estimate_mixed", len(minutes), each=default_each,
                    hours=total // 60, minutes=total % 60)


def _group_of(pipeline: Pipeline, stage_id: str) -> tuple[int, str]:
    """(position of the stage's group in the work order, the group's sort); stages not named come last."""
    for index, group in enumerate(pipeline.agenda):
        if stage_id in group.stages:
            return index, group.sort
    return len(pipeline.agenda), "due"


def agenda(session, user: str | None, day: date) -> dict:
    from flowctl.services.contacts import display_name
    from flowctl.when import to_iso_utc

    tz = session.workspace.tz
    end_of_day = to_iso_utc(datetime.combine(day + timedelta(days=1), time(0), tz))
    keyed = []
    for task, deal in session.store.open_tasks_with_deals(user, end_of_day):
        pipeline = session.workspace.stored_pipeline(deal.pipeline)
        stage = pipeline.stage(deal.stage)
        if not stage.is_open:
            continue
        group, sort = _group_of(pipeline, stage.id)
        budget = Decimal(deal.budget) if deal.budget else Decimal(0)
        task_type = pipeline.task_type(task.type)
        contact = session.store.get_contact(deal.contact_id) if deal.contact_id else None
        keyed.append(((group, -budget if sort == "budget_desc" else 0, task.due, task.id), {
            "task_id": task.id, "deal_id": deal.id, "pipeline": deal.pipeline, "contact": display_name(session, contact.fields) if contact else "",
            "stage": stage.id, "stage_label": stage.label, "budget": deal.budget, "type": task.type,
            "type_label": task_type.label if task_type else task.type, "text": task.text, "due": task.due,
            "responsible": task.responsible, "overdue": task.due < session.now_iso, "group": group + 1,
            "minutes": (task_type.minutes if task_type and task_type.minutes else pipeline.tasks.minutes_each),
        }))
    rows = [row for _, row in sorted(keyed, key=lambda pair: pair[0])]
    each = session.workspace.default_pipeline(guess=True).tasks.minutes_each  # the estimate's «× 3 min»
    minutes = [r["minutes"] for r in rows]
    return {"date": day.isoformat(), "user": user, "tasks": rows, "count": len(rows), "minutes": sum(minutes),
            "estimate": estimate(minutes, each)}

"""Tasks (T1–T3) and the completion laws (L2, L3); tasks created on entering a stage (E2, E4).

On-enter tasks: created once per entry into the stage. When the deal leaves
that stage, its still-open on-enter tasks are cancelled (they were about that
stage's work: the roof plan is not chased once the deal is at the engineer);
entering a won or lost stage cancels every open task of the deal, so a closed
deal never sits in anyone's agenda. A reopened deal that enters a stage again
gets that stage's tasks again. Every cancellation is in the deal's history.
"""

from __future__ import annotations

from flowctl import messages as M
from flowctl.errors import NotFound, NotPermitted, RuleRefused, UsageError
from flowctl.fields import free_text
from flowctl.pipeline.model import CREATOR, RESPONSIBLE, DealFacts, Pipeline, fold
from flowctl.services.session import Session
from flowctl.store.base import Deal, Task, TaskQuery
from flowctl.text import visible_length

OPEN, DONE, CANCELLED = "open", "done", "cancelled"


def _get(session: Session, task_id: int) -> Task:
    task = session.store.get_task(task_id)
    if task is None:
        raise NotFound(M.text("task_unknown", id=task_id))
    return task


def _open_task(session: Session, task_id: int) -> tuple[Task, Pipeline]:
    """A task that may still be worked: by the member it is for, or by whoever may work its deal (F1)."""
    task = _get(session, task_id)
    deal, pipeline = _pipeline_of(session, task.deal_id)
    if task.responsible == session.actor.login:
        session.require_role_in(pipeline)
    else:
        session.require_deal_access(pipeline, deal)
    if task.status != OPEN:
        raise RuleRefused(M.text("task_not_open", id=task.id, status=task.status))
    return task, pipeline


def _require_task_power(session: Session, pipeline: Pipeline, task: Task, allowed: tuple[str, ...],
                        refusal: str) -> None:
    """Who may cancel or hand over a task, as the pipeline's `tasks.cancel` / `tasks.reassign` say: role ids, and
    the member the task is for (responsible) or who set it (creator)."""
    people = {RESPONSIBLE: task.responsible, CREATOR: task.created_by}
    if any(people.get(who) == session.actor.login for who in allowed) or session.holds(allowed):
        return
    names = [M.text(f"who_{who}") if who in people else pipeline.role(who).label for who in allowed]
    raise NotPermitted(M.text(refusal, id=task.id, owner=session.shown_name(task.responsible),
                              who=", ".join(names) or "—"))


def _pipeline_of(session: Session, deal_id: int) -> tuple[Deal, Pipeline]:
    from flowctl.services.deals import get

    deal = get(session, deal_id)
    return deal, session.workspace.stored_pipeline(deal.pipeline)


def find_task_type(pipeline: Pipeline, typed: str):
    for t in pipeline.tasks.types:
        if fold(typed) in (fold(t.id), fold(t.label)):
            return t
    names = [t.id for t in pipeline.tasks.types] + [t.label for t in pipeline.tasks.types]
    raise UsageError(M.text("task_type_unknown", name=typed, hint=M.did_you_mean(typed, names),
                            known=M.option_names(pipeline.tasks.types)))


def _contact_kind(pipeline: Pipeline, typed: str | None) -> str:
    """L2: the kind of contact with the client, by id or label, from the kinds the YAML lists."""
    kinds = pipeline.tasks.contact_kinds
    if not typed or not typed.strip():
        raise RuleRefused(M.text("task_needs_contact", kinds=M.option_names(kinds)))
    for kind in kinds:
        if fold(typed) in (fold(kind.id), fold(kind.label)):
            return kind.id
    raise UsageError(M.text("contact_kind_unknown", kind=typed, kinds=M.option_names(kinds)))


def _due(session: Session, text: str, allow_past: bool) -> str:
    from flowctl.when import is_past, parse_when, to_iso_utc

    due = parse_when(text, session.now, session.workspace.tz)
    if is_past(due, session.now) and not allow_past:
        raise UsageError(M.text("task_in_past", when=text))
    return to_iso_utc(due)


def task_row(session: Session, task: Task) -> dict:
    from flowctl.when import format_local, from_iso_utc

    row = task.as_dict()
    row["due_local"] = format_local(from_iso_utc(task.due), session.workspace.tz)
    row["overdue"] = task.status == OPEN and task.due < session.now_iso
    return row


def add(session: Session, deal_id: int, type_typed: str, due_text: str, text: str | None, to_user: str | None,
        allow_past: bool = False) -> dict:
    with session.store.transaction():
        deal, pipeline = _pipeline_of(session, deal_id)
        session.require_deal_access(pipeline, deal)
        if not pipeline.stage(deal.stage).is_open:
            raise RuleRefused(M.text("task_on_closed_deal", id=deal.id, stage=pipeline.stage(deal.stage).label))
        task_type = find_task_type(pipeline, type_typed)
        responsible = session.workspace.teammate(to_user).login if to_user else (deal.responsible or session.actor.login)
        task = Task(None, deal.id, task_type.id, _due(session, due_text, allow_past), responsible,
                    free_text(M.text("label_task_text"), text) or task_type.label, OPEN, session.now_iso,
                    session.actor.login)
        task.id = session.store.add_task(task)
        session.record("task.added", deal_id=deal.id, task_id=task.id,
                       data={"type": task.type, "due": task.due, "responsible": responsible, "text": task.text})
    return task_row(session, task)


def done(session: Session, task_id: int, result: str | None, contact: str | None) -> dict:
    """Complete a task: L3 a result comment, L2 a contact with the client; both stored and in history."""
    with session.store.transaction():
        task, pipeline = _open_task(session, task_id)
        comment = free_text(M.text("label_result"), result)
        if visible_length(comment) < max(1, pipeline.tasks.result_min_length):
            raise RuleRefused(M.text("task_needs_result", minimum=max(1, pipeline.tasks.result_min_length)))
        kind = _contact_kind(pipeline, contact)
        task.status, task.result, task.contact_kind, task.done_at = DONE, comment, kind, session.now_iso
        session.store.update_task(task)
        session.record("task.done", deal_id=task.deal_id, task_id=task.id,
                       data={"type": task.type, "result": comment, "contact": kind})
    return task_row(session, task)


def postpone(session: Session, task_id: int, due_text: str, reason: str | None, allow_past: bool = False) -> dict:
    with session.store.transaction():
        task, _ = _open_task(session, task_id)
        reason = free_text(M.text("label_reason"), reason)
        if not visible_length(reason):
            raise RuleRefused(M.text("postpone_needs_reason"))
        old, task.due = task.due, _due(session, due_text, allow_past)
        session.store.update_task(task)
        session.record("task.postponed", deal_id=task.deal_id, task_id=task.id,
                       data={"old": old, "new": task.due, "reason": reason})
    return task_row(session, task)


def cancel(session: Session, task_id: int, reason: str | None) -> dict:
    """A wrong or duplicate task is cancelled with a reason, by whom the pipeline's `tasks.cancel` names; the
    reason is in the deal's history, and a cancelled task no longer holds back a move that needs tasks done."""
    with session.store.transaction():
        task, pipeline = _open_task(session, task_id)
        _require_task_power(session, pipeline, task, pipeline.tasks.cancel, "task_cancel_refused")
        reason = free_text(M.text("label_reason"), reason)
        if not visible_length(reason):
            raise RuleRefused(M.text("cancel_needs_reason"))
        task.status = CANCELLED
        session.store.update_task(task)
        session.record("task.cancelled", deal_id=task.deal_id, task_id=task.id,
                       data={"type": task.type, "reason": reason})
    return task_row(session, task)


def reassign(session: Session, task_id: int, to_user: str, reason: str | None) -> dict:
    """Hand a task to a teammate (by login or name), as the pipeline's `tasks.reassign` allows."""
    with session.store.transaction():
        task, pipeline = _open_task(session, task_id)
        _require_task_power(session, pipeline, task, pipeline.tasks.reassign, "task_reassign_refused")
        member = session.workspace.teammate(to_user)
        if member.login == task.responsible:
            raise UsageError(M.text("task_reassign_same", id=task.id, name=member.name))
        _hand_over(session, task, member.login, free_text(M.text("label_reason"), reason))
    return task_row(session, task)


def _hand_over(session: Session, task: Task, login: str, reason: str | None, with_deal: bool = False) -> None:
    old, task.responsible = task.responsible, login
    session.store.update_task(task)
    data = {"type": task.type, "old": old, "new": login, **({"reason": reason} if reason else {})}
    session.record("task.reassigned", deal_id=task.deal_id, task_id=task.id,
                   data={**data, "with_deal": True} if with_deal else data)


def follow_owner(session: Session, pipeline: Pipeline, deal: Deal, old_owner: str | None) -> None:
    """A deal handed over takes its open tasks that were the old responsible's (unless the pipeline says
    `ownership.tasks_follow: false`); a teammate's task on it (the engineer's) stays theirs."""
    if not pipeline.ownership.tasks_follow or not old_owner or not deal.responsible:
        return
    for task in session.store.list_tasks(TaskQuery(deal_ids=(deal.id,), status=OPEN)):
        if task.responsible == old_owner:
            _hand_over(session, task, deal.responsible, None, with_deal=True)


def list_tasks(session: Session, user: str | None, deal_id: int | None, overdue: bool, due_day: str | None,
               status: str | None = OPEN) -> list[dict]:
    from datetime import datetime, time, timedelta

    from flowctl.when import parse_when, to_iso_utc

    query = TaskQuery(deal_ids=(deal_id,) if deal_id else (), responsible=user, status=status)
    if overdue:
        query = TaskQuery(deal_ids=query.deal_ids, responsible=user, status=OPEN, due_before=session.now_iso)
    elif due_day:
        tz = session.workspace.tz
        day = parse_when(due_day, session.now, tz).astimezone(tz).date()
        start = datetime.combine(day, time(0), tz)
        query = TaskQuery(deal_ids=query.deal_ids, responsible=user, status=status,
                          due_from=to_iso_utc(start), due_before=to_iso_utc(start + timedelta(days=1)))
    return [task_row(session, t) for t in session.store.list_tasks(query)]


def facts(session: Session, deal: Deal) -> DealFacts:
    """What the task-dependent move conditions read (contact_made, tasks_done).

    "Contact made in this stage" follows the order of the deal's history (a completion recorded after the
    deal's last stage entry), not a comparison of timestamps that two machines' clocks wrote.
    """
    from flowctl.store.base import entered_stage

    contact_made = False
    for event in session.store.events(deal_id=deal.id):
        if entered_stage(event):
            contact_made = False
        elif event.kind == "task.done" and event.data.get("contact"):
            contact_made = True
    open_tasks = len(session.store.list_tasks(TaskQuery(deal_ids=(deal.id,), status=OPEN)))
    return DealFacts(contact_made=contact_made, open_tasks=open_tasks)


def _assignee(session: Session, deal: Deal, role: str | None) -> str:
    """Whom an on-enter task is for: the deal's responsible; for a role's task (`for: engineer`), the responsible
    when they hold the role, else the member holding it with the fewest open tasks (then by login)."""
    owner = deal.responsible or session.actor.login
    if role is None:
        return owner
    holders = sorted(m.login for m in session.workspace.team.values() if role in m.roles)
    if not holders or (owner in holders):
        return owner
    if len(holders) == 1:
        return holders[0]
    load = {login: len(session.store.list_tasks(TaskQuery(responsible=login, status=OPEN))) for login in holders}
    return min(holders, key=lambda login: (load[login], login))


def create_on_enter(session: Session, pipeline: Pipeline, deal: Deal) -> None:
    """E2, E4: the tasks the stage declares, once per entry, for whom it says, due as the YAML says in the team's
    working hours (working_hours.py has the arithmetic: 1d from Friday evening is Monday, 15m at 17:55 is 09:15 next
    morning)."""
    from flowctl.when import to_iso_utc
    from flowctl.working_hours import due_after

    for spec in pipeline.stage(deal.stage).on_enter:
        task_type = pipeline.task_type(spec.task_type)
        due = due_after(session.now, spec.due_in, spec.in_days, session.workspace.working_hours, session.workspace.tz)
        task = Task(None, deal.id, task_type.id, to_iso_utc(due),
                    _assignee(session, deal, spec.for_role), spec.text or task_type.label, OPEN, session.now_iso,
                    session.actor.login, stage=deal.stage)
        task.id = session.store.add_task(task)
        session.record("task.added", deal_id=deal.id, task_id=task.id,
                       data={"type": task.type, "due": task.due, "responsible": task.responsible,
                             "text": task.text, "on_enter": deal.stage})


def cancel_on_leave(session: Session, deal: Deal, dest_is_open: bool) -> None:
    """Leaving a stage cancels its open on-enter tasks; closing the deal cancels every open task."""
    for task in session.store.list_tasks(TaskQuery(deal_ids=(deal.id,), status=OPEN)):
        if not dest_is_open or task.stage == deal.stage:
            task.status = CANCELLED
            session.store.update_task(task)
            session.record("task.cancelled", deal_id=deal.id, task_id=task.id,
                           data={"type": task.type, "left": deal.stage})

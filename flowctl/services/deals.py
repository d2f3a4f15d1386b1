"""Deals: create, set fields, advance through the pipeline's machine, show, list, history."""

from __future__ import annotations

from flowctl import messages as M
from flowctl.errors import FlowError, NotFound, NotPermitted, RuleRefused, UsageError
from flowctl.pipeline.model import Pipeline
from flowctl.services import tasks
from flowctl.services.session import Session
from flowctl.store.base import Deal, DealQuery

_machines: dict[str, object] = {}


def machine_for(pipeline: Pipeline):
    """One state machine per pipeline per process (never one per deal: pytransitions#434)."""
    from flowctl.pipeline.machine import PipelineMachine

    if pipeline.id not in _machines or _machines[pipeline.id].pipeline is not pipeline:
        _machines[pipeline.id] = PipelineMachine(pipeline)
    return _machines[pipeline.id]


def get(session: Session, deal_id: int) -> Deal:
    deal = session.store.get_deal(deal_id)
    if deal is None:
        raise NotFound(M.text("deal_unknown", id=deal_id))
    return deal


def find_stage(pipeline: Pipeline, typed: str):
    stage = pipeline.find_stage(typed)
    if stage is None:
        names = [s.label for s in pipeline.stages] + [s.id for s in pipeline.stages]
        raise UsageError(M.text("stage_unknown", name=typed, hint=M.did_you_mean(typed, names)))
    return stage


def _record_field_changes(session: Session, deal: Deal, changes: dict, contact_id: int | None = None) -> None:
    for field_id, new in changes.items():
        old = deal.fields.get(field_id)
        if old != new:
            session.record("deal.field", deal_id=deal.id, contact_id=contact_id,
                           data={"field": field_id, "old": old, "new": new})


def _apply(fields: dict, changes: dict) -> dict:
    return {k: v for k, v in {**fields, **changes}.items() if v is not None}


def deal_row(session: Session, deal: Deal) -> dict:
    """The deal as data: what `show`, `list` and `--format json` print."""
    from flowctl.services.contacts import display_name

    pipeline = session.workspace.stored_pipeline(deal.pipeline)
    contact = session.store.get_contact(deal.contact_id) if deal.contact_id else None
    stage = pipeline.stage(deal.stage)
    return {
        "id": deal.id, "pipeline": deal.pipeline, "stage": deal.stage, "stage_label": stage.label,
        "contact_id": deal.contact_id, "contact": display_name(session, contact.fields) if contact else None,
        "responsible": deal.responsible, "budget": deal.budget, "fields": deal.fields,
        "created_at": deal.created_at, "stage_since": deal.stage_since, "updated_at": deal.updated_at,
    }


def initial_fields(session: Session, pipeline: Pipeline, contact, lead_date: str, given: dict) -> dict:
    """A new deal's fields: F1 the acting user, F3 the pipeline's product, F5 the lead date, F4 the contact's F10
    (the contact owns it: contacts.OWNED_BY_CONTACT) when the deal's field can hold it; then what was given."""
    from flowctl import fields as typed
    from flowctl.services.contacts import OWNED_BY_CONTACT

    defaults = {pipeline.field_id_for("owner"): session.actor.login, pipeline.field_id_for("lead_date"): lead_date,
                "product": pipeline.product}
    if contact:  # as follow_contact copies it: a value the deal's field would refuse is no copy to keep
        defaults.update({k: contact.fields.get(k) for k in OWNED_BY_CONTACT
                         if (field := pipeline.deal_field(k)) and typed.is_stored(field, contact.fields.get(k))})
    return _apply({k: v for k, v in defaults.items() if pipeline.deal_field(k)}, given)


def create(session: Session, pipeline_id: str | None, contact_id: int | None, assignments: list[str]) -> dict:
    ws = session.workspace
    pipeline = ws.pipeline(pipeline_id) if pipeline_id else ws.default_pipeline()
    session.require_role_in(pipeline)
    given = session.parse_assignments(pipeline.deal_fields, assignments)
    owner = given.get(pipeline.field_id_for("owner"))
    if owner and owner != session.actor.login and not session.holds(pipeline.ownership.reassign):  # F1: yours
        raise NotPermitted(M.text("deal_new_for_other", name=session.shown_name(owner),
                                  roles=_reassigners(pipeline)))
    with session.store.transaction():
        contact = None
        if contact_id is not None:
            contact = session.store.get_contact(contact_id)
            if contact is None:
                raise NotFound(M.text("contact_unknown", id=contact_id))
        fields = initial_fields(session, pipeline, contact, session.today.isoformat(), given)
        missing = pipeline.initial.missing(fields)
        if missing:
            raise RuleRefused(M.text("move_missing_fields", dest=pipeline.initial.label,
                                     fields=", ".join(pipeline.field_labels(missing))))
        deal = Deal(None, pipeline.id, pipeline.initial.id, fields, contact_id, session.now_iso, session.now_iso,
                    session.now_iso)
        deal.id = session.store.add_deal(deal)
        session.record("deal.created", deal_id=deal.id, contact_id=contact_id,
                       data={"pipeline": pipeline.id, "stage": deal.stage, "fields": fields})
        tasks.create_on_enter(session, pipeline, deal)
        _tell_contact(session, deal, given)
    return deal_row(session, deal)


def set_fields(session: Session, deal_id: int, assignments: list[str]) -> dict:
    with session.store.transaction():
        deal = get(session, deal_id)
        pipeline = session.workspace.stored_pipeline(deal.pipeline)
        session.require_deal_access(pipeline, deal)
        require_changeable(session, pipeline, deal)
        changes = session.parse_assignments(pipeline.deal_fields, assignments)
        old_owner = _check_hand_over(session, pipeline, deal, _apply(deal.fields, changes))
        _write_fields(session, pipeline, deal, changes)
        tasks.follow_owner(session, pipeline, deal, old_owner)
        _tell_contact(session, deal, changes)
    return deal_row(session, deal)


def _check_hand_over(session: Session, pipeline: Pipeline, deal: Deal, new_fields: dict) -> str | None:
    """F1: a deal passes to another member only by a role `ownership.reassign` lists (undeclared: any role);
    a deal with no responsible may be taken by anyone for himself. The old responsible when the deal changes
    hands."""
    owner_field = pipeline.field_id_for("owner")
    old, new = deal.fields.get(owner_field), new_fields.get(owner_field)
    if old == new:
        return None
    if (old or new != session.actor.login) and not session.holds(pipeline.ownership.reassign):
        raise NotPermitted(M.text("deal_reassign_refused", id=deal.id, owner=session.shown_name(old),
                                  roles=_reassigners(pipeline)))
    return old


def _reassigners(pipeline: Pipeline) -> str:
    """The roles that may give a deal to someone else, as a refusal names them."""
    return ", ".join(pipeline.role_labels(pipeline.ownership.reassign or ())) or "—"


def _write_fields(session: Session, pipeline: Pipeline, deal: Deal, changes: dict, contact_id: int | None = None):
    """Change fields of a deal that stays where it is; the caller has checked role and freeze."""
    new = _apply(deal.fields, changes)
    stage = pipeline.stage(deal.stage)
    # what the current stage required to enter it, it still requires: clearing it is refused
    lost = [f for f in stage.missing(new) if f not in stage.missing(deal.fields)]
    if lost:
        raise RuleRefused(M.text("field_required_here", stage=stage.label,
                                 fields=", ".join(pipeline.field_labels(lost))))
    _record_field_changes(session, deal, changes, contact_id)
    deal.fields = new
    deal.updated_at = session.now_iso
    session.store.update_deal(deal)


def _tell_contact(session: Session, deal: Deal, changes: dict) -> None:
    """A fact the contact owns (contacts.OWNED_BY_CONTACT), set on this deal, is set on its contact, and from there on
    the contact's other open deals."""
    from flowctl.services import contacts

    owned = {k: v for k, v in changes.items() if k in contacts.OWNED_BY_CONTACT}
    if owned and deal.contact_id is not None:
        contacts.take_from_deal(session, deal.contact_id, owned, deal.id)


def follow_contact(session: Session, contact, facts: dict, skip: int | None = None) -> None:
    """The contact's `facts` ({field id: value}) copied to each of its open deals but `skip` that has a field to hold
    them, as `deal set` would change it: the acting user's role in the pipeline and the stage's required fields are
    checked, and each change is a history event naming the contact. A refusal names the deal."""
    from flowctl import fields as typed

    for deal in session.store.list_deals(DealQuery(contact_id=contact.id)):
        pipeline = session.workspace.stored_pipeline(deal.pipeline)
        if deal.id == skip or not pipeline.stage(deal.stage).is_open:
            continue  # a won or lost deal keeps the value it closed with
        changes = {k: v for k, v in facts.items() if (field := pipeline.deal_field(k)) and typed.is_stored(field, v)
                   and deal.fields.get(k) != v}
        if not changes:
            continue
        try:
            session.require_deal_access(pipeline, deal)  # a colleague's deal is not changed through its contact
            _write_fields(session, pipeline, deal, changes, contact_id=contact.id)
        except FlowError as refused:  # said as the contact's change, with the exit code of the deal's refusal
            raise type(refused)(M.text("contact_deal_refused", id=deal.id, reason=refused.message,
                                       field=", ".join(pipeline.field_labels(changes)))) from None


def advance(session: Session, deal_id: int, stage_typed: str, assignments: list[str],
            comment: str | None = None) -> dict:
    """Move a deal through the pipeline's machine: role (M1, M2), required fields (Q3–Q6), allowed targets;
    a correction (a move the pipeline marks so) only with a comment saying why."""
    from flowctl.fields import free_text
    from flowctl.text import visible_length

    with session.store.transaction():
        deal = get(session, deal_id)
        pipeline = session.workspace.stored_pipeline(deal.pipeline)
        session.require_deal_access(pipeline, deal)
        dest = find_stage(pipeline, stage_typed)
        changes = session.parse_assignments(pipeline.deal_fields, assignments)
        new_fields = _apply(deal.fields, changes)
        old_owner = _check_hand_over(session, pipeline, deal, new_fields)
        move = machine_for(pipeline).move(deal.stage, dest.id, session.actor.roles, new_fields,
                                          tasks.facts(session, deal))
        comment = free_text(M.text("label_comment"), comment)
        if move.correction and not visible_length(comment):
            raise RuleRefused(M.text("move_needs_comment", source=pipeline.stage(deal.stage).label, dest=dest.label))
        _record_field_changes(session, deal, changes)
        deal.fields = new_fields
        note = {"correction": True} if move.correction else {}
        enter_stage(session, pipeline, deal, dest, **note, **({"comment": comment} if comment else {}))
        session.store.update_deal(deal)
        tasks.follow_owner(session, pipeline, deal, old_owner)
        _tell_contact(session, deal, changes)
    return deal_row(session, deal)


def enter_stage(session: Session, pipeline: Pipeline, deal: Deal, dest, **source) -> None:
    """What a stage change does, whoever makes it (advance, an import): the history event, the leaving stage's
    on-enter tasks cancelled (every open task when the deal closes), the new stage's on-enter tasks created.
    The caller has checked the move and writes the deal."""
    session.record("deal.stage", deal_id=deal.id, data={"from": deal.stage, "to": dest.id, **source})
    tasks.cancel_on_leave(session, deal, dest.is_open)
    deal.stage = dest.id
    deal.stage_since = deal.updated_at = session.now_iso
    tasks.create_on_enter(session, pipeline, deal)


def require_changeable(session: Session, pipeline: Pipeline, deal: Deal) -> None:
    """A won or lost deal is frozen: its fields change only by a role that may reopen it (the head of sales),
    and that change is a history event like any other."""
    stage = pipeline.stage(deal.stage)
    reopeners = [r for r in pipeline.roles if r.reopen]
    if not stage.is_open and not session.actor.roles & {r.id for r in reopeners}:
        raise RuleRefused(M.text("deal_closed", id=deal.id, stage=stage.label,
                                 roles=", ".join(r.label for r in reopeners) or "—"))


def list_deals(session: Session, pipeline: str | None, stage: str | None, responsible: str | None,
               contact_id: int | None, sort: str, descending: bool, limit: int | None) -> list[dict]:
    from flowctl.store.base import DEAL_SORTS

    if sort not in DEAL_SORTS:
        raise UsageError(M.text("sort_unknown", sort=sort, allowed=", ".join(DEAL_SORTS)))
    chosen = session.workspace.pipeline(pipeline) if pipeline else None  # an unknown one is not found, not empty
    stages: tuple[str, ...] = ()
    if stage:
        pipelines = [chosen] if chosen else list(session.workspace.pipelines().values())
        found = {p.find_stage(stage).id for p in pipelines if p.find_stage(stage)}
        if not found:
            find_stage(pipelines[0], stage)  # raises with a suggestion
        stages = tuple(found)
    query = DealQuery(pipeline=chosen.id if chosen else None, stages=stages, responsible=responsible, contact_id=contact_id, sort=sort,
                      descending=descending, limit=limit)
    return [deal_row(session, d) for d in session.store.list_deals(query)]


def history(session: Session, deal_id: int) -> list[dict]:
    get(session, deal_id)
    return [{"id": e.id, "at": e.at, "actor": e.actor, "kind": e.kind, "task_id": e.task_id, "data": e.data}
            for e in session.store.events(deal_id=deal_id)]

"""Contacts (F8–F11): add, set, show the card, list."""

from __future__ import annotations

import re

from flowctl import messages as M
from flowctl.errors import NotFound, RuleRefused
from flowctl.services.session import Session
from flowctl.store.base import Contact, DealQuery, TaskQuery
from flowctl.text import is_blank


def display_name(session: Session, values: dict) -> str:
    """F8: the name plus who he is («Алмаз Строитель»), by the template the pipeline declares."""
    from flowctl import fields as typed

    by_id = {f.id: f for f in session.workspace.contact_fields}

    def fill(match):
        field = by_id.get(match.group(1))
        value = values.get(match.group(1))
        return typed.display(field, value) if field and value is not None else ""

    return " ".join(re.sub(r"{([^}]*)}", fill, session.workspace.contact_template).split())


def _get(session: Session, contact_id: int) -> Contact:
    contact = session.store.get_contact(contact_id)
    if contact is None:
        raise NotFound(M.text("contact_unknown", id=contact_id))
    return contact


def _check(session: Session, values: dict, contact_id: int | None) -> None:
    missing = [f.label for f in session.workspace.contact_fields if f.required and is_blank(values.get(f.id))]
    if missing:
        raise RuleRefused(M.text("contact_missing", fields=", ".join(missing)))
    phone = values.get("phone")
    if phone:
        other = session.store.contact_by_phone(phone)
        if other and other.id != contact_id:
            raise RuleRefused(M.text("contact_phone_taken", phone=phone, id=other.id,
                                     name=display_name(session, other.fields)))


def view(session: Session, contact: Contact) -> dict:
    return {"id": contact.id, "display_name": display_name(session, contact.fields), "fields": contact.fields,
            "created_at": contact.created_at}


def add(session: Session, assignments: list[str]) -> dict:
    values = {k: v for k, v in session.parse_assignments(session.workspace.contact_fields, assignments).items() if v is not None}
    with session.store.transaction():
        _check(session, values, None)
        contact = Contact(None, values, session.now_iso)
        contact.id = session.store.add_contact(contact)
        session.record("contact.created", contact_id=contact.id, data={"fields": values})
    return view(session, contact)


def set_fields(session: Session, contact_id: int, assignments: list[str]) -> dict:
    changes = session.parse_assignments(session.workspace.contact_fields, assignments)
    with session.store.transaction():
        contact = _get(session, contact_id)
        new = {k: v for k, v in {**contact.fields, **changes}.items() if v is not None}
        _check(session, new, contact_id)
        for field_id in changes:
            if contact.fields.get(field_id) != new.get(field_id):
                session.record("contact.field", contact_id=contact_id,
                               data={"field": field_id, "old": contact.fields.get(field_id), "new": new.get(field_id)})
        contact.fields = new
        session.store.update_contact(contact)
    return view(session, contact)


def list_contacts(session: Session) -> list[dict]:
    return [view(session, c) for c in session.store.list_contacts()]


def card(session: Session, contact_id: int) -> dict:
    """F11: the contact, the number of its deals, the stage of each, and every task of each deal."""
    from flowctl.services.deals import deal_row

    contact = _get(session, contact_id)
    deals = session.store.list_deals(DealQuery(contact_id=contact_id))
    tasks = session.store.list_tasks(TaskQuery(deal_ids=tuple(d.id for d in deals), status=None)) if deals else []
    result = view(session, contact)
    result["deals"] = []
    for deal in deals:
        row = deal_row(session, deal)
        row["tasks"] = [t.__dict__.copy() for t in tasks if t.deal_id == deal.id]
        result["deals"].append(row)
    return result

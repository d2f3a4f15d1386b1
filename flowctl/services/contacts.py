"""Contacts (F8–F11): add, set, find, show the card, list."""

from __future__ import annotations

import re
from functools import cache

from flowctl import messages as M
from flowctl.errors import NotFound, RuleRefused, UsageError
from flowctl.pipeline.model import fold
from flowctl.services.session import Session
from flowctl.store.base import Contact, DealQuery, TaskQuery
from flowctl.text import is_blank

# One fact, two cards: who the client is (a builder or a private client) is the contact's field F10 and the deal's
# F4, which the stage rules read (Q1). The contact owns it, since it says who the client is: a deal is created with
# the contact's value, a change on the contact is copied to every open deal of the contact, and a change on a deal
# is made on its contact and so on the contact's other open deals, all in one transaction, each change a history
# event, each copy checked by the deal's rules (the acting user's role, the stage's required fields). Won and lost
# deals keep the value they closed with; a pipeline without the field, or whose field cannot hold the value,
# has no copy to keep.
OWNED_BY_CONTACT = ("client_type",)

AMBIGUOUS_SHOWN = 5  # candidates a refusal lists before "… and N more"


def display_name(session: Session, values: dict) -> str:
    """F8: the name plus who he is («Алмаз Строитель»), by the template the pipeline declares. A part another part
    already says, as whole words in any case, is not said again: «Алмаз Строитель» the builder stays «Алмаз
    Строитель», not «Алмаз Строитель Строитель»."""
    from flowctl import fields as typed

    template = session.workspace.contact_template
    by_id = {f.id: f for f in session.workspace.contact_fields}
    parts = {}
    for field_id in _placeholders(template):
        field, value = by_id.get(field_id), values.get(field_id)
        parts[field_id] = typed.display(field, value) if field and value is not None else ""
    filled = [field_id for field_id, text in parts.items() if text]
    folded = {field_id: fold(parts[field_id]) for field_id in filled}
    words = {field_id: _words(text) for field_id, text in folded.items()}
    for field_id in filled:  # a part said again is cut; the longer part (or the first of two equal) stays
        if words[field_id] and any(o != field_id and _says(words[o], words[field_id]) and (
                len(folded[o]) > len(folded[field_id]) or filled.index(o) < filled.index(field_id)) for o in filled):
            parts[field_id] = ""
    return " ".join(re.sub(r"{([^}]*)}", lambda m: parts[m.group(1)], template).split())


@cache
def _placeholders(template: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(re.findall(r"{([^}]*)}", template)))


def _words(folded: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", folded))


def _says(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    """Whether `part` occurs in `words` as whole words, in order."""
    return any(words[i:i + len(part)] == part for i in range(len(words) - len(part) + 1))


def _get(session: Session, contact_id: int) -> Contact:
    contact = session.store.get_contact(contact_id)
    if contact is None:
        raise NotFound(M.text("contact_unknown", id=contact_id))
    return contact


def _check(session: Session, values: dict, contact_id: int | None) -> None:
    missing = [f.label for f in session.workspace.contact_fields if f.required and is_blank(values.get(f.id))]
    if missing:
        raise RuleRefused(M.text("contact_missing", fields=", ".join(missing)))
    require_phone_free(session, values.get("phone"), contact_id)


def require_phone_free(session: Session, phone: str | None, contact_id: int | None) -> None:
    """F9: a phone finds one contact; RuleRefused when another contact than `contact_id` has it."""
    if phone:  # stored numbers are E.164 (fields.normalize_phone): 8 912… and +7 912… are one number here
        other = session.store.contact_by_phone(phone)
        if other and other.id != contact_id:
            raise RuleRefused(phone_taken(session, phone, other.id, other.fields))


def phone_taken(session: Session, phone: str, other_id: int, other_fields: dict) -> str:
    """The refusal of a phone the contact #other_id already has (F9), as every path that writes one says it."""
    return M.text("contact_phone_taken", phone=_shown_phone(session, phone), id=other_id,
                  name=display_name(session, other_fields))


def _shown_phone(session: Session, phone: str) -> str:
    from flowctl import fields as typed

    field = next((f for f in session.workspace.contact_fields if f.id == "phone"), None)
    return typed.display(field, phone) if field else phone


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


def set_fields(session: Session, ref: str | int, assignments: list[str]) -> dict:
    changes = session.parse_assignments(session.workspace.contact_fields, assignments)
    with session.store.transaction():
        contact = resolve(session, ref)
        change(session, contact, changes)
    return view(session, contact)


def change(session: Session, contact: Contact, changes: dict, from_deal: int | None = None) -> None:
    """Write `changes` ({field id: stored value or None}) to the contact, each changed field a history event, and
    copy what the contact owns to its open deals (OWNED_BY_CONTACT), but for `from_deal`, where it was set."""
    from flowctl.services import deals

    new = {k: v for k, v in {**contact.fields, **changes}.items() if v is not None}
    _check(session, new, contact.id)
    for field_id in changes:
        if contact.fields.get(field_id) != new.get(field_id):
            session.record("contact.field", contact_id=contact.id, deal_id=from_deal,
                           data={"field": field_id, "old": contact.fields.get(field_id), "new": new.get(field_id)})
    owned = {k: new.get(k) for k in OWNED_BY_CONTACT if k in changes and contact.fields.get(k) != new.get(k)}
    contact.fields = new
    session.store.update_contact(contact)
    if owned:
        deals.follow_contact(session, contact, owned, skip=from_deal)


def take_from_deal(session: Session, contact_id: int, changes: dict, deal_id: int) -> None:
    """A fact the contact owns, set on one of its deals: the contact takes it (and so its other open deals)."""
    from flowctl import fields as typed

    contact = _get(session, contact_id)
    by_id = {f.id: f for f in session.workspace.contact_fields}
    taken = {k: v for k, v in changes.items() if k in OWNED_BY_CONTACT and k in by_id
             and typed.is_stored(by_id[k], v) and contact.fields.get(k) != v}
    if taken:
        change(session, contact, taken, from_deal=deal_id)


def list_contacts(session: Session) -> list[dict]:
    return [view(session, c) for c in session.store.list_contacts()]


def _matching(session: Session, text: str) -> list[Contact]:
    """Contacts whose name (or name as shown, F8) holds `text` in any case, ё = е, or whose phone holds the digits
    of `text` typed in any format (fields.phone_fragment)."""
    from flowctl.fields import phone_digits, phone_fragment

    if is_blank(text):
        raise UsageError(M.text("contact_find_blank"))
    wanted, phone = fold(text), phone_fragment(text)
    found = []
    for contact in session.store.list_contacts():
        stored_phone = contact.fields.get("phone")
        if (phone and isinstance(stored_phone, str) and phone.search(phone_digits(stored_phone))) \
                or wanted in fold(str(contact.fields.get("name", ""))) \
                or wanted in fold(display_name(session, contact.fields)):
            found.append(contact)
    return found


def find(session: Session, text: str) -> list[dict]:
    """`flowctl contact find`: the contacts `text` names, by a part of the name or of the phone; NotFound when
    none does."""
    found = _matching(session, text)
    if not found:
        raise NotFound(M.text("contact_no_match", text=text.strip()))
    return [view(session, c) for c in found]


def resolve(session: Session, ref: str | int) -> Contact:
    """The one contact `ref` names, as a manager names one: its id (a number), its phone in any format, or its name
    or a part of it that one contact alone has (or one alone has whole). A part several have is a usage error
    listing them; nothing is NotFound."""
    from flowctl.fields import normalize_phone

    if isinstance(ref, int):
        return _get(session, ref)
    typed = ref.strip()
    phone = normalize_phone(typed) if typed else None
    if phone and (owner := session.store.contact_by_phone(phone)):
        return owner
    if phone is None and re.fullmatch("[0-9]+", typed):
        return _get(session, int(typed))
    found = _matching(session, typed)
    if not found:
        raise NotFound(M.text("contact_no_match", text=typed))
    if len(found) > 1:
        whole = [c for c in found if fold(typed) in (fold(str(c.fields.get("name", ""))),
                                                      fold(display_name(session, c.fields)))]
        if len(whole) != 1:
            raise UsageError(M.text("contact_ambiguous", text=typed, count=len(found),
                                    candidates=_listed(session, found)))
        found = whole
    return found[0]


def _listed(session: Session, contacts: list[Contact]) -> str:
    from flowctl.render import cut_list

    return cut_list([f"#{c.id} {display_name(session, c.fields)}" for c in contacts], AMBIGUOUS_SHOWN)


def card(session: Session, ref: str | int) -> dict:
    """F11: the contact, the number of its deals, the stage of each, and every task of each deal."""
    from flowctl.services.deals import deal_row

    contact = resolve(session, ref)
    deals = session.store.list_deals(DealQuery(contact_id=contact.id))
    tasks = session.store.list_tasks(TaskQuery(deal_ids=tuple(d.id for d in deals), status=None)) if deals else []
    result = view(session, contact)
    result["deals"] = []
    for deal in deals:
        row = deal_row(session, deal)
        row["tasks"] = [t.as_dict() for t in tasks if t.deal_id == deal.id]
        result["deals"].append(row)
    return result

"""A scenario's `given:`: contacts and deals typed as a person types them, set up in an empty store.

Nothing here writes past the rules: the values are parsed by the parsers every command uses, the rows are checked
by the restore's checker exactly as `flowctl import all` checks a backup (a deal holds what its stage requires, its
responsible is on the team), written by the restore, and then each deal gets the tasks its stage creates on
entering it, by the service every move uses. A deal set up in a stage is recorded as imported into it.
"""

from __future__ import annotations

from flowctl.services.restore import SECTIONS, Export
from flowctl.services.session import Session


def set_up(session: Session, pipeline, contacts: list[dict], deals: list[dict], source: str,
           lines: dict[tuple[str, int], int]) -> list[str]:
    """Write the given rows, or return every problem (`source:line: section[index]: reason`) and write nothing.
    `lines` maps (contacts|deals, index) to the line each entry starts on."""
    from flowctl.services import restore, tasks
    from flowctl.services.deals import initial_fields
    from flowctl.store.base import Contact, Deal, Event

    now, actor = session.now_iso, session.actor.login
    rows: dict[str, list] = {section: [] for section in SECTIONS}

    def parsed(fields, values: dict) -> dict:
        assignments = [f"{name}={typed(value)}" for name, value in values.items()]
        return {k: v for k, v in session.parse_assignments(fields, assignments).items() if v is not None}

    made_contacts = []
    for number, values in enumerate(contacts, 1):
        contact = Contact(number, parsed(session.workspace.contact_fields, values), now)
        made_contacts.append(contact)
        rows["contacts"].append(contact.as_dict())
        rows["history"].append(Event(len(rows["history"]) + 1, now, actor, "contact.created", contact_id=number,
                                     data={"fields": contact.fields}).as_dict())
    for number, entry in enumerate(deals, 1):
        stage = pipeline.find_stage(entry["stage"]) if "stage" in entry else pipeline.initial
        contact_id = entry.get("contact")
        contact = made_contacts[contact_id - 1] if contact_id else None
        fields = initial_fields(session, pipeline, contact, session.today.isoformat(),
                                parsed(pipeline.deal_fields, entry.get("fields", {})))
        rows["deals"].append(Deal(number, pipeline.id, stage.id, fields, contact_id, now, now, now).as_dict())
        rows["history"].append(Event(len(rows["history"]) + 1, now, actor, "deal.imported", deal_id=number,
                                     contact_id=contact_id,
                                     data={"source": source, "line": lines.get(("deals", number - 1), 1),
                                           "stage": stage.id, "fields": fields}).as_dict())
    export = Export(source, rows, lines)
    found = restore.problems(session, export)
    if found:
        return found
    restore.restore(session, export)
    with session.store.transaction():
        for row in rows["deals"]:
            tasks.create_on_enter(session, pipeline, Deal(**row))
    return []


def typed(value) -> str:
    """A value written in a scenario's YAML as a person would type it: 4 → "4", null → "" (blank)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

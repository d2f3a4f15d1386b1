"""`flowctl contact add|show|list|set`."""

from typing import List

import typer

from flowctl import messages as M
from flowctl.cli import complete
from flowctl.cli.common import FormatOption, check_format, echo, new_app
from flowctl.cli.session import open_session

app = new_app()

Assignments = typer.Argument(..., metavar="KEY=VALUE...", autocompletion=complete.contact_fields, help="Field id or label = value, e.g. name=Алмаз.")
ContactRef = typer.Argument(..., metavar="CONTACT",
                            help="The contact's id, its phone in any format, or its name or a part of it only it has.")
COLUMNS = [("id", "#"), ("display_name", "contact"), ("phone", "phone")]


@app.command("add")
def add(ctx: typer.Context, assignments: List[str] = Assignments, fmt: str = FormatOption):
    """Add a contact: `flowctl contact add name=Алмаз phone="8 912 345-67-89" client_type=Строитель`."""
    from flowctl.render import to_json
    from flowctl.services import contacts

    check_format(fmt)
    contact = contacts.add(open_session(ctx), assignments)
    echo(to_json(contact) if fmt == "json" else M.text("contact_created", id=contact["id"],
                                                         name=contact["display_name"]))


@app.command("set")
def set_(ctx: typer.Context, ref: str = ContactRef, assignments: List[str] = Assignments,
         fmt: str = FormatOption):
    """Change a contact's fields. The client type is the contact's: its open deals take the new one."""
    from flowctl.render import to_json
    from flowctl.services import contacts

    check_format(fmt)
    contact = contacts.set_fields(open_session(ctx), ref, assignments)
    echo(to_json(contact) if fmt == "json" else M.text("contact_updated", id=contact["id"],
                                                         name=contact["display_name"]))


@app.command("list")
def list_(ctx: typer.Context, fmt: str = FormatOption):
    """Every contact."""
    from flowctl.services import contacts

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    echo(_contact_table(session, contacts.list_contacts(session), fmt))


@app.command("find")
def find(ctx: typer.Context,
         text: str = typer.Argument(..., metavar="TEXT",
                                    help="A part of the name (any case, ё = е) or of the phone (any format)."),
         fmt: str = FormatOption):
    """Find contacts by a part of the name or of the phone (`flowctl contact find "8 912"`); none found: exit code 4."""
    from flowctl.services import contacts

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    echo(_contact_table(session, contacts.find(session, text), fmt))


def _contact_table(session, rows: list[dict], fmt: str) -> str:
    """Contacts as a table: the phone as people write it (+7 912 345-67-89), as stored in csv and json."""
    from flowctl import fields as typed
    from flowctl import language
    from flowctl.render import render

    phone = next((f for f in session.workspace.contact_fields if f.id == "phone"), None)

    def shown_phone(value):
        return value if language.machine() or phone is None or value is None else typed.display(phone, value)

    shown = [{**r, "phone": shown_phone(r["fields"].get("phone"))} for r in rows]
    return render(shown if fmt != "json" else rows, fmt, COLUMNS)


@app.command("show")
def show(ctx: typer.Context, ref: str = ContactRef, fmt: str = FormatOption):
    """The contact card (F11): the contact, its deals with the stage of each, and every task of each deal."""
    from flowctl.cli.views import field_label_value_rows, local, person, status_text
    from flowctl.render import render, to_json
    from flowctl.services import contacts

    check_format(fmt)
    session = open_session(ctx, read_only=True)
    card = contacts.card(session, ref)
    if fmt == "json":
        echo(to_json(card))
        return
    lines = [M.text("card_contact", id=card["id"], name=card["display_name"]), "",
             render(field_label_value_rows(session, session.workspace.contact_fields, card["fields"]), "table",
                    [("field", "field"), ("value", "value")]), "", M.text("card_deals", count=len(card["deals"]))]
    for deal in card["deals"]:
        pipeline = session.workspace.stored_pipeline(deal["pipeline"])
        lines.append(M.text("card_deal", id=deal["id"], stage=deal["stage_label"], pipeline=pipeline.name,
                            who=person(session, deal["responsible"])))
        for task in deal["tasks"]:
            task_type = pipeline.task_type(task["type"])
            kind = M.option_name(pipeline.tasks.contact_kinds, task["contact_kind"])
            status = status_text(task["status"]) + (f" ({kind}): {task['result']}" if task["result"] else "")
            lines.append(M.text("card_task", id=task["id"], type=task_type.label if task_type else task["type"],
                                due=local(session, task["due"]), status=status))
    echo("\n".join(lines))

"""How deals, contacts, tasks and history look in a table (the json format prints the data as it is)."""

from flowctl import language
from flowctl import messages as M
from flowctl.render import render, to_json


def person(session, login: str | None) -> str | None:
    """A member as a table or a card shows them: the team's name (a login nobody in the team has stays as it is);
    csv keeps the login, as json does: a program reads it."""
    if not login or language.machine():
        return login
    return session.shown_name(login)


def shown_value(session, field, stored) -> str:
    """A stored field value as a person reads it: a member (a user field) by name, the rest as its type shows it."""
    from flowctl import fields as typed

    if field.type == "user" and stored:
        return person(session, stored)
    return typed.display(field, stored)


def field_label_value_rows(session, fields_spec, values: dict) -> list[dict]:
    return [{"field": f.label, "value": shown_value(session, f, values.get(f.id))} for f in fields_spec
            if values.get(f.id) not in (None, "")]


def local(session, iso_utc: str | None) -> str:
    from flowctl.when import format_local, from_iso_utc

    return format_local(from_iso_utc(iso_utc), session.workspace.tz) if iso_utc else ""


def deal_card(session, deal: dict) -> str:
    pipeline = session.workspace.stored_pipeline(deal["pipeline"])
    head = M.text("deal_card_title", id=deal["id"], pipeline=pipeline.name, stage=deal["stage_label"],
                  since=local(session, deal["stage_since"]))
    if deal["contact_id"]:
        head += "\n" + M.text("deal_card_contact", id=deal["contact_id"], name=deal["contact"])
    rows = (field_label_value_rows(session, pipeline.deal_fields, deal["fields"]) if not pipeline.gone else
            [{"field": key, "value": value} for key, value in deal["fields"].items()])  # as stored: no labels known
    return head + "\n\n" + render(rows, "table", [("field", "field"), ("value", "value")])


def money_text(pipeline, amount: str | None) -> str | None:
    """An amount as the pipeline's budget field shows money (350 000.50)."""
    from flowctl import fields as typed

    budget = pipeline.field_for("money")
    return typed.display(budget, amount) if budget else amount


def deal_rows(session, deals: list[dict]) -> list[dict]:
    from datetime import date

    deals = [{**d, "responsible_shown": person(session, d["responsible"])} for d in deals]

    def day(stored: str | None) -> str | None:
        return language.day(date.fromisoformat(stored)) if stored else stored

    stored = session.workspace.stored_pipeline
    return [{**d, "budget_shown": money_text(stored(d["pipeline"]), d["budget"]),
             "lead_date": day(d["fields"].get(stored(d["pipeline"]).field_id_for("lead_date")))} for d in deals]


DEAL_COLUMNS = [("id", "#"), ("stage_label", "stage"), ("contact", "contact"), ("responsible_shown", "responsible"),
                ("budget_shown", "budget"), ("lead_date", "lead date")]


def history_rows(session, events: list[dict], pipeline) -> list[dict]:
    def label(stage_id: str) -> str:
        stage = pipeline.stage_or_none(pipeline.current_stage_id(stage_id))
        return stage.label if stage else stage_id  # a stage since removed keeps its id in old events

    def what(e: dict) -> str:
        data, kind = e["data"], e["kind"]
        if kind == "deal.stage":
            if data.get("correction"):
                return M.text("h_stage_correction", source=label(data["from"]), dest=label(data["to"]),
                              comment=data["comment"])
            return M.text("h_stage_estimated" if data.get("estimated") else "h_stage", source=label(data["from"]),
                          dest=label(data["to"]))
        if kind == "deal.field":
            f = pipeline.deal_field(pipeline.current_field_id(data["field"]))
            old = shown_value(session, f, data["old"]) if f else data["old"]
            new = shown_value(session, f, data["new"]) if f else data["new"]
            return M.text("h_field", field=f.label if f else data["field"], old=old or "—", new=new or "—")
        if kind == "deal.created":
            return M.text("h_created", stage=label(data["stage"]))
        if kind == "deal.imported":
            return M.text("h_imported", source=data["source"], line=data["line"], stage=label(data["stage"]))
        task = e["task_id"]
        if kind == "task.added":
            return M.text("h_task_added", task=task, text=data["text"], due=local(session, data["due"]),
                          who=person(session, data["responsible"]))
        if kind == "task.done":
            kind_shown = M.option_name(pipeline.tasks.contact_kinds, data["contact"])
            return M.text("h_task_done", task=task, contact=kind_shown, result=data["result"])
        if kind == "task.postponed":
            return M.text("h_task_postponed", task=task, old=local(session, data["old"]),
                          new=local(session, data["new"]), reason=data["reason"])
        if kind == "task.cancelled":
            if "reason" in data:
                return M.text("h_task_cancelled_reason", task=task, reason=data["reason"])
            return M.text("h_task_cancelled", task=task, stage=label(data["left"]))
        if kind == "task.reassigned":
            return M.text("h_task_followed" if data.get("with_deal") else "h_task_reassigned", task=task,
                          old=person(session, data["old"]), new=person(session, data["new"]))
        if kind == "deal.migrated":
            moves = [f"{old} → {new}" for old, new in data.get("fields", {}).items()]
            if "stage" in data:
                moves.insert(0, f"{data['stage']['from']} → {data['stage']['to']}")
            return M.text("h_migrated", moves=", ".join(moves))
        return to_json(data)

    return [{"at": local(session, e["at"]), "actor": person(session, e["actor"]), "what": what(e)} for e in events]


def task_rows(session, tasks: list[dict]) -> list[dict]:
    out = []
    for t in tasks:
        deal = session.store.get_deal(t["deal_id"])
        pipeline = session.workspace.stored_pipeline(deal.pipeline)
        task_type = pipeline.task_type(t["type"])
        out.append({**t, "type_label": task_type.label if task_type else t["type"], "mark": overdue_mark(t["overdue"]),
                    "stage_label": pipeline.stage(deal.stage).label, "status_shown": status_text(t["status"]),
                    "responsible_shown": person(session, t["responsible"])})
    return out


def overdue_mark(overdue: bool) -> str:
    """The mark of an overdue task, in the "overdue" column of the task list and the agenda; csv keeps the English
    word, which a program may look for."""
    if not overdue:
        return ""
    return M.TEXTS["overdue_mark"] if language.machine() else M.text("overdue_mark")


def status_text(status: str) -> str:
    """A task's status: its id in csv, a word in the user's language in a table."""
    return status if language.machine() else M.text(f"status_{status}")


TASK_COLUMNS = [("id", "#"), ("deal_id", "deal"), ("stage_label", "stage"), ("type_label", "task"), ("text", "text"),
                ("due_local", "due"), ("responsible_shown", "who"), ("status_shown", "status"), ("mark", "overdue")]

"""A pipeline as rows, for `flowctl pipeline show`."""

from __future__ import annotations

from flowctl import language
from flowctl import messages as M
from flowctl.pipeline.model import OnEnterTask, Pipeline, Requirement


def _duration(delta) -> str | None:
    if delta is None:
        return None
    minutes = int(delta.total_seconds() // 60)
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def _requirement(pipeline: Pipeline, req: Requirement) -> str:
    label = pipeline.field_labels([req.field])[0]
    if req.when is None:
        return label
    field = pipeline.deal_field(req.when.field)
    shown = "/".join(field.option_label(v) if field else str(v) for v in req.when.values)
    return M.text("requirement_when", label=label, field=field.label if field else req.when.field, values=shown)


def _on_enter(pipeline: Pipeline, task: OnEnterTask) -> str:
    label = pipeline.task_type(task.task_type).label
    if task.for_role is None:
        return label
    return M.text("on_enter_for_role", task=label, role=pipeline.role(task.for_role).label)


def stage_rows(pipeline: Pipeline) -> list[dict]:
    return [
        {
            "order": s.order, "id": s.id, "label": s.label, "kind": s.kind, "max_stay": _duration(s.max_stay),
            "requires": [_requirement(pipeline, r) for r in s.requires],
            "on_enter": [_on_enter(pipeline, t) for t in s.on_enter],
        }
        for s in pipeline.stages
    ]


def transition_rows(pipeline: Pipeline) -> list[dict]:
    """Every move: `conditions` are the pipeline file's ids (contact_made, tasks_done), `correction` whether the
    move is one (made with a comment); conditions_shown() says both as a table or csv shows them."""
    return [
        {
            "from": pipeline.stage(t.source).label, "to": pipeline.stage(t.dest).label,
            "roles": pipeline.role_labels(t.roles), "conditions": list(t.conditions), "correction": t.correction,
            "requires": [_requirement(pipeline, r) for r in pipeline.stage(t.dest).requires],
        }
        for t in pipeline.transitions
    ]


def conditions_shown(row: dict) -> list[str]:
    """What must hold for a move besides role and fields: the conditions and a correction's comment, in the
    user's language in a table; csv keeps the ids (and the word correction), which a program reads."""
    ids = row["conditions"] + (["correction"] if row["correction"] else [])
    return ids if language.machine() else [M.text(f"move_needs_{c}") for c in ids]

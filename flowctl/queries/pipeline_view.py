"""A pipeline as rows, for `flowctl pipeline show`."""

from __future__ import annotations

from flowctl import messages as M
from flowctl.pipeline.model import Pipeline, Requirement


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


def stage_rows(pipeline: Pipeline) -> list[dict]:
    return [
        {
            "order": s.order, "id": s.id, "label": s.label, "kind": s.kind, "max_stay": _duration(s.max_stay),
            "requires": [_requirement(pipeline, r) for r in s.requires],
            "on_enter": [pipeline.task_type(t.task_type).label for t in s.on_enter],
        }
        for s in pipeline.stages
    ]


def transition_rows(pipeline: Pipeline) -> list[dict]:
    return [
        {
            "from": pipeline.stage(t.source).label, "to": pipeline.stage(t.dest).label,
            "roles": pipeline.role_labels(t.roles),
            "requires": [_requirement(pipeline, r) for r in pipeline.stage(t.dest).requires],
        }
        for t in pipeline.transitions
    ]

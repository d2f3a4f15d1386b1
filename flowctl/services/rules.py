"""The published rules as plain data, for a store that enforces them itself (the PostgreSQL store's triggers).

Compiled from the same model the machine runs, when a version is published: who each database role is and
which roles and powers the member holds; per pipeline the first stage, the stages (open or closed), every
allowed move by role, every stage's required fields (conditional ones too), the roles that may change a closed
deal, and the task completion laws (L2 the kinds of contact, L3 the result's minimum length); the characters a
reader does not see (text.py's one definition of blank); and the refusals' texts, from messages.py, as
PostgreSQL `format()` templates so that the database says what flowctl says.

The conditions that read a deal's history or its other tasks (contact_made, tasks_done) are not compiled:
flowctl checks them; the database checks roles, fields, task laws and the closed-deal freeze.
"""

from __future__ import annotations

from functools import cache

from flowctl import messages as M
from flowctl.text import unseen_ranges

# Every code point's verdict (0.2 s) depends only on this Python's Unicode tables: worked out once a process,
# not at every publication (a test run publishes hundreds of times).
_unseen = cache(unseen_ranges)

# message id → its placeholders, in the order the triggers pass them
DATABASE_MESSAGES = {
    "db_not_member": ("role",),
    "db_not_you": ("claimed", "login"),
    "no_role_in_pipeline": ("login", "pipeline"),
    "db_deal_starts": ("stage",),
    "db_deal_pipeline": ("id",),
    "db_deal_columns": ("id",),
    "deal_closed": ("id", "stage", "roles"),
    "field_required_here": ("stage", "fields"),
    "move_role": ("roles", "source", "dest", "actor"),
    "move_not_allowed": ("source", "dest", "targets"),
    "move_no_targets": ("source",),
    "move_missing_fields": ("dest", "fields"),
    "db_task_starts_open": ("id",),
    "db_task_deal": ("id",),
    "task_not_open": ("id", "status"),
    "task_needs_result": ("minimum",),
    "task_needs_contact": ("kinds",),
    "db_publish_refused": ("login", "roles"),
}


def template(message_id: str) -> str:
    """A message as a `format()` template: %1$s, %2$s… where messages.py has its named placeholders."""
    names = DATABASE_MESSAGES[message_id]
    marks = {name: f"\u27e6{number}\u27e7" for number, name in enumerate(names, start=1)}
    text = M.text(message_id, **marks).replace("%", "%%")
    for number in range(1, len(names) + 1):
        text = text.replace(f"\u27e6{number}\u27e7", f"%{number}$s")
    return text


def compile_rules(workspace) -> dict:
    pipelines = workspace.pipelines()
    return {
        "unseen": _unseen(),
        "messages": {message_id: template(message_id) for message_id in DATABASE_MESSAGES},
        "members": [{"db_role": m.database_role or m.login, "login": m.login, "roles": sorted(m.roles),
                     "powers": sorted(p for p, holders in workspace.powers.items() if m.roles & holders)}
                    for m in sorted(workspace.team.values(), key=lambda m: m.login)],
        "pipelines": [_pipeline(p) for p in pipelines.values()],
    }


def _pipeline(pipeline) -> dict:
    return {
        "id": pipeline.id, "name": pipeline.name, "initial": pipeline.initial.id,
        "result_min_length": max(1, pipeline.tasks.result_min_length),
        "contact_kinds": [k.id for k in pipeline.tasks.contact_kinds],
        "meanings": pipeline.meanings,
        "roles": [{"id": r.id, "label": r.label, "reopen": r.reopen} for r in pipeline.roles],
        "stages": [{"id": s.id, "label": s.label, "open": s.is_open} for s in pipeline.stages],
        "moves": sorted({(t.source, t.dest, role) for t in pipeline.transitions for role in t.roles}),
        "requires": [{"stage": s.id, "position": i, "field": r.field, "label": pipeline.field_labels([r.field])[0],
                      "when_field": r.when.field if r.when else None,
                      "when_values": list(r.when.values) if r.when else None}
                     for s in pipeline.stages for i, r in enumerate(s.requires)],
    }

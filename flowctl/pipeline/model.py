"""The compiled pipeline: immutable records (records.py) built from a file that passed schema and lint.

Records rather than frozen dataclasses: every command builds this model, and its fourteen dataclasses cost
~10 ms to create at import, most of a command's own start-up."""

from __future__ import annotations

import re
from datetime import timedelta

from flowctl.records import FrozenRecord
from flowctl.text import is_blank

OPEN, WON, LOST = "open", "won", "lost"
ANY_OPEN = "*"

_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if not match:
        raise ValueError(text)
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def fold(text: str) -> str:
    """The form in which ids and labels are compared: case-insensitive, ё = е, spaces squeezed."""
    return " ".join(text.casefold().replace("ё", "е").split())


def fields_by_name(fields) -> dict:
    """Each field under its label and its id as a person may type them (folded); an id wins over a label."""
    return {**{fold(f.label): f for f in fields}, **{fold(f.id): f for f in fields}}


class Option(FrozenRecord):
    __slots__ = ("id", "label")

    def __init__(self, id: str, label: str):
        self._set(id, label)


class Role(FrozenRecord):
    __slots__ = ("id", "label", "reopen")

    def __init__(self, id: str, label: str, reopen: bool = False):
        self._set(id, label, reopen)


class Condition(FrozenRecord):
    __slots__ = ("field", "values")

    def __init__(self, field: str, values: tuple):
        self._set(field, values)  # holds when the field's value is one of `values`

    def holds(self, values: dict) -> bool:
        return values.get(self.field) in self.values


class Requirement(FrozenRecord):
    __slots__ = ("field", "when")

    def __init__(self, field: str, when: Condition | None = None):
        self._set(field, when)

    def applies(self, values: dict) -> bool:
        return self.when is None or self.when.holds(values)


class OnEnterTask(FrozenRecord):
    __slots__ = ("task_type", "due_in", "text", "for_role", "in_days")

    def __init__(self, task_type: str, due_in: timedelta, text: str | None = None, for_role: str | None = None,
                 in_days: bool = False):
        # for_role: a role's task (the engineer's calculation), not the deal's responsible's;
        # in_days: due_in was written in days (1d), counted in working days, not in working time
        self._set(task_type, due_in, text, for_role, in_days)


class Stage(FrozenRecord):
    __slots__ = ("id", "label", "kind", "order", "max_stay", "probability", "requires", "on_enter")

    def __init__(self, id: str, label: str, kind: str, order: int, max_stay: timedelta | None = None,
                 probability: float | None = None, requires: tuple[Requirement, ...] = (),
                 on_enter: tuple[OnEnterTask, ...] = ()):
        self._set(id, label, kind, order, max_stay, probability, requires, on_enter)

    @property
    def is_open(self) -> bool:
        return self.kind == OPEN

    def missing(self, values: dict) -> list[str]:
        """Ids of the fields this stage requires that `values` leaves empty."""
        return [r.field for r in self.requires if r.applies(values) and is_blank(values.get(r.field))]


class DealFacts(FrozenRecord):
    """What the task-dependent conditions read: facts about the deal's tasks."""

    __slots__ = ("contact_made", "open_tasks")

    def __init__(self, contact_made: bool = False, open_tasks: int = 0):
        # contact_made: a task completed with a client contact since the deal entered its stage
        self._set(contact_made, open_tasks)


class Transition(FrozenRecord):
    __slots__ = ("source", "dest", "roles", "label", "conditions", "correction")

    def __init__(self, source: str, dest: str, roles: tuple[str, ...], label: str | None = None,
                 conditions: tuple[str, ...] = (), correction: bool = False):
        # conditions: contact_made, tasks_done; correction: a move back to fix a mistake, made with a comment,
        # counted as such, not as a loss
        self._set(source, dest, roles, label, conditions, correction)


# What a field means to flowctl beyond its type (`meaning:` in the pipeline file): the money the reports add up,
# the owner of a deal, its lead date, why it was lost. A pipeline that declares none keeps these conventional ids.
CONVENTIONAL_FIELDS = {"money": "budget", "owner": "responsible", "lead_date": "lead_date",
                       "close_reason": "lost_reason"}
MEANING_TYPES = {"money": ("money",), "owner": ("user",), "lead_date": ("date",), "close_reason": ("enum", "text")}


class Field(FrozenRecord):
    __slots__ = ("id", "label", "type", "options", "required", "min", "max", "meaning", "not_past")

    def __init__(self, id: str, label: str, type: str, options: tuple[Option, ...] = (), required: bool = False,
                 min: float | None = None, max: float | None = None, meaning: str | None = None,
                 not_past: bool = False):
        # not_past: a date a person types may not be before today (Q2); imports and restores keep history
        self._set(id, label, type, options, required, min, max, meaning, not_past)

    def option_label(self, option_id) -> str:
        for option in self.options:
            if option.id == option_id:
                return option.label
        return str(option_id)


class TaskType(FrozenRecord):
    __slots__ = ("id", "label", "minutes")

    def __init__(self, id: str, label: str, minutes: int | None = None):
        self._set(id, label, minutes)


# Who may do something to a task or a deal: role ids, and these words for the people a record names.
RESPONSIBLE, CREATOR = "responsible", "creator"


class TaskRules(FrozenRecord):
    __slots__ = ("types", "minutes_each", "result_min_length", "contact_kinds", "cancel", "reassign")

    def __init__(self, types: tuple[TaskType, ...], minutes_each: int = 3, result_min_length: int = 1,
                 contact_kinds: tuple[Option, ...] = (), cancel: tuple[str, ...] = (RESPONSIBLE, CREATOR),
                 reassign: tuple[str, ...] = (RESPONSIBLE, CREATOR)):
        # cancel: who may cancel a task, with a reason; reassign: who may hand a task to a teammate
        self._set(types, minutes_each, result_min_length, contact_kinds, cancel, reassign)


class Ownership(FrozenRecord):
    """F1: whose deal it is. Undeclared, every role of the pipeline may reassign and work any deal."""

    __slots__ = ("reassign", "colleagues", "tasks_follow")

    def __init__(self, reassign: tuple[str, ...] | None = None, colleagues: tuple[str, ...] | None = None,
                 tasks_follow: bool = True):
        # reassign: roles that may hand a deal to another member (None: every role); colleagues: roles that may
        # work a deal another member is responsible for; tasks_follow: a hand-over moves the old responsible's
        # open tasks of the deal to the new one
        self._set(reassign, colleagues, tasks_follow)


class AgendaGroup(FrozenRecord):
    __slots__ = ("stages", "sort")

    def __init__(self, stages: tuple[str, ...], sort: str = "due"):
        self._set(stages, sort)


_UNDECLARED_OWNERSHIP = Ownership()


class Pipeline(FrozenRecord):
    __slots__ = ("id", "name", "product", "roles", "stages", "transitions", "deal_fields", "contact_fields", "tasks",
                 "agenda", "contact_display", "ownership", "plan_stages", "stage_renames", "field_renames", "source",
                 "gone", "_index")

    def __init__(self, id: str, name: str, product: str | None, roles: tuple[Role, ...], stages: tuple[Stage, ...],
                 transitions: tuple[Transition, ...], deal_fields: tuple[Field, ...],
                 contact_fields: tuple[Field, ...], tasks: TaskRules, agenda: tuple[AgendaGroup, ...],
                 contact_display: str | None = None, ownership: Ownership = _UNDECLARED_OWNERSHIP,
                 plan_stages: tuple[str, ...] = (), stage_renames: tuple[tuple[str, str], ...] = (),
                 field_renames: tuple[tuple[str, str], ...] = (), source: str = "", gone: bool = False):
        # stage_renames and field_renames: (old id, new id); gone: a stand-in for a pipeline stored deals name but
        # the workspace no longer has, read-only
        self._set(id, name, product, roles, stages, transitions, deal_fields, contact_fields, tasks, agenda,
                  contact_display, ownership, plan_stages, stage_renames, field_renames, source, gone)
        object.__setattr__(self, "_index", dict(
            stage={s.id: s for s in self.stages},
            stage_folded={**{fold(s.label): s for s in self.stages}, **{fold(s.id): s for s in self.stages}},
            role={r.id: r for r in self.roles},
            deal_field={f.id: f for f in self.deal_fields},
            contact_field={f.id: f for f in self.contact_fields},
            task_type={t.id: t for t in self.tasks.types},
            meaning={**CONVENTIONAL_FIELDS, **{f.meaning: f.id for f in self.deal_fields if f.meaning}},
        ))

    @property
    def initial(self) -> Stage:
        return self.stages[0]

    def stage_or_none(self, stage_id: str) -> Stage | None:
        return self._index["stage"].get(stage_id)

    def stage(self, stage_id: str) -> Stage:
        stage = self.stage_or_none(stage_id)
        if stage is None and self.gone:  # shown as stored: the stage's id is all that is known of it
            return Stage(stage_id, stage_id, OPEN, 0)
        if stage is None:  # the YAML lost a stage that stored deals still name
            from flowctl import messages as M
            from flowctl.errors import ConfigError

            raise ConfigError(M.text("stage_gone", stage=stage_id, pipeline=self.id))
        return stage

    def find_stage(self, typed: str) -> Stage | None:
        """A stage by id or label, as a person types it."""
        return self._index["stage_folded"].get(fold(typed))

    def role(self, role_id: str) -> Role:
        return self._index["role"][role_id]

    def field_id_for(self, meaning: str) -> str:
        """The id of the deal field with this meaning (money, owner, lead_date, close_reason)."""
        return self._index["meaning"][meaning]

    def field_for(self, meaning: str) -> Field | None:
        return self.deal_field(self.field_id_for(meaning))

    @property
    def meanings(self) -> dict[str, str]:
        return dict(self._index["meaning"])

    def deal_field(self, field_id: str) -> Field | None:
        return self._index["deal_field"].get(field_id)

    def contact_field(self, field_id: str) -> Field | None:
        return self._index["contact_field"].get(field_id)

    def task_type(self, type_id: str) -> TaskType | None:
        return self._index["task_type"].get(type_id)

    def current_stage_id(self, stage_id: str) -> str:
        """A stage id as stored, read through the declared renames."""
        return dict(self.stage_renames).get(stage_id, stage_id)

    def current_field_id(self, field_id: str) -> str:
        return dict(self.field_renames).get(field_id, field_id)

    def transitions_from(self, stage_id: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == stage_id]

    def field_labels(self, field_ids) -> list[str]:
        return [self.deal_field(f).label if self.deal_field(f) else f for f in field_ids]

    def role_labels(self, role_ids) -> list[str]:
        return [self.role(r).label for r in role_ids]


def gone_pipeline(pipeline_id: str) -> Pipeline:
    """What is known of a pipeline that stored deals name after its file left the workspace: its id."""
    return Pipeline(id=pipeline_id, name=pipeline_id, product=None, roles=(), stages=(), transitions=(),
                    deal_fields=(), contact_fields=(), tasks=TaskRules(types=()), agenda=(), gone=True)


def _requirement(raw) -> Requirement:
    if isinstance(raw, str):
        return Requirement(raw)
    when = raw.get("when")
    condition = None
    if when:
        values = tuple(when["in"]) if "in" in when else (when["equals"],)
        condition = Condition(when["field"], values)
    return Requirement(raw["field"], condition)


def _field(raw: dict) -> Field:
    return Field(
        id=raw["id"], label=raw["label"], type=raw["type"],
        options=tuple(Option(o["id"], o["label"]) for o in raw.get("options", ())),
        required=raw.get("required", False), min=raw.get("min"), max=raw.get("max"), meaning=raw.get("meaning"),
        not_past=raw.get("not_past", False),
    )


def expand_sources(raw_from, stages: list[dict], dest: str) -> list[str]:
    """`from` as written (an id, a list, or "*" for every open stage) → stage ids."""
    if raw_from == ANY_OPEN:
        return list(dict.fromkeys(s["id"] for s in stages if s.get("kind") == OPEN and s["id"] != dest))
    return [raw_from] if isinstance(raw_from, str) else list(dict.fromkeys(raw_from))


def build(data: dict, source: str = "") -> Pipeline:
    """Turn plain data that passed schema and lint into the immutable model."""
    stages = tuple(
        Stage(
            id=s["id"], label=s["label"], kind=s["kind"], order=i + 1,
            max_stay=parse_duration(s["max_stay"]) if "max_stay" in s else None,
            probability=s.get("probability"),
            requires=tuple(_requirement(r) for r in s.get("requires", ())),
            on_enter=tuple(OnEnterTask(t["task"], parse_duration(t.get("due_in", "1d")), t.get("text"), t.get("for"),
                                       in_days=t.get("due_in", "1d").strip().endswith("d"))
                           for t in s.get("on_enter", ())),
        )
        for i, s in enumerate(data["stages"])
    )
    transitions = tuple(
        Transition(src, t["to"], tuple(t["roles"]), t.get("label"), tuple(t.get("conditions", ())),
                   t.get("correction", False))
        for t in data["transitions"]
        for src in expand_sources(t["from"], data["stages"], t["to"])
    )
    raw_tasks = data.get("tasks") or {"types": []}
    tasks = TaskRules(
        types=tuple(TaskType(t["id"], t["label"], t.get("minutes")) for t in raw_tasks["types"]),
        minutes_each=raw_tasks.get("minutes_each", 3),
        result_min_length=raw_tasks.get("result_min_length", 1),
        contact_kinds=tuple(Option(o["id"], o["label"]) for o in raw_tasks.get("contact_kinds", ())),
        **{key: tuple(raw_tasks[key]) for key in ("cancel", "reassign") if key in raw_tasks},
    )
    raw_ownership = data.get("ownership", {})
    ownership = Ownership(
        **{key: tuple(raw_ownership[key]) for key in ("reassign", "colleagues") if key in raw_ownership},
        tasks_follow=raw_ownership.get("tasks_follow", True),
    )
    return Pipeline(
        id=data["id"], name=data["name"], product=data.get("product"),
        roles=tuple(Role(r["id"], r["label"], r.get("reopen", False)) for r in data["roles"]),
        stages=stages, transitions=transitions,
        deal_fields=tuple(_field(f) for f in data["fields"]["deal"]),
        contact_fields=tuple(_field(f) for f in data["fields"].get("contact", ())),
        tasks=tasks,
        agenda=tuple(AgendaGroup(tuple(g["stages"]), g.get("sort", "due")) for g in data.get("agenda", ())),
        contact_display=data.get("contact_display"),
        ownership=ownership,
        plan_stages=tuple(data.get("plan_stages", ())),
        stage_renames=tuple(data.get("renames", {}).get("stages", {}).items()),
        field_renames=tuple(data.get("renames", {}).get("fields", {}).items()),
        source=source,
    )

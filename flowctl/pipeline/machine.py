"""One `transitions` state machine per pipeline; deals are rows, not machine models.

pytransitions#434: a machine (or model binding) per deal costs seconds per
100k deals, so the machine is built once per pipeline and each move is tried
on a small throw-away `MoveAttempt` object that carries the deal's stage, the
actor's roles and the deal's field values. The role and required-field checks
are the machine's transition conditions; they record why they refused so the
user is told who may make the move or which fields are missing.
"""

from __future__ import annotations

from functools import partial

from transitions import Machine

from flowctl import messages as M
from flowctl.errors import NotPermitted, RuleRefused
from flowctl.pipeline.model import DealFacts, Pipeline, Transition


class MoveAttempt:
    """The model one move is tried on: what the conditions read, and what they found. A plain class: a dataclass
    costs a millisecond to create at import (records.py)."""

    __slots__ = ("state", "roles", "values", "facts", "missing", "unmet", "taken")

    def __init__(self, state: str, roles: frozenset[str], values: dict, facts: DealFacts):
        self.state = state  # transitions sets it to the destination when the move is made
        self.roles = roles
        self.values = values
        self.facts = facts
        self.missing: list[str] = []  # the destination's required fields left empty
        self.unmet: list[str] = []  # the move's conditions that do not hold
        self.taken: Transition | None = None  # the move made


def _role_allowed(transition: Transition, event) -> bool:
    return bool(event.model.roles & set(transition.roles))


_CONDITIONS = {
    "contact_made": lambda facts: facts.contact_made,
    "tasks_done": lambda facts: facts.open_tasks == 0,
}


def _conditions_met(transition: Transition, event) -> bool:
    attempt: MoveAttempt = event.model
    attempt.unmet = [c for c in transition.conditions if not _CONDITIONS[c](attempt.facts)]
    return not attempt.unmet


def _fields_filled(pipeline: Pipeline, event) -> bool:
    attempt: MoveAttempt = event.model
    attempt.missing = pipeline.stage(event.transition.dest).missing(attempt.values)
    return not attempt.missing


def _taken(transition: Transition, event) -> bool:
    """The last condition: every other one held, so this is the move made (a correction or not)."""
    event.model.taken = transition
    return True


class PipelineMachine:
    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self._machine = Machine(model=None, states=[s.id for s in pipeline.stages], initial=pipeline.initial.id,
                                auto_transitions=False, send_event=True)
        for t in pipeline.transitions:
            self._machine.add_transition(trigger=t.dest, source=t.source, dest=t.dest,
                                         conditions=[partial(_role_allowed, t), partial(_conditions_met, t),
                                                     partial(_fields_filled, pipeline), partial(_taken, t)])

    def move(self, stage_id: str, dest_id: str, roles, values: dict, facts: DealFacts = DealFacts()) -> Transition:
        """The move a deal in `stage_id` makes by asking for `dest_id`, or a refusal explaining why."""
        p = self.pipeline
        source, dest = p.stage(stage_id), p.stage(dest_id)
        if source.id == dest.id:
            raise RuleRefused(M.text("move_same_stage", stage=source.label))
        candidates = [t for t in p.transitions_from(source.id) if t.dest == dest.id]
        if not candidates:
            targets = list(dict.fromkeys(p.stage(t.dest).label for t in p.transitions_from(source.id)))
            if not targets:
                raise RuleRefused(M.text("move_no_targets", source=source.label))
            raise RuleRefused(M.text("move_not_allowed", source=source.label, dest=dest.label,
                                     targets=", ".join(f"«{t}»" for t in targets)))
        attempt = MoveAttempt(source.id, frozenset(roles), values, facts)
        if self._machine.events[dest.id].trigger(attempt):
            return attempt.taken
        if attempt.unmet:
            raise RuleRefused(M.text("move_condition_" + attempt.unmet[0], source=source.label, dest=dest.label,
                                     count=facts.open_tasks))
        if attempt.missing:
            raise RuleRefused(M.text("move_missing_fields", dest=dest.label,
                                     fields=", ".join(p.field_labels(attempt.missing))))
        allowed = list(dict.fromkeys(r for t in candidates for r in t.roles))
        actor = ", ".join(p.role_labels(r.id for r in p.roles if r.id in roles)) or "—"
        raise NotPermitted(M.text("move_role", roles=", ".join(p.role_labels(allowed)), source=source.label,
                                  dest=dest.label, actor=actor))


def diagram(pipeline: Pipeline, fmt: str) -> str:
    """The pipeline drawn by transitions' own diagram support: Mermaid or Graphviz dot source."""
    from transitions import State
    from transitions.extensions.diagrams import GraphMachine

    class LabelledState(State):
        def __init__(self, *args, label: str = "", **kwargs):
            super().__init__(*args, **kwargs)
            self.label = label  # the diagram shows the Russian label, not the id

    class LabelledGraphMachine(GraphMachine):
        state_cls = LabelledState
        style_attributes = {
            **GraphMachine.style_attributes,
            "node": {
                **GraphMachine.style_attributes["node"],
                "won": {"color": "darkgreen", "fillcolor": "palegreen", "peripheries": "2"},
                "lost": {"color": "darkred", "fillcolor": "mistyrose", "peripheries": "2"},
            },
        }

    marks = {"won": " ✔", "lost": " ✘"}  # won/lost stay visible where colours are not shown
    states = [{"name": s.id, "label": s.label + marks.get(s.kind, "")} for s in pipeline.stages]
    drawing = type("Drawing", (), {})()  # transitions draws the graph of a model; this one holds nothing
    machine = LabelledGraphMachine(model=drawing, states=states, initial=pipeline.initial.id, auto_transitions=False,
                                   title=pipeline.name, graph_engine="mermaid" if fmt == "mermaid" else "graphviz",
                                   show_state_attributes=False)
    for t in pipeline.transitions:
        machine.add_transition(trigger=t.dest, source=t.source, dest=t.dest,
                               label=t.label or ", ".join(pipeline.role_labels(t.roles)))
    graph = machine.model_graphs[id(drawing)]
    graph.reset_styling()  # a pipeline has no "current" stage to highlight
    for stage in pipeline.stages:
        if not stage.is_open:
            graph.set_node_style(stage.id, stage.kind)
    drawn = graph.get_graph()
    if fmt == "dot":
        return drawn.source
    # transitions writes the title as bare front matter, which Mermaid ignores; make it a `title:` key
    return drawn.draw(None).replace(f"---\n{pipeline.name}\n---", f"---\ntitle: {pipeline.name}\n---", 1)

"""Semantic lint: what the JSON Schema cannot see. Each rule has a stable id.

Rules run on a document that passed the schema, so shapes are known; each
returns problems pointing at the offending node. The catalogue (id, severity,
summary) is printed by `flowctl validate --rules` and documented in
docs/lint-rules.md.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterator

from flowctl import messages as M
from flowctl.pipeline.loader import Document
from flowctl.pipeline.model import (ANY_OPEN, CONVENTIONAL_FIELDS, CREATOR, MEANING_TYPES, OPEN, RESPONSIBLE, Role,
                                    expand_sources, fold)
from flowctl.pipeline.problems import Problem


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    summary: str
    check: Callable[[Document], Iterator[Problem]]
    graph: bool = False  # reads the stage graph: meaningless while a move names an unknown stage


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: str, graph: bool = False):
    def register(fn):
        RULES[rule_id] = Rule(rule_id, severity, M.rule_summary(rule_id), fn, graph)
        return fn
    return register


def lint(doc: Document) -> list[Problem]:
    problems = [p for r in RULES.values() if not r.graph for p in r.check(doc)]
    if not any(p.rule == "unknown-stage" for p in problems):  # else the graph rules only echo the typo
        problems += [p for r in RULES.values() if r.graph for p in r.check(doc)]
    return sorted(problems, key=lambda p: (p.line, p.column, p.rule))


def lint_workspace(docs: list[Document]) -> list[Problem]:
    """`role-conflict`, the rule across the schema-valid pipelines of one workspace: a role id is one role in all of
    them (its label in every message, its reopen power), so one file cannot quietly redefine another's role.
    Each definition that differs from one in another file is reported, so either file shows the problem."""
    found = [(doc, index, Role(raw["id"], raw["label"], raw.get("reopen", False)))
             for doc in docs for index, raw in enumerate(doc.data["roles"])]
    problems = []
    for doc, index, role in found:
        other = next(((d, i, r) for d, i, r in found if d is not doc and r.id == role.id and r != role), None)
        if other:
            other_doc, other_index, other_role = other
            problems.append(doc.problem(("roles", index, "id"), "role-conflict", M.text(
                "lint_role_conflict", id=role.id, label=role.label, reopen=_yaml_bool(role.reopen),
                other=other_doc.path, line=other_doc.position(("roles", other_index, "id"))[0],
                other_label=other_role.label, other_reopen=_yaml_bool(other_role.reopen))))
    return problems


def _yaml_bool(value: bool) -> str:
    return "true" if value else "false"


def _problem(doc: Document, path, rule_id: str, key: str, **kwargs) -> Problem:
    return doc.problem(path, rule_id, M.text(key, **kwargs), RULES[rule_id].severity)


# -- helpers reading the (schema-valid) data -------------------------------------------

def _stages(doc) -> list[dict]:
    return doc.data["stages"]


def _stage_ids(doc) -> list[str]:
    return [s["id"] for s in _stages(doc)]


def _kinds(doc) -> dict[str, str]:
    return {s["id"]: s["kind"] for s in _stages(doc)}


def _deal_fields(doc) -> dict[str, dict]:
    return {f["id"]: f for f in doc.data["fields"]["deal"]}


def _sources(doc, index: int) -> list[tuple[tuple, str]]:
    """(yaml path, stage id) for each stage a transition starts from, "*" expanded."""
    t = doc.data["transitions"][index]
    base = ("transitions", index, "from")
    if t["from"] == ANY_OPEN:
        return [(base, s) for s in expand_sources(ANY_OPEN, _stages(doc), t["to"])]
    if isinstance(t["from"], str):
        return [(base, t["from"])]
    return [(base + (i,), s) for i, s in enumerate(t["from"])]


def _edges(doc) -> list[tuple[str, str]]:
    return [(src, t["to"]) for i, t in enumerate(doc.data["transitions"]) for _, src in _sources(doc, i)]


def _requirements(doc) -> Iterator[tuple[tuple, dict]]:
    """(yaml path, {"field", "when"?}) for every `requires` entry of every stage."""
    for si, stage in enumerate(_stages(doc)):
        for ri, req in enumerate(stage.get("requires", ())):
            path = ("stages", si, "requires", ri)
            yield path, ({"field": req} if isinstance(req, str) else req)


def _reachable(start: str, edges) -> set[str]:
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


# -- the rules ---------------------------------------------------------------------------

def _collections(doc) -> Iterator[tuple[tuple, list]]:
    """Every list of things with ids, with its yaml path."""
    data = doc.data
    yield ("roles",), data["roles"]
    yield ("stages",), data["stages"]
    for card in ("deal", "contact"):
        fields = data["fields"].get(card, [])
        yield ("fields", card), fields
        for fi, f in enumerate(fields):
            yield ("fields", card, fi, "options"), f.get("options", [])
    tasks = data.get("tasks") or {}
    yield ("tasks", "types"), tasks.get("types", [])
    yield ("tasks", "contact_kinds"), tasks.get("contact_kinds", [])


@rule("duplicate-id", "error")
def _duplicate_ids(doc):
    for path, items in _collections(doc):
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item["id"] in seen:
                yield _problem(doc, path + (i, "id"), "duplicate-id", "lint_duplicate_id",
                               id=item["id"], first=doc.position(path + (seen[item["id"]], "id"))[0])
            seen.setdefault(item["id"], i)


@rule("duplicate-label", "error")
def _duplicate_labels(doc):
    for path, items in _collections(doc):
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            key = fold(item["label"])
            if key in seen:
                yield _problem(doc, path + (i, "label"), "duplicate-label", "lint_duplicate_label",
                               label=item["label"], first=doc.position(path + (seen[key], "label"))[0])
            seen.setdefault(key, i)


@rule("unknown-stage", "error")
def _unknown_stages(doc):
    known = _stage_ids(doc)
    for i, t in enumerate(doc.data["transitions"]):
        refs = _sources(doc, i) if t["from"] != ANY_OPEN else []
        for path, stage_id in refs + [(("transitions", i, "to"), t["to"])]:
            if stage_id not in known:
                yield _problem(doc, path, "unknown-stage", "lint_unknown", what=M.text("thing_stage"), id=stage_id,
                               hint=M.did_you_mean(stage_id, known))
    for gi, group in enumerate(doc.data.get("agenda", [])):
        for si, stage_id in enumerate(group["stages"]):
            if stage_id not in known:
                yield _problem(doc, ("agenda", gi, "stages", si), "unknown-stage", "lint_unknown",
                               what=M.text("thing_stage"),
                               id=stage_id, hint=M.did_you_mean(stage_id, known))
    for si, stage_id in enumerate(doc.data.get("plan_stages", [])):
        if stage_id not in known:
            yield _problem(doc, ("plan_stages", si), "unknown-stage", "lint_unknown",
                           what=M.text("thing_stage"), id=stage_id,
                           hint=M.did_you_mean(stage_id, known))


@rule("rename-conflict", "error")
def _renames(doc):
    """A rename's target must exist and its source must not: else data would land nowhere, or twice."""
    current = {"stages": _stage_ids(doc), "fields": list(_deal_fields(doc))}
    for kind, mapping in (doc.data.get("renames") or {}).items():
        for old, new in mapping.items():
            if new not in current[kind]:
                yield _problem(doc, ("renames", kind, old), "rename-conflict", "lint_rename_target", old=old, new=new,
                               hint=M.did_you_mean(new, current[kind]))
            if old in current[kind]:
                yield _problem(doc, ("renames", kind, old), "rename-conflict", "lint_rename_source", old=old)


def _role_mentions(doc) -> Iterator[tuple[tuple, str]]:
    """Every place a role id is written: moves, ownership, who may cancel or hand over a task, on-enter tasks."""
    data = doc.data
    for i, t in enumerate(data["transitions"]):
        for ri, role_id in enumerate(t["roles"]):
            yield ("transitions", i, "roles", ri), role_id
    for key in ("reassign", "colleagues"):
        for ri, role_id in enumerate(data.get("ownership", {}).get(key, ())):
            yield ("ownership", key, ri), role_id
    for key in ("cancel", "reassign"):
        for ri, role_id in enumerate((data.get("tasks") or {}).get(key, ())):
            if role_id not in (RESPONSIBLE, CREATOR):
                yield ("tasks", key, ri), role_id
    for si, stage in enumerate(_stages(doc)):
        for ti, task in enumerate(stage.get("on_enter", ())):
            if "for" in task:
                yield ("stages", si, "on_enter", ti, "for"), task["for"]


@rule("unknown-role", "error")
def _unknown_roles(doc):
    known = [r["id"] for r in doc.data["roles"]]
    for path, role_id in _role_mentions(doc):
        if role_id not in known:
            yield _problem(doc, path, "unknown-role", "lint_unknown", what=M.text("thing_role"),
                           id=role_id, hint=M.did_you_mean(role_id, known))


@rule("undefined-required-field", "error")
def _undefined_required(doc):
    known = _deal_fields(doc)
    for path, req in _requirements(doc):
        if req["field"] not in known:
            where = path if isinstance(doc.data["stages"][path[1]]["requires"][path[3]], str) else path + ("field",)
            yield _problem(doc, where, "undefined-required-field", "lint_unknown",
                           what=M.text("thing_field"), id=req["field"],
                           hint=M.did_you_mean(req["field"], known))


@rule("unknown-field", "error")
def _unknown_condition_fields(doc):
    known = _deal_fields(doc)
    for path, req in _requirements(doc):
        when = req.get("when")
        if when and when["field"] not in known:
            yield _problem(doc, path + ("when", "field"), "unknown-field", "lint_unknown", what=M.text("thing_field"),
                           id=when["field"], hint=M.did_you_mean(when["field"], known))
    contact = [f["id"] for f in doc.data["fields"].get("contact", [])]
    for name in re.findall(r"{([^}]*)}", doc.data.get("contact_display", "")):
        if name not in contact:
            yield _problem(doc, ("contact_display",), "unknown-field", "lint_unknown",
                           what=M.text("thing_contact_field"),
                           id=name, hint=M.did_you_mean(name, contact))


@rule("unknown-enum-value", "error")
def _unknown_enum_values(doc):
    fields = _deal_fields(doc)
    for path, req in _requirements(doc):
        when = req.get("when")
        target = fields.get(when["field"]) if when else None
        if not target or target["type"] != "enum":
            continue
        options = [o["id"] for o in target["options"]]
        values = [(("when", "equals"), when["equals"])] if "equals" in when else []
        values += [(("when", "in", i), v) for i, v in enumerate(when.get("in", []))]
        for sub, value in values:
            if value not in options:
                yield _problem(doc, path + sub, "unknown-enum-value", "lint_unknown_option", value=value,
                               field=when["field"], hint=M.did_you_mean(str(value), options))


@rule("unknown-task-type", "error")
def _unknown_task_types(doc):
    known = [t["id"] for t in (doc.data.get("tasks") or {}).get("types", [])]
    for si, stage in enumerate(_stages(doc)):
        for ti, task in enumerate(stage.get("on_enter", [])):
            if task["task"] not in known:
                yield _problem(doc, ("stages", si, "on_enter", ti, "task"), "unknown-task-type", "lint_unknown",
                               what=M.text("thing_task_type"), id=task["task"],
                               hint=M.did_you_mean(task["task"], known))


@rule("initial-stage-closed", "error")
def _initial_closed(doc):
    first = _stages(doc)[0]
    if first["kind"] != OPEN:
        yield _problem(doc, ("stages", 0, "kind"), "initial-stage-closed", "lint_initial_closed", label=first["label"])


@rule("unreachable-stage", "warning", graph=True)
def _unreachable(doc):
    reached = _reachable(_stage_ids(doc)[0], _edges(doc))
    for si, stage in enumerate(_stages(doc)):
        if stage["id"] not in reached:
            yield _problem(doc, ("stages", si, "id"), "unreachable-stage", "lint_unreachable",
                           label=stage["label"], initial=_stages(doc)[0]["label"])


@rule("dead-end-stage", "error", graph=True)
def _dead_ends(doc):
    kinds = _kinds(doc)
    edges = _edges(doc)
    for si, stage in enumerate(_stages(doc)):
        if stage["kind"] == OPEN and not any(kinds.get(s) in ("won", "lost") for s in _reachable(stage["id"], edges)):
            yield _problem(doc, ("stages", si, "id"), "dead-end-stage", "lint_dead_end", label=stage["label"])


@rule("closed-exit-not-reopen", "error")
def _closed_exits(doc):
    kinds = _kinds(doc)
    roles = {r["id"]: r for r in doc.data["roles"]}
    for i, t in enumerate(doc.data["transitions"]):
        closed = [(p, s) for p, s in _sources(doc, i) if kinds.get(s) in ("won", "lost")]
        for ri, role_id in enumerate(t["roles"]):
            if closed and role_id in roles and not roles[role_id].get("reopen"):  # unknown: unknown-role says so
                yield _problem(doc, ("transitions", i, "roles", ri), "closed-exit-not-reopen", "lint_closed_exit",
                               role=role_id, stage=closed[0][1])


@rule("correction-not-backward", "error", graph=True)
def _corrections(doc):
    """A correction sends a deal back to an earlier open stage; any other move marked so would be counted wrongly."""
    stages = {s["id"]: (order, s["kind"]) for order, s in enumerate(_stages(doc))}
    for i, t in enumerate(doc.data["transitions"]):
        if not t.get("correction"):
            continue
        for path, source in _sources(doc, i):
            (src_order, src_kind), (dest_order, dest_kind) = stages[source], stages[t["to"]]
            if src_kind != OPEN or dest_kind != OPEN or dest_order >= src_order:
                yield _problem(doc, path, "correction-not-backward",
                               "lint_correction_not_backward", source=source, dest=t["to"])


@rule("transition-without-role", "error")
def _no_role(doc):
    for i, t in enumerate(doc.data["transitions"]):
        if not t["roles"]:
            yield _problem(doc, ("transitions", i, "roles"), "transition-without-role", "lint_no_role",
                           source=t["from"] if isinstance(t["from"], str) else ", ".join(t["from"]), dest=t["to"])


@rule("duplicate-transition", "warning")
def _duplicate_transitions(doc):
    seen = set()
    for i, t in enumerate(doc.data["transitions"]):
        for path, src in _sources(doc, i):
            if (src, t["to"]) in seen:
                yield _problem(doc, path, "duplicate-transition", "lint_duplicate_transition", source=src, dest=t["to"])
            seen.add((src, t["to"]))


@rule("agenda-missing-stage", "warning")
def _agenda_missing(doc):
    agenda = doc.data.get("agenda")
    if agenda is None:
        return
    named = {s for g in agenda for s in g["stages"]}
    for si, stage in enumerate(_stages(doc)):
        if stage["kind"] == OPEN and stage["id"] not in named:
            yield _problem(doc, ("agenda",), "agenda-missing-stage", "lint_agenda_missing", label=stage["label"])


@rule("agenda-duplicate-stage", "error")
def _agenda_duplicates(doc):
    seen = set()
    for gi, group in enumerate(doc.data.get("agenda", [])):
        for si, stage_id in enumerate(group["stages"]):
            if stage_id in seen:
                yield _problem(doc, ("agenda", gi, "stages", si), "agenda-duplicate-stage", "lint_agenda_duplicate",
                               id=stage_id)
            seen.add(stage_id)


@rule("field-meaning", "error")
def _field_meanings(doc):
    """A meaning (money, owner, lead_date, close_reason) belongs to one field, of a type that can hold it."""
    first: dict[str, tuple[str, int]] = {}
    for fi, spec in enumerate(doc.data["fields"]["deal"]):
        meaning = spec.get("meaning")
        if not meaning:
            continue
        path = ("fields", "deal", fi, "meaning")
        if meaning in first:
            yield _problem(doc, path, "field-meaning", "lint_meaning_twice", meaning=meaning, first=first[meaning][0],
                           line=first[meaning][1])
        elif spec["type"] not in MEANING_TYPES[meaning]:
            yield _problem(doc, path, "field-meaning", "lint_meaning_type", meaning=meaning, type=spec["type"],
                           types=", ".join(MEANING_TYPES[meaning]))
        first.setdefault(meaning, (spec["id"], doc.position(path)[0]))


@rule("no-money-field", "warning")
def _no_money_field(doc):
    """The forecast (plan_stages) adds up the money field: without one it would show zeros."""
    fields = _deal_fields(doc)
    declared = [f for f in fields.values() if f.get("meaning") == "money"]
    conventional = fields.get(CONVENTIONAL_FIELDS["money"], {}).get("type") == "money"
    if doc.data.get("plan_stages") and not declared and not conventional:
        yield _problem(doc, ("plan_stages",), "no-money-field", "lint_no_money_field",
                       conventional=CONVENTIONAL_FIELDS["money"])


@rule("on-enter-closed-stage", "error")
def _on_enter_closed(doc):
    for si, stage in enumerate(_stages(doc)):
        if stage["kind"] != OPEN and stage.get("on_enter"):
            yield _problem(doc, ("stages", si, "on_enter"), "on-enter-closed-stage", "lint_on_enter_closed",
                           label=stage["label"])


_LATIN = re.compile(r"[A-Za-z]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_WORD = re.compile(r"\w+")


def mixed_script_words(text: str) -> list[str]:
    """Words holding both Latin and Cyrillic letters: «KП» with a Latin K looks right and matches nothing."""
    return [w for w in _WORD.findall(text) if _LATIN.search(w) and _CYRILLIC.search(w)]


def _texts(doc) -> Iterator[tuple[tuple, str]]:
    data = doc.data
    yield ("name",), data["name"]
    if "product" in data:
        yield ("product",), data["product"]
    for path, items in _collections(doc):
        for i, item in enumerate(items):
            yield path + (i, "label"), item["label"]
    for i, t in enumerate(data["transitions"]):
        if "label" in t:
            yield ("transitions", i, "label"), t["label"]
    for si, stage in enumerate(data["stages"]):
        for ti, task in enumerate(stage.get("on_enter", [])):
            if "text" in task:
                yield ("stages", si, "on_enter", ti, "text"), task["text"]


_HIDDEN = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


@rule("hidden-character", "error")
def _hidden(doc):
    """Zero-width and direction characters make a label look like another and match nothing typed."""
    for path, text in _texts(doc):
        found = _HIDDEN.search(text)
        if found:
            yield _problem(doc, path, "hidden-character", "lint_hidden", code=f"U+{ord(found.group()):04X}",
                           text=text.encode("unicode_escape").decode("ascii"))


@rule("mixed-script", "warning")
def _mixed_script(doc):
    for path, text in _texts(doc):
        for word in mixed_script_words(text):
            yield _problem(doc, path, "mixed-script", "lint_mixed_script", word=word, text=text)


"""Data in and out: import deals and contacts from another CRM's CSV, export everything, restore an export.

An import is one transaction: by default nothing is written when any row is refused
(`skip_invalid` takes the rest); `dry_run` does all the work and rolls it back. Rows with an
external id already in the store update that deal or contact instead of creating another, so a
re-import converges. Imported deals land in their stage without the stage's on-enter tasks
(nothing was "entered" today); each gets a `deal.imported` event naming the file and line.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from dataclasses import fields as dataclass_fields
from pathlib import Path

from flowctl import messages as M
from flowctl.errors import FlowError, NotFound, RuleRefused, StoreError, UsageError
from flowctl.pipeline.model import Field, Pipeline, fold
from flowctl.services.deals import enter_stage, initial_fields, require_changeable
from flowctl.services.session import Session
from flowctl.store.base import Contact, Deal, DealQuery, Event, Task, TaskQuery
from flowctl.when import from_iso_utc

SPECIAL_DEAL_TARGETS = ("external_id", "stage", "contact", "created_at")
STAGE_HEADERS = {"stage", "этап", "stage_label"}


class _Rollback(Exception):
    """Ends a dry run's transaction without writing."""


@dataclass(slots=True)  # one per row of a file that may have a hundred thousand
class RowOutcome:
    line: int
    action: str  # create | update | unchanged | refused
    key: str | None = None
    id: int | None = None
    reason: str | None = None


@dataclass
class ImportResult:
    """What happened to each row, and the count of each action."""

    source: str
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=lambda: dict.fromkeys(("create", "update", "unchanged", "refused"), 0))

    def add(self, outcome: RowOutcome) -> None:
        self.counts[outcome.action] += 1
        self.rows.append(outcome)

    def count(self, action: str) -> int:
        return self.counts[action]

    def as_dict(self) -> dict:
        return {"source": self.source, "dry_run": self.dry_run, "ignored_columns": self.ignored_columns,
                **self.counts, "rows": [{"line": r.line, "action": r.action, "key": r.key, "id": r.id,
                                         "reason": r.reason} for r in self.rows]}


# -- reading CSV --------------------------------------------------------------------------------

def read_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Header and (line number, cells) rows, read as they are needed, whatever the dialect: , or ; or tab;
    UTF-8 with or without BOM, or cp1251."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: {M.text('file_unreadable', reason=error.strerror or error)}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1251")  # what Russian spreadsheets and CRMs export; it decodes any byte
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header = [c.strip() for c in next(reader, [])]
    if not header:
        raise UsageError(M.text("import_empty", path=path))

    def rows():
        while True:
            first_line = reader.line_num + 1  # a quoted cell may span lines: a row is named by its first
            cells = next(reader, None)
            if cells is None:
                return
            if any(c.strip() for c in cells):
                yield first_line, cells

    return header, rows()


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        source, sep, target = pair.rpartition("=")
        if not sep or not source.strip() or not target.strip():
            raise UsageError(M.text("import_map_syntax", text=pair))
        mapping[source.strip()] = target.strip()
    return mapping


def load_mapping_file(path: Path) -> dict:
    """A mapping file: {columns: {source: target}, stages: {source: stage}, id_column: name}."""
    from flowctl.errors import ConfigError
    from flowctl.pipeline.loader import load_file
    from flowctl.pipeline.problems import ProblemsFound

    try:
        data = load_file(path).data
    except ProblemsFound as found:
        first = found.problems[0]
        raise ConfigError(f"{first.path}:{first.line}:{first.column}: {first.message}")
    allowed = {"columns", "stages", "id_column"}
    if not isinstance(data, dict) or set(data) - allowed or not all(
            isinstance(data.get(k, {}), dict) for k in ("columns", "stages")):
        raise ConfigError(M.text("import_mapping_file", path=path))
    return data


def _columns(header: list[str], fields: tuple[Field, ...], mapping: dict[str, str], id_column: str | None,
             special: tuple[str, ...]) -> tuple[dict[int, str], list[str]]:
    """Column index → target (a field id or a special target); and the columns nothing reads."""
    by_name = {**{fold(f.label): f.id for f in fields}, **{fold(f.id): f.id for f in fields},
               **{fold(s): s for s in special}}
    targets, ignored = {}, []
    for index, name in enumerate(header):
        if id_column and name == id_column:
            targets[index] = "external_id"
        elif name in mapping:
            target = by_name.get(fold(mapping[name]))
            if target is None:
                raise UsageError(M.text("import_map_target", column=name, target=mapping[name],
                                        hint=M.did_you_mean(mapping[name], [f.id for f in fields] + list(special))))
            targets[index] = target
        elif fold(name) in by_name:
            targets[index] = by_name[fold(name)]
        elif "stage" in special and fold(name) in STAGE_HEADERS:
            targets[index] = "stage"
        else:
            ignored.append(name)
    if id_column and id_column not in header:
        raise UsageError(M.text("import_no_id_column", column=id_column))
    return targets, ignored


def _readers(fields: tuple[Field, ...], targets: dict[int, str]) -> list[tuple[int, str, Field | None]]:
    """(column, target, its field or None for a special target), worked out once per file."""
    by_id = {f.id: f for f in fields}
    return [(index, target, by_id.get(target)) for index, target in targets.items()]


def _values(session: Session, readers, cells: list[str]) -> dict:
    from flowctl.fields import parse

    values = {}
    for index, target, field_spec in readers:
        raw = cells[index].strip() if index < len(cells) else ""
        if raw:
            values[target] = parse(field_spec, raw, team_logins=session.team_logins,
                                   today=session.today) if field_spec else raw
    return values


def _run(session: Session, result: ImportResult, rows, handle, skip_invalid: bool, progress,
         before=None) -> ImportResult:
    try:
        with session.store.transaction():
            if before:
                before()
            for number, (line, cells) in enumerate(rows, start=1):
                try:
                    result.add(handle(line, cells))
                except StoreError:
                    raise  # the store itself failed: the whole import stops and rolls back
                except FlowError as error:  # rows are checked before they write, so a refused row wrote nothing
                    result.add(RowOutcome(line, "refused", reason=error.message))
                if progress:
                    progress(number)
            if result.dry_run or (result.count("refused") and not skip_invalid):
                raise _Rollback()
    except _Rollback:
        pass
    return result


# -- deals --------------------------------------------------------------------------------------

def import_deals(session: Session, path: Path, pipeline_id: str | None, mapping: dict[str, str],
                 stage_map: dict[str, str], id_column: str | None, dry_run: bool = False,
                 skip_invalid: bool = False, progress=None) -> ImportResult:
    ws = session.workspace
    pipeline = ws.pipeline(pipeline_id) if pipeline_id else ws.default_pipeline()
    session.require_power("import")
    session.require_role_in(pipeline)
    header, rows = read_csv(path)
    targets, ignored = _columns(header, pipeline.deal_fields, mapping, id_column, SPECIAL_DEAL_TARGETS)
    readers = _readers(pipeline.deal_fields, targets)
    mapped = {fold(source): _stage(pipeline, target) for source, target in stage_map.items()}
    result = ImportResult(path.name, dry_run, ignored_columns=ignored)

    @cache
    def stage_of(text: str):  # a file names a handful of stages, a hundred thousand times
        return mapped.get(fold(text)) or _stage(pipeline, text)

    known: dict[str, int] = {}

    def handle(line: int, cells: list[str]) -> RowOutcome:
        values = _values(session, readers, cells)
        key = values.pop("external_id", None)
        stage_text = values.pop("stage", None)
        stage = stage_of(stage_text) if stage_text else None
        contact_id = _contact_ref(session, values.pop("contact", None))
        created_at = _moment(values.pop("created_at", None), session)
        if key in known:
            deal = session.store.get_deal(known[key])
            return _update_deal(session, pipeline, deal, values, stage, contact_id, line, path.name)
        outcome = _create_deal(session, pipeline, key, values, stage or pipeline.initial, contact_id, created_at,
                               line, path.name)
        if key:
            known[key] = outcome.id  # a later row of the same file updates it
        return outcome

    def load_known():
        known.update(session.store.external_ids(pipeline.id))  # inside the import's transaction

    return _run(session, result, rows, handle, skip_invalid, progress, before=load_known)


def _stage(pipeline: Pipeline, typed: str):
    stage = pipeline.find_stage(typed)
    if stage is None:
        raise UsageError(M.text("import_stage_unknown", stage=typed,
                                hint=M.did_you_mean(typed, [s.label for s in pipeline.stages])))
    return stage


def _contact_ref(session: Session, ref: str | None) -> int | None:
    """A contact named by its external id, its flowctl id, or its phone."""
    from flowctl.fields import normalize_phone

    if not ref:
        return None
    found = session.store.contact_by_external_id(ref)
    if found is None and ref.isdigit():
        found = session.store.get_contact(int(ref))
    if found is None and normalize_phone(ref):
        found = session.store.contact_by_phone(normalize_phone(ref))
    if found is None:
        raise NotFound(M.text("import_contact_unknown", ref=ref))
    return found.id


def _moment(text: str | None, session: Session) -> str | None:
    from flowctl.when import parse_when, to_iso_utc

    return to_iso_utc(parse_when(text, session.now, session.workspace.tz)) if text else None


def _require(pipeline: Pipeline, stage, fields: dict) -> None:
    missing = stage.missing(fields)
    if missing:
        raise RuleRefused(M.text("move_missing_fields", dest=stage.label,
                                 fields=", ".join(pipeline.field_labels(missing))))


def _create_deal(session, pipeline, key, values, stage, contact_id, created_at, line, source) -> RowOutcome:
    at = created_at or session.now_iso
    contact = session.store.get_contact(contact_id) if contact_id is not None else None
    lead_day = from_iso_utc(at).astimezone(session.workspace.tz).date().isoformat()
    fields = initial_fields(session, pipeline, contact, lead_day, values)
    if fields.get("responsible") not in session.workspace.team:
        raise RuleRefused(M.text("import_responsible", login=fields.get("responsible")))
    _require(pipeline, stage, fields)
    deal = Deal(None, pipeline.id, stage.id, fields, contact_id, at, at, session.now_iso, key)
    deal.id = session.store.add_deal(deal)
    session.store.add_event(Event(None, at, session.actor.login, "deal.imported", deal_id=deal.id,
                                  contact_id=contact_id, data={"source": source, "line": line, "stage": stage.id,
                                                               "fields": fields, "external_id": key}))
    return RowOutcome(line, "create", key, deal.id)


def _update_deal(session, pipeline, deal, values, stage, contact_id, line, source) -> RowOutcome:
    new_fields = {**deal.fields, **values}
    new_stage = stage.id if stage else deal.stage
    _require(pipeline, pipeline.stage(new_stage), new_fields)
    changed = {k: v for k, v in values.items() if deal.fields.get(k) != v}
    if not changed and new_stage == deal.stage and (contact_id is None or contact_id == deal.contact_id):
        return RowOutcome(line, "unchanged", deal.external_id, deal.id)
    require_changeable(session, pipeline, deal)
    for field_id, new in changed.items():
        session.record("deal.field", deal_id=deal.id, data={"field": field_id, "old": deal.fields.get(field_id),
                                                           "new": new, "source": source, "line": line})
    deal.fields, deal.updated_at = new_fields, session.now_iso
    if new_stage != deal.stage:  # the same effects as `deal advance`: tasks cancelled, on-enter tasks created
        enter_stage(session, pipeline, deal, pipeline.stage(new_stage), source=source, line=line)
    deal.contact_id = contact_id or deal.contact_id
    session.store.update_deal(deal)
    return RowOutcome(line, "update", deal.external_id, deal.id)


# -- contacts -----------------------------------------------------------------------------------

def import_contacts(session: Session, path: Path, mapping: dict[str, str], id_column: str | None,
                    dry_run: bool = False, skip_invalid: bool = False, progress=None) -> ImportResult:
    session.require_power("import")
    fields = session.workspace.contact_fields
    header, rows = read_csv(path)
    targets, ignored = _columns(header, fields, mapping, id_column, ("external_id",))
    readers = _readers(fields, targets)
    result = ImportResult(path.name, dry_run, ignored_columns=ignored)
    required = [f for f in fields if f.required]

    def handle(line: int, cells: list[str]) -> RowOutcome:
        values = _values(session, readers, cells)
        key = values.pop("external_id", None)
        existing = session.store.contact_by_external_id(key) if key else None
        if existing is None and values.get("phone"):
            existing = session.store.contact_by_phone(values["phone"])
        if existing:
            merged = {**existing.fields, **values}
            if merged == existing.fields and (not key or existing.external_id == key):
                return RowOutcome(line, "unchanged", key, existing.id)
            for field_id in values:
                if existing.fields.get(field_id) != values[field_id]:
                    session.record("contact.field", contact_id=existing.id, data={
                        "field": field_id, "old": existing.fields.get(field_id), "new": values[field_id],
                        "source": path.name, "line": line})
            existing.fields, existing.external_id = merged, key or existing.external_id
            session.store.update_contact(existing)
            return RowOutcome(line, "update", key, existing.id)
        missing = [f.label for f in required if not values.get(f.id)]
        if missing:
            raise RuleRefused(M.text("contact_missing", fields=", ".join(missing)))
        contact = Contact(None, values, session.now_iso, key)
        contact.id = session.store.add_contact(contact)
        session.record("contact.imported", contact_id=contact.id, data={"source": path.name, "line": line,
                                                                        "fields": values, "external_id": key})
        return RowOutcome(line, "create", key, contact.id)

    return _run(session, result, rows, handle, skip_invalid, progress)


# -- export and restore -------------------------------------------------------------------------

EXPORT_KINDS = ("deals", "contacts", "tasks", "history", "all")


def export(session: Session, kind: str) -> list[dict] | dict:
    store = session.store
    if kind == "deals":
        return [asdict(d) for d in store.list_deals(DealQuery())]
    if kind == "contacts":
        return [asdict(c) for c in store.list_contacts()]
    if kind == "tasks":
        return [asdict(t) for t in store.list_tasks(TaskQuery(status=None))]
    if kind == "history":
        return [asdict(e) for e in store.events()]
    from flowctl.services.restore import EXPORT_FORMAT, EXPORT_VERSION

    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, **{k: export(session, k) for k in EXPORT_KINDS[:-1]}}


def _names(cls) -> list[str]:
    return [f.name for f in dataclass_fields(cls) if f.name != "fields"]


def flat_rows(session: Session, kind: str, rows: list[dict]) -> tuple[list[dict], list[str]]:
    """Rows and columns for CSV: card fields spread into columns, history data as JSON text."""
    import json

    if kind == "deals":
        ids = list(dict.fromkeys(f.id for p in session.workspace.pipelines().values() for f in p.deal_fields))
        return [{**r, **r["fields"]} for r in rows], _names(Deal) + ids
    if kind == "contacts":
        return [{**r, **r["fields"]} for r in rows], _names(Contact) + [f.id for f in session.workspace.contact_fields]
    if kind == "history":
        return [{**r, "data": json.dumps(r["data"], ensure_ascii=False, sort_keys=True)} for r in rows], _names(Event)
    return rows, _names(Task)

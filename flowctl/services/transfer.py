"""Data in and out: import deals and contacts from another CRM's CSV, export everything, restore an export.

csv_source.py reads the file; here its columns are mapped to fields, its cells read as their values, and
the rows applied. An import is one transaction: by default nothing is written when any row is refused
(`skip_invalid` takes the rest); `dry_run` does all the work and rolls it back. Rows with an
external id already in the store update that deal or contact instead of creating another, so a
re-import converges; a blank cell in a mapped column clears the field (see _field_changes). Imported
deals land in their stage without the stage's on-enter tasks (nothing was "entered" today); each gets
a `deal.imported` event naming the file and line.
"""

from __future__ import annotations

from functools import cache
from dataclasses import dataclass, field
from pathlib import Path

from flowctl import messages as M
from flowctl.errors import FlowError, NotFound, RuleRefused, StoreError, UsageError
from flowctl.pipeline.model import Field, Pipeline, fold
from flowctl.services.csv_source import read_csv
from flowctl.services.dated_path import Entry as DatedEntry
from flowctl.services.dated_path import dated_path
from flowctl.services.contacts import require_phone_free
from flowctl.services.deals import enter_stage, initial_fields, require_changeable
from flowctl.services.tasks import follow_owner
from flowctl.services.session import Session
from flowctl.store.base import Contact, Deal, DealQuery, Event, Task, TaskQuery
from flowctl.when import from_iso_utc

SPECIAL_DEAL_TARGETS = ("external_id", "stage", "contact", "created_at")
STAGE_HEADERS = {"stage", "этап", "stage_label"}


class _Rollback(Exception):
    """Ends a dry run's transaction without writing."""


class _FileRefused(UsageError):
    """A problem of the whole file met in one of its rows (a date against the file's format): nothing of the file
    is imported, even with skip_invalid, rather than the rows before it."""


@dataclass(slots=True)  # one per row of a file that may have a hundred thousand
class RowOutcome:
    line: int
    action: str  # create | update | unchanged | refused
    key: str | None = None
    id: int | None = None
    reason: str | None = None
    changes: dict | None = None  # an update's fields: {id: new value}, None where a blank cell clears one


@dataclass
class ImportResult:
    """What happened to each row, and the count of each action."""

    source: str
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    labels: dict = field(default_factory=dict)  # field id → label, to show changes to people
    counts: dict = field(default_factory=lambda: dict.fromkeys(("create", "update", "unchanged", "refused"), 0))

    def add(self, outcome: RowOutcome) -> None:
        self.counts[outcome.action] += 1
        self.rows.append(outcome)

    def count(self, action: str) -> int:
        return self.counts[action]

    def as_dict(self) -> dict:
        return {"source": self.source, "dry_run": self.dry_run, "ignored_columns": self.ignored_columns,
                **self.counts, "rows": [{"line": r.line, "action": r.action, "key": r.key, "id": r.id,
                                         "reason": r.reason, "changes": r.changes} for r in self.rows]}


# -- mapping columns and values -----------------------------------------------------------------

def parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        source, sep, target = pair.rpartition("=")
        if not sep or not source.strip() or not target.strip():
            raise UsageError(M.text("import_map_syntax", text=pair))
        mapping[source.strip()] = target.strip()
    return mapping


MAPPING_TEXT_KEYS = ("id_column", "date_format", "created")
MAPPING_TABLE_KEYS = ("columns", "stages", "stage_dates", "history_columns")


def load_mapping_file(path: Path) -> dict:
    """A mapping file: {columns: {source: target}, stages: {source: stage}, id_column: name, date_format: DD.MM.YYYY,
    created: column, stage_dates: {stage: column}, values: {column: {source: target}}, history_columns: {id, stage,
    at, who: column}}; read within the loader's size limit."""
    from flowctl.errors import ConfigError
    from flowctl.pipeline.loader import load_file
    from flowctl.pipeline.problems import ProblemsFound

    try:
        data = load_file(path).data
    except ProblemsFound as found:
        first = found.problems[0]
        raise ConfigError(f"{first.path}:{first.line}:{first.column}: {first.message}")
    def table(value) -> bool:
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())

    values = data.get("values", {}) if isinstance(data, dict) else None
    if not isinstance(data, dict) or set(data) - {*MAPPING_TEXT_KEYS, *MAPPING_TABLE_KEYS, "values"} or not all(
            table(data.get(k, {})) for k in MAPPING_TABLE_KEYS) or not all(
            isinstance(data.get(k, ""), str) for k in MAPPING_TEXT_KEYS) or not (
            isinstance(values, dict) and all(table(v) for v in values.values())):
        raise ConfigError(M.text("import_mapping_file", path=path))
    return data


def parse_value_maps(pairs: list[str]) -> dict[str, dict[str, str]]:
    """--value-map COLUMN:SOURCE=TARGET, repeatable → {column: {source: target}}."""
    maps: dict[str, dict[str, str]] = {}
    for pair in pairs:
        column, colon, rest = pair.partition(":")
        source, equals, target = rest.rpartition("=")
        if not colon or not equals or not column.strip() or not source.strip():
            raise UsageError(M.text("import_value_map_syntax", text=pair))
        maps.setdefault(column.strip(), {})[source.strip()] = target.strip()
    return maps


@dataclass(frozen=True)
class ImportMapping:
    """How a file's columns, stages, values and dates are read: the command line's --map, --stage-map, --id-column,
    --date-format, --created, --stage-date, --value-map, --owner and --history, over the mapping file's keys."""

    columns: dict[str, str] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    id_column: str | None = None
    date_format: str | None = None
    file: Path | None = None
    created: str | None = None  # the column with when the deal was created: its lead date
    stage_dates: dict[str, str] = field(default_factory=dict)  # stage id or label → the column with its entry
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column → {source value: field value}
    owner: str | None = None  # who gets the deals when no column says (--owner)
    history: Path | None = None  # another CRM's event log: id, stage, when, who
    history_columns: dict[str, str] = field(default_factory=dict)

    def resolved(self) -> ImportMapping:
        """With the mapping file read in; called once the import is allowed, as the file is input too."""
        if self.file is None:
            return self
        spec = load_mapping_file(self.file)
        values = {column: {**spec.get("values", {}).get(column, {}), **self.values.get(column, {})}
                  for column in {*spec.get("values", {}), *self.values}}
        return ImportMapping({**spec.get("columns", {}), **self.columns}, {**spec.get("stages", {}), **self.stages},
                             self.id_column or spec.get("id_column"), self.date_format or spec.get("date_format"),
                             None, self.created or spec.get("created"),
                             {**spec.get("stage_dates", {}), **self.stage_dates}, values, self.owner, self.history,
                             {**spec.get("history_columns", {}), **self.history_columns})

    @property
    def dated(self) -> bool:
        return bool(self.created or self.stage_dates or self.history)


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


def _row_reader(session: Session, source: Path, header: list[str], fields: tuple[Field, ...],
                targets: dict[int, str], date_format: str | None, value_maps: dict[str, dict[str, str]]):
    """values(line, cells) → {target: value}: each mapped cell by its field's type, a special target as text or,
    for created_at, a moment. A blank cell gives None: a new deal or contact takes its default, an existing one has
    the field cleared. Every date of the file is read one way (`date_format`, else day first); a date that does not
    read so refuses the whole file, as the file's other dates may have been read wrongly too."""
    from flowctl.fields import parse
    from flowctl.render import plain_csv_cell

    fmt = _date_format(date_format)
    by_id = {f.id: f for f in fields}
    mapped_values = {column: {fold(source): target for source, target in table.items()}
                     for column, table in value_maps.items()}
    readers = [(index, header[index], target, by_id.get(target), mapped_values.get(header[index]))
               for index, target in targets.items()]
    width = len(header)

    def values(line: int, cells: list[str]) -> dict:
        if len(cells) != width:
            raise UsageError(M.text("csv_cells", count=len(cells), expected=width))
        out = {}
        for index, column, target, spec, value_map in readers:
            raw = plain_csv_cell(cells[index]).strip()
            if value_map:
                raw = value_map.get(fold(raw), raw)
            try:
                if spec:
                    out[target] = parse(spec, raw, team_logins=session.team_logins, today=session.today,
                                        date_format=fmt, team_names=session.team_names, year_required=True)
                elif target == "created_at":
                    out[target] = _moment(raw, session, fmt) if raw else None
                else:
                    out[target] = raw or None
            except UsageError as error:
                if spec is None or spec.type in ("date", "datetime"):  # only created_at is read as a special
                    raise _date_refusal(source, line, column, error, date_format) from None
                raise
        return out

    return values


def _date_refusal(source: Path, line: int, column: str, error: UsageError, date_format: str | None) -> _FileRefused:
    """A date that does not read the file's one way refuses the whole file: its other dates may be misread too."""
    how = M.text("date_read_as", format=date_format) if date_format else M.text("date_read_day_first")
    return _FileRefused(M.text("import_date_format", path=source, line=line, column=column, reason=error.message,
                               how=how))


def _moment(text: str, session: Session, date_format) -> str:
    """When a deal was created: as flowctl reads a moment (2026-11-30T06:00:00Z, 30.11.2026 09:00), or with a date
    format, a date so written and an optional time of day."""
    from flowctl.fields import parse
    from flowctl.when import parse_when, to_iso_utc

    if date_format:
        day, _, clock = text.partition(" ")
        text = f"{parse(_CREATED_AT, day, date_format=date_format)} {clock}".strip()
    return to_iso_utc(parse_when(text, session.now, session.workspace.tz, year_required=True))


_CREATED_AT = Field("created_at", "created_at", "date")


def _run(session: Session, result: ImportResult, rows, handle, skip_invalid: bool, before=None) -> ImportResult:
    try:
        with session.store.transaction():
            if before:
                before()
            for line, cells in rows:
                try:
                    result.add(handle(line, cells))
                except (StoreError, _FileRefused):
                    raise  # the store itself failed, or the file cannot be read: the whole import rolls back
                except FlowError as error:  # rows are checked before they write, so a refused row wrote nothing
                    result.add(RowOutcome(line, "refused", reason=error.message))
            if result.dry_run or (result.count("refused") and not skip_invalid):
                raise _Rollback()
    except _Rollback:
        pass
    return result


# -- deals --------------------------------------------------------------------------------------

def import_deals(session: Session, path: Path, pipeline_id: str | None, mapping: ImportMapping,
                 dry_run: bool = False, skip_invalid: bool = False, progress=None) -> ImportResult:
    ws = session.workspace
    session.require_power("import")  # who may, before which pipeline
    pipeline = ws.pipeline(pipeline_id) if pipeline_id else ws.default_pipeline()
    session.require_role_in(pipeline)
    mapping = mapping.resolved()
    mapped = {fold(source): _stage(pipeline, target) for source, target in mapping.stages.items()}

    @cache
    def stage_of(text: str):  # a file names a handful of stages, a hundred thousand times
        return mapped.get(fold(text)) or _stage(pipeline, text)

    known: dict[str, int] = {}

    def load_known():  # inside the import's transaction
        session.store.use_power("import")
        known.update(session.store.external_ids(pipeline.id))

    owner_field = pipeline.field_for("owner")
    owner = _owner(session, owner_field, mapping.owner)
    fmt = _date_format(mapping.date_format)
    history = _history(session, mapping, stage_of, fmt) if mapping.history else {}
    columns = {**mapping.columns, **({mapping.created: "created_at"} if mapping.created else {})}
    with read_csv(path, progress) as (header, rows):
        targets, ignored = _columns(header, pipeline.deal_fields, columns, mapping.id_column, SPECIAL_DEAL_TARGETS)
        if mapping.created and mapping.created not in header:
            raise UsageError(M.text("import_no_column", column=mapping.created, what="created"))
        dated_columns = _stage_date_columns(pipeline, header, mapping.stage_dates)
        ignored = [name for name in ignored if name not in {header[i] for i in dated_columns.values()}]
        if owner_field and owner is None and owner_field.id not in targets.values():
            raise UsageError(M.text("import_no_owner", field=owner_field.id))
        values_of = _row_reader(session, path, header, pipeline.deal_fields, targets, mapping.date_format,
                                mapping.values)
        result = ImportResult(path.name, dry_run, ignored_columns=ignored,
                              labels={f.id: f.label for f in pipeline.deal_fields})

        def stage_dates(line: int, cells: list[str]) -> dict[str, str]:
            dates = {}
            for stage_id, index in dated_columns.items():
                raw = cells[index].strip()
                if raw:
                    try:
                        dates[stage_id] = _moment(raw, session, fmt)
                    except UsageError as error:
                        raise _date_refusal(path, line, header[index], error, mapping.date_format) from None
            return dates

        def handle(line: int, cells: list[str]) -> RowOutcome:
            values = values_of(line, cells)
            key = values.pop("external_id", None)
            stage_text = values.pop("stage", None)
            stage = stage_of(stage_text) if stage_text else None
            contact_id = _contact_ref(session, values.pop("contact", None))
            created_at = values.pop("created_at", None)
            if key in known:
                deal = session.store.get_deal(known[key])
                return _update_deal(session, pipeline, deal, values, stage, contact_id, line, path.name)
            given = {k: v for k, v in values.items() if v is not None}  # a blank takes the default
            if owner_field and owner_field.id not in given:
                if owner is None:
                    raise RuleRefused(M.text("import_owner_blank", field=owner_field.label))
                given[owner_field.id] = owner
            stage = stage or pipeline.initial
            path_taken = None
            if mapping.dated:
                dates, logged = stage_dates(line, cells), history.get(key)
                # without a creation column a deal was created when the file first dates it: the past it brings
                # is not "before its creation" today
                first = min([*dates.values(), *(e.at for e in logged or ())], default=session.now_iso)
                path_taken = dated_path(pipeline, stage, created_at or first, dates, logged,
                                        shown=session.shown_moment)
            outcome = _create_deal(session, pipeline, key, given, stage, contact_id, created_at, line, path.name,
                                   path_taken)
            if key:
                known[key] = outcome.id  # a later row of the same file updates it
            return outcome

        return _run(session, result, rows, handle, skip_invalid, before=load_known)


def _owner(session: Session, owner_field: Field | None, typed: str | None) -> str | None:
    """--owner: a login, a display name or an alias of a team member."""
    from flowctl.fields import parse

    if not typed or owner_field is None:
        return None
    return parse(owner_field, typed, team_logins=session.team_logins, team_names=session.team_names)


def _date_format(spec: str | None):
    """The file's one way of writing dates (--date-format), or None: day first."""
    from flowctl.fields import date_format

    return date_format(spec) if spec else None


def _stage_date_columns(pipeline: Pipeline, header: list[str], stage_dates: dict[str, str]) -> dict[str, int]:
    """Stage id → the index of the column with the date the deal entered it."""
    found = {}
    for stage_name, column in stage_dates.items():
        stage = _stage(pipeline, stage_name)
        if column not in header:
            raise UsageError(M.text("import_no_column", column=column, what=f"stage_dates: {stage.id}"))
        found[stage.id] = header.index(column)
    return found


HISTORY_COLUMNS = {"id": "id", "stage": "stage", "at": "entered_at", "who": "who"}


def _history(session: Session, mapping: ImportMapping, stage_of, fmt) -> dict[str, list]:
    """Another CRM's event log: external id → every stage entry it records (stage, when, who), in file order."""
    names = {**HISTORY_COLUMNS, **({"id": mapping.id_column} if mapping.id_column else {}), **mapping.history_columns}
    entries: dict[str, list] = {}
    with read_csv(mapping.history) as (header, rows):
        for what in ("id", "stage", "at"):
            if names[what] not in header:
                raise UsageError(M.text("import_history_columns", path=mapping.history, column=names[what],
                                        what=what))
        index = {what: header.index(names[what]) for what in names if names[what] in header}
        for line, cells in rows:
            try:
                by = cells[index["who"]].strip() if "who" in index else ""
                entry = DatedEntry(stage_of(cells[index["stage"]].strip()).id,
                              _moment(cells[index["at"]].strip(), session, fmt),
                              by=session.team_names.get(fold(by), by) or None)
            except (UsageError, IndexError) as error:
                reason = error.message if isinstance(error, UsageError) else M.text("csv_cells", count=len(cells),
                                                                                   expected=len(header))
                raise _FileRefused(M.text("import_history_row", path=mapping.history, line=line,
                                          reason=reason)) from None
            entries.setdefault(cells[index["id"]].strip(), []).append(entry)
    return entries


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


def _require(pipeline: Pipeline, stage, fields: dict) -> None:
    missing = stage.missing(fields)
    if missing:
        raise RuleRefused(M.text("move_missing_fields", dest=stage.label,
                                 fields=", ".join(pipeline.field_labels(missing))))


def _create_deal(session, pipeline, key, values, stage, contact_id, created_at, line, source,
                 path_taken=None) -> RowOutcome:
    """A new deal in `stage`; with `path_taken` (a dated import) its history is that way, each entry at its date."""
    at = created_at or (path_taken[0].at if path_taken else session.now_iso)
    contact = session.store.get_contact(contact_id) if contact_id is not None else None
    lead_day = from_iso_utc(at).astimezone(session.workspace.tz).date().isoformat()
    fields = initial_fields(session, pipeline, contact, lead_day, values)
    owner = pipeline.field_id_for("owner")
    if pipeline.deal_field(owner) and fields.get(owner) not in session.workspace.team:
        raise RuleRefused(M.text("import_responsible", login=fields.get(owner)))
    _require(pipeline, stage, fields)
    path_taken = path_taken or [DatedEntry(stage.id, at)]
    deal = Deal(None, pipeline.id, stage.id, fields, contact_id, at, path_taken[-1].at, session.now_iso, key)
    deal.id = session.store.add_deal(deal)
    first, actor = path_taken[0], session.actor.login
    session.store.add_event(Event(None, first.at, actor, "deal.imported", deal_id=deal.id, contact_id=contact_id,
                                  data={"source": source, "line": line, "stage": first.stage, "fields": fields,
                                        "external_id": key, **({"by": first.by} if first.by else {})}))
    for before, entry in zip(path_taken, path_taken[1:]):
        data = {"from": before.stage, "to": entry.stage, "source": source, "line": line, "imported": True}
        if entry.estimated:
            data["estimated"] = True
        if entry.by:
            data["by"] = entry.by
        session.store.add_event(Event(None, entry.at, actor, "deal.stage", deal_id=deal.id, data=data))
    return RowOutcome(line, "create", key, deal.id)


def _update_deal(session, pipeline, deal, values, stage, contact_id, line, source) -> RowOutcome:
    changed = _field_changes(session, pipeline, deal, values, contact_id)
    new_fields = {k: v for k, v in {**deal.fields, **changed}.items() if v is not None}
    new_stage = stage.id if stage else deal.stage
    _require(pipeline, pipeline.stage(new_stage), new_fields)
    if not changed and new_stage == deal.stage and (contact_id is None or contact_id == deal.contact_id):
        return RowOutcome(line, "unchanged", deal.external_id, deal.id)
    require_changeable(session, pipeline, deal)
    old_owner = deal.responsible
    for field_id, new in changed.items():
        session.record("deal.field", deal_id=deal.id, data={"field": field_id, "old": deal.fields.get(field_id),
                                                           "new": new, "source": source, "line": line})
    deal.fields, deal.updated_at = new_fields, session.now_iso
    if new_stage != deal.stage:  # the same effects as `deal advance`: tasks cancelled, on-enter tasks created
        enter_stage(session, pipeline, deal, pipeline.stage(new_stage), source=source, line=line)
    deal.contact_id = contact_id or deal.contact_id
    session.store.update_deal(deal)
    if deal.responsible != old_owner:  # the old CRM handed the deal over: its tasks go along, as with `deal set`
        follow_owner(session, pipeline, deal, old_owner)
    return RowOutcome(line, "update", deal.external_id, deal.id, changes=changed)


def _field_changes(session, pipeline, deal, values, contact_id) -> dict:
    """{field id: new value} for the fields a row changes, None where a blank cell clears one. A blank keeps a
    field a new deal is given by default (responsible, lead date, product, the contact's client type): creating
    the deal, the same blank took the default, so importing the same file again changes nothing."""
    changed = {k: v for k, v in values.items() if deal.fields.get(k) != v}
    if None in changed.values():
        contact_ref = contact_id or deal.contact_id
        contact = session.store.get_contact(contact_ref) if contact_ref is not None else None
        defaulted = initial_fields(session, pipeline, contact, session.today.isoformat(), {})
        changed = {k: v for k, v in changed.items() if v is not None or k not in defaulted}
    return changed


# -- contacts -----------------------------------------------------------------------------------

def import_contacts(session: Session, path: Path, mapping: ImportMapping, dry_run: bool = False,
                    skip_invalid: bool = False, progress=None) -> ImportResult:
    session.require_power("import")
    mapping = mapping.resolved()
    fields = session.workspace.contact_fields
    required = [f for f in fields if f.required]
    with read_csv(path, progress) as (header, rows):
        targets, ignored = _columns(header, fields, mapping.columns, mapping.id_column, ("external_id",))
        values_of = _row_reader(session, path, header, fields, targets, mapping.date_format, mapping.values)
        result = ImportResult(path.name, dry_run, ignored_columns=ignored, labels={f.id: f.label for f in fields})

        def handle(line: int, cells: list[str]) -> RowOutcome:
            values = values_of(line, cells)
            key = values.pop("external_id", None)
            existing = session.store.contact_by_external_id(key) if key else None
            if existing is None and values.get("phone"):
                existing = session.store.contact_by_phone(values["phone"])
            if existing:  # a blank cell clears the field: a contact has no defaults to keep
                changed = {k: v for k, v in values.items() if existing.fields.get(k) != v}
                if not changed and (not key or existing.external_id == key):
                    return RowOutcome(line, "unchanged", key, existing.id)
                merged = {k: v for k, v in {**existing.fields, **changed}.items() if v is not None}
                _require_contact(required, merged)
                require_phone_free(session, changed.get("phone"), existing.id)  # found by its id here
                for field_id, new in changed.items():
                    session.record("contact.field", contact_id=existing.id, data={
                        "field": field_id, "old": existing.fields.get(field_id), "new": new,
                        "source": path.name, "line": line})
                existing.fields, existing.external_id = merged, key or existing.external_id
                session.store.update_contact(existing)
                return RowOutcome(line, "update", key, existing.id, changes=changed)
            given = {k: v for k, v in values.items() if v is not None}
            _require_contact(required, given)
            contact = Contact(None, given, session.now_iso, key)
            contact.id = session.store.add_contact(contact)
            session.record("contact.imported", contact_id=contact.id, data={"source": path.name, "line": line,
                                                                            "fields": given, "external_id": key})
            return RowOutcome(line, "create", key, contact.id)

        return _run(session, result, rows, handle, skip_invalid)


def _require_contact(required: list[Field], fields: dict) -> None:
    missing = [f.label for f in required if not fields.get(f.id)]
    if missing:
        raise RuleRefused(M.text("contact_missing", fields=", ".join(missing)))


# -- export and restore -------------------------------------------------------------------------

EXPORT_KINDS = ("deals", "contacts", "tasks", "history", "all")


def export(session: Session, kind: str) -> list[dict] | dict:
    store = session.store
    if kind == "deals":
        return [d.as_dict() for d in store.list_deals(DealQuery())]
    if kind == "contacts":
        return [c.as_dict() for c in store.list_contacts()]
    if kind == "tasks":
        return [t.as_dict() for t in store.list_tasks(TaskQuery(status=None))]
    if kind == "history":
        return [e.as_dict() for e in store.events()]
    from flowctl.services.restore import EXPORT_FORMAT, EXPORT_VERSION

    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, **{k: export(session, k) for k in EXPORT_KINDS[:-1]},
            "publications": [p.as_dict() for p in store.publications()]}


def _names(cls) -> list[str]:
    return [name for name in cls.field_names if name != "fields"]


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

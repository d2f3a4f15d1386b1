"""`import all`: a full export (`export all`) restored into an empty store, every row checked first.

A backup may have been edited by hand, or come from another workspace. Each row is checked against this
workspace's pipelines and team with the parsers and rules every other path uses: a field's value is what
`fields.parse` would store, a deal holds what its stage requires and its responsible is on the team, a task
is of a type its deal's pipeline knows and a done one has its result (L3) and contact (L2), a phone is one
contact's (F9), ids are whole numbers and every reference points at a row of the file. Bad rows are reported by
their line in the file; nothing is written, and no store is created, unless every row is good.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flowctl import messages as M
from flowctl.errors import ConfigError, RuleRefused, UsageError
from flowctl.store.base import Contact, Deal, Event, Publication, Task

EXPORT_FORMAT = "flowctl-export"
EXPORT_VERSION = 1
SECTIONS = {"contacts": Contact, "deals": Deal, "tasks": Task, "history": Event, "publications": Publication}
MAX_EXPORT_BYTES = 2 * 1024 ** 3  # far above 100,000 deals with their history; /dev/zero stops here
PROBLEMS_SHOWN = 20
TASK_STATUSES = ("open", "done", "cancelled")


@dataclass
class Export:
    """A parsed export: its sections' rows, and the line each row starts on (for messages)."""

    path: str
    rows: dict[str, list]
    lines: dict[tuple[str, int], int]

    def counts(self) -> dict[str, int]:
        return {section: len(self.rows[section]) for section in SECTIONS}


def read_export(path: Path) -> Export:
    """The file as an Export, or UsageError (exit 2) when it is not a flowctl export at all."""
    from flowctl.files import TooLarge, read_limited

    try:
        text = read_limited(path, MAX_EXPORT_BYTES).decode("utf-8")
        export = _parse(text, str(path))
    except TooLarge:
        raise UsageError(f"{path}: {M.text('restore_too_large', limit=MAX_EXPORT_BYTES)}") from None
    except (OSError, UnicodeDecodeError, ValueError, IndexError) as error:  # JSONDecodeError is a ValueError
        reason = getattr(error, "strerror", None) or error
        raise UsageError(f"{path}: {M.text('restore_format')} ({reason})") from None
    return export


def _parse(text: str, path: str) -> Export:
    """Walk the top-level object with the standard decoder, noting where each row of a section starts."""
    from json.decoder import WHITESPACE, scanstring

    decoder = json.JSONDecoder()
    rows: dict[str, list] = {}
    lines: dict[tuple[str, int], int] = {}
    top: dict = {}
    line, counted = 1, 0

    def skip(pos: int) -> int:
        return WHITESPACE.match(text, pos).end()

    pos = skip(0)
    if text[pos] != "{":
        raise ValueError("not a JSON object")
    pos = skip(pos + 1)
    while text[pos] != "}":
        key, pos = scanstring(text, pos + 1) if text[pos] == '"' else (None, pos)
        pos = skip(pos)
        if key is None or text[pos] != ":":
            raise ValueError(f"expected a key at character {pos}")
        pos = skip(pos + 1)
        if key in SECTIONS and text[pos] == "[":
            items: list = []
            pos = skip(pos + 1)
            while text[pos] != "]":
                line, counted = line + text.count("\n", counted, pos), pos
                lines[(key, len(items))] = line
                item, pos = decoder.raw_decode(text, pos)
                items.append(item)
                pos = skip(pos)
                pos = skip(pos + 1) if text[pos] == "," else pos
            top[key], pos = items, pos + 1
        else:
            top[key], pos = decoder.raw_decode(text, pos)
        pos = skip(pos)
        pos = skip(pos + 1) if text[pos] == "," else pos
    if skip(pos + 1) != len(text):
        raise ValueError("text after the end of the object")
    if top.get("format") != EXPORT_FORMAT or top.get("version") != EXPORT_VERSION:
        raise ValueError(M.text("restore_not_export"))
    for section in SECTIONS:
        if not isinstance(top.get(section, []), list):
            raise ValueError(M.text("restore_not_export"))
        rows[section] = top.get(section, [])
    return Export(path, rows, lines)


# -- checking --------------------------------------------------------------------------------

def problems(session, export: Export) -> list[str]:
    """Every bad row as `file:line: section[index]: reason`, in file order."""
    found = []
    for section, index, reason in _Checker(session, export.rows).check():
        line = export.lines.get((section, index), 1)
        found.append(f"{export.path}:{line}: {section}[{index}]: {reason}")
    return found


class _Bad(Exception):
    pass


class _Checker:
    def __init__(self, session, rows: dict[str, list]):
        from flowctl.when import from_iso_utc

        self.session = session
        self.ws = session.workspace
        self.rows = rows
        self.pipelines = self.ws.pipelines()
        self.logins = frozenset(self.ws.team)
        self.from_iso_utc = from_iso_utc
        self.contacts: set[int] = set()
        self.phones: dict[str, dict] = {}  # a phone → the contact row that has it (F9: one contact's)
        self.deals: dict[int, tuple] = {}  # id → (pipeline, stage)
        self.tasks: set[int] = set()
        self.bad: set[tuple[str, int | None]] = set()  # (section, id) of rows already reported

    def refers(self, section: str, known, row_id) -> bool:
        """Whether a reference points at a row of the file (a reported bad row counts: it was already named)."""
        return row_id in known or (section, row_id) in self.bad

    def check(self) -> Iterator[tuple[str, int, str]]:
        for section, check in (("contacts", self.contact), ("deals", self.deal), ("tasks", self.task),
                               ("history", self.event), ("publications", self.publication)):
            last_id = 0
            for index, row in enumerate(self.rows[section]):
                row_id = None
                try:
                    row_id = self.shape(row, SECTIONS[section])
                    if section in ("history", "publications") and row_id <= last_id:
                        raise _Bad(M.text("restore_event_order", id=row_id))
                    check(row)
                    last_id = row_id
                except _Bad as bad:
                    if row_id is not None:  # a row whose id cannot be read is named by no other
                        self.bad.add((section, row_id))  # rows naming it are not blamed for its fault
                    yield section, index, str(bad)

    # rows and their parts
    def shape(self, row, cls) -> int:
        if not isinstance(row, dict):
            raise _Bad(M.text("restore_not_object"))
        unknown = sorted(set(row) - set(cls.field_names))
        if unknown:
            raise _Bad(M.text("restore_unknown_key", key=unknown[0]))
        missing = [name for name in cls.required_names() if name not in row]
        if missing:
            raise _Bad(M.text("restore_missing_key", key=missing[0]))
        return self.whole(row["id"], "id")

    @staticmethod
    def whole(value, what: str) -> int:
        if type(value) is not int or value < 1:
            raise _Bad(M.text("restore_bad_id", what=what, value=value))
        return value

    def moment(self, value, what: str, optional: bool = False) -> None:
        if value is None and optional:
            return
        try:
            self.from_iso_utc(value)
        except (ValueError, TypeError, AttributeError):
            raise _Bad(M.text("restore_bad_time", what=what, value=value)) from None

    def name(self, value, what: str, optional: bool = False) -> None:
        from flowctl.text import is_blank

        if value is None and optional:
            return
        if not isinstance(value, str) or is_blank(value) or not _printable(value):
            raise _Bad(M.text("restore_bad_text", what=what, value=value))

    def values(self, specs, values, what: str) -> None:
        from flowctl.fields import is_stored

        if not isinstance(values, dict):
            raise _Bad(M.text("restore_bad_fields", what=what))
        by_id = {f.id: f for f in specs}
        for key, value in values.items():
            if key not in by_id:
                raise _Bad(M.text("restore_unknown_field", field=key, what=what))
            if not is_stored(by_id[key], value, team_logins=self.logins):
                raise _Bad(M.text("restore_bad_value", field=by_id[key].label, value=value))

    def unique(self, seen: set | dict, row_id: int) -> None:
        if row_id in seen:
            raise _Bad(M.text("restore_duplicate_id", id=row_id))

    # sections
    def contact(self, row) -> None:
        from flowctl.text import is_blank

        self.unique(self.contacts, row["id"])
        self.values(self.ws.contact_fields, row["fields"], "contacts")
        missing = [f.label for f in self.ws.contact_fields if f.required and is_blank(row["fields"].get(f.id))]
        if missing:
            raise _Bad(M.text("contact_missing", fields=", ".join(missing)))
        self.moment(row["created_at"], "created_at")
        self.name(row.get("external_id"), "external_id", optional=True)
        phone = row["fields"].get("phone")
        if phone in self.phones:  # as `contact add` and `contact set` refuse it: a phone finds one contact
            from flowctl.services.contacts import phone_taken

            first = self.phones[phone]
            raise _Bad(phone_taken(self.session, phone, first["id"], first["fields"]))
        if phone:  # a good row's: a bad one was named already, and is not written
            self.phones[phone] = row
        self.contacts.add(row["id"])

    def deal(self, row) -> None:
        self.unique(self.deals, row["id"])
        pipeline = self.pipelines.get(row["pipeline"]) if isinstance(row["pipeline"], str) else None
        if pipeline is None:
            raise _Bad(M.text("restore_unknown_pipeline", pipeline=row["pipeline"]))
        stage = pipeline.stage_or_none(row["stage"]) if isinstance(row["stage"], str) else None
        if stage is None:
            raise _Bad(M.text("restore_unknown_stage", stage=row["stage"], pipeline=pipeline.id))
        self.values(pipeline.deal_fields, row["fields"], pipeline.id)
        missing = stage.missing(row["fields"])
        if missing:
            raise _Bad(M.text("move_missing_fields", dest=stage.label, fields=", ".join(pipeline.field_labels(missing))))
        if row["contact_id"] is not None and not self.refers("contacts", self.contacts, row["contact_id"]):
            raise _Bad(M.text("restore_missing_row", what=M.text("thing_contact"), id=row["contact_id"]))
        for key in ("created_at", "stage_since", "updated_at"):
            self.moment(row[key], key)
        self.name(row.get("external_id"), "external_id", optional=True)
        self.deals[row["id"]] = (pipeline, stage)

    def task(self, row) -> None:
        from flowctl.fields import free_text
        from flowctl.text import visible_length

        self.unique(self.tasks, row["id"])
        if row["deal_id"] not in self.deals:
            if self.refers("deals", self.deals, row["deal_id"]):
                self.tasks.add(row["id"])  # its deal's fault is reported; the task cannot be judged without it
                return
            raise _Bad(M.text("restore_missing_row", what=M.text("thing_deal"), id=row["deal_id"]))
        pipeline, deal_stage = self.deals[row["deal_id"]]
        if not isinstance(row["type"], str) or pipeline.task_type(row["type"]) is None:
            raise _Bad(M.text("restore_unknown_task_type", type=row["type"], pipeline=pipeline.id))
        if row["status"] not in TASK_STATUSES:
            raise _Bad(M.text("restore_bad_status", status=row["status"]))
        if row["responsible"] not in self.logins:
            raise _Bad(M.text("import_responsible", login=row["responsible"]))
        self.name(row["text"], "text")
        self.name(row["created_by"], "created_by")
        self.moment(row["due"], "due")
        self.moment(row["created_at"], "created_at")
        if row.get("stage") is not None and pipeline.stage_or_none(row["stage"]) is None:
            raise _Bad(M.text("restore_unknown_stage", stage=row["stage"], pipeline=pipeline.id))
        if row["status"] == "open" and not deal_stage.is_open:
            raise _Bad(M.text("restore_open_task_closed_deal", deal=row["deal_id"], stage=deal_stage.label))
        if row["status"] == "done":
            minimum = max(1, pipeline.tasks.result_min_length)
            result = row.get("result")
            try:
                shown = free_text("result", result) if isinstance(result, str) else ""
            except UsageError as error:
                raise _Bad(error.message) from None
            if visible_length(shown) < minimum:
                raise _Bad(M.text("task_needs_result", minimum=minimum))
            if row.get("contact_kind") not in {k.id for k in pipeline.tasks.contact_kinds}:
                raise _Bad(M.text("task_needs_contact", kinds=", ".join(k.id for k in pipeline.tasks.contact_kinds)))
            self.moment(row.get("done_at"), "done_at")
        self.tasks.add(row["id"])

    def event(self, row) -> None:
        self.moment(row["at"], "at")
        self.name(row["actor"], "actor")
        self.name(row["kind"], "kind")
        for key, section, known in (("deal_id", "deals", self.deals), ("contact_id", "contacts", self.contacts),
                                    ("task_id", "tasks", self.tasks)):
            if row.get(key) is not None and not self.refers(section, known, row[key]):
                raise _Bad(M.text("restore_missing_row", what=M.text(f"thing_{key.removesuffix('_id')}"), id=row[key]))
        if not isinstance(row.get("data", {}), dict):
            raise _Bad(M.text("restore_bad_fields", what="data"))


    def publication(self, row) -> None:
        """A published version is history: it must be what was published, its digest its content's."""
        from flowctl.services.publish import OPTIONAL_PARTS, PUBLISHED_PARTS, digest_of

        self.moment(row["at"], "at")
        self.name(row["actor"], "actor")
        content = row["content"]
        if (not isinstance(content, dict) or not set(PUBLISHED_PARTS) <= set(content) <= {*PUBLISHED_PARTS, *OPTIONAL_PARTS}
                or row["digest"] != digest_of(content)):
            raise _Bad(M.text("restore_bad_publication", version=row["id"]))


def _printable(text: str) -> bool:
    from flowctl.fields import free_text

    try:
        free_text("text", text)
    except UsageError:
        return False
    return True


# -- writing ---------------------------------------------------------------------------------

def require_same_rules(session, export: Export) -> None:
    """The export's latest published version must be the local files (exit 3 otherwise): every command would
    refuse the restored store from these files, and a server store compiles its rules from them."""
    from flowctl.services.publish import require_files_are

    if export.rows["publications"]:
        require_files_are(session.workspace, Publication(**export.rows["publications"][-1]), "restore_rules_differ")


def restore(session, export: Export) -> dict:
    """Write a checked export into the session's store, which must be empty; ids and history as they were. The
    published versions come first, so that a server store checks the rows against the latest one's rules."""
    from flowctl.services.publish import install_rules, latest
    from flowctl.store.base import DealQuery

    store = session.store
    published = export.rows["publications"]
    with store.transaction():
        if store.list_contacts() or store.count_deals(DealQuery()) or (published and latest(store)):
            raise RuleRefused(M.text("restore_not_empty", store=store.location))
        if store.rules_in_database and not published and latest(store) is None:
            raise ConfigError(M.text("restore_publish_first", store=store.location))
        store.use_power("restore")
        for row in published:
            store.add_publication(Publication(**row))
        if published:
            install_rules(session, published[-1]["id"])
        for row in export.rows["contacts"]:
            store.add_contact(Contact(**row))
        for row in export.rows["deals"]:
            store.add_deal(Deal(**row))
        for row in export.rows["tasks"]:
            store.add_task(Task(**row))
        for row in export.rows["history"]:
            store.add_event(Event(**row))
    return export.counts()

"""The Store contract: what services may ask of a store, whatever the backend.

Rows are plain records (records.py); field values are stored as JSON-ready values
(money as exact decimal strings, dates as ISO strings, times as UTC ISO
strings ending in Z). A mutating command runs inside one `transaction()`:
it applies completely or not at all. The history (`events`) is append-only:
the contract has no way to edit or delete an event.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import date, datetime

from flowctl import messages as M
from flowctl.fields import money_minor
from flowctl.pipeline.model import CONVENTIONAL_FIELDS
from flowctl.records import FrozenRecord, Record

# The store's report columns (responsible, budget_minor, lead_date) repeat the fields a pipeline declares as its
# owner, money and lead date. A store never reads pipeline files: the workspace registers each pipeline's fields
# as it loads them, and a pipeline not registered keeps the conventional ids.
_MEANINGS: dict[str, dict[str, str]] = {}


def register_meanings(pipeline_id: str, meanings: dict[str, str]) -> None:
    _MEANINGS[pipeline_id] = meanings


def meaning_field(pipeline_id: str, meaning: str) -> str:
    return _MEANINGS.get(pipeline_id, CONVENTIONAL_FIELDS)[meaning]  # a pipeline's meanings cover every one


class Contact(Record):
    __slots__ = ("id", "fields", "created_at", "external_id")

    def __init__(self, id: int | None, fields: dict, created_at: str, external_id: str | None = None):
        self.id = id
        self.fields = fields
        self.created_at = created_at
        self.external_id = external_id  # the contact's id in the CRM it was imported from


class Deal(Record):
    __slots__ = ("id", "pipeline", "stage", "fields", "contact_id", "created_at", "stage_since", "updated_at",
                 "external_id")

    def __init__(self, id: int | None, pipeline: str, stage: str, fields: dict, contact_id: int | None,
                 created_at: str, stage_since: str, updated_at: str, external_id: str | None = None):
        self.id = id
        self.pipeline = pipeline
        self.stage = stage
        self.fields = fields
        self.contact_id = contact_id
        self.created_at = created_at
        self.stage_since = stage_since  # when the deal entered its current stage (hygiene limits, velocity)
        self.updated_at = updated_at
        self.external_id = external_id  # the deal's id in the CRM it was imported from (re-import updates)

    @property
    def responsible(self) -> str | None:
        return self.fields.get(meaning_field(self.pipeline, "owner"))

    @property
    def budget(self) -> str | None:
        return self.fields.get(meaning_field(self.pipeline, "money"))

    @property
    def lead_date(self) -> str | None:
        return self.fields.get(meaning_field(self.pipeline, "lead_date"))


class Task(Record):
    __slots__ = ("id", "deal_id", "type", "due", "responsible", "text", "status", "created_at", "created_by", "stage",
                 "result", "contact_kind", "done_at")

    def __init__(self, id: int | None, deal_id: int, type: str, due: str, responsible: str, text: str, status: str,
                 created_at: str, created_by: str, stage: str | None = None, result: str | None = None,
                 contact_kind: str | None = None, done_at: str | None = None):
        self.id = id
        self.deal_id = deal_id
        self.type = type
        self.due = due
        self.responsible = responsible
        self.text = text
        self.status = status  # open | done | cancelled
        self.created_at = created_at
        self.created_by = created_by
        self.stage = stage  # the stage whose on_enter created it, if any
        self.result = result
        self.contact_kind = contact_kind
        self.done_at = done_at


_NEW_DICT = object()  # a default standing for a new {} each time (None is a value a damaged store may hold)


class Event(Record):
    __slots__ = ("id", "at", "actor", "kind", "deal_id", "contact_id", "task_id", "data")

    def __init__(self, id: int | None, at: str, actor: str, kind: str, deal_id: int | None = None,
                 contact_id: int | None = None, task_id: int | None = None, data: dict = _NEW_DICT):
        self.id = id
        self.at = at
        self.actor = actor
        self.kind = kind  # deal.created, deal.stage, deal.field, contact.created, contact.field, task.*
        self.deal_id = deal_id
        self.contact_id = contact_id
        self.task_id = task_id
        self.data = {} if data is _NEW_DICT else data


class Publication(Record):
    """One published version of the rules a store's team works under: pipeline files, team, powers, time zone."""

    __slots__ = ("id", "at", "actor", "digest", "content")

    def __init__(self, id: int | None, at: str, actor: str, digest: str, content: dict):
        self.id = id  # the version number
        self.at = at
        self.actor = actor
        self.digest = digest  # sha256 of the content's canonical JSON
        self.content = content


_NONE = type(None)
ROW_TYPES = {  # what each column of a row read back from a store must hold: a hand edit can put anything there
    Contact: (("id", {int}), ("fields", {dict}), ("created_at", {str}), ("external_id", {str, _NONE})),
    Deal: (("id", {int}), ("pipeline", {str}), ("stage", {str}), ("fields", {dict}), ("contact_id", {int, _NONE}),
           ("created_at", {str}), ("stage_since", {str}), ("updated_at", {str}), ("external_id", {str, _NONE})),
    Task: (("id", {int}), ("deal_id", {int}), ("type", {str}), ("due", {str}), ("responsible", {str}),
           ("text", {str}), ("status", {str}), ("created_at", {str}), ("created_by", {str}), ("stage", {str, _NONE}),
           ("result", {str, _NONE}), ("contact_kind", {str, _NONE}), ("done_at", {str, _NONE})),
    Event: (("id", {int}), ("at", {str}), ("actor", {str}), ("kind", {str}), ("deal_id", {int, _NONE}),
            ("contact_id", {int, _NONE}), ("task_id", {int, _NONE}), ("data", {dict})),
    Publication: (("id", {int}), ("at", {str}), ("actor", {str}), ("digest", {str}), ("content", {dict})),
}
ROW_KINDS = {Contact: "contact", Deal: "deal", Task: "task", Event: "event", Publication: "publication"}


def row_kind(cls) -> str:
    """The kind of a stored row as a message names it (contact, deal, …), in the user's language."""
    return M.text(f"thing_{ROW_KINDS[cls]}")


TIME_COLUMNS = frozenset(("created_at", "stage_since", "updated_at", "due", "done_at", "at"))  # UTC, ending Z


def row_fault(row) -> str | None:
    """Why a row read back from a store cannot be used (a column holding the wrong type or a time that is not
    one), or None."""
    for column, kinds in ROW_TYPES[type(row)]:
        value = getattr(row, column)
        if type(value) not in kinds:
            return M.text("store_row_type", kind=row_kind(type(row)), id=row.id, column=column,
                          type=type(value).__name__)
        if column in TIME_COLUMNS and value is not None and not_a_time(value):
            return M.text("store_row_time", kind=row_kind(type(row)), id=row.id, column=column, value=value)
    return _report_field_fault(row) if type(row) is Deal else None


def _is_money(value) -> bool:
    try:
        money_minor(value)
    except ValueError:
        return False
    return True


def _is_day(value) -> bool:
    try:
        return isinstance(value, str) and len(value) == 10 and date.fromisoformat(value) is not None
    except ValueError:
        return False


# A deal's owner, money and lead date are what every report adds up and sorts by: a hand edit that puts another
# form there (a JSON store merged by hand) must name the row, not stop a report half way with an internal error.
_REPORT_FIELDS = (("owner", lambda value: isinstance(value, str), "store_expected_login"),
                  ("money", _is_money, "store_expected_money"),
                  ("lead_date", _is_day, "store_expected_day"))


def _report_field_fault(deal: Deal) -> str | None:
    for meaning, holds, expected in _REPORT_FIELDS:
        field = meaning_field(deal.pipeline, meaning)
        value = deal.fields.get(field)
        if value is not None and not holds(value):
            return M.text("store_row_field", kind=row_kind(Deal), id=deal.id, field=field, value=value,
                          expected=M.text(expected))
    return None


def not_a_time(value: str) -> bool:
    """Whether a stored time is not one (UTC ISO ending Z, as when.to_iso_utc writes it)."""
    try:
        datetime.fromisoformat(value if value.endswith("Z") else "not a stored time")
    except ValueError:
        return True
    return False


STAGE_EVENTS = {"deal.created": "stage", "deal.imported": "stage", "deal.stage": "to"}  # kind → key of the stage entered


def entered_stage(event: Event) -> str | None:
    """The stage an event put its deal in, if it is a stage entry (creation, import or move)."""
    key = STAGE_EVENTS.get(event.kind)
    return event.data.get(key) if key else None


class DealQuery(FrozenRecord):
    __slots__ = ("pipeline", "stages", "responsible", "contact_id", "entered_before", "lead_from", "lead_to",
                 "missing_any", "sort", "descending", "limit")

    def __init__(self, pipeline: str | None = None, stages: tuple[str, ...] = (), responsible: str | None = None,
                 contact_id: int | None = None, entered_before: str | None = None, lead_from: str | None = None,
                 lead_to: str | None = None, missing_any: tuple[str, ...] = (), sort: str = "id",
                 descending: bool = False, limit: int | None = None):
        # entered_before (UTC ISO): deals in their stage since before this moment; lead_from, lead_to (ISO dates,
        # inclusive): deals whose lead date is in the period; missing_any: deals where at least one of these fields
        # is empty; sort: id | budget | lead_date | stage_since | updated
        self._set(pipeline, stages, responsible, contact_id, entered_before, lead_from, lead_to, missing_any, sort,
                  descending, limit)


class TaskQuery(FrozenRecord):
    __slots__ = ("deal_ids", "responsible", "status", "due_before", "due_from", "limit")

    def __init__(self, deal_ids: tuple[int, ...] = (), responsible: str | None = None, status: str | None = "open",
                 due_before: str | None = None, due_from: str | None = None, limit: int | None = None):
        # due_before: UTC ISO, tasks due strictly before; due_from: UTC ISO, tasks due at or after
        self._set(deal_ids, responsible, status, due_before, due_from, limit)


class Store(ABC):
    """One interface, several backends (SQLite, JSON file; a server database later).

    `add_*` give a new row the next id, or keep the id a row already has (restoring an export).
    """

    location: str

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Everything written inside commits together, or nothing does."""

    @abstractmethod
    def close(self) -> None: ...

    # contacts
    @abstractmethod
    def add_contact(self, contact: Contact) -> int: ...
    @abstractmethod
    def get_contact(self, contact_id: int) -> Contact | None: ...
    @abstractmethod
    def update_contact(self, contact: Contact) -> None: ...
    @abstractmethod
    def list_contacts(self) -> list[Contact]: ...
    @abstractmethod
    def contact_by_phone(self, phone: str) -> Contact | None: ...
    @abstractmethod
    def contact_by_external_id(self, external_id: str) -> Contact | None: ...

    # deals
    @abstractmethod
    def add_deal(self, deal: Deal) -> int: ...
    @abstractmethod
    def get_deal(self, deal_id: int) -> Deal | None: ...
    @abstractmethod
    def update_deal(self, deal: Deal) -> None: ...
    @abstractmethod
    def list_deals(self, query: DealQuery) -> list[Deal]: ...
    @abstractmethod
    def count_deals(self, query: DealQuery) -> int: ...
    @abstractmethod
    def iter_deals(self) -> Iterator[Deal]:
        """Every deal, one at a time (checks that must read every card without holding them all)."""
    @abstractmethod
    def pipelines_in_use(self) -> list[str]: ...

    # tasks
    @abstractmethod
    def add_task(self, task: Task) -> int: ...
    @abstractmethod
    def get_task(self, task_id: int) -> Task | None: ...
    @abstractmethod
    def update_task(self, task: Task) -> None: ...
    @abstractmethod
    def list_tasks(self, query: TaskQuery) -> list[Task]: ...

    # the questions the agenda and the hygiene check ask; backends answer them without loading every deal
    @abstractmethod
    def open_tasks_with_deals(self, responsible: str | None, due_before: str) -> list[tuple[Task, Deal]]:
        """Open tasks due before the moment (every overdue one included), each with its deal."""
    @abstractmethod
    def deals_without_open_task(self, stages: dict[str, tuple[str, ...]], responsible: str | None) -> list[tuple[Deal, str]]:
        """Deals in the given {pipeline: stages} with no open task, each with when it last had one (or entered)."""

    @abstractmethod
    def external_ids(self, pipeline: str) -> dict[str, int]:
        """{external id: deal id} of the pipeline's imported deals: one read instead of one per imported row."""

    # aggregates for reports: computed by the backend, never by loading every deal into a service
    @abstractmethod
    def deal_counts(self, pipeline: str, lead_from: str | None, lead_to: str | None) -> list[tuple[str, str, int, int]]:
        """(stage, responsible, deals, budget in minor units) for deals whose lead date is in the period."""
    @abstractmethod
    def stage_paths(self, pipeline: str, lead_from: str | None, lead_to: str | None) -> list[tuple[tuple[str, ...], int]]:
        """(the stages a deal entered, in order; how many of the period's deals took exactly that path)."""
    @abstractmethod
    def stage_stays(self, pipeline: str, lead_from: str | None, lead_to: str | None) -> dict[str, tuple[int, int, int]]:
        """{stage: (finished stays, median seconds, 90th percentile seconds)}, nearest rank, from the history: a
        stay runs from a deal's entry into the stage to its next stage entry (by event id), never negative."""
    @abstractmethod
    def entries_between(self, pipeline: str, stages: tuple[str, ...], at_from: str, at_to: str,
                        imported: bool = False) -> list[tuple[int, str, int]]:
        """(deal id, responsible, budget in minor units) of deals that entered one of the stages in [from, to);
        `imported`: only those an import placed there straight away (no dated way before it)."""
    @abstractmethod
    def stage_entries(self, pipeline: str, stages: tuple[str, ...], at_from: str,
                      at_to: str) -> list[tuple[int, int, str]]:
        """(deal id, budget in minor units, when) of every entry of the pipeline's deals into one of the stages in
        [from, to), oldest first: a span read at once and counted by the caller (won money month by month)."""
    @abstractmethod
    def task_counts(self, done_from: str | None, done_to: str | None, now: str) -> list[tuple[str, int, int]]:
        """(responsible, tasks completed in [from, to), open tasks overdue now) per user."""

    # history: append and read, never edit
    @abstractmethod
    def add_event(self, event: Event) -> int: ...
    @abstractmethod
    def events(self, deal_id: int | None = None, contact_id: int | None = None) -> list[Event]: ...

    # the published rules: append and read, never edit
    @abstractmethod
    def add_publication(self, publication: Publication) -> int: ...
    @abstractmethod
    def publications(self, latest_only: bool = False) -> list[Publication]:
        """Every published version, oldest first (or only the latest)."""

    # The published rules checked by the store itself, for every client (psql, a BI tool, a script), not only
    # flowctl: a server store's triggers. A local file's store has no other client worth the name: whoever can
    # write the file can write anything into it.
    rules_in_database = False

    def use_power(self, power: str) -> None:
        """The current transaction acts with a workspace power (import, restore, migrate) the caller checked the
        actor holds: a store checking rules itself lets it past them as the command goes (postgres_rules.py)."""

    def install_rules(self, version: int, rules: dict) -> bool:
        """Compile published version `version`'s rules (services/rules.py) into the store, once, in the current
        transaction; True when they were installed now."""
        return False


def nearest_rank(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values (the value at rank ⌈share·n⌉)."""
    import math

    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


STAY_SHARES = (0.5, 0.9)  # what stage_stays gives of a stage's stays: the median and the 90th percentile


def stay_figures(stays: dict[str, list[float]]) -> dict[str, tuple[int, int, int]]:
    """stage_stays from each stage's stays in seconds (in any order; sorted here, in place)."""
    figures = {}
    for stage, seconds in stays.items():
        seconds.sort()
        figures[stage] = (len(seconds), *(round(nearest_rank(seconds, share)) for share in STAY_SHARES))
    return figures


def stays_of(journeys) -> dict[str, tuple[int, int, int]]:
    """stage_stays computed in Python from each deal's ordered [(stage, at), …]."""
    stays: dict[str, list[float]] = {}
    for path in journeys:
        for (stage, entered_at), (_, left_at) in zip(path, path[1:]):
            seconds = (datetime.fromisoformat(left_at) - datetime.fromisoformat(entered_at)).total_seconds()
            stays.setdefault(stage, []).append(max(0.0, seconds))  # never negative, even after a clock set back
    return stay_figures(stays)


def deal_matches(deal: Deal, query: DealQuery) -> bool:
    """The DealQuery filter, for backends that filter in Python."""
    return ((not query.pipeline or deal.pipeline == query.pipeline)
            and (not query.stages or deal.stage in query.stages)
            and (not query.responsible or deal.responsible == query.responsible)
            and (query.contact_id is None or deal.contact_id == query.contact_id)
            and (query.entered_before is None or deal.stage_since < query.entered_before)
            and (query.lead_from is None or (deal.lead_date or "") >= query.lead_from)
            and (query.lead_to is None or bool(deal.lead_date) and deal.lead_date <= query.lead_to)
            and (not query.missing_any or any(deal.fields.get(f) in (None, "") for f in query.missing_any)))


def deal_sort_key(sort: str):
    """The order `list_deals` returns, shared by backends that sort in Python."""
    from decimal import Decimal

    keys = {
        "id": lambda d: d.id,
        "budget": lambda d: (Decimal(d.budget) if d.budget else Decimal(-1), d.id),
        "lead_date": lambda d: (d.lead_date or "", d.id),
        "stage_since": lambda d: (d.stage_since, d.id),
        "updated": lambda d: (d.updated_at, d.id),
    }
    return keys[sort]


DEAL_SORTS = ("id", "budget", "lead_date", "stage_since", "updated")

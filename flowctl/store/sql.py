"""What the SQL stores share: every query of the Store contract, written once.

SQLite and PostgreSQL differ in a handful of places, each a hook a backend fills in: how a statement runs
and its rows are read (placeholders, error mapping), how a field of the JSON card is read, how a path of
stages is aggregated, how a stored time is read and how many seconds lie between two, and an index hint.
Everything else (the schema's shape, the queries, how rows are checked on the way out) is here, but for the
percentiles of time in stage, which PostgreSQL computes itself (`PostgresStore.stage_stays`).
"""

from __future__ import annotations

import json
from abc import abstractmethod

from flowctl import messages as M
from flowctl.errors import StoreError
from flowctl.fields import money_minor
from flowctl.store.base import (Contact, Deal, DealQuery, Event, Publication, Store, Task, TaskQuery,
                                entered_stage, row_fault, row_kind, stay_figures)

_DEAL_SORT = {  # deals without a budget come last either way; ties go by id in the same direction
    "id": "id {dir}", "budget": "budget_minor IS NULL, budget_minor {dir}, id {dir}",
    "lead_date": "lead_date {dir}, id {dir}", "stage_since": "stage_since {dir}, id {dir}",
    "updated": "updated_at {dir}, id {dir}",
}


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _loads(value):
    """A JSON column as read back: text (SQLite) or already decoded (PostgreSQL's jsonb)."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _minor(money: str | None) -> int | None:
    return None if money in (None, "") else money_minor(money)


class SqlStore(Store):
    """The queries; a backend supplies the connection and the dialect's hooks below."""

    location: str
    _MOVES_INDEX = ""  # an index hint after `FROM events e` in the entries and stays CTEs
    _PATH_AGGREGATE = ""  # stage ids of one deal's entries, in order, joined by spaces

    @abstractmethod
    def _run(self, sql: str, params=()):
        """Execute one statement with `?` placeholders; a driver error becomes a StoreError."""

    @abstractmethod
    def _rows(self, sql: str, params=()):
        """A query's rows, one at a time; an error met while reading them is a StoreError."""

    @abstractmethod
    def _insert(self, table: str, row_id: int | None, columns, values) -> int:
        """Insert a row with the next id, or the id it has (a restore); its id."""

    @abstractmethod
    def _field_text(self, column: str) -> str:
        """SQL reading one field of a JSON column as text; its key is the next parameter (see _field_key)."""

    @staticmethod
    def _field_key(field_id: str) -> str:
        return field_id

    @abstractmethod
    def _moment(self, column: str) -> str:
        """SQL reading a stored UTC time as a value `_seconds` subtracts."""

    @abstractmethod
    def _seconds(self, later: str, earlier: str) -> str:
        """SQL for the seconds between two `_moment`s (as a real number)."""

    def _one(self, sql: str, params=()):
        return next(self._rows(sql, params), None)

    # contacts ---------------------------------------------------------------------------
    _CONTACT_COLUMNS = "id, fields, created_at, external_id"

    def _checked(self, cls, values: tuple, json_column: int | None = None):
        """A row built from its columns (its JSON column parsed): a hand-edited row is a damaged store, not a crash."""
        values = tuple(values)
        if json_column is not None:
            try:
                values = (*values[:json_column], _loads(values[json_column]), *values[json_column + 1:])
            except (TypeError, ValueError) as error:
                column = cls.field_names[json_column]
                fault = M.text("store_row_json", kind=row_kind(cls), id=values[0], column=column, reason=error)
                raise StoreError(M.text("store_corrupt", store=self.location, reason=fault)) from None
        row = cls(*values)
        fault = row_fault(row)
        if fault:
            raise StoreError(M.text("store_corrupt", store=self.location, reason=fault))
        return row

    def _contact(self, row) -> Contact:
        return self._checked(Contact, row, 1)

    def add_contact(self, contact: Contact) -> int:
        return self._insert("contacts", contact.id, ("fields", "phone", "created_at", "external_id"),
                            (_dumps(contact.fields), contact.fields.get("phone"), contact.created_at,
                             contact.external_id))

    def _one_contact(self, where: str, value) -> Contact | None:
        row = self._one(f"SELECT {self._CONTACT_COLUMNS} FROM contacts WHERE {where} = ? ORDER BY id LIMIT 1",
                        (value,))
        return self._contact(row) if row else None

    def get_contact(self, contact_id: int) -> Contact | None:
        return self._one_contact("id", contact_id)

    def contact_by_phone(self, phone: str) -> Contact | None:
        return self._one_contact("phone", phone)

    def contact_by_external_id(self, external_id: str) -> Contact | None:
        return self._one_contact("external_id", external_id)

    def update_contact(self, contact: Contact) -> None:
        self._run("UPDATE contacts SET fields = ?, phone = ?, external_id = ? WHERE id = ?",
                  (_dumps(contact.fields), contact.fields.get("phone"), contact.external_id, contact.id))

    def list_contacts(self) -> list[Contact]:
        return [self._contact(r) for r in self._rows(f"SELECT {self._CONTACT_COLUMNS} FROM contacts ORDER BY id")]

    # deals ------------------------------------------------------------------------------
    _DEAL_COLUMNS = "id, pipeline, stage, fields, contact_id, created_at, stage_since, updated_at, external_id"

    def _deal(self, row) -> Deal:
        return self._checked(Deal, row, 3)

    @staticmethod
    def _deal_values(deal: Deal) -> tuple:
        return (deal.pipeline, deal.stage, deal.contact_id, deal.responsible, _minor(deal.budget),
                deal.lead_date, _dumps(deal.fields), deal.created_at, deal.stage_since, deal.updated_at,
                deal.external_id)

    def add_deal(self, deal: Deal) -> int:
        return self._insert("deals", deal.id, ("pipeline", "stage", "contact_id", "responsible", "budget_minor",
                                               "lead_date", "fields", "created_at", "stage_since", "updated_at",
                                               "external_id"), self._deal_values(deal))

    def external_ids(self, pipeline: str) -> dict[str, int]:
        return dict(self._rows("SELECT external_id, id FROM deals WHERE pipeline = ? AND external_id IS NOT NULL",
                               (pipeline,)))

    def get_deal(self, deal_id: int) -> Deal | None:
        row = self._one(f"SELECT {self._DEAL_COLUMNS} FROM deals WHERE id = ?", (deal_id,))
        return self._deal(row) if row else None

    def update_deal(self, deal: Deal) -> None:
        self._run("UPDATE deals SET pipeline = ?, stage = ?, contact_id = ?, responsible = ?, budget_minor = ?,"
                  " lead_date = ?, fields = ?, created_at = ?, stage_since = ?, updated_at = ?, external_id = ?"
                  " WHERE id = ?",
                  self._deal_values(deal) + (deal.id,))

    def _deal_filter(self, query: DealQuery) -> tuple[str, list]:
        where, params = [], []
        for column, value in (("pipeline", query.pipeline), ("responsible", query.responsible),
                              ("contact_id", query.contact_id)):
            if value is not None and value != "":
                where.append(f"{column} = ?")
                params.append(value)
        if query.stages:
            where.append(f"stage IN ({', '.join('?' * len(query.stages))})")
            params += list(query.stages)
        for condition, value in (("stage_since < ?", query.entered_before), ("lead_date >= ?", query.lead_from),
                                 ("lead_date <= ?", query.lead_to)):
            if value is not None:
                where.append(condition)
                params.append(value)
        if query.missing_any:
            where.append("(" + " OR ".join(f"COALESCE({self._field_text('fields')}, '') = ''"
                                           for _ in query.missing_any) + ")")
            params += [self._field_key(f) for f in query.missing_any]
        return (f" WHERE {' AND '.join(where)}" if where else ""), params

    def list_deals(self, query: DealQuery) -> list[Deal]:
        where, params = self._deal_filter(query)
        order = _DEAL_SORT[query.sort].format(dir="DESC" if query.descending else "ASC")
        sql = f"SELECT {self._DEAL_COLUMNS} FROM deals{where} ORDER BY {order}"
        if query.limit is not None:
            sql += " LIMIT ?"
            params.append(query.limit)
        return [self._deal(r) for r in self._rows(sql, params)]

    def iter_deals(self):
        for row in self._rows(f"SELECT {self._DEAL_COLUMNS} FROM deals ORDER BY id"):
            yield self._deal(row)

    def pipelines_in_use(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT pipeline FROM deals ORDER BY pipeline")]

    def count_deals(self, query: DealQuery) -> int:
        where, params = self._deal_filter(query)
        return self._one(f"SELECT COUNT(*) FROM deals{where}", params)[0]

    # tasks ------------------------------------------------------------------------------
    _TASK_FIELDS = ("deal_id", "type", "due", "responsible", "text", "status", "created_at", "created_by", "stage",
                    "result", "contact_kind", "done_at")

    def _task(self, row) -> Task:
        return self._checked(Task, row)

    def add_task(self, task: Task) -> int:
        return self._insert("tasks", task.id, self._TASK_FIELDS, [getattr(task, f) for f in self._TASK_FIELDS])

    def get_task(self, task_id: int) -> Task | None:
        row = self._one(f"SELECT id, {', '.join(self._TASK_FIELDS)} FROM tasks WHERE id = ?", (task_id,))
        return self._task(row) if row else None

    def update_task(self, task: Task) -> None:
        sets = ", ".join(f"{f} = ?" for f in self._TASK_FIELDS)
        self._run(f"UPDATE tasks SET {sets} WHERE id = ?", [getattr(task, f) for f in self._TASK_FIELDS] + [task.id])

    def list_tasks(self, query: TaskQuery) -> list[Task]:
        where, params = [], []
        if query.deal_ids:
            where.append(f"deal_id IN ({', '.join('?' * len(query.deal_ids))})")
            params += list(query.deal_ids)
        for column, value, op in (("responsible", query.responsible, "="), ("status", query.status, "="),
                                  ("due", query.due_before, "<"), ("due", query.due_from, ">=")):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        sql = f"SELECT id, {', '.join(self._TASK_FIELDS)} FROM tasks"
        sql += f" WHERE {' AND '.join(where)}" if where else ""
        sql += " ORDER BY due, id"
        if query.limit is not None:
            sql += " LIMIT ?"
            params.append(query.limit)
        return [self._task(r) for r in self._rows(sql, params)]

    def open_tasks_with_deals(self, responsible: str | None, due_before: str) -> list[tuple[Task, Deal]]:
        task_cols = ", ".join(f"t.{f}" for f in ("id",) + self._TASK_FIELDS)
        deal_cols = ", ".join(f"d.{c.strip()}" for c in self._DEAL_COLUMNS.split(","))
        sql = (f"SELECT {task_cols}, {deal_cols} FROM tasks t JOIN deals d ON d.id = t.deal_id"
               " WHERE t.status = 'open' AND t.due < ?")
        params: list = [due_before]
        if responsible is not None:
            sql += " AND t.responsible = ?"
            params.append(responsible)
        width = 1 + len(self._TASK_FIELDS)
        return [(self._task(r[:width]), self._deal(r[width:])) for r in self._rows(sql + " ORDER BY t.due, t.id", params)]

    def deals_without_open_task(self, stages, responsible):
        found = []
        for pipeline, stage_ids in stages.items():
            sql = (f"SELECT {self._DEAL_COLUMNS}, (SELECT MAX(done_at) FROM tasks t WHERE t.deal_id = deals.id)"
                   f" FROM deals WHERE pipeline = ? AND stage IN ({', '.join('?' * len(stage_ids))})"
                   " AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.deal_id = deals.id AND t.status = 'open')")
            params = [pipeline, *stage_ids]
            if responsible is not None:
                sql += " AND responsible = ?"
                params.append(responsible)
            for row in self._rows(sql, params):
                deal = self._deal(row[:9])
                found.append((deal, max(deal.stage_since, row[9] or "")))
        return sorted(found, key=lambda pair: pair[0].id)

    # history ----------------------------------------------------------------------------
    def add_event(self, event: Event) -> int:
        return self._insert("events", event.id, ("at", "actor", "kind", "deal_id", "contact_id", "task_id",
                                                 "stage_to", "data"),
                            (event.at, event.actor, event.kind, event.deal_id, event.contact_id, event.task_id,
                             entered_stage(event), _dumps(event.data)))

    def events(self, deal_id: int | None = None, contact_id: int | None = None) -> list[Event]:
        where, params = [], []
        if deal_id is not None:
            where.append("deal_id = ?")
            params.append(deal_id)
        if contact_id is not None:
            where.append("contact_id = ?")
            params.append(contact_id)
        sql = "SELECT id, at, actor, kind, deal_id, contact_id, task_id, data FROM events"
        sql += f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._rows(sql + " ORDER BY id", params)
        return [self._checked(Event, r, 7) for r in rows]

    # the published rules ----------------------------------------------------------------------
    def add_publication(self, publication: Publication) -> int:
        return self._insert("publications", publication.id, ("at", "actor", "digest", "content"),
                            (publication.at, publication.actor, publication.digest, _dumps(publication.content)))

    def publications(self, latest_only: bool = False) -> list[Publication]:
        order = "DESC LIMIT 1" if latest_only else "ASC"
        rows = self._rows(f"SELECT id, at, actor, digest, content FROM publications ORDER BY id {order}")
        return [self._checked(Publication, r, 4) for r in rows]

    # report aggregates ----------------------------------------------------------------------
    @staticmethod
    def _lead_period(lead_from, lead_to, column: str = "lead_date") -> tuple[str, list]:
        sql, params = "", []
        if lead_from:
            sql += f" AND {column} >= ?"
            params.append(lead_from)
        if lead_to:
            sql += f" AND {column} <= ?"
            params.append(lead_to)
        return sql, params

    def deal_counts(self, pipeline, lead_from, lead_to):
        period, params = self._lead_period(lead_from, lead_to)
        sql = ("SELECT stage, COALESCE(responsible, ''), COUNT(*), CAST(COALESCE(SUM(budget_minor), 0) AS BIGINT)"
               " FROM deals"
               f" WHERE pipeline = ?{period} GROUP BY stage, responsible")
        return [tuple(r) for r in self._rows(sql, [pipeline, *params])]

    def _entries_sql(self, pipeline, lead_from, lead_to) -> tuple[str, list]:
        """A CTE `entries(deal_id, id, stage, at)`: every stage entry of the period's deals, in deal then time order."""
        period, params = self._lead_period(lead_from, lead_to, "d.lead_date")
        return (f"entries AS (SELECT e.deal_id, e.id, e.stage_to AS stage, e.at FROM events e{self._MOVES_INDEX}"
                f" JOIN deals d ON d.id = e.deal_id WHERE e.stage_to IS NOT NULL AND d.pipeline = ?{period}"
                " ORDER BY e.deal_id, e.id)", [pipeline, *params])

    def stage_paths(self, pipeline, lead_from, lead_to):
        entries, params = self._entries_sql(pipeline, lead_from, lead_to)
        # a few dozen distinct paths, whatever the number of deals: the counting happens here
        sql = (f"WITH {entries} SELECT path, COUNT(*) FROM"
               f" (SELECT {self._PATH_AGGREGATE} AS path FROM entries GROUP BY deal_id) AS paths GROUP BY path")
        return [(tuple(path.split(" ")), count) for path, count in self._rows(sql, params)]

    def _stays_sql(self, pipeline, lead_from, lead_to) -> tuple[str, list]:
        """CTEs ending in `stays(stage, seconds)`: every finished stay of the period's deals (stage_stays), never
        negative, even where a clock was set back between two moves."""
        period, params = self._lead_period(lead_from, lead_to, "d.lead_date")
        # Each stored time is parsed once; over the whole history the entries come in the index's (deal, id) order,
        # which the window reads as they come, sorting nothing (a CTE ordered first would be sorted again for it).
        later = "LEAD(moment) OVER (PARTITION BY deal_id ORDER BY id)"
        return (f"moments AS (SELECT e.deal_id, e.id, e.stage_to AS stage, {self._moment('e.at')} AS moment"
                f" FROM events e{self._MOVES_INDEX} JOIN deals d ON d.id = e.deal_id"
                f" WHERE e.stage_to IS NOT NULL AND d.pipeline = ?{period}),"
                f" gaps AS (SELECT stage, {self._seconds(later, 'moment')} AS seconds FROM moments),"
                " stays AS (SELECT stage, CASE WHEN seconds < 0 THEN 0 ELSE seconds END AS seconds FROM gaps"
                " WHERE seconds IS NOT NULL)", [pipeline, *params])

    def stage_stays(self, pipeline, lead_from, lead_to):
        # SQLite has no percentile: ranking the stays there with a window takes twice as long as sorting them here
        stays, params = self._stays_sql(pipeline, lead_from, lead_to)
        by_stage: dict[str, list[float]] = {}
        for stage, seconds in self._rows(f"WITH {stays} SELECT stage, seconds FROM stays", params):
            by_stage.setdefault(stage, []).append(seconds)
        return stay_figures(by_stage)

    def entries_between(self, pipeline, stages, at_from, at_to, imported=False):
        sql = ("SELECT DISTINCT d.id, COALESCE(d.responsible, ''), COALESCE(d.budget_minor, 0)"
               " FROM events e JOIN deals d ON d.id = e.deal_id"
               f" WHERE e.stage_to IN ({', '.join('?' * len(stages))}) AND e.at >= ? AND e.at < ? AND d.pipeline = ?"
               + (" AND e.kind = 'deal.imported'" if imported else ""))
        return [tuple(r) for r in self._rows(sql, [*stages, at_from, at_to, pipeline])]

    def stage_entries(self, pipeline, stages, at_from, at_to):
        sql = ("SELECT d.id, COALESCE(d.budget_minor, 0), e.at FROM events e JOIN deals d ON d.id = e.deal_id"
               f" WHERE e.stage_to IN ({', '.join('?' * len(stages))}) AND e.at >= ? AND e.at < ? AND d.pipeline = ?"
               " ORDER BY e.at, e.id")
        return [tuple(r) for r in self._rows(sql, [*stages, at_from, at_to, pipeline])]

    def task_counts(self, done_from, done_to, now):
        done, params = "", []
        if done_from:
            done += " AND done_at >= ?"
            params.append(done_from)
        if done_to:
            done += " AND done_at < ?"
            params.append(done_to)
        sql = (f"SELECT responsible, SUM(CASE WHEN status = 'done'{done} THEN 1 ELSE 0 END),"
               " SUM(CASE WHEN status = 'open' AND due < ? THEN 1 ELSE 0 END) FROM tasks GROUP BY responsible")
        return [(r[0], r[1] or 0, r[2] or 0) for r in self._rows(sql, [*params, now])]

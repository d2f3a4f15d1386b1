"""A scenario file: a story `flowctl test` plays on a throwaway store (schemas/scenario.schema.json).

It is read like a pipeline: the loader keeps every position for `file:line:col` and refuses duplicate keys, then
the JSON Schema, then the lint below, which checks it against the pipelines it plays. Every member, role, stage,
field and task type it names must exist, every value it types must read as its field's type, its times must read
and move forward, and each command line must be flowctl's own and leave the throwaway store alone.
"""

from __future__ import annotations

import shlex
from datetime import datetime, timezone
from pathlib import Path

from flowctl import messages as M
from flowctl.errors import UsageError
from flowctl.pipeline.model import fields_by_name, fold
from flowctl.pipeline.problems import Document, Problem, ProblemsFound

SCHEMA = "scenario.schema.json"
SHIPPED_DIR = Path(__file__).with_name("scenarios")  # the regulation's scenarios; `flowctl init` copies them
DEFAULT_TIMEZONE = "Europe/Moscow"  # as `flowctl init` writes it
DEFAULT_POWERS = ("import", "restore", "migrate", "publish")  # held by `head`, as `flowctl init` writes them
FORBIDDEN_OPTIONS = ("--store", "--as")  # the scenario's store and `as:` decide
OWN_COMMANDS = ("init", "demo", "test")  # they make workspaces or play scenarios of their own
RULES = ("scenario-pipeline", "scenario-member", "scenario-role", "scenario-stage", "scenario-field",
         "scenario-task-type", "scenario-contact", "scenario-time", "scenario-command")


class Step:
    __slots__ = ("number", "line", "actor", "at", "run", "args", "say", "expect")

    def __init__(self, number: int, line: int, actor: str, at: str | None, run: str, args: list[str], say,
                 expect: dict):
        self.number = number  # 1-based, as reports name it
        self.line = line
        self.actor = actor
        self.at = at
        self.run = run
        self.args = args
        self.say = say  # a text, or a text per language
        self.expect = expect


class Scenario:
    __slots__ = ("path", "name", "rules", "pipeline", "clock", "timezone", "language", "working_hours", "powers",
                 "team", "given", "given_lines", "steps")

    def __init__(self, path: str, data: dict, doc: Document, steps: list[Step]):
        self.path = path
        self.name = data["name"]
        self.rules = tuple(data.get("rules", ()))
        self.pipeline = data["pipeline"]
        self.clock = data["clock"]
        self.timezone = data.get("timezone", DEFAULT_TIMEZONE)
        self.language = data.get("language")
        self.working_hours = data.get("working_hours")
        self.powers = data.get("powers")
        self.team = {login: _member(entry, login) for login, entry in data["team"].items()}  # login → (name, roles)
        self.given = data.get("given", {})
        self.given_lines = {(section, i): doc.position(("given", section, i))[0]
                            for section in ("contacts", "deals") for i in range(len(self.given.get(section, ())))}
        self.steps = steps

    @property
    def first_member(self) -> str:
        return next(iter(self.team))


def _member(entry, login: str) -> tuple[str, list[str]]:
    return (login, list(entry)) if isinstance(entry, list) else (entry.get("name", login), list(entry["roles"]))


def load(path: str | Path) -> tuple[list[Problem], Document | None]:
    """(the YAML and schema problems of one scenario file, its document when it has none)."""
    from flowctl.pipeline import loader, schema

    try:
        doc = loader.load_file(path)
    except ProblemsFound as found:
        return found.problems, None
    doc.data = _dates_as_text(doc.data)
    problems = schema.check(doc, SCHEMA)
    return problems, (None if problems else doc)


def _dates_as_text(node):
    """YAML reads an unquoted 2026-12-01 as a date; a scenario means the text, as a person types it."""
    from datetime import date

    if isinstance(node, dict):
        return {key: _dates_as_text(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_dates_as_text(value) for value in node]
    return node.isoformat(" ") if isinstance(node, datetime) else node.isoformat() if isinstance(node, date) else node


def find_pipeline(pipelines: dict, name: str):
    return pipelines.get(name) or next((p for p in pipelines.values() if fold(name) in (fold(p.id), fold(p.name))),
                                       None)


def read_clock(text: str, now: datetime, tz) -> datetime:
    from flowctl.when import parse_when

    return parse_when(text, now, tz)


def lint(doc: Document, pipelines: dict, commands: dict) -> list[Problem]:
    """What the schema cannot say, against the pipelines the scenario plays and the commands flowctl has
    (`commands`: each command's name → its subcommands' names, or None for a command without any)."""
    return sorted(_Lint(doc, pipelines, commands).run(), key=lambda p: (p.line, p.column))


def build(doc: Document) -> Scenario:
    """The scenario of a document that passed the schema and the lint."""
    data = doc.data
    team = list(data["team"])
    steps = [Step(i + 1, doc.position(("steps", i))[0], step.get("as", team[0]), step.get("at"), step["run"],
                  shlex.split(step["run"]), step.get("say"), step.get("expect", {}))
             for i, step in enumerate(data["steps"])]
    return Scenario(doc.path, data, doc, steps)


class _Lint:
    def __init__(self, doc: Document, pipelines: dict, commands: dict):
        self.doc = doc
        self.data = doc.data
        self.pipelines = pipelines
        self.commands = commands
        self.problems: list[Problem] = []
        self.pipeline = None
        self.tz = None
        self.team = set(self.data["team"])

    def problem(self, path: tuple, rule: str, message: str) -> None:
        self.problems.append(self.doc.problem(path, rule, message))

    def run(self) -> list[Problem]:
        self.pipeline = find_pipeline(self.pipelines, self.data["pipeline"])
        if self.pipeline is None:
            known = [*self.pipelines, *(p.name for p in self.pipelines.values())]
            self.problem(("pipeline",), "scenario-pipeline",
                         M.text("pipeline_unknown", name=self.data["pipeline"], hint=M.did_you_mean(self.data["pipeline"], known),
                                known=", ".join(self.pipelines)))
        self.roles()
        clock = self.times()
        if self.pipeline is not None:
            self.given(clock)
        for index, step in enumerate(self.data["steps"]):
            self.step(("steps", index), step, clock)
        return self.problems

    def roles(self) -> None:
        defined = {r.id for p in self.pipelines.values() for r in p.roles}
        for login, entry in self.data["team"].items():
            for index, role in enumerate(_member(entry, login)[1]):
                if role not in defined:
                    where = ("team", login, index) if isinstance(entry, list) else ("team", login, "roles", index)
                    self.problem(where, "scenario-role", M.text("scenario_unknown_role", role=role,
                                                                hint=M.did_you_mean(role, defined)))
        for power, holders in (self.data.get("powers") or {}).items():
            for index, role in enumerate(holders):
                if role not in defined:
                    self.problem(("powers", power, index), "scenario-role",
                                 M.text("scenario_unknown_role", role=role, hint=M.did_you_mean(role, defined)))

    def times(self) -> datetime | None:
        """The clock the story starts at (None when it does not read); each step's `at:` checked on the way."""
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        name = self.data.get("timezone", DEFAULT_TIMEZONE)
        try:
            self.tz = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(("timezone",), "scenario-time", M.text("bad_timezone", tz=name))
            return None
        start = self.moment(("clock",), self.data["clock"], datetime(2000, 1, 1, tzinfo=timezone.utc))
        if start is not None and start != self.moment(("clock",), self.data["clock"],
                                                      datetime(2001, 6, 1, tzinfo=timezone.utc), quiet=True):
            self.problem(("clock",), "scenario-time", M.text("scenario_clock_relative", value=self.data["clock"]))
            start = None
        now = start or datetime(2000, 1, 1, tzinfo=timezone.utc)  # without a clock, each time is still read
        for index, step in enumerate(self.data["steps"]):
            moved = self.moment(("steps", index, "at"), step["at"], now) if step.get("at") else None
            if moved is not None and start is not None and moved < now:
                self.problem(("steps", index, "at"), "scenario-time", M.text("scenario_clock_back", value=step["at"]))
            elif moved is not None:
                now = moved
        return start

    def moment(self, path: tuple, text: str, now: datetime, quiet: bool = False) -> datetime | None:
        try:
            return read_clock(text, now, self.tz)
        except UsageError as error:
            if not quiet:
                self.problem(path, "scenario-time", error.message)
            return None

    # what a scenario names in the pipeline
    def member(self, path: tuple, login: str) -> None:
        if login not in self.team:
            self.problem(path, "scenario-member", M.text("user_unknown", login=login,
                                                         hint=M.did_you_mean(login, self.team)))

    def stage(self, path: tuple, typed_name: str) -> None:
        from flowctl.services.deals import find_stage

        self.named(path, "scenario-stage", find_stage, typed_name)

    def task_type(self, path: tuple, typed_name: str) -> None:
        from flowctl.services.tasks import find_task_type

        self.named(path, "scenario-task-type", find_task_type, typed_name)

    def named(self, path: tuple, rule: str, find, typed_name: str) -> None:
        try:
            find(self.pipeline, typed_name)
        except UsageError as error:
            self.problem(path, rule, error.message)

    def fields(self, path: tuple, values: dict, fields, today) -> None:
        from flowctl import fields as typed_values
        from flowctl.services.given import typed

        by_name = fields_by_name(fields)
        for name, value in values.items():
            field = by_name.get(fold(name))
            if field is None:
                self.problem(path + (name,), "scenario-field",
                             M.text("field_unknown", name=name, hint=M.did_you_mean(name, [f.label for f in fields])))
                continue
            try:
                typed_values.parse(field, typed(value), team_logins=frozenset(self.team), today=today)
            except UsageError as error:
                self.problem(path + (name,), "scenario-field", error.message)

    def given(self, clock: datetime | None) -> None:
        today = clock.astimezone(self.tz).date() if clock else None
        from flowctl.workspace import contact_fields_of

        contact_fields = contact_fields_of(self.pipelines.values())
        given = self.data.get("given", {})
        contacts = given.get("contacts", [])
        for index, contact in enumerate(contacts):
            self.fields(("given", "contacts", index), contact, contact_fields, today)
        for index, deal in enumerate(given.get("deals", [])):
            where = ("given", "deals", index)
            if "stage" in deal:
                self.stage(where + ("stage",), deal["stage"])
            if deal.get("contact", 0) > len(contacts):
                self.problem(where + ("contact",), "scenario-contact",
                             M.text("scenario_unknown_contact", number=deal["contact"], count=len(contacts)))
            self.fields(where + ("fields",), deal.get("fields", {}), self.pipeline.deal_fields, today)

    def step(self, path: tuple, step: dict, clock: datetime | None) -> None:
        if "as" in step:
            self.member(path + ("as",), step["as"])
        self.command(path + ("run",), step["run"])
        expect = step.get("expect", {})
        if self.pipeline is None:
            return
        today = clock.astimezone(self.tz).date() if clock else None
        where = path + ("expect",)
        if "stage" in expect.get("deal", {}):
            self.stage(where + ("deal", "stage"), expect["deal"]["stage"])
        if "fields" in expect.get("deal", {}):
            self.fields(where + ("deal", "fields"), expect["deal"]["fields"], self.pipeline.deal_fields, today)
        task = expect.get("task", {})
        if "type" in task:
            self.task_type(where + ("task", "type"), task["type"])
        if "owner" in task:
            self.member(where + ("task", "owner"), task["owner"])
        if "due" in task and clock is not None:
            self.moment(where + ("task", "due"), task["due"], clock)
        for status in ("open", "done", "cancelled"):
            for index, name in enumerate(expect.get("tasks", {}).get(status, [])):
                self.task_type(where + ("tasks", status, index), name)
        if "agenda" in expect:
            self.member(where + ("agenda", "user"), expect["agenda"]["user"])

    def command(self, path: tuple, run: str) -> None:
        try:
            args = shlex.split(run)
        except ValueError as error:
            self.problem(path, "scenario-command", M.text("scenario_command_syntax", reason=error))
            return
        for arg in args:
            if arg.split("=", 1)[0] in FORBIDDEN_OPTIONS:
                self.problem(path, "scenario-command", M.text("scenario_command_option", option=arg.split("=", 1)[0]))
                return
        words = [a for a in args if not a.startswith("-")]
        name = words[0] if words else None
        if name is None or name not in self.commands or name in OWN_COMMANDS:
            self.unknown(path, name or run, sorted(set(self.commands) - set(OWN_COMMANDS)))
        elif self.commands[name] and len(words) > 1 and words[1] not in self.commands[name]:
            self.unknown(path, f"{name} {words[1]}", [f"{name} {sub}" for sub in sorted(self.commands[name])])

    def unknown(self, path: tuple, command: str, known: list[str]) -> None:
        self.problem(path, "scenario-command", M.text("scenario_command_unknown", command=command,
                                                      hint=M.did_you_mean(command, known), known=", ".join(known)))


def say(text, language: str) -> str:
    """A step's narration in the reader's language: the text itself, or its translation (else English, else the
    first written)."""
    if isinstance(text, str) or text is None:
        return text or ""
    return text.get(language) or text.get("en") or next(iter(text.values()))

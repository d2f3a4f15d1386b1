"""Playing a scenario (flowctl/scenario.py): a throwaway workspace, then each step's command line run in this
process exactly as `flowctl` runs it from a shell, as the step's member at the scenario's clock.

The facts a step expects are read back the way a user reads them, by flowctl's own commands with --format json
(`deal show`, `task list`, `agenda`), so a scenario sees what the team sees and nothing else.
"""

import io
import json
import os
import shlex
import shutil
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from flowctl import messages as M
from flowctl.errors import FlowError
from flowctl.scenario import DEFAULT_POWERS, find_pipeline, read_clock

STORE_NAME = "scenario.db"
OUTPUT_LINES_SHOWN = 8
_ENVIRONMENT = ("FLOWCTL_STORE", "FLOWCTL_USER", "FLOWCTL_NOW", "LANGUAGE", "_FLOWCTL_COMPLETE")


class Failure:
    """The first step that did not go as the scenario says, and why."""

    __slots__ = ("line", "step", "command", "actor", "problems", "output")

    def __init__(self, line: int, step: int | None, command: str, actor: str, problems: list[str], output: str = ""):
        self.line = line
        self.step = step  # None: the set-up (given:) failed
        self.command = command
        self.actor = actor
        self.problems = problems
        self.output = output

    def as_dict(self) -> dict:
        return {"line": self.line, "step": self.step, "command": self.command, "as": self.actor,
                "problems": self.problems, "output": self.output}


class Outcome:
    __slots__ = ("scenario", "failure", "steps", "seconds")

    def __init__(self, scenario, failure: Failure | None, steps: int, seconds: float):
        self.scenario = scenario
        self.failure = failure
        self.steps = steps  # how many steps ran
        self.seconds = seconds


class Shown:
    """What a step printed, as a person at a terminal reads it: its output, then its message."""

    __slots__ = ("code", "out", "err")

    def __init__(self, code: int, out: str, err: str):
        self.code = code
        self.out = out
        self.err = err

    @property
    def text(self) -> str:
        return self.out + self.err


def workspace_config(scenario, pipeline) -> str:
    """The throwaway workspace's flowctl.yaml: the scenario's team, zone, hours, language and powers."""
    defined = {r.id for r in pipeline.roles}
    powers = scenario.powers if scenario.powers is not None else \
        {power: ["head"] for power in DEFAULT_POWERS if "head" in defined}
    config = {"version": 1, "store": STORE_NAME, "pipelines": ["pipelines"], "default_pipeline": pipeline.id,
              "timezone": scenario.timezone, "powers": powers,
              "team": [{"login": login, "name": name, "roles": roles} for login, (name, roles) in scenario.team.items()]}
    if scenario.working_hours:
        config["working_hours"] = scenario.working_hours
    if scenario.language:
        config["language"] = scenario.language
    return json.dumps(config, ensure_ascii=False, indent=2) + "\n"  # JSON is YAML: no quoting slips


def compiled(paths) -> dict:
    """Pipeline files → their models, each compiled once for every scenario a run plays."""
    from flowctl.pipeline.compile import compile_cached

    return {path: compile_cached(path) for path in paths}


def play(scenario, pipelines: dict, folder: Path, show=None) -> Outcome:
    """Play `scenario` in `folder` (new or empty), the pipelines being `pipelines` (compiled(): file → model);
    `show(step, shown, failure)` is told each step as it ends (the demo prints them). Each command the scenario
    runs puts the reader's language back (_Player.run); the environment is put back here."""
    import time

    started = time.perf_counter()
    saved = {key: os.environ.get(key) for key in _ENVIRONMENT}
    try:
        failure, steps = _play(scenario, pipelines, folder, show)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return Outcome(scenario, failure, steps, time.perf_counter() - started)


def _play(scenario, pipelines: dict, folder: Path, show) -> tuple[Failure | None, int]:
    from flowctl.workspace import CONFIG_NAME, load

    (folder / "pipelines").mkdir(parents=True, exist_ok=True)
    for path in pipelines:
        shutil.copyfile(path, folder / "pipelines" / path.name)
    pipeline = find_pipeline({p.id: p for p in pipelines.values()}, scenario.pipeline)
    (folder / CONFIG_NAME).write_text(workspace_config(scenario, pipeline), "utf-8")
    try:  # what the lint cannot see (working hours that end before they start) refuses the workspace
        workspace = load(folder / CONFIG_NAME)
        now = read_clock(scenario.clock, datetime.now(timezone.utc), workspace.tz)
    except FlowError as error:
        return Failure(1, None, "", scenario.first_member, [error.message]), 0
    problems = _set_up(scenario, workspace, pipeline, now)
    if problems:
        return Failure(_given_line(scenario), None, "", scenario.first_member, problems), 0
    player = _Player(scenario, workspace, pipeline, folder)
    for step in scenario.steps:
        if step.at:
            now = read_clock(step.at, now, workspace.tz)
        player.now = now
        shown = player.run(step.args, step.actor)
        problems = player.check(step, shown)
        failure = Failure(step.line, step.number, step.run, step.actor, problems, shown.text) if problems else None
        if show:
            show(step, shown, failure)
        if failure:
            return failure, step.number
    return None, len(scenario.steps)


def _given_line(scenario) -> int:
    return min(scenario.given_lines.values(), default=1)


def _set_up(scenario, workspace, pipeline, now: datetime) -> list[str]:
    """Publish the rules as the head of sales would, then the scenario's `given:` (services/given.py)."""
    from flowctl.services.given import set_up
    from flowctl.services.publish import publish_first
    from flowctl.services.session import Session
    from flowctl.store import open_store

    store = open_store(workspace.store, create=True)
    try:
        holders = workspace.powers.get("publish", frozenset())
        publisher = next((m for m in workspace.team.values() if m.roles & holders), None)
        if publisher:  # a team without the power works on unpublished rules, as its own store would
            publish_first(workspace, store, publisher, now)
        given = scenario.given
        if not given:
            return []
        first = workspace.member(scenario.first_member)
        return set_up(Session(workspace, store, first, now), pipeline, given.get("contacts", []),
                      given.get("deals", []), Path(scenario.path).name, scenario.given_lines)
    except FlowError as error:
        return [error.message]
    finally:
        store.close()


@cache
def _root():
    """The command tree, built once for every step of every scenario (the shell builds it once per command; typer's
    building is a fifth of a step's time). Each command's context is new, as in a new process."""
    import typer.main

    from flowctl.cli.app import app

    return typer.main.get_command(app)


@cache
def command_names() -> dict:
    """Each command's name → its subcommands' names (None for a command without any): what a `run:` may name."""
    from flowctl.cli.app import COMMANDS

    root = _root()
    return {name: frozenset(getattr(root.get_command(None, name), "commands", {})) or None for name in COMMANDS}


@contextmanager
def _acting(folder: Path, login: str, now: datetime):
    from flowctl.when import to_iso_utc

    cwd = Path.cwd()
    os.environ.pop("FLOWCTL_STORE", None)
    os.environ.pop("_FLOWCTL_COMPLETE", None)
    os.environ["FLOWCTL_USER"] = login
    os.environ["FLOWCTL_NOW"] = to_iso_utc(now)
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(cwd)


class _Player:
    def __init__(self, scenario, workspace, pipeline, folder: Path):
        self.scenario = scenario
        self.workspace = workspace
        self.pipeline = pipeline
        self.folder = folder
        self.now = None

    def run(self, args: list[str], login: str) -> Shown:
        """One command line, as `flowctl` runs it from a shell: its exit code, what it printed and what it said."""
        from flowctl import language

        spoken, machine = language.current(), language.machine()
        out, err = io.StringIO(), io.StringIO()
        with _acting(self.folder, login, self.now), redirect_stdout(out), redirect_stderr(err):
            try:
                _root().main(args=list(args), prog_name="flowctl")
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            finally:  # the command spoke the scenario's language; what is said about it is in the reader's
                language.use(spoken)
                language.set_machine_values(machine)
        return Shown(code, out.getvalue(), err.getvalue())

    def read(self, args: list[str], login: str, problems: list[str]):
        """A fact, as --format json shows it to `login`; None (with the reason in `problems`) when it cannot be read."""
        shown = self.run([*args, "--format", "json"], login)
        if shown.code:
            problems.append(M.text("test_fact_unreadable", command=shlex.join(args), message=shown.err.strip()))
            return None
        return json.loads(shown.out)

    # what a step expects
    def check(self, step, shown: Shown) -> list[str]:
        expect, problems = step.expect, []
        wanted = expect.get("exit", 0)
        if shown.code != wanted:
            problems.append(M.text("test_exit", expected=wanted, code=shown.code))
        said = _spaced(shown.text)
        for text in _many(expect.get("says")):
            if _spaced(text) not in said:
                problems.append(M.text("test_says", text=text))
        for text in _many(expect.get("says_not")):
            if _spaced(text) in said:
                problems.append(M.text("test_says_not", text=text))
        if "json" in expect:
            self.check_json(expect["json"], shown, problems)
        if "deal" in expect:
            self.check_deal(expect["deal"], step.actor, problems)
        if "task" in expect:
            self.check_task(expect["task"], step.actor, problems)
        if "tasks" in expect:
            self.check_tasks(expect["tasks"], step.actor, problems)
        if "agenda" in expect:
            self.check_agenda(expect["agenda"], problems)
        return problems

    def newest_deal(self, login: str, problems: list[str]) -> int | None:
        rows = self.read(["deal", "list", "--sort", "id", "--desc", "--limit", "1"], login, problems)
        if rows == []:
            problems.append(M.text("test_no_deal"))
        return rows[0]["id"] if rows else None

    def check_deal(self, expected: dict, login: str, problems: list[str]) -> None:
        deal_id = expected.get("id") or self.newest_deal(login, problems)
        deal = deal_id and self.read(["deal", "show", str(deal_id)], login, problems)
        if not deal:
            return
        if "stage" in expected:
            stage = self.pipeline.find_stage(expected["stage"])
            if deal["stage"] != stage.id:
                problems.append(M.text("test_deal_stage", id=deal_id, stage=deal["stage_label"], expected=stage.label))
        for name, value in expected.get("fields", {}).items():
            field, wanted = self.typed_field(name, value)
            got = deal["fields"].get(field.id)
            if _plain(got) != _plain(wanted):
                problems.append(M.text("test_deal_field", id=deal_id, field=field.label, value=_shown(got),
                                       expected=_shown(wanted)))

    def typed_field(self, name: str, value):
        from flowctl import fields
        from flowctl.pipeline.model import fields_by_name, fold
        from flowctl.services.given import typed

        field = fields_by_name(self.pipeline.deal_fields)[fold(name)]
        today = self.now.astimezone(self.workspace.tz).date()
        return field, fields.parse(field, typed(value), team_logins=frozenset(self.workspace.team), today=today,
                                   team_names=self.workspace.team_names)

    def check_task(self, expected: dict, login: str, problems: list[str]) -> None:
        from flowctl.services.tasks import find_task_type
        from flowctl.when import to_iso_utc

        rows = self.read(["task", "list", "--all"], login, problems)
        if rows is None:
            return
        task = next((t for t in rows if t["id"] == expected["id"]), None)
        if task is None:
            problems.append(M.text("test_no_task", id=expected["id"]))
            return
        wanted = {"type": find_task_type(self.pipeline, expected["type"]).id if "type" in expected else None,
                  "status": expected.get("status"), "owner": expected.get("owner"),
                  "due": to_iso_utc(read_clock(expected["due"], self.now, self.workspace.tz)) if "due" in expected
                  else None}
        got = {"type": task["type"], "status": task["status"], "owner": task["responsible"], "due": task["due"]}
        for key, value in wanted.items():
            if value is not None and got[key] != value:
                shown = (self.local_moment(got[key]), self.local_moment(value)) if key == "due" else (got[key], value)
                problems.append(M.text("test_task_fact", id=task["id"], what=key, value=shown[0], expected=shown[1]))

    def local_moment(self, iso_utc: str) -> str:
        from flowctl.when import format_local, from_iso_utc

        return format_local(from_iso_utc(iso_utc), self.workspace.tz)

    def check_tasks(self, expected: dict, login: str, problems: list[str]) -> None:
        from flowctl.services.tasks import find_task_type

        deal_id = expected.get("deal") or self.newest_deal(login, problems)
        rows = deal_id and self.read(["task", "list", "--deal", str(deal_id), "--all"], login, problems)
        if rows is None or not deal_id:
            return
        for status in ("open", "done", "cancelled"):
            if status not in expected:
                continue
            wanted = sorted(find_task_type(self.pipeline, name).id for name in expected[status])
            got = sorted(t["type"] for t in rows if t["status"] == status)
            if got != wanted:
                problems.append(M.text("test_tasks", id=deal_id, status=status, value=", ".join(got) or "—",
                                       expected=", ".join(wanted) or "—"))

    def check_agenda(self, expected: dict, problems: list[str]) -> None:
        args = ["agenda", "--user", expected["user"], *(["--date", expected["date"]] if "date" in expected else [])]
        agenda = self.read(args, expected["user"], problems)
        if agenda is None:
            return
        got = [row["deal_id"] for row in agenda["tasks"]]
        if got != expected["deals"]:
            problems.append(M.text("test_agenda", user=expected["user"], value=_ids(got),
                                   expected=_ids(expected["deals"])))

    def check_json(self, expected, shown: Shown, problems: list[str]) -> None:
        try:
            data = json.loads(shown.out)
        except ValueError:
            problems.append(M.text("test_not_json"))
            return
        for where, got, wanted in _mismatches(data, expected, "$"):
            problems.append(M.text("test_json", path=where, value=_shown(got), expected=_shown(wanted)))


def _mismatches(got, wanted, where: str):
    """(path, got, wanted) wherever `got` does not hold `wanted`: a mapping holds the keys it names, a list item by
    item and in length, a value exactly (a number equal to its text: 1254000 and "1254000.00")."""
    if isinstance(wanted, dict):
        if not isinstance(got, dict):
            yield where, got, wanted
            return
        for key, value in wanted.items():
            yield from _mismatches(got.get(key), value, f"{where}.{key}")
    elif isinstance(wanted, list):
        if not isinstance(got, list) or len(got) != len(wanted):
            yield where, got, wanted
            return
        for index, (item, value) in enumerate(zip(got, wanted)):
            yield from _mismatches(item, value, f"{where}[{index}]")
    elif not _same_value(got, wanted):
        yield where, got, wanted


def _same_value(got, wanted) -> bool:
    if got == wanted and type(got) is type(wanted):
        return True
    from decimal import Decimal, InvalidOperation

    if isinstance(wanted, bool) or isinstance(got, bool) or not isinstance(wanted, (int, float)):
        return False
    try:
        return Decimal(str(got)) == Decimal(str(wanted))
    except (InvalidOperation, ValueError):
        return False


def _many(value) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def _spaced(text: str) -> str:
    """Russian output groups thousands and puts ₽ after a no-break space; a scenario's author types a space."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _plain(value):
    return json.loads(json.dumps(value, default=str))


def _shown(value) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _ids(ids: list[int]) -> str:
    return ", ".join(f"#{i}" for i in ids) or "—"

"""`flowctl test`: play scenario files (flowctl/scenario.py) and report each failing step, for people (text) and
for CI (json, github annotations, JUnit XML)."""

from pathlib import Path
from typing import List

import typer

from flowctl import messages as M
from flowctl.cli.common import check_format, echo
from flowctl.cli.play import OUTPUT_LINES_SHOWN
from flowctl.errors import UsageError

SCENARIOS_DIR = "scenarios"


def scenario_files(paths: list[str]) -> list[Path]:
    """The files named, the YAML files of the folders named; by default the workspace's scenarios/."""
    from flowctl.workspace import find_config, named_yaml_files, yaml_files

    if not paths:
        config = find_config(Path.cwd())
        folder = (config.parent if config else Path.cwd()) / SCENARIOS_DIR
        if folder.resolve().is_relative_to(Path.cwd().resolve()):  # shown as people and CI annotations name it
            folder = folder.resolve().relative_to(Path.cwd().resolve())
        found = yaml_files(folder)
        if not found:
            raise UsageError(M.text("test_no_files", where=folder))
        return found
    files = named_yaml_files(paths)
    if not files:
        raise UsageError(M.text("test_no_files", where=", ".join(paths)))
    return files


def pipelines_played(replacements: list[Path]) -> dict:
    """The pipelines the scenarios play (file → model): the workspace's (else the shipped ones), each --pipeline
    file taking the place of the one with its id. An invalid --pipeline file is exit 3 with its first problem."""
    from flowctl.cli.play import compiled
    from flowctl.workspace import shipped_pipelines_dir, workspace_pipeline_files, yaml_files

    for path in replacements:
        if not path.is_file() or path.suffix not in (".yaml", ".yml"):
            raise UsageError(M.text("test_not_a_pipeline", path=path))
    by_id = {model.id: (path, model) for path, model in compiled(
        [*(workspace_pipeline_files() or yaml_files(shipped_pipelines_dir())), *replacements]).items()}
    return dict(by_id.values())


class Checked:
    """One scenario file: its lint problems, or the outcome of playing it."""

    __slots__ = ("path", "name", "rules", "problems", "outcome")

    def __init__(self, path: Path, name: str, rules: tuple, problems: list, outcome=None):
        self.path = path
        self.name = name
        self.rules = rules
        self.problems = problems
        self.outcome = outcome

    @property
    def passed(self) -> bool:
        return not self.problems and self.outcome is not None and self.outcome.failure is None


def check_and_play(path: Path, loaded: tuple, pipelines: dict, folder: Path) -> Checked:
    """Lint a loaded scenario file ((problems, document) from scenario.load) and, when it is clean, play it on
    `pipelines` (file → model)."""
    from flowctl import scenario
    from flowctl.cli.play import command_names, play

    problems, doc = loaded
    if doc is not None:
        problems = scenario.lint(doc, {model.id: model for model in pipelines.values()}, command_names())
    data = doc.data if doc is not None else {}
    checked = Checked(path, data.get("name", path.stem), tuple(data.get("rules", ())), problems)
    if not problems:
        checked.outcome = play(scenario.build(doc), pipelines, folder)
    return checked


def test(
    paths: List[str] = typer.Argument(None, help="Scenario files or folders (default: the workspace's scenarios/)."),
    pipeline: List[Path] = typer.Option(None, "--pipeline", "-p",
                                        help="Play against this pipeline file instead of the workspace's one with "
                                             "its id (the version in a pull request). Repeatable."),
    rule: List[str] = typer.Option(None, "--rule", help="Only the scenarios that prove this rule id (M1, L3, …). "
                                                       "Repeatable."),
    fmt: str = typer.Option("text", "--format", "-f", help="text, json, github (workflow annotations) or junit "
                                                          "(JUnit XML)."),
    keep: Path = typer.Option(None, "--keep", help="Keep each scenario's workspace in this folder, to explore it."),
):
    """Play scenarios: each on a new throwaway store, each step a command as a person types it, checked against
    what must follow. Exit 0 when all pass, 1 otherwise."""
    import tempfile
    import time

    from flowctl import scenario

    check_format(fmt, ("text", "json", "github", "junit"))
    pipelines = pipelines_played(pipeline or [])
    played = [(path, scenario.load(path)) for path in scenario_files(paths or [])]
    if rule:  # a file that cannot be read is played, to be reported
        wanted = {r.casefold() for r in rule}
        played = [(path, loaded) for path, loaded in played
                  if loaded[1] is None or wanted & {r.casefold() for r in loaded[1].data.get("rules", ())}]
        if not played:
            raise UsageError(M.text("test_no_rule", rules=", ".join(rule),
                                    where=", ".join(paths or [SCENARIOS_DIR])))
    if keep:  # refused before anything is played: nothing written
        for path, _ in played:
            if (keep / path.stem).exists() and any((keep / path.stem).iterdir()):
                raise UsageError(M.text("test_keep_not_empty", path=keep / path.stem))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="flowctl-test-") as scratch:
        results = [check_and_play(path, loaded, pipelines, keep / path.stem if keep else Path(scratch) / str(number))
                   for number, (path, loaded) in enumerate(played, 1)]
    REPORTERS[fmt](results, time.perf_counter() - started)
    raise typer.Exit(0 if all(r.passed for r in results) else 1)


# -- reporters -------------------------------------------------------------------------------------------------

def _text(results: list[Checked], seconds: float) -> None:
    for r in results:
        echo(f"{M.text('test_passed') if r.passed else M.text('test_failed'):4}  {r.path}  {r.name}")
        for p in r.problems:
            echo(f"{p.path}:{p.line}:{p.column}: {p.severity}: {p.message} [{p.rule}]")
        failure = r.outcome.failure if r.outcome else None
        if failure:
            echo(f"{r.path}:{failure.line}: {_where(failure)}")
            for problem in failure.problems:
                echo(f"    {problem}")
            for line in failure.output.splitlines()[:OUTPUT_LINES_SHOWN]:
                echo(f"    | {line}")
    _summary(results)


def _where(failure) -> str:
    if failure.step is None:
        return M.text("test_given")
    return M.text("test_step", number=failure.step, login=failure.actor, command=failure.command)


def _json(results: list[Checked], seconds: float) -> None:
    from flowctl.render import to_json

    failed = sum(not r.passed for r in results)
    echo(to_json({"status": "fail" if failed else "ok", "passed": len(results) - failed, "failed": failed,
                  "seconds": round(seconds, 3), "scenarios": [_as_dict(r) for r in results]}))


def _as_dict(r: Checked) -> dict:
    row = {"file": str(r.path), "name": r.name, "rules": list(r.rules), "status": "ok" if r.passed else "fail"}
    if r.problems:
        row["problems"] = [p.as_dict() for p in r.problems]
    if r.outcome:
        row["steps"] = r.outcome.steps
        row["seconds"] = round(r.outcome.seconds, 3)
        if r.outcome.failure:
            row["failure"] = r.outcome.failure.as_dict()
    return row


def _github(results: list[Checked], seconds: float) -> None:
    from flowctl.cli.validate import github_escape

    for r in results:
        for p in r.problems:
            echo(f"::{p.severity} file={p.path},line={p.line},col={p.column},title={p.rule}::"
                 f"{github_escape(p.message)}")
        failure = r.outcome.failure if r.outcome else None
        if failure:
            message = "\n".join([_where(failure), *failure.problems])
            echo(f"::error file={r.path},line={failure.line},title={github_escape(r.name)}::{github_escape(message)}")
    _summary(results)


def _summary(results: list[Checked]) -> None:
    failed = sum(not r.passed for r in results)
    typer.echo(M.text("test_summary", total=len(results), passed=len(results) - failed, failed=failed), err=True)


def _junit(results: list[Checked], seconds: float) -> None:
    """JUnit XML as CI systems read it: a test case per scenario, a failure with the step's file:line and why."""
    from xml.etree import ElementTree as ET

    failed = sum(not r.passed for r in results)
    suite = ET.Element("testsuite", name="flowctl test", tests=str(len(results)), failures=str(failed), errors="0",
                       time=f"{seconds:.3f}")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=str(r.path), name=r.name,
                             time=f"{r.outcome.seconds:.3f}" if r.outcome else "0")
        if r.problems:
            first = r.problems[0]
            ET.SubElement(case, "failure", message=M.text("test_invalid"), type="invalid").text = "\n".join(
                f"{p.path}:{p.line}:{p.column}: {p.message} [{p.rule}]" for p in r.problems)
            case.set("file", str(first.path))
            case.set("line", str(first.line))
        elif r.outcome and r.outcome.failure:
            failure = r.outcome.failure
            ET.SubElement(case, "failure", message=failure.problems[0], type="step").text = "\n".join(
                [f"{r.path}:{failure.line}: {_where(failure)}", *failure.problems, "", failure.output])
            case.set("file", str(r.path))
            case.set("line", str(failure.line))
    ET.indent(suite)
    echo('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode"))


REPORTERS = {"text": _text, "json": _json, "github": _github, "junit": _junit}

"""`flowctl validate`: schema + lint of pipeline files, for people (text) and for CI (json, github)."""

from pathlib import Path
from typing import List

import typer

from flowctl import messages as M
from flowctl.errors import UsageError
from flowctl.cli.common import check_format, echo


def _files(paths: list[str]) -> list[Path]:
    from flowctl.workspace import named_yaml_files, workspace_pipeline_files

    if not paths:
        found = workspace_pipeline_files()
        if not found:
            raise UsageError(M.text("validate_no_files", where="pipelines/*.yaml"))
        return found
    return named_yaml_files(paths)


def _across_pipelines(files: list[Path], checked: dict) -> list:
    """The rules across one workspace's pipelines (role-conflict). Validated files of the workspace around us are
    compared with all of its pipelines, so a pre-commit hook given only the changed file still sees the others;
    problems are shown for the validated files."""
    from flowctl.pipeline.compile import check
    from flowctl.pipeline.lint import lint_workspace
    from flowctl.workspace import workspace_pipeline_files

    validated = {f.resolve(): f for f in files}
    group = [validated.get(p.resolve(), p) for p in workspace_pipeline_files()]
    if not any(p in checked for p in group):
        return []
    docs = [doc for p in group if (doc := (checked[p] if p in checked else check(p))[1]) is not None]
    shown = {str(f) for f in files}
    return [p for p in lint_workspace(docs) if p.path in shown]


def github_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _store_findings(store_location: str, files: list[Path]) -> list[dict]:
    """What these pipeline files would do to the data in the store (see flowctl/queries/plan.py)."""
    from pathlib import Path as _Path

    from flowctl.pipeline.compile import compile_file
    from flowctl.queries.plan import plan
    from flowctl.store import open_store
    from flowctl.workspace import find_config, load

    pipelines = {p.id: p for p in (compile_file(f) for f in files)}
    config = find_config(_Path.cwd())
    team = frozenset(load(config).team) if config else None
    store = open_store(store_location, read_only=True)
    try:
        return plan(store, pipelines, team)
    finally:
        store.close()


def validate(
    ctx: typer.Context,
    paths: List[str] = typer.Argument(None, help="Pipeline files or folders (default: the workspace's pipelines/*.yaml)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text, json or github (workflow annotations)."),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings too."),
    store: str = typer.Option(None, "--store", help="Also check that the store's data fits these pipelines: "
                                                   "no deal stranded in a removed stage, field or option."),
):
    """Check pipeline files: YAML, JSON Schema and semantic lint; with --store, what the change would do to the
    data. Exit 0 clean, 1 problems, 2 usage."""
    from flowctl.cli.common import options
    from flowctl.pipeline.compile import check

    check_format(fmt, ("text", "json", "github"))
    files = _files(paths or [])
    checked = {f: check(f) for f in files}
    problems = [p for f in files for p in checked[f][0]] + _across_pipelines(files, checked)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    store = store or options(ctx).store
    findings = _store_findings(store, files) if store and not errors else []
    store_errors = sum(f["severity"] == "error" for f in findings)
    failed = errors > 0 or store_errors > 0 or (strict and warnings > 0)
    if fmt == "json":
        from flowctl.render import to_json

        echo(to_json({"status": "fail" if failed else "ok", "files": [str(f) for f in files],
                      "errors": errors, "warnings": warnings, "problems": [p.as_dict() for p in problems],
                      **({"store": store, "data": findings} if store else {})}))
    elif fmt == "github":
        for p in problems:
            echo(f"::{p.severity} file={p.path},line={p.line},col={p.column},title={p.rule}::{github_escape(p.message)}")
        for f in findings:
            level = "error" if f["severity"] == "error" else "notice"
            echo(f"::{level} title={f['rule']}::{github_escape(f['message'])}")
    else:
        for p in problems:
            echo(f"{p.path}:{p.line}:{p.column}: {p.severity}: {p.message} [{p.rule}]")
        for f in findings:
            echo(f"{store}: {f['severity']}: {f['message']} [{f['rule']}]")
        summary = (M.text("validate_summary", errors=errors, warnings=warnings, files=len(files)) if problems
                   else M.text("validate_ok", count=len(files)))
        if store and not errors:
            summary += "; " + (M.text("validate_store", errors=store_errors, store=store) if store_errors
                               else M.text("validate_store_ok", store=store))
        typer.echo(summary, err=True)
    raise typer.Exit(1 if failed else 0)

"""`flowctl import deals|contacts|all` and `flowctl export deals|contacts|tasks|history|all`."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import List

import typer

from flowctl.cli.common import check_format, echo, new_app
from flowctl.cli.session import open_session

import_app = new_app("Bring data in: deals and contacts from another CRM's CSV, or a whole flowctl export.")

MapOption = typer.Option(None, "--map", "-m", help='Column mapping, repeatable: --map "Бюджет=budget".')
MappingFileOption = typer.Option(None, "--mapping", help="YAML file: {columns: {…}, stages: {…}, id_column: …}.")
IdColumnOption = typer.Option(None, "--id-column", help="The column with the source CRM's id: re-imports update.")
DryRunOption = typer.Option(False, "--dry-run", help="Say what would be created, updated and refused; write nothing.")
SkipOption = typer.Option(False, "--skip-invalid", help="Import the valid rows even when some are refused.")
ImportFormat = typer.Option("table", "--format", "-f", help="table or json.")
PROGRESS_FROM = 2000  # rows; smaller imports finish before a bar would be read


def _lines(path: Path) -> int:
    """Roughly the rows to come, for the progress bar: counting newlines costs milliseconds, parsing does not."""
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0  # the import itself reports the unreadable file


@contextmanager
def _progress(total: int):
    if total < PROGRESS_FROM or not sys.stderr.isatty():
        yield None
        return
    with typer.progressbar(length=total, label="importing", file=sys.stderr) as bar:
        done = [0]

        def advance(number: int) -> None:
            bar.update(number - done[0])
            done[0] = number

        yield advance


def _options(mapping_file: Path | None, maps: list[str], stage_maps: list[str], id_column: str | None):
    from flowctl.services.transfer import load_mapping_file, parse_mapping

    spec = load_mapping_file(mapping_file) if mapping_file else {}
    columns = {**spec.get("columns", {}), **parse_mapping(maps)}
    stages = {**spec.get("stages", {}), **parse_mapping(stage_maps)}
    return columns, stages, id_column or spec.get("id_column")


def _report(result, fmt: str, skip_invalid: bool) -> None:
    from flowctl import messages as M
    from flowctl.render import render, to_json

    summary = result.as_dict()
    if fmt == "json":
        echo(to_json(summary))
    else:
        shown = [r for r in summary["rows"] if result.dry_run or r["action"] == "refused"]
        if shown:
            echo(render(shown, "table", [("line", "line"), ("action", "action"), ("key", "id in source"),
                                         ("id", "flowctl id"), ("reason", "reason")]))
        if result.ignored_columns:
            typer.echo(M.text("import_ignored", columns=", ".join(result.ignored_columns)), err=True)
        written = not result.dry_run and (skip_invalid or not summary["refused"])
        typer.echo(M.text("import_summary", source=result.source, created=summary["create"],
                          updated=summary["update"], unchanged=summary["unchanged"], refused=summary["refused"],
                          outcome=M.text("import_written" if written else "import_not_written")), err=True)
    raise typer.Exit(1 if summary["refused"] and not skip_invalid else 0)


@import_app.command("deals")
def import_deals(ctx: typer.Context, path: Path = typer.Argument(..., metavar="FILE.csv"),
                 pipeline: str = typer.Option(None, "--pipeline", "-p"), maps: List[str] = MapOption,
                 stage_maps: List[str] = typer.Option(None, "--stage-map", help='"Source stage=stage id or label".'),
                 mapping_file: Path = MappingFileOption, id_column: str = IdColumnOption,
                 dry_run: bool = DryRunOption, skip_invalid: bool = SkipOption, fmt: str = ImportFormat):
    """Import deals from CSV (comma or semicolon; UTF-8, UTF-8 with BOM or cp1251). Columns match field ids
    or labels; `stage`/`Этап` is the stage; map the rest with --map. All rows or none, unless --skip-invalid."""
    from flowctl.services.transfer import import_deals as run

    check_format(fmt, ("table", "json"))
    session = open_session(ctx)
    columns, stages, key = _options(mapping_file, maps or [], stage_maps or [], id_column)
    with _progress(_lines(path)) as progress:
        result = run(session, path, pipeline, columns, stages, key, dry_run, skip_invalid, progress)
    _report(result, fmt, skip_invalid)


@import_app.command("contacts")
def import_contacts(ctx: typer.Context, path: Path = typer.Argument(..., metavar="FILE.csv"),
                    maps: List[str] = MapOption, mapping_file: Path = MappingFileOption,
                    id_column: str = IdColumnOption, dry_run: bool = DryRunOption, skip_invalid: bool = SkipOption,
                    fmt: str = ImportFormat):
    """Import contacts from CSV; a row whose id (or phone) is already known updates that contact."""
    from flowctl.services.transfer import import_contacts as run

    check_format(fmt, ("table", "json"))
    session = open_session(ctx)
    columns, _, key = _options(mapping_file, maps or [], [], id_column)
    with _progress(_lines(path)) as progress:
        result = run(session, path, columns, key, dry_run, skip_invalid, progress)
    _report(result, fmt, skip_invalid)


@import_app.command("all")
def import_all(ctx: typer.Context, path: Path = typer.Argument(..., metavar="EXPORT.json")):
    """Restore a whole `flowctl export all` into an empty store: contacts, deals, tasks and history, ids kept.
    Every row is checked first; nothing is written, and no store is created, unless all are good."""
    from flowctl import messages as M
    from flowctl.cli.session import attach_store
    from flowctl.errors import RuleRefused
    from flowctl.services import restore

    session = open_session(ctx, with_store=False)
    session.require_power("restore")  # before reading a byte of the file
    export = restore.read_export(path)
    bad = restore.problems(session, export)
    if bad:
        for line in bad[:restore.PROBLEMS_SHOWN]:
            typer.echo(line, err=True)
        if len(bad) > restore.PROBLEMS_SHOWN:
            typer.echo(M.text("list_more", count=len(bad) - restore.PROBLEMS_SHOWN), err=True)
        raise RuleRefused(M.text("restore_refused", count=len(bad), path=path))
    attach_store(ctx, session, create=True)
    echo(M.text("restore_done", **restore.restore(session, export)))


def export(ctx: typer.Context,
           kind: str = typer.Argument(..., metavar="deals|contacts|tasks|history|all"),
           fmt: str = typer.Option(None, "--format", "-f", help="csv (default) or json; all is always json."),
           output: Path = typer.Option(None, "--output", "-o", help="Write here instead of standard output.")):
    """Everything the store holds, so a team can leave with its data. CSV cells that a spreadsheet would run as
    formulas (= + - @) are prefixed with ' to stay text."""
    from flowctl import messages as M
    from flowctl.errors import UsageError
    from flowctl.render import render, to_json
    from flowctl.services.transfer import EXPORT_KINDS, export as collect, flat_rows

    if kind not in EXPORT_KINDS:
        raise UsageError(M.text("export_kind", kind=kind, kinds=", ".join(EXPORT_KINDS)))
    fmt = fmt or ("json" if kind == "all" else "csv")
    check_format(fmt, ("json",) if kind == "all" else ("csv", "json"))
    session = open_session(ctx)
    data = collect(session, kind)
    if fmt == "json":
        text = to_json(data)
    else:
        rows, columns = flat_rows(session, kind, data)
        text = render(rows, "csv", [(c, c) for c in columns])
    if output:
        output.write_text(text + "\n", "utf-8")
    else:
        echo(text)


def migrate(ctx: typer.Context,
            dry_run: bool = typer.Option(False, "--dry-run", help="Count what would move; write nothing."),
            fmt: str = typer.Option("table", "--format", "-f", help="table or json.")):
    """Apply the stage and field renames the pipelines declare to every deal, in one transaction, with a
    history event per deal. Refused while `flowctl validate --store` finds data a change would strand."""
    from flowctl import messages as M
    from flowctl.render import to_json
    from flowctl.services.migrate import migrate as run

    check_format(fmt, ("table", "json"))
    result = run(open_session(ctx), dry_run)
    if fmt == "json":
        echo(to_json(result))
    elif result["deals"]:
        echo(M.text("migrate_done", deals=result["deals"], events=result["events"]) +
             (M.text("dry_run_suffix") if dry_run else ""))
    else:
        echo(M.text("migrate_nothing"))

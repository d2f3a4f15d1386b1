"""`flowctl import deals|contacts|all` and `flowctl export deals|contacts|tasks|history|all`."""

import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import List

import typer

from flowctl.cli import complete
from flowctl.cli.common import NEW_DEALS_PIPELINE_HELP, check_format, echo, new_app, write_whole
from flowctl.cli.session import open_session

import_app = new_app("Bring data in: deals and contacts from another CRM's CSV, or a whole flowctl export.")

MapOption = typer.Option(None, "--map", "-m", help='Column mapping, repeatable: --map "Бюджет=budget".')
MappingFileOption = typer.Option(
    None, "--mapping", help="YAML file: {columns: {…}, stages: {…}, id_column: …, date_format: …, created: …, "
                            "stage_dates: {stage: column}, values: {column: {source: value}}}.")
ValueMapOption = typer.Option(None, "--value-map", metavar="COLUMN:SOURCE=VALUE",
                              help="A source value read as another, repeatable: --value-map "
                                   "'Покрытие:Металлочерепица Монтеррей=металлочерепица'.")
DateFormatOption = typer.Option(
    None, "--date-format", metavar="FORMAT",
    help="How the file writes dates, one way for the whole file: DD, MM and YYYY in their order with . / - or a "
         "space between, e.g. MM/DD/YYYY, DD.MM.YYYY, YYYY-MM-DD. Default: day first (DD.MM.YYYY, DD/MM/YYYY; "
         "YYYY-MM-DD is read too). A date that does not read so refuses the whole file.")
IdColumnOption = typer.Option(None, "--id-column", help="The column with the source CRM's id: re-imports update.")
DryRunOption = typer.Option(False, "--dry-run", help="Say what would be created, updated and refused; write nothing.")
SkipOption = typer.Option(False, "--skip-invalid", help="Import the valid rows even when some are refused.")
ImportFormat = typer.Option("table", "--format", "-f", help="table or json.")
PROGRESS_FROM = 256 * 1024  # bytes, some 2,000 rows: smaller imports finish before a bar would be read


def _size(path: Path) -> int:
    """The file's size for the progress bar, from its metadata alone: nothing is read before the import is allowed,
    and a device or a pipe (/dev/zero) has no size to show."""
    import os
    import stat

    try:
        info = os.stat(path)
    except OSError:
        return 0  # the import itself reports the unreadable file
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


@contextmanager
def _progress(path: Path):
    """advance(bytes read) for the import; on a terminal and for a large file it draws a bar, from the first line
    read on (so a refused import draws none)."""
    total = _size(path)
    if total < PROGRESS_FROM or not sys.stderr.isatty():
        yield None
        return
    with ExitStack() as stack:
        bars = []

        def advance(done: int) -> None:
            if not bars:
                bars.append(stack.enter_context(typer.progressbar(length=total, label="importing", file=sys.stderr)))
            bars[0].update(done - bars[0].pos)

        yield advance


def _mapping(mapping_file: Path | None, maps: list[str], stage_maps: list[str], id_column: str | None,
             date_format: str | None, value_maps: list[str], stage_dates: list[str] = (), **dated):
    from flowctl.services.transfer import ImportMapping, parse_mapping, parse_value_maps

    # the mapping file is only named here: the import reads it once the user may import
    return ImportMapping(parse_mapping(maps), parse_mapping(stage_maps), id_column, date_format, mapping_file,
                         stage_dates=parse_mapping(stage_dates), values=parse_value_maps(value_maps), **dated)


def _changes(changes: dict | None, labels: dict) -> str:
    """What an update does to the fields, in words: «clears Бюджет; sets Где строит»."""
    from flowctl import messages as M

    words = {"import_clears": [labels.get(k, k) for k, v in (changes or {}).items() if v is None],
             "import_sets": [labels.get(k, k) for k, v in (changes or {}).items() if v is not None]}
    return "; ".join(M.text(key, fields=", ".join(names)) for key, names in words.items() if names)


def _report(result, fmt: str, skip_invalid: bool) -> None:
    from flowctl import messages as M
    from flowctl.render import cut_list, render, to_json

    summary = result.as_dict()
    if fmt == "json":
        echo(to_json(summary))
    else:
        shown = [{**r, "action": M.text(f"import_action_{r['action']}"),
                  "changes": _changes(r["changes"], result.labels)}
                 for r in summary["rows"] if result.dry_run or r["action"] == "refused"]
        if shown:
            echo(render(shown, "table", [("line", "line"), ("action", "action"), ("key", "id in source"),
                                         ("id", "flowctl id"), ("reason", "reason")] +
                        ([("changes", "changes")] if result.dry_run else [])))
        if result.ignored_columns:
            typer.echo(M.text("import_ignored", columns=cut_list(result.ignored_columns)), err=True)
        written = not result.dry_run and (skip_invalid or not summary["refused"])
        typer.echo(M.text("import_summary", source=result.source, created=summary["create"],
                          updated=summary["update"], unchanged=summary["unchanged"], refused=summary["refused"],
                          outcome=M.text("import_written" if written else "import_not_written")), err=True)
    raise typer.Exit(1 if summary["refused"] and not skip_invalid else 0)


@import_app.command("deals")
def import_deals(ctx: typer.Context, path: Path = typer.Argument(..., metavar="FILE.csv"),
                 pipeline: str = typer.Option(None, "--pipeline", "-p", autocompletion=complete.pipelines,
                                              help=NEW_DEALS_PIPELINE_HELP), maps: List[str] = MapOption,
                 stage_maps: List[str] = typer.Option(None, "--stage-map", help='"Source stage=stage id or label".'),
                 mapping_file: Path = MappingFileOption, id_column: str = IdColumnOption,
                 date_format: str = DateFormatOption, value_maps: List[str] = ValueMapOption,
                 owner: str = typer.Option(None, "--owner", metavar="LOGIN",
                                           help="Who gets the deals whose row names no owner (login or name)."),
                 created: str = typer.Option(None, "--created", metavar="COLUMN",
                                             help="The column with when each deal was created: its lead date."),
                 stage_dates: List[str] = typer.Option(
                     None, "--stage-date", metavar="STAGE=COLUMN",
                     help="The column with when deals entered a stage, repeatable: the deals' history is rebuilt "
                          "with these dates."),
                 history: Path = typer.Option(None, "--history", metavar="HISTORY.csv",
                                              help="Another CRM's log of stage changes: id, stage, entered_at, who."),
                 dry_run: bool = DryRunOption, skip_invalid: bool = SkipOption, fmt: str = ImportFormat):
    """Import deals from CSV: standard quoting ("…", "" inside); comma, semicolon or tab, told by the header line;
    UTF-8, UTF-8 with BOM or cp1251. Columns match field ids or labels; `stage`/`Этап` is the stage; map the rest
    with --map. A blank cell clears the field of a deal already imported. All rows or none, unless
    --skip-invalid."""
    from flowctl.services.transfer import import_deals as run

    check_format(fmt, ("table", "json"))
    session = open_session(ctx)
    mapping = _mapping(mapping_file, maps or [], stage_maps or [], id_column, date_format, value_maps or [],
                       stage_dates or [], owner=owner, created=created, history=history)
    with _progress(path) as progress:
        result = run(session, path, pipeline, mapping, dry_run, skip_invalid, progress)
    _report(result, fmt, skip_invalid)


@import_app.command("contacts")
def import_contacts(ctx: typer.Context, path: Path = typer.Argument(..., metavar="FILE.csv"),
                    maps: List[str] = MapOption, mapping_file: Path = MappingFileOption,
                    id_column: str = IdColumnOption, date_format: str = DateFormatOption,
                    value_maps: List[str] = ValueMapOption, dry_run: bool = DryRunOption,
                    skip_invalid: bool = SkipOption, fmt: str = ImportFormat):
    """Import contacts from CSV, read as for deals; a row whose id (or phone) is already known updates that
    contact."""
    from flowctl.services.transfer import import_contacts as run

    check_format(fmt, ("table", "json"))
    session = open_session(ctx)
    mapping = _mapping(mapping_file, maps or [], [], id_column, date_format, value_maps or [])
    with _progress(path) as progress:
        result = run(session, path, mapping, dry_run, skip_invalid, progress)
    _report(result, fmt, skip_invalid)


@import_app.command("all")
def import_all(ctx: typer.Context, path: Path = typer.Argument(..., metavar="EXPORT.json")):
    """Restore a whole `flowctl export all` into an empty store: contacts, deals, tasks and history, ids kept.
    Every row is checked first; nothing is written, and no store is created, unless all are good."""
    from flowctl import messages as M
    from flowctl.cli.session import attach_store
    from flowctl.errors import RuleRefused
    from flowctl.services import restore

    session = open_session(ctx, with_store=False, published=False)  # an empty store has published nothing
    session.require_power("restore")  # before reading a byte of the file
    export = restore.read_export(path)
    bad = restore.problems(session, export)
    if bad:
        for line in bad[:restore.PROBLEMS_SHOWN]:
            typer.echo(line, err=True)
        if len(bad) > restore.PROBLEMS_SHOWN:
            typer.echo(M.text("list_more", count=len(bad) - restore.PROBLEMS_SHOWN), err=True)
        raise RuleRefused(M.text("restore_refused", count=len(bad), path=path))
    restore.require_same_rules(session, export)
    attach_store(ctx, session, create=True)
    echo(M.text("restore_done", **restore.restore(session, export)))


def export(ctx: typer.Context,
           kind: str = typer.Argument(..., metavar="deals|contacts|tasks|history|all"),
           fmt: str = typer.Option(None, "--format", "-f", help="csv (default) or json; all is always json."),
           output: Path = typer.Option(None, "--output", "-o", help="Write here instead of standard output.")):
    """Everything the store holds, so a team can leave with its data. CSV cells that a spreadsheet would run as
    formulas (= + - @) are prefixed with ' to stay text; `flowctl import` drops that ' again."""
    from flowctl import messages as M
    from flowctl.errors import UsageError
    from flowctl.render import render, to_json
    from flowctl.services.transfer import EXPORT_KINDS, export as collect, flat_rows

    if kind not in EXPORT_KINDS:
        raise UsageError(M.text("export_kind", kind=kind, kinds=", ".join(EXPORT_KINDS)))
    fmt = fmt or ("json" if kind == "all" else "csv")
    check_format(fmt, ("json",) if kind == "all" else ("csv", "json"))
    session = open_session(ctx, read_only=True)
    data = collect(session, kind)
    if fmt == "json":
        text = to_json(data)
    else:
        rows, columns = flat_rows(session, kind, data)
        text = render(rows, "csv", [(c, c) for c in columns])
    if output:
        write_whole(output, text + "\n")
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

"""What every command shares: the error boundary, global options and the format option.

The command line's modules leave their annotations evaluated (no `from __future__ import annotations`): typer
reads each parameter's type, and a string annotation costs it a compile() per parameter on every run."""

import os
from pathlib import Path

import typer
from typer.core import TyperGroup

from flowctl import messages as M
from flowctl.errors import ExitCode, FlowError, UsageError


class GlobalOptions:
    """The root's options, for the command that runs (a plain class: a dataclass costs 1 ms at every start)."""

    __slots__ = ("store", "acting_user", "traceback")

    def __init__(self):
        self.store: str | None = None
        self.acting_user: str | None = None
        self.traceback = False


class FlowGroup(TyperGroup):
    """The one error boundary: a FlowError becomes a one-line message and its exit code. The root also decides the
    language before any help or usage error is shown."""

    def make_context(self, info_name, args, parent=None, **extra):
        if parent is not None:
            return super().make_context(info_name, args, parent=parent, **extra)
        from flowctl import language
        from flowctl.workspace import find_config

        language.use(language.configured_in(find_config(Path.cwd())) or language.from_environment())
        language.set_machine_values(False)  # a table unless this run's --format says csv or json (check_format)
        if language.current() == getattr(self, "_flowctl_language", "en") == "en":
            return super().make_context(info_name, args, parent=parent, **extra)
        from flowctl.cli.localize import localize, localize_error

        localize(self)
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except typer.TyperException as error:
            localize_error(error)
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except typer.TyperException as error:  # typer reports these itself, in the user's language
            from flowctl.cli.localize import localize_error

            localize_error(error)
            raise
        except (typer.Exit, typer.Abort, BrokenPipeError):
            raise  # (a closed pipe ends quietly)
        except FlowError as error:
            typer.echo(f"flowctl: {error.message}", err=True)
            raise typer.Exit(int(error.exit_code))
        except KeyboardInterrupt:
            raise typer.Exit(130)
        except UnicodeEncodeError:  # undecodable bytes in argv reach the store or the terminal as surrogates
            typer.echo(f"flowctl: {M.text('not_text')}", err=True)
            raise typer.Exit(int(ExitCode.USAGE))
        except Exception as error:  # a bug: say so in one line unless asked for the traceback
            if _wants_traceback(ctx):
                raise
            typer.echo(f"flowctl: {M.text('internal_error', error=f'{type(error).__name__}: {error}')}", err=True)
            raise typer.Exit(int(ExitCode.INTERNAL))


def _wants_traceback(ctx) -> bool:
    root = ctx.find_root()
    options = root.obj if isinstance(root.obj, GlobalOptions) else None
    return bool(options and options.traceback) or os.environ.get("FLOWCTL_TRACEBACK") == "1"


def new_app(help_text: str | None = None, cls=FlowGroup, completion: bool = False) -> typer.Typer:
    """A typer app as flowctl's commands are: plain help (rich is never imported), the one error boundary, and
    shell completion's options on the root only. A group without help shows the root's line for it (app.py)."""
    return typer.Typer(cls=cls, help=help_text, no_args_is_help=True, rich_markup_mode=None,
                       pretty_exceptions_enable=False, add_completion=completion)


def options(ctx: typer.Context) -> GlobalOptions:
    root = ctx.find_root()
    if not isinstance(root.obj, GlobalOptions):
        root.obj = GlobalOptions()
    return root.obj


FormatOption = typer.Option("table", "--format", "-f", help="Output format: table, json or csv.")


def check_format(fmt: str, allowed=("table", "json", "csv")) -> str:
    from flowctl import language

    if fmt not in allowed:
        raise UsageError(M.text("format_unknown", fmt=fmt, allowed=", ".join(allowed)))
    language.set_machine_values(fmt != "table")  # csv and json are read by programs, whatever the language
    return fmt


def write_whole(path: Path, text: str) -> None:
    """`text` into the file `path`, whole or not at all: written beside it and renamed over it, so a full disk
    leaves no partial file (and an earlier file as it was). A device such as /dev/stdout is written to directly.
    A path that cannot be written is a usage error (exit 2) in one line."""
    import stat
    import tempfile

    target, info = _output_target(path)
    try:
        if info and not stat.S_ISREG(info.st_mode):
            with open(target, "w", encoding="utf-8") as device:
                device.write(text)
            return
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(temporary, stat.S_IMODE(info.st_mode) if info else 0o666 & ~_umask())
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise _unwritable(path, error) from None


def check_writable(path: Path) -> None:
    """Refuse, before a long computation, a path `write_whole` would refuse: a directory, a folder that is not
    there or may not be written. A file is tried in the folder and removed at once: nothing is left behind."""
    import stat
    import tempfile

    target, info = _output_target(path)
    if info and not stat.S_ISREG(info.st_mode):
        return  # a device: opened when written
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(handle)
        os.unlink(temporary)
    except OSError as error:
        raise _unwritable(path, error) from None


def _output_target(path: Path):
    """(the file a write to `path` reaches, through a symbolic link; its stat, or None when it is not there)."""
    import errno
    import stat

    target = Path(os.path.realpath(path))
    try:
        info = os.stat(target) if target.exists() else None
        if info and stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    except OSError as error:
        raise _unwritable(path, error) from None
    return target, info


def _unwritable(path, error: OSError) -> UsageError:
    return UsageError(M.text("export_unwritable", path=path, reason=error.strerror or error))


def _umask() -> int:
    mask = os.umask(0o022)  # reading it means setting it
    os.umask(mask)
    return mask


def echo(text: str) -> None:
    """Print to standard output; an output that cannot take it (a full disk, a closed device) is said in one line."""
    try:
        typer.echo(text)
    except BrokenPipeError:
        raise  # a reader that stopped early (| head) ends the command quietly
    except OSError as error:
        raise UsageError(M.text("export_unwritable", path=M.text("standard_output"),
                                reason=error.strerror or error)) from None


NEW_DEALS_PIPELINE_HELP = "Pipeline id or name (default: flowctl.yaml's default_pipeline)."

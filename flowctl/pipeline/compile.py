"""File → problems, or file → model: the load → schema → lint → model chain in one place, and its cache."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

from flowctl import __version__
from flowctl.digest import sha256
from flowctl.errors import ConfigError
from flowctl.files import TooLarge, read_limited
from flowctl.pipeline.model import Pipeline, build
from flowctl.pipeline.problems import Document, Problem, ProblemsFound


def config_error(problem: Problem) -> ConfigError:
    return ConfigError(f"{problem.path}:{problem.line}:{problem.column}: {problem.message} [{problem.rule}]")


def check(path: str | Path):
    """(every problem of one pipeline file, its document or None); lint runs only on a schema-valid document."""
    from flowctl.pipeline import lint, loader, schema

    try:
        doc = loader.load_file(path)
    except ProblemsFound as found:
        return found.problems, None
    problems = schema.check(doc)
    if problems:
        return problems, None
    return lint.lint(doc), doc


def check_together(paths) -> list[Problem]:
    """The problems between the pipelines of one workspace, each of which compiles on its own."""
    from flowctl.pipeline import lint, loader

    return lint.lint_workspace([loader.load_file(p) for p in paths])


def _valid_data(path: str | Path) -> dict:
    """The plain data of a pipeline file (what `build` takes), or ConfigError when it has errors (warnings pass)."""
    problems, doc = check(path)
    errors = [p for p in problems if p.severity == "error"]
    if errors or doc is None:
        raise config_error(errors[0] if errors else problems[0])
    return doc.data


def compile_file(path: str | Path) -> Pipeline:
    """The model of a pipeline file, or ConfigError when it has errors (warnings pass)."""
    return build(_valid_data(path), str(path))


def check_config(path: str | Path, schema_name: str) -> Document:
    """A schema-valid document of any flowctl config file, or ConfigError naming the first problem."""
    from flowctl.pipeline import loader, schema

    try:
        doc = loader.load_file(path)
    except ProblemsFound as found:
        problems = found.problems
    else:
        problems = schema.check(doc, schema_name)
        if not problems:
            return doc
    raise config_error(problems[0])


# -- the cache ------------------------------------------------------------------------------------

CACHE_FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent.parent
# What decides a cached result besides the source: how it is read, checked and turned into plain data
# (the whole pipeline package, so a module added to it is covered too).
_DECIDING = (("pipeline", ".py"), ("schemas", ".json"))
_LIBRARIES = ("yaml", "jsonschema")
_CACHEABLE_BYTES = 1 << 20  # a larger source is not cached: the loader refuses it by its own limit
_MISS = (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError)  # rebuilding a bad entry


def _cache_dir() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = Path.home() / ".cache"
        except RuntimeError:  # no home (e.g. a container user without one): nowhere to cache
            return None
    return Path(base) / "flowctl" / "pipelines"


@cache
def _code_fingerprint() -> str | None:
    """Changes whenever the code that makes an entry does. flowctl's files are hashed: ~85 KB, about 0.3 ms once
    per process, so remembering the fingerprint by the files' mtimes would save less than it costs in another file
    to trust; the version also covers a release's change to what they call outside the package. The YAML and JSON Schema libraries are known by their files' stat, so neither is imported. None when
    the files cannot be read (an install without sources): then nothing is cached."""
    from importlib.util import find_spec

    digest = sha256(f"flowctl {__version__}".encode())
    try:
        for folder, suffix in _DECIDING:
            names = sorted(n for n in os.listdir(_PACKAGE / folder) if n.endswith(suffix))
            if not names:  # an install without sources
                return None
            for name in names:
                digest.update(f"\0{folder}/{name}\0".encode() + (_PACKAGE / folder / name).read_bytes())
        for library in _LIBRARIES:
            spec = find_spec(library)
            stat = os.stat(spec.origin)  # an upgrade rewrites the file: a new mtime
            digest.update(f"\0{library}\0{spec.origin}\0{stat.st_mtime_ns}\0{stat.st_size}".encode())
    except (OSError, TypeError, AttributeError, ValueError):  # unreadable, or a library without a file
        return None
    return digest.hexdigest()


def _source(path: str | Path) -> bytes | None:
    """The source's bytes when it can be cached; errors are left for the loader to report."""
    try:
        return read_limited(path, _CACHEABLE_BYTES)
    except (OSError, TooLarge):
        return None


def _trusted(stat: os.stat_result) -> bool:
    """An entry this user wrote and nobody else may rewrite: a shared or world-writable folder is not believed."""
    return not hasattr(os, "getuid") or (stat.st_uid == os.getuid() and not stat.st_mode & 0o022)


def _read_entry(entry: Path, header: dict):
    """The plain data an entry holds when it is well-formed and records exactly `header`, else None."""
    try:
        with open(entry, "rb") as handle:
            if not _trusted(os.fstat(handle.fileno())):
                return None
            stored = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):  # missing, unreadable, not JSON, not UTF-8, absurdly deep
        return None
    if (not isinstance(stored, dict) or stored.keys() != {*header, "data"}
            or any(stored[key] != value for key, value in header.items())):
        return None
    return stored["data"]


def _write_entry(entry: Path, content: dict) -> None:
    """Written whole or not at all (a temporary file renamed), readable by this user only; failures are ignored."""
    import tempfile

    try:
        body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")  # mode 0600, never a planted link
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(body)
            os.replace(temporary, entry)
        except OSError:
            os.unlink(temporary)
            raise
    except (OSError, TypeError, ValueError):  # a read-only cache, or a value JSON cannot hold: just not cached
        pass


def _cached(path: str | Path, kind: str, make, rebuild):
    """rebuild(make(path)), with make's plain data kept on disk as JSON while the source and the code are unchanged.

    Everyday commands then pay for reading a small JSON file and rebuilding the frozen model (under a millisecond)
    instead of YAML + JSON Schema + lint, which also keeps yaml and jsonschema out of their start-up.

    An entry holds plain data, never code. It is used only if it records the full SHA-256 of these very source
    bytes, this kind and this code fingerprint, has the expected shape, rebuilds without error, and was written
    by this user and is writable by no one else. Without a secret that is the honest limit: it rejects stale,
    misplaced, damaged and other users' entries, not one forged by this user's own account, which could as well
    edit the pipeline or flowctl itself. Any failure to read or rebuild an entry is a miss and compiles again;
    any failure to write one is ignored.
    """
    raw = _source(path)
    fingerprint = _code_fingerprint()
    folder = _cache_dir()
    if raw is None or fingerprint is None or folder is None:
        return rebuild(make(path))
    header = {"format": CACHE_FORMAT, "kind": kind, "code": fingerprint,
              "source_sha256": sha256(raw).hexdigest()}
    entry = folder / (sha256(json.dumps(header, sort_keys=True).encode()).hexdigest() + ".json")
    plain = _read_entry(entry, header)
    if plain is not None:
        try:
            return rebuild(plain)
        except _MISS:
            pass
    plain = make(path)
    value = rebuild(plain)
    if _source(path) == raw:  # the file did not change while it was compiled: the entry stands for `raw`
        _write_entry(entry, {**header, "data": plain})
    return value


def compile_cached(path: str | Path) -> Pipeline:
    """compile_file, not repeated while the file and flowctl are unchanged."""
    return _cached(path, "pipeline", _valid_data, lambda data: build(data, str(path)))


def _positions(table: dict) -> list:
    return [[list(node), line, column] for node, (line, column) in table.items()]


def check_config_cached(path: str | Path, schema_name: str) -> Document:
    """check_config, not repeated while the file and flowctl are unchanged; positions are kept for messages."""
    def make(p):
        doc = check_config(p, schema_name)
        return {"data": doc.data, "positions": _positions(doc.positions),
                "key_positions": _positions(doc.key_positions)}

    def rebuild(plain: dict) -> Document:
        if not isinstance(plain["data"], dict):
            raise TypeError("a config document is a mapping")
        return Document(str(path), plain["data"],
                        {tuple(node): (line, column) for node, line, column in plain["positions"]},
                        {tuple(node): (line, column) for node, line, column in plain["key_positions"]})

    return _cached(path, f"config:{schema_name}", make, rebuild)

"""File → problems, or file → model: the load → schema → lint → model chain in one place."""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import replace
from pathlib import Path

from flowctl.errors import ConfigError
from flowctl.pipeline.model import Pipeline, build
from flowctl.pipeline.problems import Problem, ProblemsFound


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


def compile_file(path: str | Path) -> Pipeline:
    """The model of a pipeline file, or ConfigError when it has errors (warnings pass)."""
    problems, doc = check(path)
    errors = [p for p in problems if p.severity == "error"]
    if errors or doc is None:
        raise config_error(errors[0] if errors else problems[0])
    return build(doc.data, str(path))


def check_config(path: str | Path, schema_name: str):
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


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "flowctl" / "pipelines"


def _code_fingerprint() -> str:
    """Changes whenever the pickled classes do, so a cache never hands back objects of an older shape."""
    from flowctl.pipeline import model, problems

    digest = hashlib.sha256()
    for module in (model, problems):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def _cached(path: str | Path, kind: str, make):
    """make(path), remembered on disk by the file's content hash (and flowctl's version).

    Everyday commands pay for a pickle load instead of YAML + JSON Schema + lint, which also
    keeps yaml and jsonschema out of their start-up. The cache is only an optimisation: any
    failure to read or write it falls back to `make`.
    """
    raw = Path(path).read_bytes()
    digest = hashlib.sha256(f"{kind}\0{_code_fingerprint()}\0".encode() + raw).hexdigest()
    cached = _cache_dir() / f"{digest}.pickle"
    try:
        with open(cached, "rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ImportError):
        pass
    value = make(path)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(value))
        os.replace(tmp, cached)
    except OSError:
        pass
    return value


def compile_cached(path: str | Path) -> Pipeline:
    """compile_file, not repeated while the file is unchanged."""
    return replace(_cached(path, "pipeline", compile_file), source=str(path))


def check_config_cached(path: str | Path, schema_name: str):
    """check_config, not repeated while the file is unchanged."""
    return _cached(path, schema_name, lambda p: check_config(p, schema_name))

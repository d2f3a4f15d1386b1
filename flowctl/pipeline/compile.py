"""File → problems, or file → model: the load → schema → lint → model chain in one place."""

from __future__ import annotations

from pathlib import Path

from flowctl import messages as M
from flowctl.errors import ConfigError
from flowctl.pipeline import lint, loader, schema
from flowctl.pipeline.model import Pipeline, build
from flowctl.pipeline.problems import Problem, ProblemsFound


def check(path: str | Path) -> tuple[list[Problem], loader.Document | None]:
    """Every problem of one pipeline file; lint runs only on a schema-valid document."""
    try:
        doc = loader.load_file(path)
    except ProblemsFound as found:
        return found.problems, None
    problems = schema.check(doc)
    if problems:
        return problems, None
    return lint.lint(doc), doc


def compile_file(path: str | Path) -> Pipeline:
    """The model of a pipeline file, or ConfigError when it has errors (warnings pass)."""
    problems, doc = check(path)
    errors = [p for p in problems if p.severity == "error"]
    if errors or doc is None:
        first = errors[0] if errors else problems[0]
        raise ConfigError(f"{first.path}:{first.line}:{first.column}: {first.message} [{first.rule}]")
    return build(doc.data, str(path))

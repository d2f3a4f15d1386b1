"""Check a loaded document against the pipeline JSON Schema (draft 2020-12)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from flowctl import messages as M
from flowctl.pipeline.loader import Document
from flowctl.pipeline.problems import Problem


@cache
def load_schema(name: str) -> dict:
    return json.loads(resources.files("flowctl.schemas").joinpath(name).read_text("utf-8"))


@cache
def _validator(name: str):
    from jsonschema import Draft202012Validator  # slow to import: only when a file is validated

    return Draft202012Validator(load_schema(name))


def _deepest(error):
    """For oneOf/anyOf, the branch error that went furthest into the document."""
    from jsonschema.exceptions import best_match

    while error.context:
        error = best_match(error.context)
    return error


def _describe(error) -> list[tuple[tuple, str, bool]]:
    """(path, message, points at key?) for one jsonschema error; one per unknown key."""
    path = tuple(error.absolute_path)
    v = error.validator
    if v == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        return [(path + (key,), M.text("schema_unknown_key", key=key, hint=M.did_you_mean(key, allowed)), True)
                for key in error.instance if key not in allowed]
    return [_describe_one(error, path, v)]


def _describe_one(error, path: tuple, v: str) -> tuple[tuple, str, bool]:
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return path, M.text("schema_missing_key", key=missing), False
    if v == "enum" and "dependentSchemas" in error.schema_path:  # a key that only some types take
        key = list(error.schema_path)[list(error.schema_path).index("dependentSchemas") + 1]
        return path[:-1] + (key,), M.text(f"schema_{key}_type", type=error.instance), True
    if v == "enum":
        return path, M.text("schema_enum", value=error.instance, allowed=", ".join(map(str, error.validator_value)),
                            hint=M.did_you_mean(str(error.instance), [str(a) for a in error.validator_value])), False
    if v == "pattern" and error.schema.get("pattern", "").startswith("^[a-z]"):
        return path, M.text("schema_bad_id", value=error.instance), False
    if v == "pattern" and "mhd" in error.schema.get("pattern", ""):
        return path, M.text("schema_bad_duration", value=error.instance), False
    if _QUARTER_HOUR in error.schema.get("pattern", ""):  # working_hours' from and to
        if v == "type" and type(error.instance) is int:  # `to: 18:00` unquoted: YAML 1.1 reads 1080
            return path, M.text("schema_unquoted_time", value=error.instance), False
        if v == "pattern":
            return path, M.text("schema_quarter_hour", value=error.instance), False
    if v == "const":
        return path, M.text("schema_const", value=error.instance, expected=error.validator_value), False
    if v == "type":
        return path, M.text("schema_type", value=error.instance, expected=error.validator_value), False
    if v == "not" and "required" in error.validator_value:
        return path + ("options",), M.text("schema_options_not_enum"), True
    if v in _LIMITS:
        return path, M.text(_LIMITS[v], value=error.instance, limit=error.validator_value), False
    return path, error.message, False  # a check no message above describes: jsonschema's own words


_QUARTER_HOUR = ":(00|15|30|45)$"
_LIMITS = {"minItems": "schema_min_items", "minProperties": "schema_min_items", "minLength": "schema_min_length",
           "maxLength": "schema_max_length", "minimum": "schema_minimum", "maximum": "schema_maximum",
           "uniqueItems": "schema_unique", "pattern": "schema_pattern"}


def check(doc: Document, schema_name: str = "pipeline.schema.json") -> list[Problem]:
    problems = []
    for error in _validator(schema_name).iter_errors(doc.data):
        for path, message, key in _describe(_deepest(error)):
            problems.append(doc.problem(path, "schema", message, key=key))
    return sorted(problems, key=lambda p: (p.line, p.column))


"""Read a YAML file safely into plain data, keeping where every node came from.

PyYAML's safe_load silently keeps the last of two equal keys and happily
expands an alias bomb; we compose the node graph ourselves so that duplicate
keys are errors, aliases are counted, nesting is bounded and each value keeps
its line and column for `file:line:col` messages.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from flowctl import messages as M
from flowctl.files import TooLarge, read_limited
from flowctl.pipeline.problems import Document, Problem, ProblemsFound, format_yaml_path

MAX_BYTES = 1_000_000  # a pipeline is a few kilobytes; a megabyte is a mistake
MAX_DEPTH = 50
MAX_NODES = 100_000  # nodes visited, aliases counted each time they expand

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.nodes = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node, path: tuple, depth: int):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ProblemsFound([self.doc.problem(path, "yaml-limits", M.text("yaml_too_many_nodes", limit=MAX_NODES))])
        if depth > MAX_DEPTH:
            raise ProblemsFound([self.doc.problem(path, "yaml-limits", M.text("yaml_too_deep", limit=MAX_DEPTH))])
        self.doc.positions.setdefault(path, _mark(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node)

    def _mapping(self, node, path: tuple, depth: int) -> dict:
        own = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
        self.constructor.flatten_mapping(node)  # resolves `<<: *anchor`; merged pairs come first
        merged = len(node.value) - own
        result: dict = {}
        for index, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                line, col = _mark(key_node)
                raise ProblemsFound([Problem(self.doc.path, line, col, "error", "yaml-syntax",
                                             M.text("yaml_complex_key"), format_yaml_path(path))])
            key = self.constructor.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            child = path + (key,)
            written_here = index >= merged  # a key written in this mapping may override a merged one, once
            if key in result and written_here and child in self.doc.key_positions:
                line, col = _mark(key_node)
                first = self.doc.key_positions[child]
                raise ProblemsFound([Problem(self.doc.path, line, col, "error", "yaml-duplicate-key",
                                             M.text("yaml_duplicate_key", key=key, line=first[0]),
                                             format_yaml_path(child))])
            if written_here:
                self.doc.key_positions[child] = _mark(key_node)
                self.doc.positions.pop(child, None)  # the value written here, not the merged one, is pointed at
            result[key] = self.build(value_node, child, depth + 1)
        return result


def load_text(text: str, path: str) -> Document:
    doc = Document(path, None)
    try:
        nodes = list(yaml.compose_all(text, Loader=Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "invalid YAML"
        raise ProblemsFound([Problem(path, line, col, "error", "yaml-syntax", M.text("yaml_syntax", reason=reason))])
    except (yaml.YAMLError, RecursionError) as exc:
        raise ProblemsFound([Problem(path, 1, 1, "error", "yaml-syntax", M.text("yaml_syntax", reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__))])
    if len(nodes) > 1:
        line, col = _mark(nodes[1])
        raise ProblemsFound([Problem(path, line, col, "error", "yaml-syntax", M.text("yaml_many_documents"))])
    if not nodes or nodes[0] is None:
        raise ProblemsFound([Problem(path, 1, 1, "error", "yaml-syntax", M.text("yaml_empty"))])
    try:
        doc.data = _Builder(doc).build(nodes[0], (), 0)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ProblemsFound([Problem(path, line, col, "error", "yaml-syntax", M.text("yaml_syntax", reason=exc.problem or str(exc)))])
    return doc


def decode(raw: bytes, path: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        col = len(raw[line_start:exc.start].decode("utf-8", errors="replace")) + 1  # characters, like YAML marks
        raise ProblemsFound([Problem(path, line, col, "error", "yaml-encoding", M.text("not_utf8", byte=raw[exc.start]))])
    return text.removeprefix("\ufeff")


def load_file(path: str | Path) -> Document:
    shown = str(path)
    try:
        raw = read_limited(path, MAX_BYTES)
    except TooLarge:
        raise ProblemsFound([Problem(shown, 1, 1, "error", "yaml-limits", M.text("file_too_large", limit=MAX_BYTES))])
    except FileNotFoundError:
        raise ProblemsFound([Problem(shown, 1, 1, "error", "file", M.text("file_missing"))])
    except OSError as exc:
        raise ProblemsFound([Problem(shown, 1, 1, "error", "file", M.text("file_unreadable", reason=exc.strerror or str(exc)))])
    return load_text(decode(raw, shown), shown)
